/**
 * Placeholder for the InfluxDB adapter, which another engineer is writing (QueryApi of
 * @influxdata/influxdb-client); their file replaces this one.
 */
import type { Logger } from '@pdm/service-kit';
import { type History, HistoryUnavailableError } from './history.ts';

export interface InfluxHistorySettings {
  readonly url: string;
  readonly token: string;
  readonly org: string;
  readonly bucket: string;
}

export function createInfluxHistory(settings: InfluxHistorySettings, _logger: Logger): History {
  const unavailable = (): never => {
    throw new HistoryUnavailableError('the InfluxDB history is not implemented yet');
  };
  return {
    description: `influxdb ${settings.url} bucket ${settings.bucket}`,
    availability: () => 'not implemented',
    latestPredictions: async () => [],
    samples: () => ({ [Symbol.asyncIterator]: unavailable }),
    predictions: () => ({ [Symbol.asyncIterator]: unavailable }),
    lastPredictions: async () => unavailable(),
    alerts: async () => unavailable(),
    openAlarms: async () => unavailable(),
    modelVersions: async () => unavailable(),
    deadLetters: async () => undefined,
    close: async () => {},
  };
}
