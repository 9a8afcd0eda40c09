/**
 * Cloudflare's platform limits this service plans around (Workers Paid;
 * Cloudflare docs, looked up 2026-11). Sizes are in bytes of UTF-8, as the
 * platform counts them: measure with `utf8Bytes`, never `string.length`.
 * Chunk sizes derived from these live with the work they size.
 */

/** KV (and other external) operations one invocation may make. */
export const KV_OPERATIONS_PER_INVOCATION = 1_000;
/** D1 queries one invocation may make. */
export const D1_QUERIES_PER_INVOCATION = 1_000;
/** Bound parameters per D1 statement (rows travel as one JSON parameter instead). */
export const D1_BOUND_PARAMETERS = 100;
/** One bound string or blob value (D1 documents 2 MB; 1 MB is the older, safe figure). */
export const D1_VALUE_BYTES = 1_000_000;
/** One queue message body. */
export const QUEUE_MESSAGE_BYTES = 128 * 1024;
/** One sendBatch call: messages and their total size. */
export const QUEUE_SEND_BATCH_MESSAGES = 100;
export const QUEUE_SEND_BATCH_BYTES = 256 * 1024;
/** An R2 object key. */
export const R2_KEY_BYTES = 1_024;
/** CPU time one invocation may use by default. */
export const CPU_MS_PER_INVOCATION = 30_000;

const encoder = new TextEncoder();

/** Bytes of `text` as UTF-8: what Queues, R2 and D1 count. */
export const utf8Bytes = (text: string): number => encoder.encode(text).length;
