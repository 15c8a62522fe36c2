/**
 * One line of JSON Lines as a simulator's --stdout writes them, `{"topic": …, "payload": …}` (see
 * jsonLinesSink in @pdm/service-kit): a sample as acquisition would store it, or why it is not one, in the
 * contract's words (the reasons acquisition dead-letters a message for).
 */
import {
  type Expectations,
  type InvalidReason,
  type LabelledSample,
  telemetrySchema,
  trainingSampleSchema,
  validateParsedMessage,
} from '@pdm/contract';
import type { SampleSource } from '@pdm/store';

/** The topics acquisition stores: labelled training samples and raw telemetry. */
const EXPECTATIONS: Expectations<LabelledSample> = {
  training: trainingSampleSchema,
  telemetry: telemetrySchema,
};

/** Why a line is no sample: not a message at all, or a message the contract refuses. */
export type LineProblem = 'not_a_message' | InvalidReason;

export type LineVerdict =
  | { readonly ok: true; readonly sample: LabelledSample; readonly source: SampleSource }
  | { readonly ok: false; readonly reason: LineProblem; readonly detail: string };

const DETAIL_CHARS = 200;

export function parseSampleLine(line: string): LineVerdict {
  let message: unknown;
  try {
    message = JSON.parse(line);
  } catch (err) {
    // A payload the simulator's chaos corrupted is spliced in as it is, so its whole line is no JSON.
    return refused('not_json', (err as Error).message);
  }
  if (
    typeof message !== 'object' ||
    message === null ||
    typeof (message as { topic?: unknown }).topic !== 'string' ||
    !('payload' in message)
  ) {
    return refused('not_a_message', 'expected {"topic": "…", "payload": {…}}');
  }
  const { topic, payload } = message as { topic: string; payload: unknown };
  const verdict = validateParsedMessage(topic, payload, EXPECTATIONS);
  if (!verdict.ok) return refused(verdict.reason, verdict.detail);
  return { ok: true, sample: verdict.message, source: verdict.kind as SampleSource };
}

function refused(reason: LineProblem, detail: string): LineVerdict {
  return { ok: false, reason, detail: detail.slice(0, DETAIL_CHARS) };
}
