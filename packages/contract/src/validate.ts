/**
 * Classifies an inbound MQTT message: a valid message of an expected kind, or a reason from a closed
 * list that says what was wrong. Services count, log and dead-letter by that reason.
 */
import type { z } from 'zod';
import {
  isGatewayGroundTruthHeader,
  isGatewayRow,
  isGatewayTelemetryHeader,
  isGatewayTruthRow,
  isGroundTruth,
  isPrediction,
  isTelemetry,
  isTrainingSample,
} from './fast-check.ts';
import {
  GATEWAY_ROW_FIELDS,
  GATEWAY_TRUTH_ROW_FIELDS,
  type GatewayRow,
  type GatewayTruthRow,
  type GroundTruth,
  gatewayGroundTruthHeaderSchema,
  gatewayRowSchema,
  gatewayTelemetryHeaderSchema,
  gatewayTruthRowSchema,
  groundTruthSchema,
  MAX_GATEWAY_PAYLOAD_BYTES,
  MAX_PAYLOAD_BYTES,
  predictionSchema,
  type Telemetry,
  telemetrySchema,
  trainingSampleSchema,
} from './schemas.ts';
import { clipTopic, ID_PATTERN, type ParsedTopic, parseTopic, type TopicKind } from './topics.ts';

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
  'gateway_mismatch',
] as const;
export type InvalidReason = (typeof INVALID_REASONS)[number];

/** Why a message (or a gateway row) was refused. */
export interface Rejection {
  readonly ok: false;
  readonly reason: InvalidReason;
  readonly detail: string;
}

export type Verdict<T> = { readonly ok: true; readonly kind: TopicKind; readonly message: T } | Rejection;

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
  const body = parseJson(payload);
  if (body instanceof Invalid) return body.verdict;
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

/** JSON.parse with a reason when it fails: empty, non_finite, truncated or not_json. */
function parseJson(payload: Buffer): unknown {
  const text = payload.toString('utf8');
  if (text.trim() === '')
    return new Invalid(
      'empty',
      payload.length === 0 ? 'no payload' : `only whitespace (${payload.length} bytes)`,
    );
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    if (NON_FINITE_LITERAL.test(text))
      return new Invalid('non_finite', `NaN or Infinity is not JSON: ${message}`);
    return new Invalid(endsEarly(text, message) ? 'truncated' : 'not_json', message);
  }
}

/** A failed parse, told apart from any parsed JSON value by its class. */
class Invalid {
  readonly verdict: Rejection;
  constructor(reason: InvalidReason, detail: string) {
    this.verdict = invalid(reason, detail);
  }
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
  if (!result.success) return explain(result.error, body as Record<string, unknown>);
  if (result.data.pump_id !== parsedTopic.id) {
    return invalid('pump_mismatch', `topic says ${parsedTopic.id}, payload says ${result.data.pump_id}`);
  }
  return { ok: true, kind: parsedTopic.kind, message: result.data };
}

/** The reason and detail of a zod failure: its first issue decides the reason, five are listed. */
function explain(
  error: z.ZodError,
  record: Record<string | number, unknown>,
  fieldName: (key: PropertyKey) => string = String,
): Rejection {
  const first = error.issues[0];
  const field = first?.path[0];
  const value = typeof field === 'string' || typeof field === 'number' ? record[field] : undefined;
  const detail = error.issues
    .slice(0, 5)
    .map((i) => `${i.path.map(fieldName).join('.') || '(root)'}: ${i.message}`)
    .join('; ');
  if (typeof value === 'number' && !Number.isFinite(value)) return invalid('non_finite', detail);
  if ((typeof field === 'string' || typeof field === 'number') && !(field in record))
    return invalid('missing_field', detail);
  if (first?.code === 'invalid_type') return invalid('wrong_type', detail);
  if (first?.code === 'too_small' || first?.code === 'too_big') return invalid('out_of_range', detail);
  return invalid('invalid_value', detail);
}

/** A gateway row that failed, and why; the rows around it stand on their own. */
export interface RejectedRow {
  /** its place in `rows`, from 0 */
  readonly index: number;
  /** the row's pump, when its first field is a valid pump id */
  readonly pumpId: string | undefined;
  readonly reason: InvalidReason;
  readonly detail: string;
  /** the row as sent, for its dead letter */
  readonly row: unknown;
}

export type GatewayVerdict<T = Telemetry> =
  | {
      readonly ok: true;
      readonly gatewayId: string;
      /** the valid rows, each as the message a per-pump topic would carry */
      readonly samples: T[];
      readonly rejected: RejectedRow[];
    }
  | Rejection;

/** What sets one kind of gateway message apart; the checks around it are the same for every kind. */
interface GatewayKind<R, T> {
  readonly kind: TopicKind;
  readonly isHeader: (value: unknown) => boolean;
  readonly headerSchema: z.ZodType;
  readonly isRow: (row: unknown) => row is R;
  readonly rowSchema: z.ZodType;
  readonly rowFields: readonly string[];
  /** a valid row as the message a per-pump topic would carry */
  readonly toMessage: (ts: number, row: R) => T;
}

const GATEWAY_TELEMETRY: GatewayKind<GatewayRow, Telemetry> = {
  kind: 'gateway_telemetry',
  isHeader: isGatewayTelemetryHeader,
  headerSchema: gatewayTelemetryHeaderSchema,
  isRow: isGatewayRow,
  rowSchema: gatewayRowSchema,
  rowFields: GATEWAY_ROW_FIELDS,
  toMessage: (ts, row) => rowTelemetry(ts, row),
};

const GATEWAY_GROUNDTRUTH: GatewayKind<GatewayTruthRow, GroundTruth> = {
  kind: 'gateway_groundtruth',
  isHeader: isGatewayGroundTruthHeader,
  headerSchema: gatewayGroundTruthHeaderSchema,
  isRow: isGatewayTruthRow,
  rowSchema: gatewayTruthRowSchema,
  rowFields: GATEWAY_TRUTH_ROW_FIELDS,
  toMessage: (ts, row) => rowGroundTruth(ts, row),
};

/**
 * A gateway telemetry message (`pdm/v1/gateway/<gateway_id>/telemetry`): the whole message fails when
 * its payload, its header or its topic is wrong; otherwise each row is checked on its own, and the good
 * rows come back as telemetry while each bad one comes back with its reason.
 */
export function validateGatewayTelemetry(
  topic: string,
  payload: Buffer,
  parsed: ParsedTopic | undefined = parseTopic(topic),
): GatewayVerdict {
  return validateGateway(GATEWAY_TELEMETRY, topic, payload, parsed);
}

/**
 * A gateway ground-truth message (`pdm/v1/gateway/<gateway_id>/groundtruth`), checked as
 * validateGatewayTelemetry checks telemetry: the good rows come back as per-pump ground truth, each bad
 * one with its reason.
 */
export function validateGatewayGroundTruth(
  topic: string,
  payload: Buffer,
  parsed: ParsedTopic | undefined = parseTopic(topic),
): GatewayVerdict<GroundTruth> {
  return validateGateway(GATEWAY_GROUNDTRUTH, topic, payload, parsed);
}

function validateGateway<R, T>(
  spec: GatewayKind<R, T>,
  topic: string,
  payload: Buffer,
  parsed: ParsedTopic | undefined,
): GatewayVerdict<T> {
  if (payload.length > MAX_GATEWAY_PAYLOAD_BYTES) {
    return invalid('oversized', `${payload.length} bytes, the limit is ${MAX_GATEWAY_PAYLOAD_BYTES}`);
  }
  if (parsed?.kind !== spec.kind)
    return invalid('unknown_topic', `no ${spec.kind} topic: ${clipTopic(topic)}`);
  const body = parseJson(payload);
  if (body instanceof Invalid) return body.verdict;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return invalid(
      'not_an_object',
      `expected a JSON object, got ${Array.isArray(body) ? 'an array' : typeof body}`,
    );
  }
  if (!spec.isHeader(body)) {
    const result = spec.headerSchema.safeParse(body);
    // The fast check may be stricter than zod, never more lenient; zod decides.
    if (!result.success) return explain(result.error, body as Record<string, unknown>);
  }
  const message = body as { gateway_id: string; ts: number; rows: unknown[] };
  if (message.gateway_id !== parsed.id) {
    return invalid('gateway_mismatch', `topic says ${parsed.id}, payload says ${message.gateway_id}`);
  }
  const samples: T[] = [];
  const rejected: RejectedRow[] = [];
  const { ts, rows } = message;
  for (let index = 0; index < rows.length; index++) {
    const row = rows[index];
    // The fast check never accepts what zod refuses, and zod agrees with it on every valid row.
    if (spec.isRow(row)) {
      samples.push(spec.toMessage(ts, row));
      continue;
    }
    const first = Array.isArray(row) ? row[0] : undefined;
    const pumpId = typeof first === 'string' && ID_PATTERN.test(first) ? first : undefined;
    const verdict = explainRow(spec, row);
    rejected.push({ index, pumpId, reason: verdict.reason, detail: `rows[${index}] ${verdict.detail}`, row });
  }
  return { ok: true, gatewayId: message.gateway_id, samples, rejected };
}

/** Why a row failed: its shape first, then its fields by name. */
function explainRow(
  spec: Pick<GatewayKind<unknown, unknown>, 'rowFields' | 'rowSchema'>,
  row: unknown,
): Rejection {
  const fields = spec.rowFields;
  if (!Array.isArray(row)) return invalid('wrong_type', `expected an array, got ${typeOf(row)}`);
  if (row.length < fields.length) {
    const missing = fields.slice(row.length).join(', ');
    return invalid('missing_field', `${row.length} fields, missing ${missing}`);
  }
  if (row.length > fields.length)
    return invalid('invalid_value', `${row.length} fields, expected ${fields.length}`);
  const result = spec.rowSchema.safeParse(row);
  if (result.success) return invalid('invalid_value', 'refused by the fast check alone');
  return explain(result.error, row as unknown as Record<number, unknown>, (key) =>
    typeof key === 'number' ? (fields[key] ?? String(key)) : String(key),
  );
}

const typeOf = (v: unknown) => (v === null ? 'null' : typeof v);

/** A gateway row as the telemetry message a per-pump topic would carry. */
export function rowTelemetry(ts: number, row: GatewayRow): Telemetry {
  return {
    pump_id: row[0],
    ts,
    seq: row[1],
    vibration_x: row[2] as number,
    vibration_y: row[3] as number,
    vibration_z: row[4] as number,
    vibration_rms: row[5] as number,
    temperature: row[6] as number,
    pressure: row[7] as number,
    flow: row[8] as number,
    current: row[9] as number,
    rpm: row[10] as number,
  };
}

/** A gateway ground-truth row as the message `pdm/v1/groundtruth/<pump_id>` would carry. */
export function rowGroundTruth(ts: number, row: GatewayTruthRow): GroundTruth {
  const [pump_id, seq, state, health_pct, rul_h, failure_mode, lifecycle, chaos] = row;
  return { pump_id, ts, seq, state, health_pct, rul_h, failure_mode, lifecycle, chaos };
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

function invalid(reason: InvalidReason, detail: string): Rejection {
  return { ok: false, reason, detail: detail.slice(0, 500) };
}
