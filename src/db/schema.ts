import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, unique, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * Drizzle's view of one shard's tables. The SQL in migrations/ is the source of
 * the schema (it also holds the counter triggers drizzle cannot express);
 * test/schema.test.ts fails if the two disagree. Times are epoch milliseconds.
 */

export const events = sqliteTable(
  "events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: integer("user_id").notNull(),
    eventType: text("event_type").notNull(),
    sourceEventId: text("source_event_id").notNull(),
    targetType: text("target_type"),
    targetId: integer("target_id"),
    fastId: integer("fast_id"),
    data: text("data").notNull().default("{}"),
    title: text("title"),
    description: text("description"),
    occurredAt: integer("occurred_at").notNull(),
    receivedAt: integer("received_at").notNull(),
    ingestId: text("ingest_id").notNull(),
    targetThumbnail: text("target_thumbnail"),
  },
  (table) => [
    // UNIQUE (user_id, source_event_id) in the table: idempotency of stored events.
    unique().on(table.userId, table.sourceEventId),
    index("events_user_occurred").on(table.userId, table.occurredAt),
    index("events_occurred").on(table.occurredAt),
  ],
);

/** Every column of feed_items by its database name (archive lines hold them all; test/schema.test.ts checks the list). */
export const FEED_ITEM_COLUMNS = [
  "id",
  "user_id",
  "activity_type",
  "event_id",
  "target_type",
  "target_id",
  "title",
  "description",
  "is_read",
  "read_at",
  "created_at",
  "data",
  "dedupe_key",
  "is_seen",
  "seen_at",
  "is_archived",
  "archived_at",
  "target_thumbnail",
  "public_id",
] as const;

export const feedItems = sqliteTable(
  "feed_items",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: integer("user_id").notNull(),
    activityType: text("activity_type").notNull(),
    eventId: integer("event_id"),
    targetType: text("target_type"),
    targetId: integer("target_id"),
    title: text("title").notNull(),
    description: text("description").notNull().default(""),
    isRead: integer("is_read", { mode: "boolean" }).notNull().default(false),
    readAt: integer("read_at"),
    createdAt: integer("created_at").notNull(),
    data: text("data").notNull().default("{}"),
    dedupeKey: text("dedupe_key"),
    // Default 1 for the rows stored before seen existed (migrations/0005); new items are inserted unseen.
    isSeen: integer("is_seen", { mode: "boolean" }).notNull().default(true),
    seenAt: integer("seen_at"),
    isArchived: integer("is_archived", { mode: "boolean" }).notNull().default(false),
    archivedAt: integer("archived_at"),
    targetThumbnail: text("target_thumbnail"),
    /** The public id of a row copied here from another shard (migrations/0008); NULL for rows native to this shard. */
    publicId: integer("public_id"),
  },
  (table) => [
    index("feed_items_user_created").on(table.userId, table.createdAt),
    index("feed_items_user_type").on(table.userId, table.activityType, table.createdAt),
    index("feed_items_type_created").on(table.activityType, table.createdAt, table.id, table.isRead, table.userId),
    uniqueIndex("feed_items_user_dedupe").on(table.userId, table.dedupeKey),
    uniqueIndex("feed_items_user_public_id").on(table.userId, table.publicId).where(sql`public_id IS NOT NULL`),
  ],
);

export const userFeedCounters = sqliteTable(
  "user_feed_counters",
  {
    userId: integer("user_id").notNull(),
    activityType: text("activity_type").notNull(),
    total: integer("total").notNull().default(0),
    unread: integer("unread").notNull().default(0),
    unseen: integer("unseen").notNull().default(0),
    archived: integer("archived").notNull().default(0),
    archivedUnread: integer("archived_unread").notNull().default(0),
    archivedUnseen: integer("archived_unseen").notNull().default(0),
    version: integer("version").notNull().default(0),
  },
  (table) => [primaryKey({ columns: [table.userId, table.activityType] })],
);

export const fastParticipants = sqliteTable(
  "fast_participants",
  {
    fastId: integer("fast_id").notNull(),
    userId: integer("user_id").notNull(),
    isParticipant: integer("is_participant", { mode: "boolean" }).notNull(),
    changedAt: integer("changed_at").notNull(),
    fastName: text("fast_name"),
  },
  (table) => [
    primaryKey({ columns: [table.fastId, table.userId] }),
    index("fast_participants_current").on(table.fastId, table.isParticipant, table.userId),
    index("fast_participants_user").on(table.userId),
  ],
);

export const jobProgress = sqliteTable(
  "job_progress",
  {
    jobId: text("job_id").primaryKey(),
    kind: text("kind").notNull(),
    params: text("params").notNull().default("{}"),
    step: integer("step").notNull().default(0),
    cursor: text("cursor").notNull().default(""),
    processed: integer("processed").notNull().default(0),
    affected: integer("affected").notNull().default(0),
    detail: text("detail").notNull().default("{}"),
    lastUsers: text("last_users").notNull().default("[]"),
    done: integer("done", { mode: "boolean" }).notNull().default(false),
    startedAt: integer("started_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (table) => [index("job_progress_started").on(table.startedAt)],
);

/** Producers' Idempotency-Keys (migrations/0004); queried in src/db/request-keys.ts. */
export const requestKeys = sqliteTable(
  "request_keys",
  {
    scope: text("scope").notNull(),
    key: text("key").notNull(),
    fingerprint: text("fingerprint").notNull(),
    requestedAt: integer("requested_at").notNull(),
    status: integer("status"),
    body: text("body"),
    partial: text("partial"),
  },
  (table) => [primaryKey({ columns: [table.scope, table.key] }), index("request_keys_requested").on(table.requestedAt)],
);

export const userPreferences = sqliteTable("user_preferences", {
  userId: integer("user_id").primaryKey(),
  mutedTypes: text("muted_types").notNull().default("[]"),
  updatedAt: integer("updated_at").notNull(),
});

export const userMilestones = sqliteTable(
  "user_milestones",
  {
    userId: integer("user_id").notNull(),
    milestone: text("milestone").notNull(),
    reachedAt: integer("reached_at").notNull(),
    announced: integer("announced", { mode: "boolean" }).notNull(),
    ingestId: text("ingest_id").notNull(),
  },
  (table) => [primaryKey({ columns: [table.userId, table.milestone] })],
);

export const liveUsers = sqliteTable("live_users", {
  userId: integer("user_id").primaryKey(),
  until: integer("until").notNull(),
});

/** The deployment's routing (migrations/0007): only SHARD_0's row counts; queried in src/db/routing.ts. */
export const deploymentRouting = sqliteTable("deployment_routing", {
  id: integer("id").primaryKey(),
  shardCount: integer("shard_count").notNull(),
  targetCount: integer("target_count"),
  jobId: text("job_id"),
  movesFrom: integer("moves_from"),
  changedAt: integer("changed_at").notNull(),
});

/** Users a reshard moves off this shard (migrations/0009); queried in src/db/user-moves.ts. */
export const userMoves = sqliteTable("user_moves", {
  userId: integer("user_id").primaryKey(),
  jobId: text("job_id").notNull(),
  toShard: integer("to_shard").notNull(),
  state: text("state").notNull(),
  bookmark: text("bookmark"),
  updatedAt: integer("updated_at").notNull(),
});

export type FeedItemRow = typeof feedItems.$inferSelect;
export type EventRow = typeof events.$inferSelect;

export type JobProgressRow = typeof jobProgress.$inferSelect;

export const schema = {
  events,
  feedItems,
  userFeedCounters,
  fastParticipants,
  jobProgress,
  requestKeys,
  userPreferences,
  userMilestones,
  liveUsers,
  deploymentRouting,
  userMoves,
};
