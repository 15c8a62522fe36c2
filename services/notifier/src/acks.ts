/**
 * Acknowledgements and the "Silence 4 h" button: an ack stops an alarm's repeats, is stored, and is
 * published on `pdm/v1/acks/<pump_id>` once stored (again after a restart, until the broker has it).
 */
import { type Ack, topics } from '@pdm/contract';
import type { Logger } from '@pdm/service-kit';
import { type AlarmRecord, alarmLabel } from './alerts.ts';
import type { Clock } from './clock.ts';
import type { NotificationContent } from './content.ts';
import type { NotifierDb } from './db.ts';

export interface Person {
  /** a display name: `@username`, or the first name */
  readonly by: string;
  readonly userId?: string | undefined;
}

export type Publish = (topic: string, payload: string) => Promise<void>;

export class AckDesk {
  readonly #db: NotifierDb;
  readonly #clock: Clock;
  readonly #logger: Logger;
  #publish: Publish | undefined;
  #publishing: Promise<void> | undefined;
  #again = false;

  constructor(options: { db: NotifierDb; clock: Clock; logger: Logger }) {
    this.#db = options.db;
    this.#clock = options.clock;
    this.#logger = options.logger;
  }

  /** Where acks go; set once the broker connection is up, and then stored acks not yet published go out. */
  connect(publish: Publish): void {
    this.#publish = publish;
    this.publishPending();
  }

  /** The alarms a notification showed firing that are still firing, by their outbox id. */
  #firingOf(notificationId: number) {
    const content = this.#db.notificationContent(notificationId);
    if (content === undefined) return undefined;
    const ids = (JSON.parse(content) as NotificationContent).firing.map((a) => a.id);
    return this.#db.alarmsById(ids).filter((a) => a.status === 'firing');
  }

  /**
   * Acknowledges the open alarms of a notification; undefined for an unknown notification. A state
   * alarm's ack is published; a RUL_LOW alarm's stops its repeats only, as an ack on the bus names the
   * alarm it acknowledges by its state (the contract's ackSchema knows FAULTY and BROKEN).
   */
  acknowledge(
    notificationId: number,
    person: Person,
    via: Ack['via'],
  ): { acknowledged: string[]; already: string[] } | undefined {
    const alarms = this.#firingOf(notificationId);
    if (!alarms) return undefined;
    const now = this.#clock.now();
    const stored = new Set(
      this.#db.acknowledge(
        alarms.map((a) => ({
          alarmId: a.id,
          ack: { by: person.by, at: now, via },
          message:
            a.state === 'RUL_LOW'
              ? undefined
              : {
                  pump_id: a.pumpId,
                  ts: now,
                  alarm: { state: a.state, ts: a.alert.ts, seq: a.alert.seq },
                  by: person.by,
                  via,
                  ...(person.userId === undefined ? {} : { user_id: person.userId }),
                },
        })),
      ),
    );
    const name = (a: AlarmRecord) => `${a.pumpId} (${alarmLabel(a.state)})`;
    const acknowledged = alarms.filter((a) => stored.has(a.id)).map(name);
    const already = alarms.filter((a) => a.ack !== undefined).map(name);
    if (stored.size > 0) {
      this.#logger.info({ by: person.by, via, alarms: acknowledged }, 'alarms acknowledged');
      this.publishPending();
    }
    return { acknowledged, already };
  }

  /** Silences each pump of a notification's open alarms for `hours`; undefined for an unknown notification. */
  silence(notificationId: number, person: Person, hours: number): string[] | undefined {
    const alarms = this.#firingOf(notificationId);
    if (!alarms) return undefined;
    const now = this.#clock.now();
    const pumps = [...new Set(alarms.map((a) => a.pumpId))];
    for (const pump of pumps)
      this.#db.addSilence({
        pattern: pump,
        startsAt: now,
        endsAt: now + hours * 3_600_000,
        comment: `"Silence ${hours} h" pressed in Telegram`,
        createdBy: person.by,
        createdAt: now,
      });
    this.#logger.info({ by: person.by, pumps, hours }, 'pumps silenced from the chat');
    return pumps;
  }

  /** Publishes stored acks not yet published, one at a time; marks each once the broker has it. */
  publishPending(): void {
    if (!this.#publish) return;
    if (this.#publishing) {
      this.#again = true;
      return;
    }
    const publish = this.#publish;
    this.#publishing = (async () => {
      do {
        this.#again = false;
        for (const { id, message } of this.#db.unpublishedAcks()) {
          await publish(topics.acks(message.pump_id), JSON.stringify(message));
          this.#db.markAckPublished(id);
        }
      } while (this.#again);
    })()
      .catch((err: unknown) =>
        this.#logger.warn({ err }, 'could not publish an ack; it is kept and published later'),
      )
      .finally(() => {
        this.#publishing = undefined;
      });
  }

  /** Resolves once the publishing under way is done (for stopping, and tests). */
  async flushed(): Promise<void> {
    await this.#publishing;
  }
}
