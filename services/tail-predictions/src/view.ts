/**
 * One row in, one output line or nothing out: checked, filtered, then formatted or passed through
 * unchanged (--json). A row that is not a prediction or alert is reported and skipped.
 */
import { type Alert, alertSchema, type Prediction, predictionSchema, validateMessage } from '@pdm/contract';
import type { Filter } from './filter.ts';
import { Formatter } from './format.ts';
import { parsePredictionLine } from './records.ts';

export interface ViewSettings {
  readonly filter: Filter;
  /** pass matching rows through unchanged, one JSON document per line */
  readonly json: boolean;
  readonly color: boolean;
}

export interface Invalid {
  readonly reason: string;
  readonly detail: string;
  /** file and byte offset, or topic */
  readonly where: Readonly<Record<string, string | number>>;
  /** the start of the offending text */
  readonly sample: string;
}

const SAMPLE_CHARS = 120;

export class View {
  readonly #settings: ViewSettings;
  readonly #formatter: Formatter;
  readonly #report: (invalid: Invalid) => void;

  constructor(settings: ViewSettings, report: (invalid: Invalid) => void) {
    this.#settings = settings;
    this.#formatter = new Formatter({ color: settings.color });
    this.#report = report;
  }

  /** Whether a log line is a prediction the filters let through; invalid lines are not reported here. */
  matches(text: string): boolean {
    const checked = parsePredictionLine(text);
    return checked.ok && this.#settings.filter.prediction(checked.value);
  }

  /** A line of the prediction log: its output (with newline), or '' when filtered out or invalid. */
  logLine(text: string, file: string, offset: number): string {
    const checked = parsePredictionLine(text);
    if (!checked.ok) {
      this.#report({
        reason: checked.reason,
        detail: checked.detail,
        where: { file, offset },
        sample: text.slice(0, SAMPLE_CHARS),
      });
      return '';
    }
    return this.#prediction(checked.value, text);
  }

  /** A message from pdm/v1/predictions/+ or pdm/v1/alerts/+, like logLine. */
  message(topic: string, payload: Buffer): string {
    const verdict = validateMessage<Prediction | Alert>(topic, payload, {
      predictions: predictionSchema,
      alerts: alertSchema,
    });
    if (!verdict.ok) {
      this.#report({
        reason: verdict.reason,
        detail: verdict.detail,
        where: { topic },
        sample: payload
          .subarray(0, SAMPLE_CHARS * 4)
          .toString('utf8')
          .slice(0, SAMPLE_CHARS),
      });
      return '';
    }
    if (verdict.kind === 'alerts') {
      const alert = verdict.message as Alert;
      if (!this.#settings.filter.alert(alert)) return '';
      return `${this.#settings.json ? payload.toString('utf8') : this.#formatter.alert(alert)}\n`;
    }
    return this.#prediction(verdict.message as Prediction, payload.toString('utf8'));
  }

  #prediction(prediction: Prediction, text: string): string {
    if (!this.#settings.filter.prediction(prediction)) return '';
    return `${this.#settings.json ? text : this.#formatter.prediction(prediction)}\n`;
  }
}
