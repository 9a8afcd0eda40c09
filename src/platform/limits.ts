/**
 * Cloudflare's platform limits this service plans around (Workers Paid;
 * Cloudflare docs, looked up 2026-11), and below them the limits of the
 * service's own contract, chosen so that a request within them never meets a
 * platform limit. Sizes are in bytes of UTF-8, as the platform counts them:
 * measure with `utf8Bytes`, never `string.length`. Chunk sizes derived from
 * these live with the work they size.
 */

/** KV (and other external) operations one invocation may make. */
export const KV_OPERATIONS_PER_INVOCATION = 1_000;
/** D1 queries one invocation may make. */
export const D1_QUERIES_PER_INVOCATION = 1_000;
/** Bound parameters per D1 statement (rows travel as one JSON parameter instead). */
export const D1_BOUND_PARAMETERS = 100;
/** One bound string or blob value (D1 documents 2 MB; 1 MB is the older, safe figure). */
export const D1_VALUE_BYTES = 1_000_000;
/** One queue message body. Queues' KB is 1,000 bytes (Miniflare checks 128 * 1e3). */
export const QUEUE_MESSAGE_BYTES = 128_000;
/** One sendBatch call: messages and their total size. */
export const QUEUE_SEND_BATCH_MESSAGES = 100;
export const QUEUE_SEND_BATCH_BYTES = 256_000;
/**
 * What a message may cost beyond its JSON body (id, timestamp, content type)
 * when Queues measures it; counted once per message against both limits.
 */
export const QUEUE_MESSAGE_ENVELOPE_BYTES = 256;
/** An R2 object key. */
export const R2_KEY_BYTES = 1_024;
/** CPU time one invocation may use by default. */
export const CPU_MS_PER_INVOCATION = 30_000;

/** A request body (413 beyond it). */
export const REQUEST_BODY_BYTES = 1024 * 1024;
/** An event's `data`, serialised as JSON. */
export const EVENT_DATA_BYTES = 16 * 1024;
/**
 * An event's text fields. Title and description hold at least the original
 * API's 255 and 2,000 characters in any script (at most 3 bytes each).
 */
export const EVENT_TITLE_BYTES = 1_024;
export const EVENT_DESCRIPTION_BYTES = 8 * 1024;
export const EVENT_ID_BYTES = 200;
export const TARGET_TYPE_BYTES = 100;
/** A target's thumbnail URL. */
export const TARGET_THUMBNAIL_BYTES = 2_048;
/** A reminder's `data` (JSON) and its names. */
export const REMINDER_DATA_BYTES = 4_096;
export const REMINDER_NAME_BYTES = 512;
/** An Idempotency-Key header (printable ASCII, so characters are bytes). */
export const IDEMPOTENCY_KEY_BYTES = 255;

/**
 * The largest event a request may carry, as JSON: its data, and every text
 * field at the worst case of JSON escaping (6 bytes for a control character),
 * plus 512 bytes for the names of the fields and the numbers. One such event
 * always fits in one queue message.
 */
export const EVENT_MAX_JSON_BYTES =
  EVENT_DATA_BYTES +
  6 * (EVENT_TITLE_BYTES + EVENT_DESCRIPTION_BYTES + EVENT_ID_BYTES + TARGET_TYPE_BYTES + TARGET_THUMBNAIL_BYTES) +
  512;

const encoder = new TextEncoder();

/** Bytes of `text` as UTF-8: what Queues, R2 and D1 count. */
export const utf8Bytes = (text: string): number => encoder.encode(text).length;

/** Bytes of `value` serialised as JSON, as a queue message or a JSON parameter carries it. */
export const jsonBytes = (value: unknown): number => utf8Bytes(JSON.stringify(value));
