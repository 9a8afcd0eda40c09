-- Schema of one shard. Every shard runs the same migrations; a user's rows all
-- live on the shard their id hashes to (src/shards/jump-hash.ts).
-- src/db/schema.ts describes the same tables for drizzle; test/schema.test.ts
-- checks that the two agree.

-- Source events the feed is made from, kept so feeds can be regenerated and so
-- the service knows who takes part in which fast.
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id INTEGER NOT NULL,
  event_type TEXT NOT NULL,
  -- The producer's idempotency key; generated when the producer sends none.
  source_event_id TEXT NOT NULL,
  target_type TEXT,
  target_id INTEGER,
  fast_id INTEGER,
  data TEXT NOT NULL DEFAULT '{}',
  -- The producer's own wording, when it overrides the title built per type.
  title TEXT,
  description TEXT,
  occurred_at INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  -- Which write stored this row: lets the same batch create feed items only for
  -- events it inserted itself, so a redelivered event never makes a second item.
  ingest_id TEXT NOT NULL,
  UNIQUE (user_id, source_event_id)
);
CREATE INDEX events_user_occurred ON events (user_id, occurred_at);
CREATE INDEX events_occurred ON events (occurred_at);

CREATE TABLE feed_items (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id INTEGER NOT NULL,
  activity_type TEXT NOT NULL,
  -- events.id of the source event on this shard (no FOREIGN KEY: archived rows
  -- must restore even where their events are gone).
  event_id INTEGER,
  target_type TEXT,
  target_id INTEGER,
  title TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  is_read INTEGER NOT NULL DEFAULT 0 CHECK (is_read IN (0, 1)),
  read_at INTEGER,
  created_at INTEGER NOT NULL,
  data TEXT NOT NULL DEFAULT '{}',
  -- Idempotency key: 'event:<source id>' or '<reminder>:<ids>:<UTC day>'.
  dedupe_key TEXT
);
-- Newest-first listing and date ranges; the rowid (id) is the implicit last
-- column, which gives the (created_at, id) order keyset pagination needs.
CREATE INDEX feed_items_user_created ON feed_items (user_id, created_at);
-- Unread listing and mark-all-read touch only unread rows.
CREATE INDEX feed_items_user_unread ON feed_items (user_id, created_at) WHERE is_read = 0;
-- Listing by type (one query per requested type, merged).
CREATE INDEX feed_items_user_type ON feed_items (user_id, activity_type, created_at);
-- Retention cleanup and archiving scan one type by age across all users.
CREATE INDEX feed_items_type_created ON feed_items (activity_type, created_at);
CREATE UNIQUE INDEX feed_items_user_dedupe ON feed_items (user_id, dedupe_key);

-- Per-user, per-type counters. Maintained by the triggers below, inside the
-- statement that changes feed_items, so no code path can forget them and they
-- cannot drift. Summary and counts read these instead of scanning history.
CREATE TABLE user_feed_counters (
  user_id INTEGER NOT NULL,
  activity_type TEXT NOT NULL,
  total INTEGER NOT NULL DEFAULT 0,
  unread INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, activity_type)
) WITHOUT ROWID;

CREATE TRIGGER feed_items_count_insert AFTER INSERT ON feed_items
BEGIN
  INSERT INTO user_feed_counters (user_id, activity_type, total, unread)
  VALUES (NEW.user_id, NEW.activity_type, 1, NEW.is_read = 0)
  ON CONFLICT (user_id, activity_type)
  DO UPDATE SET total = total + 1, unread = unread + excluded.unread;
END;

CREATE TRIGGER feed_items_count_delete AFTER DELETE ON feed_items
BEGIN
  UPDATE user_feed_counters
  SET total = total - 1, unread = unread - (OLD.is_read = 0)
  WHERE user_id = OLD.user_id AND activity_type = OLD.activity_type;
END;

CREATE TRIGGER feed_items_count_read AFTER UPDATE OF is_read ON feed_items
WHEN OLD.is_read <> NEW.is_read
BEGIN
  UPDATE user_feed_counters
  SET unread = unread + (NEW.is_read = 0) - (OLD.is_read = 0)
  WHERE user_id = OLD.user_id AND activity_type = OLD.activity_type;
END;

-- Counters are keyed by owner and type; moving an item between them would need
-- both counters fixed, and no feature does it, so it is refused outright.
CREATE TRIGGER feed_items_owner_immutable BEFORE UPDATE OF user_id, activity_type ON feed_items
WHEN OLD.user_id <> NEW.user_id OR OLD.activity_type <> NEW.activity_type
BEGIN
  SELECT RAISE(ABORT, 'feed item owner and type are immutable');
END;

-- Who takes part in which fast: from a user's latest fast_join until a later
-- fast_leave. Kept by a trigger on events, resolved by occurred_at so that
-- events arriving out of order still give the right answer.
CREATE TABLE fast_participants (
  fast_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  is_participant INTEGER NOT NULL CHECK (is_participant IN (0, 1)),
  changed_at INTEGER NOT NULL,
  fast_name TEXT,
  PRIMARY KEY (fast_id, user_id)
) WITHOUT ROWID;
-- Reminder fan-out walks one fast's current participants in user id order.
CREATE INDEX fast_participants_current ON fast_participants (fast_id, is_participant, user_id);

CREATE TRIGGER events_track_participation AFTER INSERT ON events
WHEN NEW.fast_id IS NOT NULL AND NEW.event_type IN ('fast_join', 'fast_leave')
BEGIN
  INSERT INTO fast_participants (fast_id, user_id, is_participant, changed_at, fast_name)
  VALUES (NEW.fast_id, NEW.user_id, NEW.event_type = 'fast_join', NEW.occurred_at, NEW.data ->> '$.fast_name')
  ON CONFLICT (fast_id, user_id) DO UPDATE SET
    is_participant = excluded.is_participant,
    changed_at = excluded.changed_at,
    fast_name = COALESCE(excluded.fast_name, fast_participants.fast_name)
  WHERE excluded.changed_at >= fast_participants.changed_at;
END;
