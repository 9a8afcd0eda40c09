/**
 * The unread-count cache in KV, for the badge path (read on every app open, from
 * every region). D1's counters are the truth: every write path puts the count
 * its own D1 batch read back (write-through), and a miss falls back to D1.
 *
 * KV allows 1,000 operations per invocation and one write per second per key;
 * callers that touch many users bound how many they write per invocation
 * (src/queue/budget.ts). Entries expire after UNREAD_CACHE_TTL_SECONDS, which
 * also bounds the rare stale value left by two racing writers.
 */
const keyFor = (userId: number) => `unread:${userId}`;

export async function readCachedUnread(kv: KVNamespace, userId: number): Promise<number | null> {
  const raw = await kv.get(keyFor(userId));
  if (raw === null) return null;
  const value = Number(raw);
  return Number.isSafeInteger(value) && value >= 0 ? value : null;
}

export async function writeUnread(kv: KVNamespace, counts: ReadonlyMap<number, number>, ttlSeconds: number): Promise<void> {
  await Promise.all([...counts].map(([userId, unread]) => kv.put(keyFor(userId), String(Math.max(0, unread)), { expirationTtl: ttlSeconds })));
}
