-- Producers' Idempotency-Key headers on POST /api/internal/events/ and
-- /api/internal/reminders/: the body a key first came with (its fingerprint),
-- when, and the answer it got, on the shard the key hashes to
-- (src/feed/request-keys.ts). A new table: safe to apply to a live shard.
CREATE TABLE request_keys (
  -- The endpoint and the caller: keys of different producers never meet.
  scope TEXT NOT NULL,
  key TEXT NOT NULL,
  -- SHA-256 of the canonical JSON body.
  fingerprint TEXT NOT NULL,
  -- The first attempt's time: retries reuse it (default occurred_at, the reminder's day).
  requested_at INTEGER NOT NULL,
  -- The answer to replay (status and JSON body), once there is one.
  status INTEGER,
  body TEXT,
  -- What an attempt that answered 503 had already done, for the retry's answer.
  partial TEXT,
  PRIMARY KEY (scope, key)
) WITHOUT ROWID;
-- Expired keys are pruned oldest first.
CREATE INDEX request_keys_requested ON request_keys (requested_at);
