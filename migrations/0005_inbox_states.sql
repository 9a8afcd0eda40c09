-- Inbox states: seen and archived next to read, a target thumbnail, muted
-- types per user, and once-per-user milestones. Safe on a large live table:
-- ADD COLUMN with a constant default rewrites no row, the counter columns
-- start at their correct value (0), and nothing is backfilled. What does take
-- time on a big shard is building the new partial indexes (see README,
-- "Inbox states").

-- Items stored before this release count as seen: seen starts with it (the
-- unseen badge would otherwise show every user's whole history as new). Every
-- write path inserts new items with is_seen = 0 explicitly. Reading implies
-- seeing, so an unseen item is always unread. No CHECK constraints here:
-- adding one makes SQLite scan every existing row; the write paths only ever
-- write 0 or 1.
ALTER TABLE feed_items ADD COLUMN is_seen INTEGER NOT NULL DEFAULT 1;
ALTER TABLE feed_items ADD COLUMN seen_at INTEGER;
ALTER TABLE feed_items ADD COLUMN is_archived INTEGER NOT NULL DEFAULT 0;
ALTER TABLE feed_items ADD COLUMN archived_at INTEGER;
ALTER TABLE feed_items ADD COLUMN target_thumbnail TEXT;

-- Events keep the producer's thumbnail so populate can rebuild the item.
ALTER TABLE events ADD COLUMN target_thumbnail TEXT;

-- The inbox (archived items left out) and its unread and unseen parts, one
-- keyset range each per user; archived items have a range of their own.
CREATE INDEX feed_items_user_inbox ON feed_items (user_id, created_at) WHERE is_archived = 0;
CREATE INDEX feed_items_user_inbox_unread ON feed_items (user_id, created_at) WHERE is_archived = 0 AND is_read = 0;
CREATE INDEX feed_items_user_inbox_unseen ON feed_items (user_id, created_at) WHERE is_archived = 0 AND is_seen = 0;
CREATE INDEX feed_items_user_inbox_type ON feed_items (user_id, activity_type, created_at) WHERE is_archived = 0;
CREATE INDEX feed_items_user_archived ON feed_items (user_id, created_at) WHERE is_archived = 1;

-- Counters of the new states. All start at 0, which is right for existing
-- rows: they are seen and not archived. The inbox's counts are the totals less
-- the archived ones (total - archived, unread - archived_unread, ...).
ALTER TABLE user_feed_counters ADD COLUMN unseen INTEGER NOT NULL DEFAULT 0;
ALTER TABLE user_feed_counters ADD COLUMN archived INTEGER NOT NULL DEFAULT 0;
ALTER TABLE user_feed_counters ADD COLUMN archived_unread INTEGER NOT NULL DEFAULT 0;
ALTER TABLE user_feed_counters ADD COLUMN archived_unseen INTEGER NOT NULL DEFAULT 0;
-- Moves on every change of the user's items of this type (insert, delete, a
-- state change), so the sum over a user's rows only grows: the version clients
-- poll with (ETag) without reading any item.
ALTER TABLE user_feed_counters ADD COLUMN version INTEGER NOT NULL DEFAULT 0;

DROP TRIGGER feed_items_count_insert;
CREATE TRIGGER feed_items_count_insert AFTER INSERT ON feed_items
BEGIN
  INSERT INTO user_feed_counters (user_id, activity_type, total, unread, unseen, archived, archived_unread, archived_unseen, version)
  VALUES (
    NEW.user_id, NEW.activity_type, 1, NEW.is_read = 0, NEW.is_seen = 0, NEW.is_archived = 1,
    NEW.is_archived = 1 AND NEW.is_read = 0, NEW.is_archived = 1 AND NEW.is_seen = 0, 1
  )
  ON CONFLICT (user_id, activity_type) DO UPDATE SET
    version = version + 1,
    total = total + 1,
    unread = unread + excluded.unread,
    unseen = unseen + excluded.unseen,
    archived = archived + excluded.archived,
    archived_unread = archived_unread + excluded.archived_unread,
    archived_unseen = archived_unseen + excluded.archived_unseen;
END;

DROP TRIGGER feed_items_count_delete;
CREATE TRIGGER feed_items_count_delete AFTER DELETE ON feed_items
BEGIN
  UPDATE user_feed_counters SET
    version = version + 1,
    total = total - 1,
    unread = unread - (OLD.is_read = 0),
    unseen = unseen - (OLD.is_seen = 0),
    archived = archived - (OLD.is_archived = 1),
    archived_unread = archived_unread - (OLD.is_archived = 1 AND OLD.is_read = 0),
    archived_unseen = archived_unseen - (OLD.is_archived = 1 AND OLD.is_seen = 0)
  WHERE user_id = OLD.user_id AND activity_type = OLD.activity_type;
END;

DROP TRIGGER feed_items_count_read;
CREATE TRIGGER feed_items_count_states AFTER UPDATE OF is_read, is_seen, is_archived ON feed_items
WHEN OLD.is_read <> NEW.is_read OR OLD.is_seen <> NEW.is_seen OR OLD.is_archived <> NEW.is_archived
BEGIN
  UPDATE user_feed_counters SET
    version = version + 1,
    unread = unread + (NEW.is_read = 0) - (OLD.is_read = 0),
    unseen = unseen + (NEW.is_seen = 0) - (OLD.is_seen = 0),
    archived = archived + (NEW.is_archived = 1) - (OLD.is_archived = 1),
    archived_unread = archived_unread + (NEW.is_archived = 1 AND NEW.is_read = 0) - (OLD.is_archived = 1 AND OLD.is_read = 0),
    archived_unseen = archived_unseen + (NEW.is_archived = 1 AND NEW.is_seen = 0) - (OLD.is_archived = 1 AND OLD.is_seen = 0)
  WHERE user_id = OLD.user_id AND activity_type = OLD.activity_type;
END;

-- Activity types a user chose not to receive (a JSON array of type names).
-- Write paths skip items of a muted type inside their INSERT; the events
-- themselves are still stored, so unmuting and regenerating backfills.
CREATE TABLE user_preferences (
  user_id INTEGER PRIMARY KEY,
  muted_types TEXT NOT NULL DEFAULT '[]',
  updated_at INTEGER NOT NULL
);

-- Milestones a user reached once in their life (the first fast joined), kept
-- apart from the items so that retention deleting the item, or the events
-- behind it, never lets the milestone come a second time. `ingest_id` names
-- the write that recorded it: only that write creates the milestone's item.
CREATE TABLE user_milestones (
  user_id INTEGER NOT NULL,
  milestone TEXT NOT NULL,
  reached_at INTEGER NOT NULL,
  -- 1 when the feed announced it; 0 for a user whose history already had it
  -- when milestones started to be recorded (no item for them).
  announced INTEGER NOT NULL,
  ingest_id TEXT NOT NULL,
  PRIMARY KEY (user_id, milestone)
) WITHOUT ROWID;
