/** How much retention and restore take on at a time, and why (the budgets: src/queue/limits.ts). */

/**
 * Retention chunks. A DELETE costs mostly the index pages it dirties and its
 * commit, so fewer, larger transactions delete faster (raw SQLite on a bench
 * shard: 1,000-row chunks 7k rows/s, 5,000 13k, 20,000 20k, one unbounded
 * DELETE 19-23k). A chunk takes up to 20,000 rows; their ids travel as one
 * JSON parameter (at most ~300 KB, under D1's 1 MB value limit). An archived
 * chunk is one R2 object (~1.2 MB gzip at typical rows) that a restore
 * inserts in parts.
 *
 * Only deleting an unread row changes a cached count, and only owners whose
 * count is cached get a KV write. Which owners are cached is checked with bulk
 * KV reads (100 keys each), so a chunk is cut short where its distinct unread
 * owners reach 5,000 (50 reads) or the cached ones 96 (their writes); with
 * the archive's two R2 writes that is 149 operations, within JOB_STEP_KV_BUDGET.
 * Usually a chunk is whole.
 */
export const RETENTION_CHUNK_ROWS = 20_000;

/**
 * Stored events past retention are deleted after the items, by id, in chunks
 * of their own size: an event row has fewer and smaller indexes than an item,
 * so 50,000 of them take about as long to delete as 20,000 items (locally
 * ~1.3 s against 1.1–1.8 s), and fewer commits rewrite the event indexes'
 * pages fewer times. In an A/B test on one bench dataset (the archive job
 * alone, 200k items and 126k events over 4 shards, runs interleaved), the
 * job took 30.9–31.7 s with 20,000 events per chunk and 28.6–29.1 s with 50,000.
 * Their ids (shard-local rowids) travel as one JSON parameter of at most
 * ~850 KB even at 16 digits each, under D1's 1 MB value limit.
 */
export const RETENTION_EVENTS_CHUNK_ROWS = 50_000;

/**
 * An archived chunk holds every column, and one row may carry ~18 KB (16 KB
 * of data, a 2,000-character description), so archiving first reads the next
 * rows' sizes and then only as many full rows as fit in 8 MB of text: the
 * rows, their NDJSON and gzip copies, and a later restore's parsed rows stay
 * far below a Worker's 128 MB. At the measured ~600 bytes a row, a chunk is
 * still 20,000 rows.
 */
export const ARCHIVE_CHUNK_TEXT_CHARS = 8 * 1024 * 1024;
export const RETENTION_CHUNK_UNREAD_OWNERS = 5_000;
export const RETENTION_CHUNK_CACHED_OWNERS = 96;

/**
 * Users whose cached unread count a restore refreshes inside its request (at
 * most 4 bulk reads and 400 writes of the request's 1,000 subrequests); the
 * rest go to the queue as refresh_unread messages.
 */
export const RESTORE_CACHE_USERS_IN_REQUEST = 400;
