/**
 * The MQTT side: one connection with a plain subscription (the default), or `lanes` connections in a
 * shared-subscription group that the broker splits the stream over (with other replicas in the group).
 * Each has a fixed client id and a persistent session, so the broker keeps queueing while it is away.
 * Each connection hands messages over as they arrive and acknowledges them once they are committed.
 */
import { connectMqtt, type Logger, type MqttConnection, type MqttSettings } from '@pdm/service-kit';

export interface IntakeOptions {
  readonly lanes: number;
  readonly mqtt: Omit<
    MqttSettings,
    'clientId' | 'onMessage' | 'subscriptions' | 'signal' | 'service' | 'logger'
  >;
  /** lane i connects as `<clientId>-<i>` */
  readonly clientId: string;
  readonly service: string;
  readonly filters: readonly string[];
  readonly onMessage: NonNullable<MqttSettings['onMessage']>;
  readonly logger: Logger;
}

export interface Intake {
  connectedLanes(): number;
  /** a lane's refused or failed subscription, if any */
  subscriptionProblem(): string | undefined;
  /** stops handing messages over; what arrives from now on is redelivered next time */
  stopIntake(): void;
  /** ends every lane, within seconds; anything unacknowledged is redelivered next time */
  close(): Promise<void>;
}

export function openIntake(options: IntakeOptions): Intake {
  const abort = new AbortController();
  const connections: MqttConnection[] = [];
  const connecting = Array.from({ length: options.lanes }, (_, lane) =>
    connectMqtt({
      ...options.mqtt,
      clientId: `${options.clientId}-${lane}`,
      service: options.service,
      // Lane 0 speaks for the service on its retained status topic; one service, one status.
      status: lane === 0,
      subscriptions: options.filters,
      onMessage: options.onMessage,
      logger: lane === 0 ? options.logger : options.logger.child({ lane }, { level: 'warn' }),
      signal: abort.signal,
    }).then(
      (connection) => {
        connections.push(connection);
      },
      (err: unknown) => {
        if (!abort.signal.aborted) options.logger.error({ err, lane }, 'lane failed to connect');
      },
    ),
  );
  return {
    connectedLanes: () => connections.filter((c) => c.client.connected).length,
    subscriptionProblem: () => connections.find((c) => c.subscriptionProblem)?.subscriptionProblem,
    stopIntake() {
      for (const c of connections) c.stopIntake();
    },
    async close() {
      abort.abort();
      await Promise.allSettled(connecting);
      await Promise.allSettled(connections.map((c) => c.close()));
    },
  };
}
