import { BULK_READ_KEYS, badgeWriteCost, refreshCachedBadges } from "../cache/badge-cache";
import { type Config, configFor } from "../config";
import type { Env } from "../env";
import { ReshardRunningError, RetentionJobRunningError, UserMovingError } from "../errors";
import { type EventRecord, eventRecordFrom } from "../feed/build-item";
import { announceCreated, type ShardWrite, storeEvents } from "../feed/ingest";
import { populateSince, startPopulateAll } from "../feed/populate";
import { planReminder } from "../feed/reminders";
import { enqueueJob } from "../jobs/launch";
import { isJobKind, jobDefinition } from "../jobs/registry";
import { runJobSteps } from "../jobs/runner";
import type { LivePublication } from "../live/changes";
import { publishLive } from "../live/publish";
import { log } from "../platform/log";
import { isoTime } from "../platform/time";
import { startCleanup } from "../retention/retention";
import { MOVING_RETRY_SECONDS, shardsOf } from "../shards/router";
import { cleanupRequestFrom } from "../wire/retention";
import { InvocationBudget } from "./budget";
import { type FeedMessage, FeedMessageSchema, MESSAGE_VERSION, type ParsedFeedMessage } from "./messages";
import { sendByKind, sendJobSteps, sendMessages } from "./producer";

/**
 * The queue consumer. Messages are acked one by one: a message is acked when
 * its work committed, retried (3 attempts, 60 s apart, then the dead-letter
 * queue — wrangler.toml) when it failed, dead-lettered at once when it does
 * not parse, and handed back to the queue when this invocation's budget
 * (src/queue/limits.ts) is spent.
 *
 * Event messages of the whole batch are written together, one D1 batch per
 * shard, not one round trip per item.
 *
 * One handler consumes both queues and handles a message by its kind,
 * whichever queue brought it (docs/decisions/003-job-queue.md).
 */

type EventMessage = { message: Message; events: EventRecord[]; users: number };

export async function handleQueueBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const config = configFor(env);
  const now = Date.now();
  const budget = new InvocationBudget();
  const eventMessages: EventMessage[] = [];
  const otherMessages: { message: Message; body: ParsedFeedMessage }[] = [];

  for (const message of batch.messages) {
    const parsed = FeedMessageSchema.safeParse(message.body);
    if (!parsed.success) {
      await deadLetter(
        env,
        message,
        parsed.error.issues.map((issue) => `${issue.path.join(".") || "message"}: ${issue.message}`),
      );
      continue;
    }
    const body = parsed.data;
    if (body.kind === "job_step" && !isJobKind(body.job_kind)) {
      await deadLetter(env, message, [`job_kind: "${body.job_kind}" is not a job kind of this deployment.`]);
      continue;
    }
    if (body.kind === "create_item" || body.kind === "batch_create") {
      const inputs = body.kind === "create_item" ? [body.event] : body.events;
      // Without an event_id, the message id (stable across redeliveries) names the event.
      const events = inputs.map((input, index) => eventRecordFrom(input, now, `msg:${message.id}:${index}`));
      eventMessages.push({ message, events, users: new Set(events.map((event) => event.userId)).size });
    } else {
      otherMessages.push({ message, body });
    }
  }

  const handBack = await writeEventMessagesInRounds(env, config, budget, eventMessages, now);
  // Work messages run side by side: job steps of different shards touch
  // different databases. Each takes its cost before its first await, so
  // admission happens in message order.
  await Promise.all(
    otherMessages.map(async ({ message, body }) => {
      if (!budget.take(costOf(body))) {
        handBack.push(message);
        return;
      }
      try {
        await handleWorkMessage(env, config, body, budget, now);
        message.ack();
      } catch (error) {
        const job = body.kind === "job_step" ? { job_id: body.job_id, shard: body.shard, step: body.step } : {};
        log.error("queue message failed; will retry", {
          kind: body.kind,
          message_id: message.id,
          attempts: message.attempts,
          ...job,
          error,
        });
        message.retry();
      }
    }),
  );
  await returnToQueue(env, handBack);
}

/**
 * Writes event messages in rounds: each round takes as many messages as the
 * budget allows at worst (a cache write per user), writes them together, and
 * gives back what the cache did not need — usually most, as only users with a
 * cached count get a write. Returns the messages no round could take.
 */
async function writeEventMessagesInRounds(
  env: Env,
  config: Config,
  budget: InvocationBudget,
  messages: EventMessage[],
  now: number,
): Promise<Message[]> {
  // A round routes (one lookup per shard during a reshard) and writes once per shard.
  const shardCount = 2 * (await shardsOf(env)).all().length;
  let pending = messages;
  while (pending.length > 0) {
    let users = 0;
    let taken = 0;
    for (const entry of pending) {
      if (!budget.fits({ kv: badgeWriteCost(users + entry.users) + shardCount, d1: shardCount })) break;
      users += entry.users;
      taken += 1;
    }
    const reserved = { kv: badgeWriteCost(users) + shardCount, d1: shardCount };
    if (taken === 0 || !budget.take(reserved)) break;
    const { used, writes } = await writeEventMessages(env, config, pending.slice(0, taken), now);
    budget.refund({ kv: reserved.kv - used, d1: 0 });
    // Connected users hear of their items with what the invocation has left; the rest via the queue.
    const live = writes.reduce((sum, write) => sum + (write.live?.size ?? 0), 0);
    if (live > 0) await announceCreated(env, writes, now, budget.takeUpTo(live));
    pending = pending.slice(taken);
  }
  return pending.map((entry) => entry.message);
}

/** One round: one write per shard; each message acked on its own. Returns the KV operations used. */
async function writeEventMessages(
  env: Env,
  config: Config,
  eventMessages: EventMessage[],
  now: number,
): Promise<{ used: number; writes: ShardWrite[] }> {
  // No waiting here for users a reshard is copying: their messages come back later (deferMoving).
  const writes = await storeEvents(
    env,
    config,
    eventMessages.flatMap((entry) => entry.events),
    now,
    0,
  );
  // A batch that committed but could not update the cache retries too: the
  // redelivery creates nothing and writes the counts again.
  const failed = writes.filter((write) => write.error !== undefined || write.cacheError !== undefined);
  const moving = new Set(failed.filter((write) => write.error instanceof UserMovingError).flatMap((w) => w.events));
  const failedEvents = new Set(failed.flatMap((write) => write.events).filter((event) => !moving.has(event)));
  for (const write of failed) {
    if (write.error instanceof UserMovingError) continue;
    log.error("event write failed; its messages will retry", {
      shard: write.shard.index,
      error: String(write.error ?? write.cacheError),
    });
  }
  const later: EventMessage[] = [];
  for (const entry of eventMessages) {
    if (entry.events.some((event) => failedEvents.has(event))) entry.message.retry();
    else if (entry.events.some((event) => moving.has(event))) later.push(entry);
    else entry.message.ack();
  }
  await deferMoving(env, later);
  return { used: writes.reduce((sum, write) => sum + (write.cacheOperations ?? 0), 0), writes };
}

/**
 * Messages with events of users a reshard is copying go back to the queue
 * as new messages a few seconds later, without spending a delivery attempt
 * (a big user's copy may outlast the retries). Each event keeps the name and
 * time it got here (`event_id`, `occurred_at`), so the parts already written
 * on other shards are recognised and nothing is created twice.
 */
async function deferMoving(env: Env, entries: readonly EventMessage[]) {
  if (entries.length === 0) return;
  const bodies = entries.map(({ message, events }): FeedMessage => {
    const body = message.body as FeedMessage & { kind: "create_item" | "batch_create" };
    const pinned = (input: Record<string, unknown>, index: number) => ({
      ...input,
      event_id: events[index]!.sourceEventId,
      occurred_at: isoTime(events[index]!.occurredAt),
    });
    return body.kind === "create_item"
      ? { ...body, event: pinned(body.event, 0) as typeof body.event }
      : { ...body, events: body.events.map((event, index) => pinned(event, index)) as typeof body.events };
  });
  try {
    await sendMessages(env.FEED_QUEUE, bodies, MOVING_RETRY_SECONDS);
    for (const { message } of entries) message.ack();
    log.info("events of users being moved come back shortly", { messages: entries.length });
  } catch (error) {
    log.error("could not defer the messages of users being moved; they will retry", { error });
    for (const { message } of entries) message.retry();
  }
}

function costOf(body: ParsedFeedMessage): { kv: number; d1: number } {
  if (body.kind === "job_step") return jobDefinition(body.job_kind).cost;
  // Only the lookups: the writes are taken from what the invocation has left (handleWorkMessage).
  if (body.kind === "refresh_unread") return { kv: Math.ceil(body.user_ids.length / BULK_READ_KEYS), d1: 16 };
  // Its channel calls are taken from what the invocation has left (handleWorkMessage).
  if (body.kind === "live_publish") return { kv: 0, d1: 0 };
  // Planning messages count participants or create progress rows on every shard.
  return { kv: 1, d1: 16 };
}

async function handleWorkMessage(
  env: Env,
  config: Config,
  body: ParsedFeedMessage,
  budget: InvocationBudget,
  now: number,
) {
  switch (body.kind) {
    case "fast_reminder":
    case "devotional_reminder": {
      const { v: _version, requested_at, ...request } = body;
      const plan = await planReminder(env, request, requested_at ? Date.parse(requested_at) : now);
      await enqueueJob(env, "reminder", plan, now);
      return;
    }
    case "populate_user":
      await enqueueJob(env, "populate", { since: populateSince(now, body.days_back), userId: body.user_id }, now, [
        (await (await shardsOf(env)).forUser(body.user_id)).index,
      ]);
      return;
    case "populate_all":
      await afterReshard(env, body, () => startPopulateAll(env, body.days_back, now));
      return;
    case "cleanup": {
      try {
        await afterReshard(env, body, () => startCleanup(env, config, cleanupRequestFrom(body, config), now));
      } catch (error) {
        // Like the daily cron: no second job beside a running one. Retrying
        // would not help within the queue's few minutes of retries (a job can
        // run for hours), so the request is dropped and logged.
        if (!(error instanceof RetentionJobRunningError)) throw error;
        log.warn("cleanup message not started: a retention job is running", {
          running: error.running,
          request: body,
        });
      }
      return;
    }
    case "refresh_unread": {
      // Writes for the cached users this invocation has room for; the rest in a new message.
      let granted = 0;
      const { operations, left } = await refreshCachedBadges(
        env,
        config,
        body.user_ids,
        (writes) => (granted = budget.takeUpTo(writes)),
      );
      budget.refund({ kv: costOf(body).kv + granted - operations, d1: 0 });
      if (left.length > 0) await env.FEED_QUEUE.send({ v: MESSAGE_VERSION, kind: "refresh_unread", user_ids: left });
      return;
    }
    case "live_publish": {
      const publications = body.publications as unknown as LivePublication[];
      await publishLive(env, publications, budget.takeUpTo(publications.length));
      return;
    }
    case "job_step": {
      const outcome = await runJobSteps(env, config, body, budget);
      if (outcome.status === "continue")
        await sendJobSteps(env, [{ ...body, step: outcome.step }], outcome.delaySeconds);
      return;
    }
    case "create_item":
    case "batch_create":
      throw new Error("event messages are written in bulk");
  }
}

/** How long a request over every shard waits for a running reshard before it asks again. */
export const RESHARD_WAIT_SECONDS = 300;

/**
 * Runs work over every shard (cleanup, populate of everyone), which may not
 * start while a reshard moves users: then the message comes back as a new
 * one in RESHARD_WAIT_SECONDS (a reshard outlasts the queue's retries), and
 * starts once the reshard is done.
 */
async function afterReshard(env: Env, body: FeedMessage, start: () => Promise<unknown>) {
  try {
    await start();
  } catch (error) {
    if (!(error instanceof ReshardRunningError)) throw error;
    await sendMessages(env.FEED_QUEUE, [body], RESHARD_WAIT_SECONDS);
    log.info("request over every shard waits for the running reshard", {
      kind: body.kind,
      reshard: error.jobId,
      retry_in_seconds: RESHARD_WAIT_SECONDS,
    });
  }
}

/** Messages this invocation had no budget for go back to the queue as new messages. */
async function returnToQueue(env: Env, messages: Message[]) {
  if (messages.length === 0) return;
  try {
    await sendByKind(
      env,
      messages.map((message) => message.body as FeedMessage),
    );
    for (const message of messages) message.ack();
    log.info("handed messages back to the queue (invocation budget spent)", { count: messages.length });
  } catch (error) {
    log.error("could not hand messages back; they will retry", { error });
    for (const message of messages) message.retry();
  }
}

/** A message that can never succeed: keep it for inspection, do not retry it. */
async function deadLetter(env: Env, message: Message, problems: string[]) {
  log.warn("malformed queue message dead-lettered", { message_id: message.id, problems });
  try {
    await env.FEED_DLQ.send({
      reason: "malformed",
      problems,
      message_id: message.id,
      body: message.body,
      received_at: new Date().toISOString(),
    });
    message.ack();
  } catch (error) {
    // Retrying lets the queue's own dead-lettering take it after max_retries.
    log.error("could not dead-letter message", { message_id: message.id, error });
    message.retry();
  }
}
