import type { FeedMessage, JobStepMessage } from "./queue/messages";

/**
 * Bindings and variables as wrangler.toml declares them. Shards are looked up
 * by name (`SHARD_0`, `SHARD_1`, ...) so that adding one is a wrangler.toml
 * change, not a code change.
 */
export interface Env {
  [shardBinding: `SHARD_${number}`]: D1Database | undefined;
  UNREAD_CACHE: KVNamespace;
  ARCHIVE: R2Bucket;
  FEED_QUEUE: Queue<FeedMessage>;
  /** Job steps only (docs/decisions/003-job-queue.md). */
  JOB_QUEUE: Queue<JobStepMessage>;
  FEED_DLQ: Queue<unknown>;
  /** One live channel per user (src/channel/feed-channel.ts). */
  FEED_CHANNEL: DurableObjectNamespace;
  /** The pages and the inbox component (Workers Static Assets, built into dist/assets by npm run build). */
  ASSETS?: Fetcher;

  JWT_SECRET?: string;
  ENVIRONMENT?: string;
  SHARD_COUNT?: string;
  CORS_ALLOWED_ORIGINS?: string;
  USE_ASYNC_ACTIVITY_FEED?: string;
  RETENTION_POLICY?: string;
  UNREAD_CACHE_TTL_SECONDS?: string;
  ROUTING_CACHE_SECONDS?: string;
  ARCHIVE_ON_CLEANUP?: string;
  INBOX_DEMO_PAGE?: string;
}
