/** URLs of the dashboard's API, with a query whose empty values are left out (shared by page and worker). */

export type Query = Readonly<Record<string, string | number | undefined>>;

export function apiUrl(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') params.set(key, String(value));
  }
  const search = params.toString();
  return search === '' ? path : `${path}?${search}`;
}
