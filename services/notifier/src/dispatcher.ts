/**
 * From alerts to notifications: takes each alert into the database (routed into its groups), and
 * flushes each group when its time comes, muting silenced and inhibited alarms, writing what the group
 * sends into the outbox in the same transaction, and handing it to delivery.
 */
import { randomUUID } from 'node:crypto';
import type { Alert } from '@pdm/contract';
import type { Logger } from '@pdm/service-kit';
import type { AlarmName } from './alerts.ts';
import type { Clock } from './clock.ts';
import type { NotifierConfig, RouteConfig } from './config.ts';
import { notificationContent } from './content.ts';
import type { GroupRow, IngestResult, NotificationRow, NotifierDb } from './db.ts';
import { type Mute, planFlush } from './group.ts';
import { isInhibited } from './inhibit.ts';
import { matchesPattern } from './pattern.ts';
import type { Receiver } from './receivers/receiver.ts';
import { groupOf, routesFor } from './route.ts';

/** After a failed flush, the next try comes this much later. */
const RETRY_FLUSH_MS = 5000;

export interface DispatchEvents {
  muted(why: Mute, count: number): void;
  queued(rows: readonly NotificationRow[]): void;
}

export class Dispatcher {
  readonly #db: NotifierDb;
  readonly #config: NotifierConfig;
  readonly #routes: ReadonlyMap<string, RouteConfig>;
  readonly #receivers: ReadonlyMap<string, Receiver>;
  readonly #clock: Clock;
  readonly #events: DispatchEvents;
  readonly #logger: Logger;
  #cancelTimer: (() => void) | undefined;
  #timerAt: number | undefined;
  #stopped = true;
  /** the last flush failed: wait a little before the next, rather than spin on a failing disk */
  #failing = false;

  constructor(options: {
    readonly db: NotifierDb;
    readonly config: NotifierConfig;
    readonly receivers: ReadonlyMap<string, Receiver>;
    readonly clock: Clock;
    readonly events: DispatchEvents;
    readonly logger: Logger;
  }) {
    this.#db = options.db;
    this.#config = options.config;
    this.#routes = new Map(options.config.routes.map((r) => [r.id, r]));
    this.#receivers = options.receivers;
    this.#clock = options.clock;
    this.#events = options.events;
    this.#logger = options.logger;
  }

  /** Takes an alert in; when this returns, it is on disk. */
  ingest(alert: Alert): IngestResult {
    const now = this.#clock.now();
    const result = this.#db.ingest(alert, now, (state: AlarmName) =>
      routesFor(this.#config.routes, alert.pump_id, state).map((route) => {
        const group = groupOf(route, alert.pump_id, state);
        return {
          route: route.id,
          key: group.key,
          labels: group.labels,
          firstFlushAt: now + route.groupWaitMs,
        };
      }),
    );
    if (result.opened.length > 0) this.#schedule();
    return result;
  }

  start(): void {
    this.#stopped = false;
    this.#schedule();
  }

  stop(): void {
    this.#stopped = true;
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
  }

  /** Flushes every group that is due now; false when one of them could not be. */
  flushDue(): boolean {
    const now = this.#clock.now();
    let ok = true;
    try {
      // One transaction for every group due now: one fsync, however many pumps are grouped by pump.
      this.#db.batch(() => {
        for (const group of this.#db.dueGroups(now)) {
          try {
            this.#flush(group, now);
          } catch (err) {
            // A failing disk: the group stays due and is tried again shortly.
            ok = false;
            this.#logger.error({ err, route: group.route, group: group.key }, 'could not flush a group');
          }
        }
      });
    } catch (err) {
      ok = false;
      this.#logger.error({ err }, 'could not read the groups');
    }
    return ok;
  }

  #schedule(): void {
    if (this.#stopped) return;
    const due = this.#db.nextFlushAt();
    const at =
      due === undefined ? undefined : this.#failing ? Math.max(due, this.#clock.now() + RETRY_FLUSH_MS) : due;
    if (at === undefined || (this.#timerAt !== undefined && this.#timerAt <= at)) return;
    this.#cancelTimer?.();
    this.#timerAt = at;
    this.#cancelTimer = this.#clock.setTimeout(
      () => {
        this.#timerAt = undefined;
        this.#cancelTimer = undefined;
        this.#failing = !this.flushDue();
        this.#schedule();
      },
      Math.max(0, at - this.#clock.now()),
    );
  }

  #flush(group: GroupRow, now: number): void {
    const route = this.#routes.get(group.route);
    if (!route) {
      this.#logger.warn(
        { route: group.route, group: group.key },
        'dropping a group of a route no longer configured',
      );
      this.#db.dropGroup(group.route, group.key);
      return;
    }
    const members = this.#db.groupMembers(group.route, group.key);
    const silences = this.#db.silences(now);
    const firing = this.#db.firingOf([...new Set(members.map((m) => m.pumpId))]);
    const plan = planFlush({
      now,
      members,
      memory: { lastSentAt: group.lastSentAt, notified: group.notified },
      repeatIntervalMs: route.repeatIntervalMs,
      sendResolved: route.sendResolved,
      muteOf: (alarm) =>
        silences.some((s) => matchesPattern(s.pattern, alarm.pumpId))
          ? 'silenced'
          : isInhibited(alarm, firing, this.#config.inhibitRules)
            ? 'inhibited'
            : undefined,
    });
    const send = plan.send;
    const content =
      send &&
      JSON.stringify(
        notificationContent({
          reason: send.reason,
          route: route.id,
          group: { key: group.key, labels: group.labels },
          firing: send.firing,
          resolved: send.resolved,
          newIds: send.newIds,
          now,
        }),
      );
    const notifications = content
      ? route.receivers.flatMap((name) =>
          (this.#receivers.get(name)?.targets ?? []).map((target) => ({
            idempotencyKey: randomUUID(),
            receiver: name,
            target,
            content,
          })),
        )
      : [];
    const rows = this.#db.recordFlush(group, {
      notifications,
      lastSentAt: plan.memory.lastSentAt,
      notified: plan.memory.notified,
      leaving: plan.leaving,
      nextFlushAt: now + route.groupIntervalMs,
      now,
    });
    for (const why of ['silenced', 'inhibited'] as const) {
      const count = [...plan.muted.values()].filter((m) => m === why).length;
      if (count > 0) this.#events.muted(why, count);
    }
    if (rows.length > 0) {
      this.#logger.info(
        {
          route: route.id,
          group: group.key,
          reason: send?.reason,
          firing: send?.firing.length,
          resolved: send?.resolved.length,
          new: send?.newIds.length,
          muted: plan.muted.size,
          notifications: rows.length,
        },
        'group flushed',
      );
      this.#events.queued(rows);
    }
  }
}
