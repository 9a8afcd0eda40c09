-- Users with a live channel open (src/channel/feed-channel.ts), on their own
-- shard: a write path asks in the batch it commits anyway which of its users
-- to notify, so users who are not connected cost nothing. The channel writes
-- the row when its first connection opens, refreshes `until` hourly while one
-- is open, and deletes it when the last one closes; `until` bounds how long a
-- row can outlive a channel that stopped without closing.
CREATE TABLE live_users (
  user_id INTEGER PRIMARY KEY,
  until INTEGER NOT NULL
) WITHOUT ROWID;
