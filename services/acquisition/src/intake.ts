/**
 * The MQTT side: `lanes` connections in one shared-subscription group, each with a fixed client id and
 * a persistent session, so the broker splits the stream over them (and over other replicas in the group)
 * and keeps queueing for each while it is away.
 */
import { connectMqtt, type Logger, type MqttConnection, type MqttSettings } from '@pdm/telemetry';

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
  /** ends every lane after its in-flight PUBACKs; anything unacknowledged is redelivered next time */
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
    async close() {
      abort.abort();
      await Promise.allSettled(connecting);
      await Promise.allSettled(connections.map((c) => c.close()));
    },
  };
}
