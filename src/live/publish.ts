import type { Env } from "../env";
import { log } from "../platform/log";
import { type FeedMessage, MESSAGE_VERSION } from "../queue/messages";
import { sendMessages } from "../queue/producer";
import { channelName, type FeedChannelRpc, type LivePublication } from "./changes";

/**
 * Hands changes to the channels of users who are connected. Callers pass
 * only users their write batch found in live_users (src/db/live-presence.ts),
 * so a write for users who are not connected makes no call at all. A failed
 * call never fails the write: the client converges through its resume
 * (`since`) or a `reset`.
 */

function channelOf(env: Env, userId: number): FeedChannelRpc {
  const namespace = env.FEED_CHANNEL;
  return namespace.get(namespace.idFromName(channelName(userId))) as unknown as FeedChannelRpc;
}

/** Publications per live_publish message: each carries items of ~1 KB, far below a message's 128 KB. */
const PUBLICATIONS_PER_MESSAGE = 50;

/**
 * Publishes to at most `allowance` channels now (each a subrequest of the
 * invocation) and queues the rest as live_publish messages, in order. Returns
 * how many calls it made.
 */
export async function publishLive(
  env: Env,
  publications: readonly LivePublication[],
  allowance = Number.POSITIVE_INFINITY,
): Promise<number> {
  const now = publications.slice(0, allowance);
  const later = publications.slice(now.length);
  await Promise.all(
    now.map(async (publication) => {
      try {
        await channelOf(env, publication.userId).publish(publication);
      } catch (error) {
        log.warn("live notification failed; the client resumes or resets", { user_id: publication.userId, error });
      }
    }),
  );
  if (later.length > 0) await queueLater(env, later);
  return now.length;
}

async function queueLater(env: Env, publications: readonly LivePublication[]) {
  const messages: FeedMessage[] = [];
  for (let start = 0; start < publications.length; start += PUBLICATIONS_PER_MESSAGE) {
    messages.push({
      v: MESSAGE_VERSION,
      kind: "live_publish",
      publications: publications.slice(start, start + PUBLICATIONS_PER_MESSAGE) as unknown as Record<string, unknown>[],
    });
  }
  try {
    await sendMessages(env.FEED_QUEUE, messages);
  } catch (error) {
    log.warn("live notifications could not be queued; those clients resume or reset", {
      users: publications.length,
      error,
    });
  }
}
