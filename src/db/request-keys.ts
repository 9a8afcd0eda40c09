import type { Shard } from "../shards/router";

/** Rows of request_keys (migrations/0004): one per Idempotency-Key, on the key's shard. */

export interface RequestKeyRow {
  readonly fingerprint: string;
  readonly requestedAt: number;
  readonly status: number | null;
  readonly body: string | null;
  readonly partial: string | null;
}

/** Keys pruned per claim: each request adds one key and removes up to this many expired ones. */
const PRUNE_PER_CLAIM = 20;

/**
 * One batch: prunes expired keys, records this key unless a live record of it
 * exists (an expired one is replaced), and reads the key's record back.
 */
export async function claimRequestKeyRow(
  shard: Shard,
  claim: { scope: string; key: string; fingerprint: string; now: number; expiredBefore: number },
): Promise<RequestKeyRow> {
  const [, , read] = await shard.d1.batch([
    shard.d1
      .prepare(
        `DELETE FROM request_keys WHERE (scope, key) IN
           (SELECT scope, key FROM request_keys WHERE requested_at < ?1 ORDER BY requested_at LIMIT ${PRUNE_PER_CLAIM})`,
      )
      .bind(claim.expiredBefore),
    shard.d1
      .prepare(
        `INSERT INTO request_keys (scope, key, fingerprint, requested_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (scope, key) DO UPDATE SET fingerprint = excluded.fingerprint,
           requested_at = excluded.requested_at, status = NULL, body = NULL, partial = NULL
         WHERE request_keys.requested_at < ?5`,
      )
      .bind(claim.scope, claim.key, claim.fingerprint, claim.now, claim.expiredBefore),
    shard.d1
      .prepare(
        `SELECT fingerprint, requested_at AS requestedAt, status, body, partial FROM request_keys
         WHERE scope = ?1 AND key = ?2`,
      )
      .bind(claim.scope, claim.key),
  ]);
  const row = read?.results?.[0] as RequestKeyRow | undefined;
  if (!row) throw new Error("request key vanished between its insert and its read");
  return row;
}

/** Stores the answer to replay; only for the body the key was claimed with. */
export async function storeRequestKeyAnswer(
  shard: Shard,
  ref: { scope: string; key: string; fingerprint: string },
  status: number,
  body: string,
): Promise<void> {
  await shard.d1
    .prepare(
      `UPDATE request_keys SET status = ?4, body = ?5, partial = NULL
       WHERE scope = ?1 AND key = ?2 AND fingerprint = ?3`,
    )
    .bind(ref.scope, ref.key, ref.fingerprint, status, body)
    .run();
}

/** Stores what a partly failed attempt did, while the key has no answer yet. */
export async function storeRequestKeyPartial(
  shard: Shard,
  ref: { scope: string; key: string; fingerprint: string },
  partial: string,
): Promise<void> {
  await shard.d1
    .prepare(
      `UPDATE request_keys SET partial = ?4
       WHERE scope = ?1 AND key = ?2 AND fingerprint = ?3 AND status IS NULL`,
    )
    .bind(ref.scope, ref.key, ref.fingerprint, partial)
    .run();
}
