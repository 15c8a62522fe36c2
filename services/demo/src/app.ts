/**
 * The demo's script: train on simulated lifecycles, then predict a live fleet, all on this machine.
 * Every step runs the real program (the same `pnpm <name>` a user would), so what works here works in
 * a deployment.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createLogger } from '@pdm/service-kit';
import { type EmbeddedBroker, startEmbeddedBroker } from './broker.ts';
import { type DemoDashboard, startDashboard } from './dashboard.ts';
import { FleetMonitor } from './monitor.ts';
import { type Host, type Program, startProgram } from './processes.ts';
import { renderLine, renderScreen, type ViewState } from './view.ts';

export interface DemoSettings {
  readonly durationS: number;
  readonly trainingPumps: number;
  readonly fleetPumps: number;
  /** absolute */
  readonly dir: string;
  readonly seed: number;
  readonly store: 'sqlite' | 'influxdb';
  readonly externalMqtt: string | undefined;
  readonly mqttUsername: string | undefined;
  readonly mqttPassword: string | undefined;
  /** INFLUX_* passed through to acquisition, the export and the dashboard */
  readonly influxEnv: Readonly<Record<string, string | undefined>>;
  /** the dashboard's port on 127.0.0.1; when taken, any free one. 0: any free one */
  readonly dashboardPort: number;
}

export interface DemoIo extends Host {
  write(text: string): void;
  readonly tty: boolean;
  readonly columns: number;
  /** paths are shown relative to it */
  readonly cwd: string;
}

export interface DemoSummary {
  readonly completed: boolean;
  readonly trainingSamples: number;
  readonly exportedRows: number;
  readonly modelMacroF1: number | undefined;
  /** the RUL model's held-out RMSE, hours */
  readonly rulModelRmse: number | undefined;
  readonly predictions: number;
  readonly liveAccuracy: number | undefined;
  /** the live RUL error against the ground truth, hours, once predictions with a rul_h were scored */
  readonly liveRul: { readonly mae: number; readonly rmse: number; readonly scored: number } | undefined;
  readonly alarms: number;
  /** messages the notifier's console receiver wrote */
  readonly notifications: number;
  readonly paths: Readonly<Record<string, string>>;
  /** the dashboard's address while the demo ran */
  readonly dashboardUrl: string | undefined;
  /** the command that shows this run's store and model in the dashboard afterwards */
  readonly lookBack: string;
}

/** The production mode of the demo's fleet; the training run takes its clock, so the model fits the fleet. */
const FLEET_MODE = 'stress';
/** Three lifecycles per pump, on the fleet's clock. */
const TRAINING_CLOCK = ['--mode', FLEET_MODE, '--lifecycles', '3'];

export function createDemo(settings: DemoSettings, io: DemoIo) {
  const { dir } = settings;
  const paths = {
    store: join(dir, 'pdm.sqlite'),
    trainingCsv: join(dir, 'training.csv'),
    rulTrainingCsv: join(dir, 'training-rul.csv'),
    model: join(dir, 'models', 'pump-state.onnx'),
    rulModel: join(dir, 'models', 'pump-rul.onnx'),
    predictions: join(dir, 'predictions'),
    logs: join(dir, 'logs'),
    notifier: join(dir, 'notifier.sqlite'),
  };
  const programs: Program[] = [];
  let broker: EmbeddedBroker | undefined;
  let monitor: FleetMonitor | undefined;
  let dashboard: DemoDashboard | undefined;
  /** what the view says about the dashboard while it has no address: starting, or why it has none */
  let dashboardNote = 'starting…';
  /** what the view says about the RUL model while there is none: training, or why there is none */
  let rulNote: string | undefined;
  let notifier: Program | undefined;
  let stopping = false;
  /** run() is stopping its programs: none may start any more */
  let closing = false;
  let wake: (() => void) | undefined;
  const started = Date.now();
  const view = { phase: 'starting', lines: [] as string[] };
  const summary = {
    completed: false,
    trainingSamples: 0,
    exportedRows: 0,
    modelMacroF1: undefined as number | undefined,
    rulModelRmse: undefined as number | undefined,
    predictions: 0,
    liveAccuracy: undefined as number | undefined,
    liveRul: undefined as DemoSummary['liveRul'],
    alarms: 0,
    notifications: 0,
  };

  const show = (phase: string, lines: string[]) => {
    const changed = phase !== view.phase;
    view.phase = phase;
    view.lines = lines;
    // Without a terminal to redraw, say at least when a new phase begins.
    if (changed && !io.tty) io.write(`${renderLine(state())}\n`);
  };
  const state = (): ViewState => ({
    phase: view.phase,
    elapsedS: (Date.now() - started) / 1000,
    durationS: settings.durationS,
    lines: view.lines,
    monitor,
    dashboard: dashboardLine(),
    notifications: notifier ? notificationsOf(notifier) : undefined,
  });
  const dashboardLine = (): string => {
    if (!dashboard) return dashboardNote;
    const { program, url, portTaken } = dashboard;
    if (program.child.exitCode !== null || program.child.signalCode !== null) {
      return stopping ? `${url} (stopped)` : `stopped unexpectedly; see ${rel(program.logFile)}`;
    }
    const taken = portTaken === undefined ? '' : `   (port ${portTaken} is taken, so a free one)`;
    return `${url}${taken}${loginHint()}`;
  };
  const loginHint = () =>
    io.env.DASHBOARD_PASSWORD
      ? `   login ${io.env.DASHBOARD_USER || 'admin'} / DASHBOARD_PASSWORD of .env or the environment`
      : '';
  const rel = (p: string) => relative(io.cwd, p) || '.';
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      wake = done;
    });

  const start = (service: string, args: string[], env: Record<string, string | undefined> = {}) => {
    const program = startProgram(io, service, args, { ...childEnv(), ...env }, paths.logs);
    programs.push(program);
    return program;
  };
  let mqttUrl = '';
  const childEnv = (): Record<string, string | undefined> => ({
    MQTT_URL: mqttUrl,
    MQTT_USERNAME: settings.mqttUsername,
    MQTT_PASSWORD: settings.mqttPassword,
    LOG_LEVEL: 'info',
    HTTP_PORT: '0',
    STORE: settings.store,
    SQLITE_PATH: paths.store,
    ...settings.influxEnv,
  });
  const finished = async (program: Program, what: string) => {
    const code = await program.exited;
    if (code !== 0 && !stopping)
      throw new Error(`${what} failed (exit ${code}); see ${rel(program.logFile)}`);
    return code === 0;
  };

  async function prepare(): Promise<void> {
    // Only what the demo itself makes: --dir may hold other things.
    for (const name of [
      'pdm.sqlite',
      'pdm.sqlite-wal',
      'pdm.sqlite-shm',
      'notifier.sqlite',
      'notifier.sqlite-wal',
      'notifier.sqlite-shm',
      'training.csv',
      'training-rul.csv',
      'models',
      'predictions',
      'logs',
    ]) {
      rmSync(join(dir, name), { recursive: true, force: true });
    }
    mkdirSync(paths.logs, { recursive: true });
    if (settings.externalMqtt) mqttUrl = settings.externalMqtt;
    else {
      broker = await startEmbeddedBroker();
      mqttUrl = broker.url;
    }
  }

  /**
   * The dashboard, from the start: the user can open it while the model is being made and watch the
   * training run arrive (the pipeline view), then the fleet as soon as predictions flow. It reads the
   * demo's store, broker and model, and the two services' /metrics on the ports they took. Not needed by
   * the pipeline, so a failure to start is shown, not fatal.
   */
  async function openDashboard(metricsUrls: string): Promise<void> {
    try {
      dashboard = await startDashboard((port) => {
        // A second try, on a free port, may come as the demo ends; it would outlive the demo.
        if (closing) throw new Error('the demo is ending');
        return start('dashboard', [], {
          HTTP_HOST: '127.0.0.1',
          HTTP_PORT: String(port),
          MODEL_PATH: paths.model,
          METRICS_URLS: metricsUrls,
        });
      }, settings.dashboardPort);
    } catch (err) {
      if (stopping || closing) return;
      dashboardNote = `did not start: ${(err as Error).message}`;
    }
    // Without a terminal to redraw, the address goes out once.
    if (!io.tty && !closing) io.write(`dashboard ${dashboardLine()}\n`);
  }

  async function trainingData(acquisitionPort: number): Promise<void> {
    show('1 of 3: simulating whole pump lifecycles into acquisition', [
      `broker  ${mqttUrl}${broker ? ' (embedded aedes)' : ''}`,
      `store   ${rel(paths.store)}${settings.store === 'influxdb' ? ` → InfluxDB ${settings.influxEnv.INFLUX_URL ?? ''}` : ''}`,
    ]);
    const simulator = start(
      'training-simulator',
      [
        '--pumps',
        String(settings.trainingPumps),
        '--seed',
        String(settings.seed),
        '--chaos',
        ...TRAINING_CLOCK,
      ],
      { MQTT_CLIENT_ID: 'demo-training-simulator' },
    );
    if (!(await finished(simulator, 'the training simulator'))) return;
    const run = simulator.logs.find((l) => l.msg === 'training run complete') as
      | { acknowledged: number }
      | undefined;
    summary.trainingSamples = run?.acknowledged ?? 0;
    // Wait until acquisition has stored (and, with InfluxDB, forwarded) every acknowledged sample.
    for (;;) {
      const metrics = await fetch(`http://127.0.0.1:${acquisitionPort}/metrics`).then(
        (r) => r.text(),
        () => '',
      );
      const stored = metricValue(metrics, 'pdm_acquisition_stored_total');
      const backlog = metricValue(metrics, 'pdm_acquisition_backlog_rows');
      show('1 of 3: simulating whole pump lifecycles into acquisition', [
        ...view.lines.slice(0, 2),
        `published ${summary.trainingSamples.toLocaleString('en-US')} labelled samples; stored ${stored.toLocaleString('en-US')}${settings.store === 'influxdb' ? `, waiting for InfluxDB ${backlog}` : ''}`,
      ]);
      if ((stored >= summary.trainingSamples && backlog === 0) || stopping) return;
      await sleep(300);
    }
  }

  async function exportAndTrain(): Promise<void> {
    show('2 of 3: exporting training sets and training the state and RUL models', [
      `training sets ${rel(paths.trainingCsv)} (balanced by state), ${rel(paths.rulTrainingCsv)} (every row)`,
      `models        ${rel(paths.model)}, ${rel(paths.rulModel)}`,
    ]);
    // The RUL model trains beside the state model but does not hold up the live phase: inference serves
    // it whenever it is written (hot reload), and predictions carry rul_h from then on.
    rulNote = 'training…';
    void rulModel().then(
      () => {
        rulNote = undefined;
      },
      (err: unknown) => {
        rulNote = closing ? 'not trained within --duration' : `failed: ${(err as Error).message}`;
      },
    );
    await stateModel();
  }

  /** The state classifier, on a set balanced by state so that the rare states weigh as much. */
  async function stateModel(): Promise<void> {
    const exporter = start('export-training-data', [
      '--out',
      paths.trainingCsv,
      '--seed',
      String(settings.seed),
      '--source',
      settings.store,
    ]);
    if (!(await finished(exporter, 'the export'))) return;
    const exported = exporter.logs.find((l) => l.msg === 'export complete') as
      | { written?: number }
      | undefined;
    summary.exportedRows = exported?.written ?? 0;
    const trainer = start('trainer', [
      '--data',
      paths.trainingCsv,
      '--out',
      paths.model,
      '--trees',
      '60',
      '--seed',
      String(settings.seed),
    ]);
    if (!(await finished(trainer, 'training'))) return;
    const report = readReport(paths.model) as { heldOut?: { macroF1?: number } } | undefined;
    summary.modelMacroF1 = report?.heldOut?.macroF1;
  }

  /**
   * The RUL regressor, on every row: balancing by state would make the last minutes of a life as common
   * as all the rest, and the model would learn that every pump is about to break.
   */
  async function rulModel(): Promise<void> {
    const exporter = start('export-training-data', [
      '--out',
      paths.rulTrainingCsv,
      '--source',
      settings.store,
      '--balance',
      'none',
    ]);
    if (!(await finished(exporter, 'the RUL export'))) return;
    const trainer = start('trainer', [
      '--task',
      'regression',
      '--label',
      'rul_h',
      '--data',
      paths.rulTrainingCsv,
      '--out',
      paths.rulModel,
      // Lighter than the state model: it trains while the live phase runs, on the same cores.
      '--trees',
      '40',
      '--min-samples-leaf',
      '10',
      '--seed',
      String(settings.seed),
    ]);
    if (!(await finished(trainer, 'training the RUL model'))) return;
    const report = readReport(paths.rulModel) as { heldOut?: { rmse?: number } } | undefined;
    summary.rulModelRmse = report?.heldOut?.rmse;
  }

  async function live(inference: Program): Promise<void> {
    // Started with the others, it has waited for this model, and loads it as soon as the trainer writes it.
    await inference.waitFor(/inference running/);
    monitor = new FleetMonitor();
    await monitor.connect({
      url: mqttUrl,
      username: settings.mqttUsername,
      password: settings.mqttPassword,
      // The terminal is the live view's: the monitor's connection logs beside the programs'.
      logger: createLogger({
        name: 'demo-monitor',
        level: 'info',
        to: { file: join(paths.logs, 'monitor.log') },
      }),
    });
    // The console receiver, and Telegram too when TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID are set. The fleet
    // fails within minutes, so groups wait seconds rather than Alertmanager's defaults.
    notifier = start('notifier', ['--console'], {
      MQTT_CLIENT_ID: 'demo-notifier',
      NOTIFIER_DB_PATH: paths.notifier,
      GROUP_WAIT_S: '5',
      GROUP_INTERVAL_S: '20',
    });
    await notifier.waitFor(/notifier running/);
    const fleet = start(
      'production-simulator',
      [
        '--mode',
        FLEET_MODE,
        '--chaos',
        '--pumps',
        String(settings.fleetPumps),
        '--seed',
        String(settings.seed),
      ],
      {
        MQTT_CLIENT_ID: 'demo-production-simulator',
      },
    );
    const day = new Date().toISOString().slice(0, 10);
    const liveView = () =>
      show('3 of 3: live predictions, STRESS mode with chaos', [
        `broker       ${mqttUrl}${broker ? ' (embedded aedes)' : ''}`,
        `model        ${rel(paths.model)}${summary.modelMacroF1 === undefined ? '' : ` (held-out macro-F1 ${summary.modelMacroF1.toFixed(3)})`}`,
        `RUL model    ${rel(paths.rulModel)} ${rulNote ?? (summary.rulModelRmse === undefined ? '' : `(held-out RMSE ${summary.rulModelRmse.toFixed(4)} h)`)}`,
        `predictions  ${rel(join(paths.predictions, `predictions-${day}.jsonl`))} and .csv`,
        `service logs ${rel(paths.logs)}/`,
      ]);
    liveView();
    while (!stopping && (Date.now() - started) / 1000 < settings.durationS) {
      if (fleet.child.exitCode !== null)
        throw new Error(`the production simulator stopped; see ${rel(fleet.logFile)}`);
      await sleep(500);
      liveView(); // the RUL model's line changes once it is trained
    }
    // Let the last predictions arrive before counting.
    await fleet.stop();
    await sleep(1500);
  }

  const render = setInterval(
    () => {
      if (io.tty) io.write(`\u001b[H\u001b[2J${renderScreen(state(), true, io.columns)}\n`);
      else io.write(`${renderLine(state())}\n`);
    },
    io.tty ? 1000 : 10_000,
  );
  render.unref();

  return {
    paths,
    async run(): Promise<DemoSummary> {
      try {
        await prepare();
        const acquisition = start(
          'acquisition',
          broker ? ['--share-group', 'none', '--lanes', '1'] : ['--lanes', '8'],
          {
            MQTT_CLIENT_ID: 'demo-acquisition',
            MQTT_SHARE_GROUP: 'demo',
            // The live fleet's telemetry, predictions and alerts too, whatever a .env says: the dashboard
            // shows them.
            STORE_TELEMETRY: 'true',
            STORE_PREDICTIONS: 'true',
          },
        );
        // Inference from the start too, as in a deployment: it serves /healthz and /metrics at once (so the
        // dashboard knows its port) and waits for a model before it consumes anything.
        const inference = start('inference', [], {
          MODEL_PATH: paths.model,
          RUL_MODEL_PATH: paths.rulModel,
          PREDICTIONS_DIR: paths.predictions,
          MQTT_CLIENT_ID: 'demo-inference',
        });
        const portOf = (p: Program) => p.waitFor(/serving \/healthz/).then((l) => l.port as number);
        const [acquisitionPort, inferencePort] = await Promise.all([portOf(acquisition), portOf(inference)]);
        // Not waited for: the pipeline does not need it, and on a busy machine its start would eat into the
        // live phase. Its address shows up as soon as it serves, on a fast machine before training begins.
        void openDashboard(
          `acquisition=http://127.0.0.1:${acquisitionPort}/metrics,inference=http://127.0.0.1:${inferencePort}/metrics`,
        );
        await acquisition.waitFor(/^subscribed$/);
        if (!stopping) await trainingData(acquisitionPort);
        if (!stopping) await exportAndTrain();
        if (!stopping) await live(inference);
        summary.completed = !stopping;
      } catch (err) {
        // Ctrl-C at any moment: a program that was stopped while the demo waited for it is no failure.
        if (!stopping) throw err;
      } finally {
        closing = true;
        clearInterval(render);
        if (monitor) {
          summary.predictions = monitor.predictions;
          summary.liveAccuracy = monitor.scorer.scored > 0 ? monitor.scorer.accuracy : undefined;
          const { rulScored, rulMae, rulRmse } = monitor.scorer;
          summary.liveRul = rulScored > 0 ? { mae: rulMae, rmse: rulRmse, scored: rulScored } : undefined;
          summary.alarms = monitor.alarms;
          await monitor.close();
        }
        if (notifier) summary.notifications = notificationsOf(notifier).length;
        await Promise.all([...programs].reverse().map((p) => p.stop()));
        await broker?.close();
      }
      return {
        ...summary,
        paths: Object.fromEntries(Object.entries(paths).map(([k, v]) => [k, rel(v)])),
        dashboardUrl: dashboard?.url,
        lookBack: [
          ...(settings.store === 'sqlite' ? [`SQLITE_PATH=${rel(paths.store)}`] : ['STORE=influxdb']),
          `MODEL_PATH=${rel(paths.model)}`,
          'pnpm dashboard',
        ].join(' '),
      };
    },
    /** Ends the demo early: running programs stop cleanly, and run() resolves with what was done. */
    stop() {
      stopping = true;
      wake?.();
      for (const p of programs) void p.stop();
    },
  };
}

/** The report the trainer wrote beside `model`, if any. */
function readReport(model: string): unknown {
  const path = model.replace(/\.onnx$/, '.report.json');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as unknown) : undefined;
}

/** What the notifier's console receiver wrote, oldest first: one text per message. */
function notificationsOf(notifier: Program): string[] {
  return notifier.logs.filter((l) => l.msg === 'notification').map((l) => String(l.text ?? ''));
}

function metricValue(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : 0;
}
