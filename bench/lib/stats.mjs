// Small statistics helpers. Every reported figure is the median over runs.

export function median(values) {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * The middle item by `rate` (of an even number, the slower of the two middle
 * ones): a real run, unlike `median`, which may average two.
 */
export function middleBy(items, rate) {
  const sorted = [...items].sort((a, b) => rate(a) - rate(b));
  return sorted[(sorted.length - 1) >> 1];
}

/** The `q` quantile (0..1) by nearest rank: p99 of 100 values is the 99th. */
export function quantile(values, q) {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export const ratio = (numerator, denominator) =>
  numerator === null || denominator === null || denominator === 0 ? null : numerator / denominator;

export const round = (value, digits = 2) =>
  value === null || value === undefined ? null : Number(value.toFixed(digits));

/** Wall time of `work` in milliseconds, and its result. */
export async function timed(work) {
  const started = performance.now();
  const result = await work();
  return { ms: performance.now() - started, result };
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
