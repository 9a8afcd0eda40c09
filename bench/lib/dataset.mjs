// The benchmark's data: who has which feed items, generated from a fixed seed
// (same data every run), and written straight into the shard SQLite files
// while the Worker is stopped. Rows look like the service's own: titles,
// descriptions, targets and data built by the same per-type definitions
// (src/feed/activity-types.ts), an `events` row behind every event-based item,
// and the per-user counters kept by the schema's triggers.

import { initialShardCount } from "../../scripts/lib/project.mjs";
import { ACTIVITY_TYPES } from "../../src/feed/activity-types.ts";
import { shardIndexForUser } from "../../src/shards/jump-hash.ts";
import { openDatabase } from "./sqlite.mjs";

export const DAY = 86_400_000;
export const ACTIVITY_TYPE_NAMES = Object.keys(ACTIVITY_TYPES);
export const retentionDays = (type) => ACTIVITY_TYPES[type].retentionDays;

/**
 * Share of a year's feed items per type. Per fast a user follows: a join, the
 * start, a reminder before it, a devotional and its reminder each week of the
 * fast, a milestone; now and then a leave or a generic event (the same shape
 * as scripts/seed-demo.mjs).
 */
export const TYPE_MIX = {
  devotional_available: 0.27,
  devotional_reminder: 0.27,
  fast_join: 0.1,
  fast_start: 0.1,
  fast_reminder: 0.1,
  milestone: 0.08,
  fast_leave: 0.04,
  event: 0.04,
};

/** Special users, by id range far above the regular users (1..N). */
export const HISTORY_USER_BASE = 5_000_000; // + item count: 5_000_100, 5_010_000, 5_100_000
export const MARK_READ_USER_BASE = 6_000_000; // + 1, 2, ...: 10,000 unread items each
export const INGEST_USER_BASE = 7_000_000; // users that receive the ingestion benchmark's events
export const LIVE_USER_BASE = 8_000_000; // the live scenario's participants (lib/load-dataset.mjs, loadLiveParticipants)
/** The live scenario's two fasts: one with 1% of its participants connected, one with none of them. */
export const LIVE_FASTS = { connected: 900_001, none: 900_002 };

const FAST_NAMES = [
  "Great Lent Fast",
  "Nativity Fast",
  "Apostles Fast",
  "Dormition Fast",
  "Fast of Nineveh",
  "Fast of the Prophets",
  "Wednesday and Friday Fast",
  "Paramoni Fast",
  "Fast of the Holy Cross",
  "Exaltation Fast",
];
const FASTS = Array.from({ length: 40 }, (_, index) => ({
  fast_id: index + 1,
  fast_name:
    index < FAST_NAMES.length ? FAST_NAMES[index] : `${FAST_NAMES[index % FAST_NAMES.length]} (parish ${index})`,
}));
const TOPICS = ["Prayer and fasting", "The Beatitudes", "Almsgiving", "Forgiveness", "The Psalms", "Silence", "Hope"];
const MILESTONES = [10, 50, 100, 500, 1000];

/** mulberry32: small, fast, and the same sequence everywhere. */
export function randomSource(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CUMULATIVE_MIX = [];
for (const [type, share] of Object.entries(TYPE_MIX))
  CUMULATIVE_MIX.push([type, (CUMULATIVE_MIX.at(-1)?.[1] ?? 0) + share]);

function pickType(random) {
  const roll = random();
  return (CUMULATIVE_MIX.find(([, upTo]) => roll < upTo) ?? CUMULATIVE_MIX.at(-1))[0];
}

const pick = (random, list) => list[Math.floor(random() * list.length)];
const between = (random, low, high) => low + random() * (high - low);

function dataFor(random, type) {
  const fast = pick(random, FASTS);
  switch (type) {
    case "devotional_available":
    case "devotional_reminder": {
      const week = 1 + Math.floor(random() * 7);
      return {
        devotional_id: fast.fast_id * 100 + week,
        ...fast,
        video_title: `Week ${week}: ${pick(random, TOPICS)}`,
      };
    }
    case "fast_reminder":
      return { ...fast, reminder_type: "fast_reminder" };
    case "milestone":
      return { ...fast, milestone: pick(random, MILESTONES) };
    case "event":
      return { title: "Welcome to your activity feed" };
    default:
      return { ...fast };
  }
}

/**
 * One feed item as the service would have stored it. Reminders come from a
 * fan-out (no event row, a per-day dedupe key); every other type from an event.
 * The reminder keys carry a sequence number so that random data never repeats
 * a (user, reminder, fast, day) the service would have de-duplicated.
 */
export function makeItem(random, { userId, type, createdAt, seq, read, readAt = null }) {
  const definition = ACTIVITY_TYPES[type];
  const data = dataFor(random, type);
  const isEventTitle = type === "event";
  const title = isEventTitle ? data.title : definition.title(data);
  const description = isEventTitle
    ? "Everything about your fasts, in one place."
    : (definition.description?.(data) ?? title);
  const target = definition.defaultTarget?.(data);
  const reminder = type === "fast_reminder" || type === "devotional_reminder";
  const day = new Date(createdAt).toISOString().slice(0, 10);
  const sourceEventId = reminder ? null : `bench-${userId}-${seq}`;
  return {
    userId,
    type,
    title,
    description,
    targetType: target?.type ?? null,
    targetId: target?.id ?? null,
    data,
    createdAt,
    isRead: read,
    readAt: read ? (readAt ?? createdAt + Math.floor(random() * DAY)) : null,
    sourceEventId,
    eventTitle: isEventTitle ? title : null,
    eventDescription: isEventTitle ? description : null,
    dedupeKey: reminder
      ? type === "fast_reminder"
        ? `fast_reminder:${data.fast_id}:${day}#${seq}`
        : `devotional_reminder:${data.devotional_id}:${data.fast_id}:${day}#${seq}`
      : `event:${sourceEventId}`,
  };
}

/**
 * Regular users 1..count, as the design's growth table has them at 10,000
 * users: 3 items per user and month, i.e. 36 over the last year on average.
 * Activity is uneven (exponentially distributed around the mean) and so are
 * reading habits: most users opened the app in the last few days, some weeks
 * ago, some lapsed months ago; what came before a user's last visit is read.
 */
export function* regularUsers({ count, now, seed = 1, itemsPerYear = 36 }) {
  const random = randomSource(seed);
  for (let userId = 1; userId <= count; userId++) {
    const activity = -Math.log(1 - random()); // mean 1
    const items = Math.round(itemsPerYear * activity + random() - 0.5);
    const habit = random();
    const lastSeenDaysAgo =
      habit < 0.6 ? between(random, 0, 3) : habit < 0.85 ? between(random, 3, 60) : between(random, 60, 365);
    const lastSeen = now - lastSeenDaysAgo * DAY;
    for (let seq = 1; seq <= items; seq++) {
      const createdAt = Math.floor(now - between(random, 0, 365) * DAY);
      const read = createdAt < lastSeen && random() < 0.97;
      yield makeItem(random, {
        userId,
        type: pickType(random),
        createdAt,
        seq,
        read,
        readAt: read ? Math.min(lastSeen, createdAt + Math.floor(random() * 2 * DAY)) : null,
      });
    }
  }
}

/** One user with `items` items over the last year; everything older than a day is read. */
export function* historyUser({ userId, items, now, seed = 2, unread = false }) {
  const random = randomSource(seed + userId);
  for (let seq = 1; seq <= items; seq++) {
    const createdAt = Math.floor(now - between(random, 0, 365) * DAY);
    yield makeItem(random, { userId, type: pickType(random), createdAt, seq, read: !unread && createdAt < now - DAY });
  }
}

/**
 * Rows past their type's retention, on regular users (for cleanup), or older
 * than every retention (for archiving): ages in days between `minAge(type)`
 * and `maxAge`.
 */
export function* oldRows({ count, users, now, seed, minAgeDays, maxAgeDays, readShare }) {
  const random = randomSource(seed);
  for (let seq = 1; seq <= count; seq++) {
    const userId = 1 + Math.floor(random() * users);
    const type = pickType(random);
    const createdAt = Math.floor(now - between(random, minAgeDays(type), maxAgeDays) * DAY);
    // Sequence numbers far above the users' own keep every key unique.
    yield makeItem(random, { userId, type, createdAt, seq: seed * 10_000_000 + seq, read: random() < readShare });
  }
}

/**
 * Writes items into the shard files, each user's on the shard the service
 * would pick: by the deployment's starting count (the other bound shards
 * wait for a reshard).
 */
export class ShardWriter {
  constructor(shardFiles, shardCount = initialShardCount()) {
    this.shardCount = shardCount;
    this.shards = shardFiles.map((file) => {
      const db = openDatabase(file);
      // Loading only: the files are copies nobody else has open.
      // Loading only, into files nobody else has open: no journal while
      // loading, and the file goes back to WAL mode (as workerd keeps it) on close.
      db.exec(
        "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -262144; PRAGMA temp_store = MEMORY;",
      );
      db.exec("BEGIN");
      return {
        db,
        pending: 0,
        insertEvent: db.prepare(
          `INSERT INTO events (user_id, event_type, source_event_id, target_type, target_id, fast_id, data, title, description, occurred_at, received_at, ingest_id)
           VALUES (?, ?, ?, NULL, NULL, ?, ?, ?, ?, ?, ?, ?)`,
        ),
        insertItem: db.prepare(
          `INSERT INTO feed_items (user_id, activity_type, event_id, target_type, target_id, title, description, is_read, read_at, created_at, data, dedupe_key)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ),
      };
    });
    this.shardOf = new Map();
    this.written = 0;
    this.participants = 0;
    // The service stores a random UUID per ingestion batch; same length here.
    this.ingestId = "00000000-0000-4000-8000-0000b0000000";
  }

  shardFor(userId) {
    let index = this.shardOf.get(userId);
    if (index === undefined) {
      index = shardIndexForUser(userId, this.shardCount);
      this.shardOf.set(userId, index);
    }
    return this.shards[index];
  }

  add(item) {
    const shard = this.shardFor(item.userId);
    const data = JSON.stringify(item.data);
    let eventId = null;
    if (item.sourceEventId !== null) {
      const receivedAt = item.createdAt + 1_000;
      eventId = shard.insertEvent.run(
        item.userId,
        item.type,
        item.sourceEventId,
        item.data.fast_id ?? null,
        data,
        item.eventTitle,
        item.eventDescription,
        item.createdAt,
        receivedAt,
        this.ingestId,
      ).lastInsertRowid;
    }
    shard.insertItem.run(
      item.userId,
      item.type,
      eventId,
      item.targetType,
      item.targetId,
      item.title,
      item.description,
      item.isRead ? 1 : 0,
      item.readAt,
      item.createdAt,
      data,
      item.dedupeKey,
    );
    this.written++;
    this.wrote(shard);
  }

  addAll(items) {
    for (const item of items) this.add(item);
  }

  /** A current participant of a fast (a fast_participants row, as a fast_join event's trigger writes it). */
  addParticipant({ fastId, userId, fastName, changedAt }) {
    const shard = this.shardFor(userId);
    shard.insertParticipant ??= shard.db.prepare(
      `INSERT INTO fast_participants (fast_id, user_id, is_participant, changed_at, fast_name) VALUES (?, ?, 1, ?, ?)
       ON CONFLICT (fast_id, user_id) DO UPDATE SET is_participant = 1`,
    );
    shard.insertParticipant.run(fastId, userId, changedAt, fastName);
    this.participants++;
    this.wrote(shard);
  }

  /** Commits a shard's transaction every 50,000 rows. */
  wrote(shard) {
    if (++shard.pending >= 50_000) {
      shard.db.exec("COMMIT; BEGIN");
      shard.pending = 0;
    }
  }

  /** Commits, folds the WAL into the database file and closes every shard. */
  close() {
    for (const shard of this.shards) {
      shard.db.exec("COMMIT");
      shard.db.exec("PRAGMA journal_mode = WAL");
      shard.db.close();
    }
  }
}

/** Rows that retention would remove now, per type, over the given shard files. */
export function countExpired(shardFiles, now, cutoffDays = retentionDays) {
  const perType = Object.fromEntries(ACTIVITY_TYPE_NAMES.map((type) => [type, 0]));
  for (const file of shardFiles) {
    const db = openDatabase(file, { readOnly: true });
    const count = db.prepare("SELECT count(*) AS n FROM feed_items WHERE activity_type = ? AND created_at < ?");
    for (const type of ACTIVITY_TYPE_NAMES) perType[type] += count.get(type, now - cutoffDays(type) * DAY).n;
    db.close();
  }
  return perType;
}

/** Counts rows of a table over every shard. */
export function countRows(shardFiles, table, where = "1") {
  let total = 0;
  for (const file of shardFiles) {
    const db = openDatabase(file, { readOnly: true });
    total += db.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${where}`).get().n;
    db.close();
  }
  return total;
}
