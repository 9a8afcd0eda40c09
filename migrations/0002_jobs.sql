-- Progress of long-running work (reminder fan-out, populate, cleanup, archive)
-- that runs as a chain of queue messages, one chain per shard. Each shard keeps
-- its own row per job, advanced in the same D1 batch as the chunk's writes, so
-- progress is exact and the next chunk starts where the last one committed.
CREATE TABLE job_progress (
  job_id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  params TEXT NOT NULL DEFAULT '{}',
  -- Chunks committed so far; message N may only commit step N -> N + 1.
  step INTEGER NOT NULL DEFAULT 0,
  -- Where the next chunk starts (meaning depends on the kind).
  cursor TEXT NOT NULL DEFAULT '',
  processed INTEGER NOT NULL DEFAULT 0,
  affected INTEGER NOT NULL DEFAULT 0,
  -- Per-type or other counts, a JSON object.
  detail TEXT NOT NULL DEFAULT '{}',
  -- Users whose counts the last chunk changed, to refresh their cached unread
  -- count if the Worker stopped between the commit and the cache write.
  last_users TEXT NOT NULL DEFAULT '[]',
  done INTEGER NOT NULL DEFAULT 0 CHECK (done IN (0, 1)),
  started_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX job_progress_started ON job_progress (started_at);

-- Two deliveries of the same chunk may run at once (queues deliver at least
-- once). Only the first may advance the step; the second's whole batch, writes
-- included, is rolled back by this error.
CREATE TRIGGER job_progress_one_step BEFORE UPDATE OF step ON job_progress
WHEN NEW.step <> OLD.step + 1 OR OLD.done = 1
BEGIN
  SELECT RAISE(ABORT, 'job step conflict');
END;
