/**
 * Public item ids: `localId * 2^SHARD_BITS + shardIndex`.
 *
 * `localId` is the row's AUTOINCREMENT key on its shard (never reused, even
 * after deletes), so the public id is unique across shards without any
 * coordination, says by itself which shard holds the row, and stays below
 * 2^53 (a JSON number) for 2^43 ≈ 8.8 trillion rows per shard.
 */
export const SHARD_BITS = 10;
export const MAX_SHARDS = 2 ** SHARD_BITS;
const MAX_LOCAL_ID = Math.floor(Number.MAX_SAFE_INTEGER / MAX_SHARDS);

export interface LocalItemRef {
  readonly shardIndex: number;
  readonly localId: number;
}

export function toPublicId(shardIndex: number, localId: number): number {
  if (!Number.isSafeInteger(localId) || localId < 1 || localId > MAX_LOCAL_ID) {
    throw new RangeError(`local id ${localId} is outside the public id space`);
  }
  return localId * MAX_SHARDS + shardIndex;
}

/** Splits a public id; `undefined` for anything that cannot be an item id. */
export function fromPublicId(publicId: number): LocalItemRef | undefined {
  if (!Number.isSafeInteger(publicId) || publicId < MAX_SHARDS) return undefined;
  return { shardIndex: publicId % MAX_SHARDS, localId: Math.floor(publicId / MAX_SHARDS) };
}

/**
 * The id clients know for a stored row: the one it kept from the shard it was
 * copied from (`public_id`), else its own (README, "Adding shards").
 */
export function publicIdOf(shardIndex: number, row: { readonly id: number; readonly publicId: number | null }): number {
  return row.publicId ?? toPublicId(shardIndex, row.id);
}
