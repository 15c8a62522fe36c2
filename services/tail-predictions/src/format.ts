/** Predictions and alerts as aligned terminal lines, coloured by state when colour is on. */
import {
  type Alert,
  CHANNEL_INFO,
  type IsoZone,
  type Prediction,
  PUMP_STATES,
  type PumpState,
} from '@pdm/contract';

// ANSI SGR parameters. Each painted piece ends with a full reset, so a line cut short never leaves the
// terminal coloured.
const STATE_STYLE: Readonly<Record<PumpState, string>> = {
  HEALTHY: '32',
  WARNING: '33',
  FAULTY: '31',
  BROKEN: '1;7;31',
};
/** ISO 10816: A new, B unrestricted (left plain), C restricted, D damage occurs. */
const ZONE_STYLE: Readonly<Record<IsoZone, string>> = { A: '32', B: '', C: '33', D: '31' };
const ALERT_STYLE = { alarm: '1;7;31', recovered: '1;7;32', rul_low: '1;7;33' } as const;
const DIM = '2';

const STATE_WIDTH = Math.max(...PUMP_STATES.map((s) => s.length));
const RAW_WIDTH = 'raw '.length + STATE_WIDTH;
const ALERT_LABEL = { alarm: 'ALARM', recovered: 'RECOVERED', rul_low: 'RUL LOW' } as const;
const ALERT_WIDTH = Math.max(...Object.values(ALERT_LABEL).map((l) => l.length));
const TRANSITION_WIDTH = STATE_WIDTH * 2 + ' → '.length;
/** Wide enough for `pump-00042`; longer ids widen the column for the rest of the run. */
const MIN_PUMP_WIDTH = 10;
const VERSION_WIDTH = 12;
const VIBRATION_UNIT = CHANNEL_INFO.vibration_rms.unit;
const TEMPERATURE_UNIT = CHANNEL_INFO.temperature.unit;

/** HH:MM:SS.mmm in UTC, the zone of the log files' days. */
export function clockTime(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(11, 23);
}

/** The model's content hash (`<created_at>#<sha>`), or the version cut to a column's width. */
export function shortVersion(version: string): string {
  const hash = version.lastIndexOf('#');
  if (hash !== -1 && hash < version.length - 1) return version.slice(hash + 1);
  return version.length <= VERSION_WIDTH ? version : `${version.slice(0, VERSION_WIDTH - 1)}…`;
}

/** The most likely class's probability; undefined when the model gave none. */
export function topProbability(probabilities: Prediction['probabilities']): number | undefined {
  const values = Object.values(probabilities).filter((v): v is number => v !== undefined);
  return values.length === 0 ? undefined : Math.max(...values);
}

export class Formatter {
  #pumpWidth = MIN_PUMP_WIDTH;
  readonly #color: boolean;

  constructor({ color }: { readonly color: boolean }) {
    this.#color = color;
  }

  /**
   * `10:20:30.123  pump-00042  FAULTY   raw WARNING  p=0.71    4.82 mm/s C     3.2 ms  1a2b3c4d`, and
   * `  RUL 12.3 h` at the end while a RUL model serves (at the end, so lines without it keep their columns).
   */
  prediction(p: Prediction): string {
    const raw =
      p.raw_state === p.state
        ? ' '.repeat(RAW_WIDTH)
        : `raw ${this.#state(p.raw_state)}${' '.repeat(STATE_WIDTH - p.raw_state.length)}`;
    return [
      this.#paint(clockTime(p.ts), DIM),
      this.#pump(p.pump_id),
      this.#state(p.state) + ' '.repeat(STATE_WIDTH - p.state.length),
      raw,
      probability(topProbability(p.probabilities)),
      this.#vibration(p.vibration_rms, p.iso_zone),
      `${p.latency_ms.toFixed(1).padStart(6)} ms`,
      this.#paint(shortVersion(p.model_version), DIM),
      ...(p.rul_h === undefined ? [] : [rul(p.rul_h)]),
    ].join('  ');
  }

  /** `10:20:30.123  pump-00042  ALARM      WARNING → FAULTY  p=0.82    7.30 mm/s D   71.2 °C  1a2b3c4d` */
  alert(a: Alert): string {
    const label = ALERT_LABEL[a.kind];
    return [
      this.#paint(clockTime(a.ts), DIM),
      this.#pump(a.pump_id),
      this.#paint(label, ALERT_STYLE[a.kind]) + ' '.repeat(ALERT_WIDTH - label.length),
      `${this.#state(a.previous_state)} → ${this.#state(a.state)}` +
        ' '.repeat(TRANSITION_WIDTH - a.previous_state.length - a.state.length - 3),
      probability(topProbability(a.evidence.probabilities)),
      this.#vibration(a.evidence.vibration_rms, a.evidence.iso_zone),
      `${a.evidence.temperature.toFixed(1).padStart(6)} ${TEMPERATURE_UNIT}`,
      this.#paint(shortVersion(a.model_version), DIM),
      ...(a.evidence.rul_h === undefined ? [] : [rul(a.evidence.rul_h)]),
    ].join('  ');
  }

  #pump(id: string): string {
    if (id.length > this.#pumpWidth) this.#pumpWidth = id.length;
    return id.padEnd(this.#pumpWidth);
  }

  #state(state: PumpState): string {
    return this.#paint(state, STATE_STYLE[state]);
  }

  #vibration(rms: number, zone: IsoZone): string {
    return `${rms.toFixed(2).padStart(7)} ${VIBRATION_UNIT} ${this.#paint(zone, ZONE_STYLE[zone])}`;
  }

  #paint(text: string, style: string): string {
    return this.#color && style !== '' ? `\x1b[${style}m${text}\x1b[0m` : text;
  }
}

/**
 * `RUL 12.3 h`: three significant figures or so, whatever the clock: a STRESS-mode pump lives minutes
 * (`RUL 0.042 h`), a NOMINAL one months (`RUL 2150 h`).
 */
export function rul(hours: number): string {
  const digits = hours >= 100 ? 0 : hours >= 10 ? 1 : hours >= 1 ? 2 : 3;
  return `RUL ${hours.toFixed(digits).padStart(6)} h`;
}

function probability(p: number | undefined): string {
  return p === undefined ? 'p=?   ' : `p=${p.toFixed(2)}`;
}
