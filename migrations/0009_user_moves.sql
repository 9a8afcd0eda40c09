-- Users a reshard moves off this shard, and how far each has come (README,
-- "Adding shards"): copying (their rows are being copied; reads stay here,
-- writes wait), switched (everything goes to to_shard), moved (the rows here
-- are deleted). A row stays for good: a user never moves back to a shard it
-- left (jump hash moves users to new shards only), and the row keeps every
-- write fence below closed for them. Only users of a running reshard are
-- looked up, by the primary key.
CREATE TABLE user_moves (
  user_id INTEGER PRIMARY KEY,
  job_id TEXT NOT NULL,
  to_shard INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('copying', 'switched', 'moved')),
  -- The new shard's D1 Sessions bookmark once the copy is there: reads of the
  -- user on it start at least that fresh (a replica may lag behind the copy).
  bookmark TEXT,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;

-- While a reshard runs, a write batch for users of this shard begins with
-- `INSERT INTO user_write_fence (user_ids) VALUES ('[...]')`: it stores
-- nothing, and aborts the whole batch (one transaction) when one of them is
-- moving away, so no write can land behind the copy. The writer then waits
-- and routes again.
CREATE VIEW user_write_fence AS SELECT NULL AS user_ids;
CREATE TRIGGER user_write_fence_check INSTEAD OF INSERT ON user_write_fence
WHEN EXISTS (SELECT 1 FROM user_moves WHERE user_id IN (SELECT value FROM json_each(NEW.user_ids)))
BEGIN
  SELECT RAISE(ABORT, 'user moving to another shard');
END;

-- A move copies and deletes one user's participation (the primary key leads
-- with the fast). Building it reads the table once.
CREATE INDEX fast_participants_user ON fast_participants (user_id);
