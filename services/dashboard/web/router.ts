/**
 * The hash routes of the page: `#/fleet`, `#/pump/<id>`, `#/alerts`, `#/model`, `#/pipeline`, each with its
 * settings in a query (`#/fleet?state=FAULTY,BROKEN`), so that a view can be bookmarked and shared.
 */

export const VIEWS = ['fleet', 'pump', 'alerts', 'model', 'pipeline'] as const;
export type ViewName = (typeof VIEWS)[number];

export interface Route {
  readonly view: ViewName;
  /** path segments after the view's name, decoded (the pump id of `#/pump/<id>`) */
  readonly params: readonly string[];
  readonly query: URLSearchParams;
}

function isView(name: string | undefined): name is ViewName {
  return (VIEWS as readonly string[]).includes(name ?? '');
}

/** The route of a location hash; anything unknown is the fleet view. */
export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#\/?/, '');
  const q = raw.indexOf('?');
  const path = q === -1 ? raw : raw.slice(0, q);
  const query = new URLSearchParams(q === -1 ? '' : raw.slice(q + 1));
  const [name, ...rest] = path.split('/');
  if (!isView(name)) return { view: 'fleet', params: [], query };
  const params = rest.filter((s) => s !== '').map(safeDecode);
  return { view: name, params, query };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The hash of a route; empty query values are left out. */
export function hashFor(
  view: ViewName,
  params: readonly string[] = [],
  query: Readonly<Record<string, string | undefined>> = {},
): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value) search.set(key, value);
  const path = [view, ...params.map(encodeURIComponent)].join('/');
  const s = search.toString();
  return `#/${path}${s === '' ? '' : `?${s}`}`;
}

export function pumpHash(id: string): string {
  return hashFor('pump', [id]);
}
