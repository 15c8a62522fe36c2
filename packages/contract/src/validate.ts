/**
 * Classifies an inbound MQTT message: a valid message of an expected kind, or a reason from a closed
 * list that says what was wrong. Services count, log and dead-letter by that reason.
 */
import type { z } from 'zod';
import { isGroundTruth, isPrediction, isTelemetry, isTrainingSample } from './fast-check.ts';
import {
  groundTruthSchema,
  MAX_PAYLOAD_BYTES,
  predictionSchema,
  telemetrySchema,
  trainingSampleSchema,
} from './schemas.ts';
import { clipTopic, type ParsedTopic, parseTopic, type TopicKind } from './topics.ts';

export const INVALID_REASONS = [
  'oversized',
  'unknown_topic',
  'empty',
  'not_json',
  'truncated',
  'not_an_object',
  'non_finite',
  'missing_field',
  'wrong_type',
  'out_of_range',
  'invalid_value',
  'pump_mismatch',
] as const;
export type InvalidReason = (typeof INVALID_REASONS)[number];

export type Verdict<T> =
  | { readonly ok: true; readonly kind: TopicKind; readonly message: T }
  | { readonly ok: false; readonly reason: InvalidReason; readonly detail: string };

/** Expected topic kinds and the schema each must match. */
export type Expectations<T> = Partial<Record<TopicKind, z.ZodType<T>>>;

/** Allocation-free equivalents of the busiest schemas; zod still explains every rejection. */
const FAST_CHECKS = new Map<z.ZodType, (value: unknown) => boolean>([
  [telemetrySchema, isTelemetry],
  [trainingSampleSchema, isTrainingSample],
  [predictionSchema, isPrediction],
  [groundTruthSchema, isGroundTruth],
]);

const NON_FINITE_LITERAL = /(?<![\w"])(?:-?Infinity|NaN)(?![\w"])/;

export function validateMessage<T extends { pump_id: string }>(
  topic: string,
  payload: Buffer,
  expectations: Expectations<T>,
  /** the topic already parsed by the caller, to spare parsing it twice */
  parsed: ParsedTopic | undefined = parseTopic(topic),
): Verdict<T> {
  if (payload.length > MAX_PAYLOAD_BYTES) {
    return invalid('oversized', `${payload.length} bytes, the limit is ${MAX_PAYLOAD_BYTES}`);
  }
  const schema = parsed && expectations[parsed.kind];
  if (!parsed || !schema) return unknownTopic(topic, expectations);

  const text = payload.toString('utf8');
  if (text.trim() === '')
    return invalid(
      'empty',
      payload.length === 0 ? 'no payload' : `only whitespace (${payload.length} bytes)`,
    );
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    if (NON_FINITE_LITERAL.test(text))
      return invalid('non_finite', `NaN or Infinity is not JSON: ${message}`);
    return invalid(endsEarly(text, message) ? 'truncated' : 'not_json', message);
  }
  return checkBody(body, parsed, schema);
}

/**
 * validateMessage for a payload that arrived parsed already, such as the `payload` of a line of JSON
 * Lines `{"topic": …, "payload": …}` (a simulator's --stdout): the same verdicts, from the topic on.
 */
export function validateParsedMessage<T extends { pump_id: string }>(
  topic: string,
  body: unknown,
  expectations: Expectations<T>,
): Verdict<T> {
  const parsed = parseTopic(topic);
  const schema = parsed && expectations[parsed.kind];
  if (!parsed || !schema) return unknownTopic(topic, expectations);
  return checkBody(body, parsed, schema);
}

function unknownTopic(topic: string, expectations: Expectations<unknown>): Verdict<never> {
  return invalid('unknown_topic', `no ${Object.keys(expectations).join(' or ')} topic: ${clipTopic(topic)}`);
}

/** Everything after JSON parsing: an object, of the topic's schema, for the topic's pump. */
function checkBody<T extends { pump_id: string }>(
  body: unknown,
  parsedTopic: ParsedTopic,
  schema: z.ZodType<T>,
): Verdict<T> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return invalid(
      'not_an_object',
      `expected a JSON object, got ${Array.isArray(body) ? 'an array' : typeof body}`,
    );
  }

  const fast = FAST_CHECKS.get(schema);
  if (fast?.(body)) {
    const message = body as T;
    if (message.pump_id !== parsedTopic.id) {
      return invalid('pump_mismatch', `topic says ${parsedTopic.id}, payload says ${message.pump_id}`);
    }
    return { ok: true, kind: parsedTopic.kind, message };
  }
  const result = schema.safeParse(body);
  if (!result.success) {
    const record = body as Record<string, unknown>;
    const first = result.error.issues[0];
    const field = first?.path[0];
    const value = typeof field === 'string' ? record[field] : undefined;
    const detail = result.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    if (typeof value === 'number' && !Number.isFinite(value)) return invalid('non_finite', detail);
    if (typeof field === 'string' && !(field in record)) return invalid('missing_field', detail);
    if (first?.code === 'invalid_type') return invalid('wrong_type', detail);
    if (first?.code === 'too_small' || first?.code === 'too_big') return invalid('out_of_range', detail);
    return invalid('invalid_value', detail);
  }
  if (result.data.pump_id !== parsedTopic.id) {
    return invalid('pump_mismatch', `topic says ${parsedTopic.id}, payload says ${result.data.pump_id}`);
  }
  return { ok: true, kind: parsedTopic.kind, message: result.data };
}

/**
 * Whether JSON.parse failed because the text stopped, rather than because of a wrong character:
 * V8 then reports the end of input, or an error at the position just past the last character.
 */
function endsEarly(text: string, parseError: string): boolean {
  if (/end of (JSON )?input/i.test(parseError)) return true;
  const position = /at position (\d+)/.exec(parseError)?.[1];
  return position !== undefined && Number(position) >= text.trimEnd().length;
}

function invalid(reason: InvalidReason, detail: string): Verdict<never> {
  return { ok: false, reason, detail: detail.slice(0, 500) };
}
