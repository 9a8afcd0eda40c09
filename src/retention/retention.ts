import { listArchives, readArchive } from "../archive/archive-store";
import { writeBadges } from "../cache/badge-cache";
import type { Config } from "../config";
import { type BadgeCounts, badgeCountsFrom, badgeCountsStatement } from "../db/badge-counts";
import { insertArchivedRowsStatements } from "../db/item-writes";
import { liveUsersFrom, liveUsersStatement } from "../db/live-presence";
import type { Env } from "../env";
import { NotFoundError } from "../errors";
import { enqueueJob } from "../jobs/launch";
import { publishLive } from "../live/publish";
import { CACHE_REFRESH_MESSAGE_USERS, type FeedMessage, MESSAGE_VERSION } from "../queue/messages";
import { sendMessages } from "../queue/producer";
import { refuseWhileReshardRuns } from "../reshard/reshard";
import { shardsOf } from "../shards/router";
import { RESTORE_CACHE_USERS_IN_REQUEST } from "./chunk-sizes";
import { refuseWhileRetentionRuns } from "./in-flight";
import { planArchive, planRetention, type RetentionPlan, type RetentionRequest } from "./policy";
import { countRetentionCandidates } from "./retention-job";

/** Entry points of retention: cleanup and archive runs, restore, listing. */

/** A cleanup run: which items (the policy, or an override of it), and how. */
export interface CleanupRequest extends RetentionRequest {
  readonly dryRun: boolean;
  /** Write expired rows to R2 before deleting them. */
  readonly archive: boolean;
}

/** An archive run: everything older than `olderThanDays` goes to R2, then is deleted. */
export interface ArchiveRequest {
  readonly olderThanDays: number;
  readonly onlyRead: boolean;
  readonly dryRun: boolean;
}

export type RetentionRun =
  | {
      readonly dryRun: true;
      readonly total: number;
      readonly perType: Record<string, number>;
      readonly perShard: Record<string, number>;
    }
  | { readonly dryRun: false; readonly jobId: string };

async function startRetentionRun(
  env: Env,
  plan: RetentionPlan,
  dryRun: boolean,
  archive: boolean,
  now: number,
): Promise<RetentionRun> {
  if (dryRun) return { dryRun: true, ...(await countRetentionCandidates(env, plan)) };
  await refuseWhileRetentionRuns(env, now);
  await refuseWhileReshardRuns(env, "retention");
  const job = await enqueueJob(env, "retention", { plan, archive }, now);
  return { dryRun: false, jobId: job.jobId };
}

/** Cleanup by the retention policy (or an override), over every shard. */
export function startCleanup(env: Env, config: Config, request: CleanupRequest, now: number): Promise<RetentionRun> {
  const plan = planRetention(config.retentionPolicy, request, now);
  return startRetentionRun(env, plan, request.dryRun, request.archive, now);
}

/** Archive to R2 then delete everything older than `olderThanDays` (the design's archive_old_items). */
export function startArchive(env: Env, request: ArchiveRequest, now: number): Promise<RetentionRun> {
  return startRetentionRun(env, planArchive(request.olderThanDays, request.onlyRead, now), request.dryRun, true, now);
}

export interface RestoreOutcome {
  readonly key: string;
  readonly shard: number;
  /** Rows in the archive, and how many of them were not there and went back. */
  readonly rows: number;
  readonly restored: number;
  /** Owners whose cached unread count the queue refreshes shortly. */
  readonly cacheRefreshQueued: number;
}

/** Puts an archive's rows back on their shard; idempotent. */
export async function restoreArchive(env: Env, config: Config, key: string): Promise<RestoreOutcome> {
  const archive = await readArchive(env.ARCHIVE, key);
  if (!archive) throw new NotFoundError(`No archive at ${key}.`);
  const shard = (await shardsOf(env)).byIndex(archive.manifest.shard);
  if (!shard)
    throw new Error(`archive ${key} belongs to shard ${archive.manifest.shard}, which this deployment does not have`);
  const users = [...new Set(archive.rows.map((row) => Number(row.user_id)))];
  // One batch: the parts go back together or not at all.
  const now = Date.now();
  const results = await shard.d1.batch([
    ...insertArchivedRowsStatements(shard, archive.rows),
    liveUsersStatement(shard, users, now),
    badgeCountsStatement(shard, users),
  ]);
  const inserted = results.slice(0, -2).flatMap((result) => result.results as { userId: number; isRead: number }[]);
  // Only restored unread rows change a badge (unseen ones are unread too); restoring twice refreshes nothing.
  const changed = new Set(inserted.filter((row) => row.isRead === 0).map((row) => row.userId));
  const counts = badgeCountsFrom(users, results.at(-1));
  const queued = await bringCacheInLine(env, config, new Map([...counts].filter(([userId]) => changed.has(userId))));
  // Old items came back in the middle of connected users' feeds: they refetch.
  const restoredOwners = new Set(inserted.map((row) => row.userId));
  const live = [...liveUsersFrom(results.at(-2))].filter((userId) => restoredOwners.has(userId));
  await publishLive(
    env,
    live.map((userId) => ({ userId, changes: [{ type: "reset" as const }], counts: counts.get(userId)! })),
  );
  return {
    key: archive.manifest.key,
    shard: shard.index,
    rows: archive.rows.length,
    restored: inserted.length,
    cacheRefreshQueued: queued,
  };
}

/**
 * An archive of 20,000 rows can have as many owners, more cache writes than
 * one request may make: the first ones are written now, the rest refreshed
 * from D1 by the queue. Returns how many users were queued.
 */
async function bringCacheInLine(env: Env, config: Config, counts: ReadonlyMap<number, BadgeCounts>): Promise<number> {
  const entries = [...counts];
  const later = entries.slice(RESTORE_CACHE_USERS_IN_REQUEST).map(([userId]) => userId);
  const messages: FeedMessage[] = [];
  for (let start = 0; start < later.length; start += CACHE_REFRESH_MESSAGE_USERS) {
    messages.push({
      v: MESSAGE_VERSION,
      kind: "refresh_unread",
      user_ids: later.slice(start, start + CACHE_REFRESH_MESSAGE_USERS),
    });
  }
  // Queued first: should a write below fail, the rest are still refreshed.
  await sendMessages(env.FEED_QUEUE, messages);
  await writeBadges(env, config, new Map(entries.slice(0, RESTORE_CACHE_USERS_IN_REQUEST)));
  return later.length;
}

export { listArchives };
