/** zod schemas and types of every message on the bus. */
import { z } from 'zod';
import { CHANNELS, type Channel } from './channels.ts';
import { ALARM_STATE_NAMES, CHAOS_KINDS, FAILURE_MODES, ISO_ZONES, PUMP_STATES } from './states.ts';
import { ID_PATTERN } from './topics.ts';

/** Largest payload any service accepts; a telemetry message is about 300 bytes. */
export const MAX_PAYLOAD_BYTES = 16 * 1024;

// zod 4 numbers are finite by default, so NaN and ±Infinity never pass.
/** Device time must lie in 2000–2200: outside it, a clock is wrong or the unit is not milliseconds. */
export const EPOCH_MIN_MS = 946_684_800_000;
export const EPOCH_MAX_MS = 7_258_118_400_000;

export const pumpIdSchema = z.string().regex(ID_PATTERN, 'letters, digits, "_", "-" or ".", at most 64');
export const epochMsSchema = z.number().int().min(EPOCH_MIN_MS).max(EPOCH_MAX_MS);
export const seqSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/**
 * Plausibility bounds per channel. A reading outside them is a broken sensor or a corrupt message,
 * never a pump state, so it is rejected rather than stored.
 */
export const CHANNEL_BOUNDS: Readonly<Record<Channel, readonly [min: number, max: number]>> = {
  vibration_x: [0, 1000],
  vibration_y: [0, 1000],
  vibration_z: [0, 1000],
  vibration_rms: [0, 1000],
  temperature: [-60, 400],
  pressure: [-1, 1000],
  flow: [0, 1e6],
  current: [0, 1e5],
  rpm: [0, 1e5],
};

const channelShape = Object.fromEntries(
  CHANNELS.map((c) => [c, z.number().min(CHANNEL_BOUNDS[c][0]).max(CHANNEL_BOUNDS[c][1])]),
) as Record<Channel, z.ZodNumber>;

/** Raw telemetry as a pump sends it: no labels. Topic `pdm/v1/telemetry/<pump_id>`. */
export const telemetrySchema = z.object({
  pump_id: pumpIdSchema,
  ts: epochMsSchema,
  seq: seqSchema,
  ...channelShape,
});
export type Telemetry = z.infer<typeof telemetrySchema>;

/** Published resolution of the ground-truth numbers. */
export const HEALTH_DECIMALS = 2;
export const RUL_DECIMALS = 3;

/** The hidden truth of a sample, known only to the simulator. */
export const groundTruthFields = {
  state: z.enum(PUMP_STATES),
  /** hidden health index, 100 new to 0 failed */
  health_pct: z.number().min(0).max(100),
  /** remaining useful life in hours of operation; 0 once failed */
  rul_h: z.number().min(0),
  failure_mode: z.enum(FAILURE_MODES),
};

/** A labelled sample from the training simulator. Topic `pdm/v1/training/<pump_id>`. */
export const trainingSampleSchema = telemetrySchema.extend(groundTruthFields);
export type TrainingSample = z.infer<typeof trainingSampleSchema>;

/**
 * The truth behind one production telemetry sample, on its own topic so inference never sees it.
 * Topic `pdm/v1/groundtruth/<pump_id>`. Sent for every seq, also when chaos dropped the telemetry.
 */
export const groundTruthSchema = z.object({
  pump_id: pumpIdSchema,
  ts: epochMsSchema,
  seq: seqSchema,
  ...groundTruthFields,
  /** lifecycle number of this pump, from 0; +1 at each repair */
  lifecycle: z.number().int().min(0),
  /** chaos events active on this sample */
  chaos: z.array(z.enum(CHAOS_KINDS)),
});
const { lifecycle: lifecycleSchema, chaos: chaosListSchema } = groundTruthSchema.shape;
export type GroundTruth = z.infer<typeof groundTruthSchema>;

/** Retained service status, with a Last Will that sets it offline. Topic `pdm/v1/status/<service>`. */
export const statusSchema = z.object({
  service: z.string(),
  status: z.enum(['online', 'offline']),
  ts: z.number().int(),
  client_id: z.string(),
});
export type Status = z.infer<typeof statusSchema>;

/** Class probabilities by state; states the model does not know are absent. */
export const probabilitiesSchema = z.partialRecord(z.enum(PUMP_STATES), z.number().min(0).max(1));

/**
 * One per telemetry message, from inference. Topic `pdm/v1/predictions/<pump_id>`.
 * `state` is smoothed over the pump's recent samples; `raw_state` is this sample's own.
 */
export const predictionSchema = z.object({
  pump_id: pumpIdSchema,
  ts: epochMsSchema,
  seq: seqSchema,
  state: z.enum(PUMP_STATES),
  raw_state: z.enum(PUMP_STATES),
  probabilities: probabilitiesSchema,
  vibration_rms: z.number(),
  /** ISO 10816 zone of vibration_rms (default class 10816-3 group 2, flexible) */
  iso_zone: z.enum(ISO_ZONES),
  model_version: z.string(),
  /** from receipt of the telemetry to publishing this prediction */
  latency_ms: z.number().min(0),
  /**
   * Remaining useful life in hours, smoothed over the pump's recent samples; never negative. Present only
   * while a RUL model serves (inference's RUL_MODEL_PATH).
   */
  rul_h: z.number().min(0).optional(),
  /** the RUL model that made rul_h; present exactly when rul_h is */
  rul_model_version: z.string().optional(),
});
export type Prediction = z.infer<typeof predictionSchema>;

/** What an alert says happened; see alertSchema. */
export const ALERT_KINDS = ['alarm', 'recovered', 'rul_low'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/**
 * Raised when a pump's smoothed state enters FAULTY or BROKEN (`alarm`), when it returns to HEALTHY from
 * there (`recovered`), and when its smoothed remaining useful life falls below inference's ALERT_RUL_H
 * (`rul_low`: plan the repair now; `state` and `previous_state` are then both the pump's current state).
 * Topic `pdm/v1/alerts/<pump_id>`.
 */
export const alertSchema = z.object({
  pump_id: pumpIdSchema,
  ts: epochMsSchema,
  seq: seqSchema,
  kind: z.enum(ALERT_KINDS),
  state: z.enum(PUMP_STATES),
  previous_state: z.enum(PUMP_STATES),
  model_version: z.string(),
  evidence: z.object({
    /** this pump's per-sample states that decided the change, oldest first */
    raw_states: z.array(z.enum(PUMP_STATES)),
    probabilities: probabilitiesSchema,
    vibration_rms: z.number(),
    iso_zone: z.enum(ISO_ZONES),
    temperature: z.number(),
    /** the smoothed remaining useful life when the alert was raised, where a RUL model serves */
    rul_h: z.number().min(0).optional(),
  }),
});
export type Alert = z.infer<typeof alertSchema>;

/**
 * A person acknowledged an alarm: it stops repeating. Published by the notifier once the ack is stored.
 * Topic `pdm/v1/acks/<pump_id>`.
 */
export const ackSchema = z.object({
  pump_id: pumpIdSchema,
  /** when it was acknowledged, epoch ms (wall clock) */
  ts: epochMsSchema,
  /** the alarm it acknowledges: the alert that raised it, by its state and device time */
  alarm: z.object({
    state: z.enum(ALARM_STATE_NAMES),
    ts: epochMsSchema,
    seq: seqSchema,
  }),
  /** who: a display name, e.g. a Telegram user's `@name` or first name */
  by: z.string().min(1).max(200),
  /** where the ack came from */
  via: z.enum(['telegram', 'api']),
  /** the Telegram user id (or another stable id of the person), when there is one */
  user_id: z.string().max(64).optional(),
});
export type Ack = z.infer<typeof ackSchema>;

/** Most pumps (rows) in one gateway message. */
export const MAX_GATEWAY_ROWS = 1000;
/**
 * Largest gateway payload any service accepts: MAX_GATEWAY_ROWS rows of 80–100 bytes, with room to
 * spare, and well under the broker's max_packet_size (1 MiB, mosquitto/conf.d/limits.conf).
 */
export const MAX_GATEWAY_PAYLOAD_BYTES = 256 * 1024;

/** Where each field of a gateway row sits: pump_id, seq, then the channels in CHANNELS order. */
export const GATEWAY_ROW_FIELDS = ['pump_id', 'seq', ...CHANNELS] as const;

/**
 * One pump's sample in a gateway message: `[pump_id, seq, vibration_x, …, rpm]`, the values in the order
 * of the message's `channels` (which must be CHANNELS). Each row is validated on its own, so one bad row
 * is dead-lettered and its neighbours are stored.
 */
// zod infers no type for a tuple spread from an array, hence the casts; the type below says what it is.
export const gatewayRowSchema = z.tuple([
  pumpIdSchema,
  seqSchema,
  ...CHANNELS.map((c) => channelShape[c]),
] as unknown as [typeof pumpIdSchema]) as unknown as z.ZodType<GatewayRow>;
export type GatewayRow = [pump_id: string, seq: number, ...values: number[]];

/** A list of names a gateway message must carry once, exactly `names` in that order. */
function namesSchema(names: readonly string[]) {
  return z.array(z.string()).refine((a) => a.length === names.length && a.every((c, i) => c === names[i]), {
    message: `expected ${names.join(', ')}, in that order`,
  });
}

/** What every gateway message starts with, whatever its rows hold: rows not yet looked at. */
const gatewayHeaderShape = {
  gateway_id: pumpIdSchema,
  /** device time of every row: a gateway samples its pumps together */
  ts: epochMsSchema,
  rows: z.array(z.unknown()).max(MAX_GATEWAY_ROWS),
};

/** A gateway message with its rows not yet looked at: what must hold before any row is read. */
export const gatewayTelemetryHeaderSchema = z.object({
  ...gatewayHeaderShape,
  /** the channels of each row after pump_id and seq: CHANNELS, in that order */
  channels: namesSchema(CHANNELS),
});
export type GatewayTelemetryHeader = z.infer<typeof gatewayTelemetryHeaderSchema>;

/**
 * The samples of many pumps at one time, from an edge gateway: the channel names once, then one row per
 * pump. Topic `pdm/v1/gateway/<gateway_id>/telemetry`. Each row stands for the telemetry message
 * `{pump_id, ts, seq, …channels}` that per-pump topics would carry.
 */
export const gatewayTelemetrySchema = gatewayTelemetryHeaderSchema.extend({
  rows: z.array(gatewayRowSchema).max(MAX_GATEWAY_ROWS),
});
export type GatewayTelemetry = z.infer<typeof gatewayTelemetrySchema>;

/**
 * Where each field of a gateway ground-truth row sits: those of the per-pump ground truth but ts, which
 * the message carries once.
 */
export const GATEWAY_TRUTH_ROW_FIELDS = [
  'pump_id',
  'seq',
  'state',
  'health_pct',
  'rul_h',
  'failure_mode',
  'lifecycle',
  'chaos',
] as const;

/**
 * One pump's ground truth in a gateway message:
 * `[pump_id, seq, state, health_pct, rul_h, failure_mode, lifecycle, chaos]`.
 */
export const gatewayTruthRowSchema = z.tuple([
  pumpIdSchema,
  seqSchema,
  groundTruthFields.state,
  groundTruthFields.health_pct,
  groundTruthFields.rul_h,
  groundTruthFields.failure_mode,
  lifecycleSchema,
  chaosListSchema,
]);
export type GatewayTruthRow = z.infer<typeof gatewayTruthRowSchema>;

/** A gateway ground-truth message with its rows not yet looked at. */
export const gatewayGroundTruthHeaderSchema = z.object({
  ...gatewayHeaderShape,
  /** the field names of each row: GATEWAY_TRUTH_ROW_FIELDS, in that order */
  fields: namesSchema(GATEWAY_TRUTH_ROW_FIELDS),
});
export type GatewayGroundTruthHeader = z.infer<typeof gatewayGroundTruthHeaderSchema>;

/**
 * The ground truth of a gateway's pumps at one time, the field names once, then one row per pump. Topic
 * `pdm/v1/gateway/<gateway_id>/groundtruth`. Each row stands for the message `{pump_id, ts, seq, state,
 * …}` that `pdm/v1/groundtruth/<pump_id>` would carry; like it, sent for every seq, also when chaos
 * dropped the telemetry.
 */
export const gatewayGroundTruthSchema = gatewayGroundTruthHeaderSchema.extend({
  rows: z.array(gatewayTruthRowSchema).max(MAX_GATEWAY_ROWS),
});
export type GatewayGroundTruth = z.infer<typeof gatewayGroundTruthSchema>;
