/** WHERE clauses built from the conditions of a filter that apply. */

export type SqlValue = string | number;

/** A condition: its SQL with `?` placeholders and their values in order; undefined when it does not apply. */
export type Condition = readonly [sql: string, params: readonly SqlValue[]] | undefined;

/** `WHERE a AND b …` of the conditions that apply (empty when none does), and their values in order. */
export function whereOf(conditions: readonly Condition[]): { where: string; params: SqlValue[] } {
  const applied = conditions.filter((c) => c !== undefined);
  return {
    where: applied.length > 0 ? `WHERE ${applied.map(([sql]) => sql).join(' AND ')}` : '',
    params: applied.flatMap(([, params]) => params),
  };
}
