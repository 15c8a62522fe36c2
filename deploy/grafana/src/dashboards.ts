/**
 * The Grafana dashboards, Fleet, Pump and Model & pipeline, built with @grafana/grafana-foundation-sdk
 * from the project's own constants: the Flux of @pdm/influx's grafana-queries.ts (which names the
 * measurements and fields), the ISO 10816 zones and states of @pdm/contract, the built-in dashboard's
 * colours and stale/offline defaults. generate.ts writes them as JSON; dashboards.test.ts checks that
 * the committed JSON is what this builds.
 */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as statetimeline from '@grafana/grafana-foundation-sdk/statetimeline';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import {
  ALARM_STATES,
  ALERT_KINDS,
  type AlertKind,
  CHANNEL_INFO,
  CHANNELS,
  type Channel,
  DEFAULT_ISO_CLASS,
  ISO_MACHINE_CLASSES,
  ISO_ZONES,
  PROBABILITY_FIELDS,
  PUMP_STATES,
} from '@pdm/contract';
import { ISO_ZONE_FILLS, TILE_COLOURS } from '@pdm/dashboard/colours';
import { options as dashboardOptions } from '@pdm/dashboard/options';
import {
  ALARM_TABLE_COLUMNS,
  ALERT_KIND_TAG,
  alertTimelineFlux,
  fleetStateCountsFlux,
  GRAFANA_COLUMNS,
  lastPredictionAgeFlux,
  liveAccuracyFlux,
  modelVersionFlux,
  PUMP_VARIABLE,
  predictionsPerSecondFlux,
  pumpAlertsFlux,
  pumpChannelFlux,
  pumpIdsFlux,
  pumpProbabilitiesFlux,
  pumpRulFlux,
  pumpStatesFlux,
  pumpsInAlarmFlux,
  RUL_FIELD,
  samplesPerSecondFlux,
  TAG,
} from '@pdm/influx';

/** The data source the provisioned dashboards name (provisioning/datasources/influxdb.yaml). */
export const DATASOURCE_UID = 'pdm-influxdb';
export const DATASOURCE_TYPE = 'influxdb';
/** The import variant's data source input: Grafana asks for it on import and fills `${DS_INFLUXDB}`. */
export const DATASOURCE_INPUT = 'DS_INFLUXDB';

export const DASHBOARD_UIDS = { fleet: 'pdm-fleet', pump: 'pdm-pump', model: 'pdm-model' } as const;
export type DashboardName = keyof typeof DASHBOARD_UIDS;

const TAGS = ['pump-pdm'];

/** When the built-in dashboard calls a pump STALE and OFFLINE, by default: the age panel's thresholds. */
const DEFAULT_STALE_AFTER_S = dashboardOptions.staleAfterS.schema.parse(undefined);
const DEFAULT_OFFLINE_AFTER_S = dashboardOptions.offlineAfterS.schema.parse(undefined);

/** Colours of the alert kinds on the Fleet timeline: a kind is as bad as the state it usually reports. */
const ALERT_KIND_COLOURS: Readonly<Record<AlertKind, keyof typeof TILE_COLOURS>> = {
  alarm: 'BROKEN',
  rul_low: 'FAULTY',
  recovered: 'HEALTHY',
};

/**
 * An InfluxDB Flux query of a panel, as Grafana stores it: `query` holds the Flux. The SDK has no
 * InfluxDB package, so this is its data query variant for the InfluxDB plugin.
 */
class FluxQuery implements cog.Builder<cog.Dataquery> {
  constructor(
    private readonly refId: string,
    private readonly flux: string,
    private readonly datasource: common.DataSourceRef,
  ) {}

  build(): cog.Dataquery {
    const query = { refId: this.refId, datasource: this.datasource, query: this.flux };
    // the SDK's marker of a query variant: a method, so JSON.stringify leaves it out
    Object.defineProperty(query, '_implementsDataqueryVariant', { value: () => {}, enumerable: false });
    return query as unknown as cog.Dataquery;
  }
}

interface PanelLike<P> extends cog.Builder<dashboard.Panel> {
  id(id: number): P;
  title(title: string): P;
  description(description: string): P;
  datasource(datasource: common.DataSourceRef): P;
  withTarget(target: cog.Builder<cog.Dataquery>): P;
  height(h: number): P;
  span(w: number): P;
}

/** Every panel: its id, title, what it shows, the data source and its one Flux query. */
function panel<P extends PanelLike<P>>(
  builder: P,
  ds: common.DataSourceRef,
  ids: { next: number },
  options: { title: string; description: string; flux: string; width: number; height?: number },
): P {
  return builder
    .id(ids.next++)
    .title(options.title)
    .description(options.description)
    .datasource(ds)
    .withTarget(new FluxQuery('A', options.flux, ds))
    .span(options.width)
    .height(options.height ?? 8);
}

/** A value mapping that shows each state in its dashboard colour and name. */
function stateMappings(): dashboard.ValueMapping[] {
  return [
    {
      type: dashboard.MappingType.ValueToText,
      options: Object.fromEntries(
        PUMP_STATES.map((state, index) => [
          state,
          { text: state, color: TILE_COLOURS[state].fill, index } satisfies dashboard.ValueMappingResult,
        ]),
      ),
    },
  ];
}

function fixedColour(colour: string): dashboard.DynamicConfigValue {
  return { id: 'color', value: { mode: dashboard.FieldColorModeId.Fixed, fixedColor: colour } };
}

/** A link from a pump id cell to that pump's dashboard, keeping the time range. */
function pumpLink(): dashboard.DynamicConfigValue {
  return {
    id: 'links',
    value: [
      {
        title: `Pump \${__value.raw}`,
        url: `/d/${DASHBOARD_UIDS.pump}/pump?var-${PUMP_VARIABLE}=\${__value.raw}&\${__url_time_range}`,
      },
    ],
  };
}

function stacked(): common.StackingConfigBuilder {
  return new common.StackingConfigBuilder().mode(common.StackingMode.Normal);
}

function fleet(ds: common.DataSourceRef): dashboard.DashboardBuilder {
  const ids = { next: 1 };
  const alarmTitle = `Pumps ${ALARM_STATES.join(' or ')} now`;
  const states = new timeseries.PanelBuilder()
    .drawStyle(common.GraphDrawStyle.Bars)
    .fillOpacity(80)
    .stacking(stacked())
    .decimals(0)
    .min(0)
    .unit('none');
  for (const state of PUMP_STATES) states.overrideByName(state, [fixedColour(TILE_COLOURS[state].fill)]);
  const alarms = new table.PanelBuilder()
    .withTransformation({
      id: 'organize',
      options: { indexByName: Object.fromEntries([...ALARM_TABLE_COLUMNS, '_time'].map((c, i) => [c, i])) },
    })
    .overrideByName(TAG, [pumpLink()])
    .mappings(stateMappings())
    .cellOptions({ type: common.TableCellDisplayMode.ColorText });
  const timeline = new statetimeline.PanelBuilder()
    .displayName(`\${__field.labels.${TAG}}`)
    .mappings([
      {
        type: dashboard.MappingType.ValueToText,
        options: Object.fromEntries(
          ALERT_KINDS.map((kind, index) => [
            kind,
            { text: kind, color: TILE_COLOURS[ALERT_KIND_COLOURS[kind]].fill, index },
          ]),
        ),
      },
    ])
    .mergeValues(false)
    .showValue(common.VisibilityMode.Never);
  const ages = new table.PanelBuilder()
    .overrideByName(TAG, [pumpLink()])
    .overrideByName(GRAFANA_COLUMNS.ageS, [
      { id: 'unit', value: 's' },
      { id: 'custom.cellOptions', value: { type: common.TableCellDisplayMode.ColorBackground } },
    ])
    .thresholds(
      new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps([
        { value: null, color: TILE_COLOURS.HEALTHY.fill },
        { value: DEFAULT_STALE_AFTER_S, color: TILE_COLOURS.STALE.fill },
        { value: DEFAULT_OFFLINE_AFTER_S, color: TILE_COLOURS.OFFLINE.fill },
      ]),
    );
  return new dashboard.DashboardBuilder('Pumps: fleet')
    .uid(DASHBOARD_UIDS.fleet)
    .tags(TAGS)
    .description('Every pump by its predicted state, the alarms, the alerts and who went quiet.')
    .time({ from: 'now-6h', to: 'now' })
    .refresh('30s')
    .withPanel(
      panel(states, ds, ids, {
        title: 'Pumps per smoothed state',
        description:
          'How many pumps were in each smoothed state, by each pump’s last prediction in the interval.',
        flux: fleetStateCountsFlux(),
        width: 24,
      }),
    )
    .withPanel(
      panel(alarms, ds, ids, {
        title: alarmTitle,
        description:
          'Pumps whose latest prediction (in the last 7 days) is an alarm state. The pump id opens its dashboard.',
        flux: pumpsInAlarmFlux(),
        width: 12,
        height: 10,
      }),
    )
    .withPanel(
      panel(ages, ds, ids, {
        title: 'Age of the last prediction',
        description: `Seconds since each pump’s last prediction: ${TILE_COLOURS.STALE.label} from ${DEFAULT_STALE_AFTER_S} s, ${TILE_COLOURS.OFFLINE.label} from ${DEFAULT_OFFLINE_AFTER_S} s, as on the built-in dashboard.`,
        flux: lastPredictionAgeFlux(),
        width: 12,
        height: 10,
      }),
    )
    .withPanel(
      panel(timeline, ds, ids, {
        title: 'Alerts',
        description: `Every alert, per pump, by kind: ${ALERT_KINDS.join(', ')}.`,
        flux: alertTimelineFlux(),
        width: 24,
        height: 10,
      }),
    );
}

function channelPanel(channel: Channel, ds: common.DataSourceRef, ids: { next: number }) {
  const info = CHANNEL_INFO[channel];
  const builder = new timeseries.PanelBuilder().unit(`suffix: ${info.unit}`);
  let title = `${channel} (${info.unit})`;
  let description = info.description;
  if (channel === 'vibration_rms') {
    const boundaries = ISO_MACHINE_CLASSES[DEFAULT_ISO_CLASS];
    const [first, ...rest] = ISO_ZONES;
    builder
      .thresholds(
        new dashboard.ThresholdsConfigBuilder()
          .mode(dashboard.ThresholdsMode.Absolute)
          .steps([
            { value: null, color: ISO_ZONE_FILLS[first] },
            ...rest.map((zone, i) => ({ value: boundaries[i] as number, color: ISO_ZONE_FILLS[zone] })),
          ]),
      )
      .thresholdsStyle(
        new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Area),
      )
      .colorScheme(
        new dashboard.FieldColorBuilder().mode(dashboard.FieldColorModeId.Fixed).fixedColor('#0072b2'),
      );
    title = `${channel} (${info.unit}) against the ISO 10816 zones`;
    description = `${info.description}. Bands: zones ${ISO_ZONES.join(', ')} of ${DEFAULT_ISO_CLASS}, from ${boundaries.join(', ')} ${info.unit}.`;
  }
  return panel(builder, ds, ids, {
    title,
    description,
    flux: pumpChannelFlux(channel),
    width: channel === 'vibration_rms' ? 24 : 8,
    height: channel === 'vibration_rms' ? 10 : 7,
  });
}

function pump(ds: common.DataSourceRef): dashboard.DashboardBuilder {
  const ids = { next: 1 };
  const variable = new dashboard.QueryVariableBuilder(PUMP_VARIABLE)
    .label('Pump')
    .datasource(ds)
    .query(pumpIdsFlux())
    .definition(pumpIdsFlux())
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc);
  const alerts = new dashboard.AnnotationQueryBuilder()
    .name('Alerts')
    .datasource(ds)
    .enable(true)
    .iconColor(TILE_COLOURS.BROKEN.fill)
    .target(new FluxQuery('Alerts', pumpAlertsFlux(), ds))
    .mappings({
      text: new dashboard.AnnotationEventFieldMappingBuilder()
        .source(dashboard.AnnotationEventFieldSource.Field)
        .value(GRAFANA_COLUMNS.text),
      tags: new dashboard.AnnotationEventFieldMappingBuilder()
        .source(dashboard.AnnotationEventFieldSource.Field)
        .value(ALERT_KIND_TAG),
    });
  const states = new statetimeline.PanelBuilder()
    .mappings(stateMappings())
    .showValue(common.VisibilityMode.Auto);
  const probabilities = new timeseries.PanelBuilder()
    .unit('percentunit')
    .min(0)
    .max(1)
    .fillOpacity(60)
    .stacking(stacked());
  for (const state of PUMP_STATES) {
    probabilities.overrideByName(PROBABILITY_FIELDS[state], [fixedColour(TILE_COLOURS[state].fill)]);
  }
  const rul = new timeseries.PanelBuilder().unit('h').min(0).noValue('No RUL model has served this pump');
  const board = new dashboard.DashboardBuilder('Pumps: pump')
    .uid(DASHBOARD_UIDS.pump)
    .tags(TAGS)
    .description(
      'One pump: its nine channels, the vibration against ISO 10816, its predictions, RUL and alerts.',
    )
    .time({ from: 'now-1h', to: 'now' })
    .refresh('30s')
    .withVariable(variable)
    .annotation(alerts)
    .withPanel(channelPanel('vibration_rms', ds, ids))
    .withPanel(
      panel(states, ds, ids, {
        title: 'Smoothed and raw predicted state',
        description:
          'state is the smoothed prediction that raises alerts; raw_state the model’s own, per sample.',
        flux: pumpStatesFlux(),
        width: 24,
        height: 6,
      }),
    )
    .withPanel(
      panel(probabilities, ds, ids, {
        title: 'Class probabilities',
        description: 'The model’s probability of each state, for the states it knows.',
        flux: pumpProbabilitiesFlux(),
        width: 12,
      }),
    )
    .withPanel(
      panel(rul, ds, ids, {
        title: 'Remaining useful life (h)',
        description: `${RUL_FIELD}: the smoothed remaining useful life, present while a RUL model serves.`,
        flux: pumpRulFlux(),
        width: 12,
      }),
    );
  for (const channel of CHANNELS)
    if (channel !== 'vibration_rms') board.withPanel(channelPanel(channel, ds, ids));
  return board;
}

function model(ds: common.DataSourceRef): dashboard.DashboardBuilder {
  const ids = { next: 1 };
  const perState = new timeseries.PanelBuilder()
    .drawStyle(common.GraphDrawStyle.Bars)
    .fillOpacity(80)
    .stacking(stacked())
    .unit('suffix: /s')
    .min(0);
  for (const state of PUMP_STATES) perState.overrideByName(state, [fixedColour(TILE_COLOURS[state].fill)]);
  return new dashboard.DashboardBuilder('Pumps: model and pipeline')
    .uid(DASHBOARD_UIDS.model)
    .tags(TAGS)
    .description('What the pipeline stores and predicts, which model serves, and how right it is.')
    .time({ from: 'now-6h', to: 'now' })
    .refresh('30s')
    .withPanel(
      panel(new timeseries.PanelBuilder().unit('suffix: /s').min(0), ds, ids, {
        title: 'Samples stored per second',
        description: 'Telemetry samples acquisition stored, over the fleet, per second of each interval.',
        flux: samplesPerSecondFlux(),
        width: 12,
      }),
    )
    .withPanel(
      panel(perState, ds, ids, {
        title: 'Predictions per second by state',
        description: 'Predictions stored per second, by smoothed state.',
        flux: predictionsPerSecondFlux(),
        width: 12,
      }),
    )
    .withPanel(
      panel(new statetimeline.PanelBuilder().showValue(common.VisibilityMode.Always), ds, ids, {
        title: 'Model version',
        description: 'The model version that made the predictions of each interval.',
        flux: modelVersionFlux(),
        width: 24,
        height: 5,
      }),
    )
    .withPanel(
      panel(new timeseries.PanelBuilder().unit('percentunit').min(0).max(1), ds, ids, {
        title: 'Live accuracy',
        description:
          'Share of predictions whose smoothed state matches the ground truth stored with the sample: only where samples are stored labelled.',
        flux: liveAccuracyFlux(),
        width: 24,
      }),
    );
}

const BUILDERS: Readonly<Record<DashboardName, (ds: common.DataSourceRef) => dashboard.DashboardBuilder>> = {
  fleet,
  pump,
  model,
};

/** The dashboards as provisioned: the data source by its fixed uid. */
export function provisionedDashboards(): Record<DashboardName, dashboard.Dashboard> {
  const ds = { type: DATASOURCE_TYPE, uid: DATASOURCE_UID };
  return mapValues(BUILDERS, (build) => build(ds).build());
}

/**
 * The dashboards for import into another Grafana, in its export format: `__inputs` declares the data
 * source, which Grafana asks for on import and puts in place of `${DS_INFLUXDB}`.
 */
export function importableDashboards(): Record<DashboardName, Record<string, unknown>> {
  const ds = { type: DATASOURCE_TYPE, uid: `\${${DATASOURCE_INPUT}}` };
  return mapValues(BUILDERS, (build) => ({
    __inputs: [
      {
        name: DATASOURCE_INPUT,
        label: 'InfluxDB',
        description: 'InfluxDB 2.x with Flux, holding the pump-pdm bucket',
        type: 'datasource',
        pluginId: DATASOURCE_TYPE,
        pluginName: 'InfluxDB',
      },
    ],
    __requires: [{ type: 'datasource', id: DATASOURCE_TYPE, name: 'InfluxDB', version: '1.0.0' }],
    ...build(ds).build(),
  }));
}

function mapValues<K extends string, A, B>(record: Readonly<Record<K, A>>, f: (a: A) => B): Record<K, B> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, f(v as A)])) as Record<K, B>;
}

/** What the generated files hold: pretty JSON with a final newline. */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
