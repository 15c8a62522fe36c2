/** The History adapter STORE asks for. */
import type { Logger } from '@pdm/service-kit';
import type { History } from './history.ts';
import { createInfluxHistory } from './influx.ts';
import { createSqliteHistory } from './sqlite.ts';

export type HistorySettings =
  | { readonly store: 'sqlite'; readonly sqlitePath: string }
  | {
      readonly store: 'influxdb';
      readonly influx: {
        readonly url: string;
        readonly token: string;
        readonly org: string;
        readonly bucket: string;
      };
    };

export function openHistory(settings: HistorySettings, logger: Logger): History {
  const log = logger.child({ component: 'history' });
  return settings.store === 'sqlite'
    ? createSqliteHistory(settings.sqlitePath, log)
    : createInfluxHistory(settings.influx, log);
}

export type { History } from './history.ts';
