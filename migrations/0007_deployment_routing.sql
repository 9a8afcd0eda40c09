-- How the deployment routes users to shards, as data (README, "Adding shards"):
-- the current shard count and, while a reshard runs, its target. Only
-- SHARD_0's row counts (every shard runs the same migrations, so the table
-- exists everywhere). No row: the deployment still has the SHARD_COUNT it was
-- created with. Isolates cache the row for ROUTING_CACHE_SECONDS.
CREATE TABLE deployment_routing (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  shard_count INTEGER NOT NULL,
  -- Set while a reshard to this many shards runs; NULL otherwise.
  target_count INTEGER,
  -- The reshard job (its progress rows are on the old shards).
  job_id TEXT,
  -- When users may start moving: every isolate has seen the target by then.
  moves_from INTEGER,
  changed_at INTEGER NOT NULL
);
