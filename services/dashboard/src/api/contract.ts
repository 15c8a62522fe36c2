/**
 * The dashboard's JSON API: every route's query (zod, validated by the server, 400 with the reason on bad
 * input) and every response's shape. The page (web/) imports the response types from here, so the server
 * and the page cannot drift apart; the OpenAPI document is generated from the same schemas.
 */
import {
  ALERT_KINDS,
  type AlertKind,
  type CHANNELS,
  ID_PATTERN,
  type ISO_ZONES,
  type PUMP_STATES,
} from '@pdm/contract';
import { z } from 'zod';
import { TILE_STATES, type TileState } from './tile-states.ts';

/** Longest range one request may ask for: 31 days. */
export const MAX_RANGE_MS = 31 * 24 * 3_600_000;
/** Most points one series sends to the browser; the server downsamples above it (min/max per bucket). */
export const MAX_POINTS = 2000;

export { TILE_STATES, type TileState } from './tile-states.ts';

const epochMs = z.coerce.number().int().min(0).max(7_258_118_400_000);
const pumpId = z.string().regex(ID_PATTERN, 'a pump id: letters, digits, "_", "-" or ".", at most 64');

/** Why a range is refused, in the 400's problems (also when the server filled in a default). */
export const RANGE_PROBLEMS = {
  order: '`from` must be before `to`',
  span: `the range may span at most ${MAX_RANGE_MS / 86_400_000} days`,
} as const;

/** A time range; `to` defaults to now and `from` to 15 minutes before it. */
export const rangeQuery = z
  .object({
    from: epochMs.optional().describe('epoch ms, inclusive; default: 15 min before `to`'),
    to: epochMs.optional().describe('epoch ms, exclusive; default: now'),
  })
  // The path names the parameter in the 400's problems.
  .refine((q) => q.from === undefined || q.to === undefined || q.from < q.to, {
    message: RANGE_PROBLEMS.order,
    path: ['from'],
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.to - q.from <= MAX_RANGE_MS, {
    message: RANGE_PROBLEMS.span,
    path: ['from'],
  });

export const pumpParams = z.object({ id: pumpId });

/** GET /api/fleet */
export const fleetQuery = z.object({
  /** glob over pump ids: `*` any run of characters, `?` one character; case-sensitive */
  pattern: z
    .string()
    .max(128)
    .regex(/^[A-Za-z0-9_.\-*?]*$/, 'a glob of id characters, "*" and "?"')
    .optional(),
  /** comma-separated TILE_STATES */
  state: z
    .string()
    .transform((s) => s.split(',').filter((x) => x !== ''))
    .pipe(z.array(z.enum(TILE_STATES)))
    .optional(),
  sort: z.enum(['risk', 'id']).default('risk'),
});

/** One pump on the fleet view. */
export interface PumpTile {
  readonly id: string;
  readonly tile: TileState;
  /** the last smoothed and raw states, also when the tile is STALE or OFFLINE */
  readonly state: (typeof PUMP_STATES)[number];
  readonly rawState: (typeof PUMP_STATES)[number];
  /** P(FAULTY) + P(BROKEN) of the last prediction, 0–1 */
  readonly risk: number;
  /** device time of the last prediction, epoch ms */
  readonly ts: number;
  /** when the dashboard received it, epoch ms */
  readonly seenAt: number;
  readonly vibrationRms: number;
  readonly isoZone: (typeof ISO_ZONES)[number];
  readonly modelVersion: string;
  /** remaining useful life of the last prediction, hours; null while no RUL model serves */
  readonly rulH: number | null;
}

export interface FleetResponse {
  readonly generatedAt: number;
  /** a pump with no prediction for this long is STALE, and OFFLINE after offlineAfterMs */
  readonly staleAfterMs: number;
  readonly offlineAfterMs: number;
  /** per TILE_STATE, over the whole fleet (not only the filtered pumps) */
  readonly counts: Readonly<Record<TileState, number>>;
  readonly total: number;
  /** the filtered pumps, sorted */
  readonly pumps: readonly PumpTile[];
}

/**
 * Server-Sent Events on GET /api/events (optionally `?pump=<id>` for that pump's samples and predictions).
 * - `fleet`: FleetDelta, at most once a second, the tiles that changed since the last one;
 * - `alert`: AlertRow, as soon as it arrives;
 * - `status`: ServiceStatus, when a service goes online or offline;
 * - `sample` / `prediction` (only with `?pump=`): SeriesPoint / PredictionRow of that pump, live.
 */
export const eventsQuery = z.object({ pump: pumpId.optional() });

/**
 * A changed tile as a tuple, to keep a 10,000-pump second small: [id, tile, risk, ts], and a fifth
 * element, the remaining useful life in hours to two significant digits, only while a RUL model serves.
 */
export type TileTuple =
  | readonly [id: string, tile: TileState, risk: number, ts: number]
  | readonly [id: string, tile: TileState, risk: number, ts: number, rulH: number];

export interface FleetDelta {
  readonly generatedAt: number;
  readonly counts: Readonly<Record<TileState, number>>;
  readonly total: number;
  readonly tiles: readonly TileTuple[];
}

/** GET /api/pumps/:id/series?from&to: the nine channels, min/max per bucket. */
export interface SeriesResponse {
  readonly pumpId: string;
  readonly from: number;
  readonly to: number;
  /** the bucket width; 0 when every sample is sent as it is (then min equals max) */
  readonly bucketMs: number;
  /** start of each bucket (or the sample's time), epoch ms, ascending */
  readonly t: readonly number[];
  readonly min: Readonly<Record<(typeof CHANNELS)[number], readonly number[]>>;
  readonly max: Readonly<Record<(typeof CHANNELS)[number], readonly number[]>>;
  /** ISO 10816 zone boundaries A/B, B/C, C/D for vibration, mm/s, and the machine class they are for */
  readonly isoClass: string;
  readonly isoBounds: readonly [number, number, number];
}

/** A live sample point (SSE `sample`). */
export interface SeriesPoint {
  readonly t: number;
  readonly values: Readonly<Record<(typeof CHANNELS)[number], number>>;
}

/** GET /api/pumps/:id/states?from&to: the state timelines, per bucket the worst state in it. */
export interface StatesResponse {
  readonly pumpId: string;
  readonly from: number;
  readonly to: number;
  readonly bucketMs: number;
  readonly t: readonly number[];
  /** index into PUMP_STATES, -1 where the bucket holds no prediction */
  readonly state: readonly number[];
  readonly rawState: readonly number[];
  /** per state, the highest probability in the bucket (NaN → null where none) */
  readonly probabilities: Readonly<Record<(typeof PUMP_STATES)[number], readonly (number | null)[]>>;
  /**
   * remaining useful life, hours: the lowest in the bucket (the most urgent), null where the bucket's
   * predictions carry none; null throughout when no RUL model served in the range
   */
  readonly rulH: readonly (number | null)[];
  /** alerts in the range, to mark on the time axis */
  readonly alerts: readonly AlertRow[];
}

/** GET /api/pumps/:id/predictions?before&limit: the last predictions, newest first. */
export const predictionsQuery = z.object({
  before: epochMs.optional().describe('epoch ms, exclusive; default: now'),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
});

export interface PredictionRow {
  readonly pumpId: string;
  readonly ts: number;
  readonly seq: number;
  readonly state: (typeof PUMP_STATES)[number];
  readonly rawState: (typeof PUMP_STATES)[number];
  readonly probabilities: Partial<Record<(typeof PUMP_STATES)[number], number>>;
  readonly vibrationRms: number;
  readonly isoZone: (typeof ISO_ZONES)[number];
  readonly modelVersion: string;
  readonly latencyMs: number;
  /** remaining useful life, hours, and the RUL model that made it; absent while no RUL model serves */
  readonly rulH?: number;
  readonly rulModelVersion?: string;
}

export interface PredictionsResponse {
  readonly pumpId: string;
  readonly rows: readonly PredictionRow[];
}

/** GET /api/alerts?pump&from&to&kind&limit */
export const alertsQuery = z
  .object({
    pump: pumpId.optional(),
    kind: z.enum(ALERT_KINDS).optional(),
    from: epochMs.optional(),
    to: epochMs.optional(),
    limit: z.coerce.number().int().min(1).max(5000).default(200),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from < q.to, {
    message: RANGE_PROBLEMS.order,
    path: ['from'],
  });

export interface AlertRow {
  readonly pumpId: string;
  readonly ts: number;
  readonly seq: number;
  readonly kind: AlertKind;
  readonly state: (typeof PUMP_STATES)[number];
  readonly previousState: (typeof PUMP_STATES)[number];
  readonly modelVersion: string;
  readonly evidence: {
    readonly rawStates: readonly (typeof PUMP_STATES)[number][];
    readonly probabilities: Partial<Record<(typeof PUMP_STATES)[number], number>>;
    readonly vibrationRms: number;
    readonly isoZone: (typeof ISO_ZONES)[number];
    readonly temperature: number;
    /** the smoothed remaining useful life when it was raised, hours, where a RUL model serves */
    readonly rulH?: number;
  };
}

export interface AlertsResponse {
  /**
   * what is open, newest first (not filtered): per pump, its last alarm and its last rul_low, each
   * unless a recovery came after it
   */
  readonly open: readonly AlertRow[];
  /** the alerts matching the query, newest first */
  readonly history: readonly AlertRow[];
}

/** GET /api/model */
export interface ModelResponse {
  /** from the serving model's sidecar (<model>.report.json beside MODEL_PATH); null when none is readable */
  readonly serving: {
    readonly version: string;
    readonly createdAt: string;
    readonly classes: readonly string[];
    readonly heldOut: {
      readonly accuracy: number;
      readonly macroF1: number;
      readonly perClass: Readonly<
        Record<string, { precision: number; recall: number; f1: number; support: number }>
      >;
      readonly confusionMatrix: {
        readonly classes: readonly string[];
        readonly counts: readonly (readonly number[])[];
      };
    };
    readonly featureImportances: readonly { readonly feature: string; readonly importance: number }[];
    readonly hyperparameters: Readonly<Record<string, unknown>>;
  } | null;
  /** the versions seen in predictions, oldest first */
  readonly history: readonly {
    readonly version: string;
    readonly firstSeen: number;
    readonly lastSeen: number;
  }[];
  /** against the ground truth on the bus since the dashboard started; null when none was seen */
  readonly live: {
    readonly scored: number;
    readonly accuracy: number;
    readonly falseAlarms: number;
    /** confusion[truth][predicted], PUMP_STATES order */
    readonly confusion: readonly (readonly number[])[];
  } | null;
}

/** GET /api/pipeline */
export interface ServiceStatus {
  readonly service: string;
  readonly status: 'online' | 'offline' | 'unknown';
  /** when the status last changed, epoch ms */
  readonly since: number;
}

export interface PipelineResponse {
  readonly services: readonly ServiceStatus[];
  /** per second, over the last minute, from the services' /metrics; null where a service is not scraped */
  readonly ingestPerS: number | null;
  readonly predictionsPerS: number | null;
  readonly inferenceLatencyP99Ms: number | null;
  /** InfluxDB outbox rows waiting (0 with SQLite) */
  readonly backlog: number | null;
  readonly deadLetters: {
    readonly byReason: readonly {
      readonly origin: string;
      readonly reason: string;
      readonly count: number;
    }[];
    readonly recent: readonly {
      readonly receivedAt: number;
      readonly origin: string;
      readonly topic: string | null;
      readonly reason: string;
      readonly detail: string;
    }[];
  };
  /** messages on the bus the dashboard itself could not read, newest first (topics shown as text) */
  readonly invalidOnBus: readonly {
    readonly at: number;
    readonly topic: string;
    readonly reason: string;
    readonly detail: string;
  }[];
  readonly scrape: readonly { readonly url: string; readonly ok: boolean; readonly error?: string }[];
}

/** Every 4xx answer. */
export interface ErrorResponse {
  readonly error: string;
  /** what was wrong, one line per problem, naming the parameter */
  readonly problems: readonly string[];
}
