/**
 * Platform limits this service plans around (Workers Paid; Cloudflare docs,
 * looked up 2026-11), and the chunk sizes derived from them. Every chunked job
 * is sized so that no single invocation can exceed any of them, whatever the
 * size of the backlog or the fast.
 *
 *   KV / external operations per invocation ........ 1,000
 *   KV writes to one key ........................... 1 per second
 *   D1 queries per invocation ...................... 1,000
 *   D1 bound parameters per statement .............. 100  (we bind JSON arrays instead)
 *   D1 SQL statement length ........................ 100 KB; string/row 2 MB
 *   Queue message .................................. 128 KB; sendBatch 100 messages / 256 KB
 *   CPU per invocation ............................. 30 s by default
 */

/** KV operations one invocation allows itself; the rest is headroom for queue sends and R2. */
export const INVOCATION_KV_BUDGET = 800;

/** D1 queries one invocation allows itself. */
export const INVOCATION_D1_BUDGET = 800;

/**
 * Recipients per reminder chunk. Each recipient costs one KV write (its unread
 * count), so 200 lets one invocation run four chunks within INVOCATION_KV_BUDGET;
 * the chunk's insert travels as one JSON parameter of roughly 80 KB.
 */
export const FANOUT_CHUNK_USERS = 200;

/** Stored events per populate chunk: at most 200 users' caches to refresh. */
export const POPULATE_CHUNK_EVENTS = 200;

/**
 * Retention chunks: up to 5,000 expired rows (one DELETE; ids travel as one
 * ~40 KB JSON parameter). Only deleting an unread row changes a cached count,
 * and only owners whose count is cached get a KV write, so a chunk is cut short
 * where its unread rows' owners with a cached count reach 500 (checked with bulk
 * KV reads, 100 keys each, at most 50). Usually it is whole. An archived chunk
 * is one R2 object (~300 KB gzip at 5,000 rows).
 */
export const RETENTION_CHUNK_ROWS = 5_000;
export const RETENTION_CHUNK_CACHED_OWNERS = 500;

/** Wall time one invocation allows itself before handing work back (CPU limit: 30 s). */
export const INVOCATION_TIME_BUDGET_MS = 20_000;

/** A reminder small enough to finish inside the request in synchronous mode. */
export const SYNC_FANOUT_MAX_USERS = 400;

/** Messages per sendBatch call (the Queues limit). */
export const SEND_BATCH_MAX_MESSAGES = 100;
/** Bytes per sendBatch call, below the 256 KB limit with room for envelopes. */
export const SEND_BATCH_MAX_BYTES = 200 * 1024;
