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
} as const satisfies Record<TopicKind, (id: string) => string>;

/** Subscription filter for every topic of a kind, e.g. `pdm/v1/training/+`. */
export function topicFilter(kind: TopicKind): string {
  return `${TOPIC_ROOT}/${kind}/+`;
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
  if (rest.length !== 2) return undefined;
  const [kind, id] = rest as [string, string];
  if (!(TOPIC_KINDS as readonly string[]).includes(kind) || !ID_PATTERN.test(id)) return undefined;
  return { kind: kind as TopicKind, id };
}

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
