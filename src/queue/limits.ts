/**
 * What one queue invocation allows itself, derived from the platform limits
 * (src/platform/limits.ts). Every job kind's chunk is sized so that no
 * invocation can exceed them, whatever the size of the backlog or the fast;
 * the chunk sizes live with their work (reminders, populate, retention).
 */

import {
  D1_QUERIES_PER_INVOCATION,
  KV_OPERATIONS_PER_INVOCATION,
  QUEUE_MESSAGE_BYTES,
  QUEUE_MESSAGE_ENVELOPE_BYTES,
  QUEUE_SEND_BATCH_BYTES,
  QUEUE_SEND_BATCH_MESSAGES,
} from "../platform/limits";

/** KV operations one invocation allows itself (of 1,000); the rest is headroom for queue sends and R2. */
export const INVOCATION_KV_BUDGET = 0.8 * KV_OPERATIONS_PER_INVOCATION;

/** D1 queries one invocation allows itself (of 1,000). */
export const INVOCATION_D1_BUDGET = 0.8 * D1_QUERIES_PER_INVOCATION;

/**
 * Job steps of different shards run side by side in one invocation (each on
 * its own database). A chunk reserves its worst-case KV cost before it runs
 * and gives back what it did not use, so each chunk kind is sized to 150
 * operations: four shards' steps reserve 600 and start together, and the
 * other 200 are what their chunks really spend (a few bulk reads each) before
 * a chain has to continue in a new invocation.
 */
export const JOB_STEP_KV_BUDGET = 150;

/** Wall time one invocation allows itself before handing work back (CPU limit: 30 s). */
export const INVOCATION_TIME_BUDGET_MS = 20_000;

/** Messages per sendBatch call (the Queues limit). */
export const SEND_BATCH_MAX_MESSAGES = QUEUE_SEND_BATCH_MESSAGES;
/** Bytes of JSON one message body may hold: the Queues limit less the envelope's room. */
export const MESSAGE_BODY_MAX_BYTES = QUEUE_MESSAGE_BYTES - QUEUE_MESSAGE_ENVELOPE_BYTES;
/** Bytes per sendBatch call, each message counted with its envelope's room. */
export const SEND_BATCH_MAX_BYTES = QUEUE_SEND_BATCH_BYTES;
