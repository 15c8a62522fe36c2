/** MQTT topic layout. The version segment lets a v2 contract run beside v1 during a migration. */

export const TOPIC_ROOT = 'pdm/v1';

export const TOPIC_KINDS = [
  'training',
  'telemetry',
  'groundtruth',
  'predictions',
  'alerts',
  'acks',
  'status',
  'gateway_telemetry',
  'gateway_groundtruth',
] as const;
export type TopicKind = (typeof TOPIC_KINDS)[number];

/** pump ids and service names become topic segments, so they may not hold MQTT wildcards or separators. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export const topics = {
  training: (pumpId: string) => `${TOPIC_ROOT}/training/${pumpId}`,
  telemetry: (pumpId: string) => `${TOPIC_ROOT}/telemetry/${pumpId}`,
  groundtruth: (pumpId: string) => `${TOPIC_ROOT}/groundtruth/${pumpId}`,
  predictions: (pumpId: string) => `${TOPIC_ROOT}/predictions/${pumpId}`,
  alerts: (pumpId: string) => `${TOPIC_ROOT}/alerts/${pumpId}`,
  acks: (pumpId: string) => `${TOPIC_ROOT}/acks/${pumpId}`,
  status: (service: string) => `${TOPIC_ROOT}/status/${service}`,
  /**
   * The samples of many pumps at one time from an edge gateway (a PLC, an IIoT gateway in front of a
   * skid): one message where per-pump topics would need one per pump. The id is the gateway's.
   */
  gateway_telemetry: (gatewayId: string) => `${TOPIC_ROOT}/gateway/${gatewayId}/telemetry`,
  /** The ground truth of a gateway's pumps at one time, one message where per-pump topics need one per pump. */
  gateway_groundtruth: (gatewayId: string) => `${TOPIC_ROOT}/gateway/${gatewayId}/groundtruth`,
} as const satisfies Record<TopicKind, (id: string) => string>;

/** Subscription filter for every topic of a kind, e.g. `pdm/v1/training/+`, `pdm/v1/gateway/+/telemetry`. */
export function topicFilter(kind: TopicKind): string {
  return topics[kind]('+');
}

/**
 * MQTT 5 shared subscription: the broker hands each message to one member of the group,
 * so replicas of a service split the load.
 */
export function sharedFilter(group: string, kind: TopicKind): string {
  return `$share/${group}/${topicFilter(kind)}`;
}

export interface ParsedTopic {
  readonly kind: TopicKind;
  readonly id: string;
}

/** Splits a topic into kind and id; undefined for anything outside the layout. */
export function parseTopic(topic: string): ParsedTopic | undefined {
  if (!topic.startsWith(`${TOPIC_ROOT}/`)) return undefined;
  const rest = topic.slice(TOPIC_ROOT.length + 1).split('/');
  if (rest.length === 3 && rest[0] === GATEWAY_SEGMENT) {
    // pdm/v1/gateway/<gateway_id>/<what>: the id sits between the kind's two segments.
    const [, id, what] = rest as [string, string, string];
    const kind = `${GATEWAY_SEGMENT}_${what}`;
    if (!GATEWAY_KINDS.includes(kind) || !ID_PATTERN.test(id)) return undefined;
    return { kind: kind as TopicKind, id };
  }
  if (rest.length !== 2) return undefined;
  const [kind, id] = rest as [string, string];
  if (!PUMP_KINDS.includes(kind) || !ID_PATTERN.test(id)) return undefined;
  return { kind: kind as TopicKind, id };
}

const GATEWAY_SEGMENT = 'gateway';
const GATEWAY_KINDS: readonly string[] = TOPIC_KINDS.filter((k) => k.startsWith(`${GATEWAY_SEGMENT}_`));
const PUMP_KINDS: readonly string[] = TOPIC_KINDS.filter((k) => !GATEWAY_KINDS.includes(k));

/** Characters of a topic kept in logs and dead letters: a valid topic is far shorter. */
export const MAX_LOGGED_TOPIC_CHARS = 256;

/**
 * A topic as logs and dead letters show it: whole when short, else its start, an ellipsis and its full
 * length. MQTT allows 64 KiB topics, and any client may publish one.
 */
export function clipTopic(topic: string): string {
  if (topic.length <= MAX_LOGGED_TOPIC_CHARS) return topic;
  let end = MAX_LOGGED_TOPIC_CHARS;
  // Do not cut a surrogate pair in two.
  const last = topic.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${topic.slice(0, end)}…[${topic.length} chars]`;
}
