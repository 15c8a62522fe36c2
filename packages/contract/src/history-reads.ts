/** The questions every store of history answers (SQLite, InfluxDB), in one shape for both. */
import type { Alert } from './schemas.ts';

/** Which alerts to read; newest first, at most `limit`. */
export interface AlertFilter {
  readonly pumpId?: string | undefined;
  readonly kind?: Alert['kind'] | undefined;
  /** epoch ms, inclusive; the whole store when absent */
  readonly fromMs?: number | undefined;
  /** epoch ms, exclusive; the whole store when absent */
  readonly toMs?: number | undefined;
  readonly limit: number;
}

/** A model version and the device times of the first and last prediction or alert stored with it. */
export interface ModelVersionSeen {
  readonly version: string;
  /** epoch ms */
  readonly firstSeen: number;
  readonly lastSeen: number;
}
