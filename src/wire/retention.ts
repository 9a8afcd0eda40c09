import type { z } from "@hono/zod-openapi";
import type { Config } from "../config";
import type { ShardStats } from "../db/shard-stats";
import type { DeploymentStats, UserFeedStats } from "../monitoring/stats";
import { isoTime } from "../platform/time";
import type { ArchiveRequest, CleanupRequest, RestoreOutcome } from "../retention/retention";
import type { ArchiveOptions, CleanupOptions, RestoreResponseSchema } from "../schemas/retention";
import { feedTotalsWire } from "./feed";

function shardStatsWire(stats: ShardStats) {
  return {
    items: stats.items,
    unread_items: stats.unreadItems,
    read_items: stats.items - stats.unreadItems,
    unseen_items: stats.unseenItems,
    archived_items: stats.archivedItems,
    items_per_type: stats.perType,
    oldest_item: stats.oldestItemAt === null ? null : isoTime(stats.oldestItemAt),
    events: stats.events,
    users: stats.users,
    database_bytes: stats.databaseBytes,
  };
}

export function deploymentStatsWire(stats: DeploymentStats) {
  return {
    total: { ...shardStatsWire(stats.total), bytes_per_item: stats.total.bytesPerItem },
    shards: stats.shards.map((shard) => ({ shard: shard.shard, ...shardStatsWire(shard) })),
  };
}

export function userFeedStatsWire(stats: UserFeedStats) {
  return {
    user_id: stats.userId,
    shard: stats.shard,
    ...feedTotalsWire(stats.totals),
    archived_count: stats.totals.archivedCount,
  };
}

export function restoreWire(outcome: RestoreOutcome): z.output<typeof RestoreResponseSchema> {
  return {
    key: outcome.key,
    shard: outcome.shard,
    rows: outcome.rows,
    restored: outcome.restored,
    skipped: outcome.rows - outcome.restored,
    cache_refresh_queued: outcome.cacheRefreshQueued,
  };
}

/** A cleanup request from the API's options, a queue message's or the cron's (archive defaults to the config). */
export function cleanupRequestFrom(
  options: Omit<CleanupOptions, "dry_run"> & { dry_run?: boolean },
  config: Config,
): CleanupRequest {
  return {
    dryRun: options.dry_run ?? false,
    onlyRead: options.only_read,
    archive: options.archive ?? config.archiveOnCleanup,
    ...(options.activity_type ? { activityType: options.activity_type } : {}),
    ...(options.older_than_days ? { olderThanDays: options.older_than_days } : {}),
  };
}

export function archiveRequestFrom(options: ArchiveOptions): ArchiveRequest {
  return { olderThanDays: options.older_than_days, onlyRead: options.only_read, dryRun: options.dry_run };
}
