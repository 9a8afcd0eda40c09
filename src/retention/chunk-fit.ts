/** How much of a chunk fits its budgets: pure arithmetic over rows already read. */

/** A row as far as its owner's cached unread count is concerned. */
export interface OwnedRow {
  readonly userId: number;
  readonly isRead: boolean;
}

/**
 * The longest prefix of `rows` whose unread rows have at most `max` distinct
 * owners among those `counted` accepts.
 */
export function prefixWithinOwners<T extends OwnedRow>(
  rows: T[],
  max: number,
  counted: (userId: number) => boolean,
): T[] {
  const owners = new Set<number>();
  for (let index = 0; index < rows.length; index++) {
    const row = rows[index]!;
    if (row.isRead || owners.has(row.userId) || !counted(row.userId)) continue;
    if (owners.size === max) return rows.slice(0, index);
    owners.add(row.userId);
  }
  return rows;
}

/**
 * How many of these sizes, from the first, fit in `budget` (at least one, so
 * that a chunk always moves on), and their total.
 */
export function prefixWithin(sizes: readonly number[], budget: number): { count: number; total: number } {
  let total = 0;
  for (let index = 0; index < sizes.length; index++) {
    const next = total + sizes[index]!;
    if (next > budget) return index === 0 ? { count: 1, total: next } : { count: index, total };
    total = next;
  }
  return { count: sizes.length, total };
}
