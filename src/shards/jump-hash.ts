/**
 * Which shard a user lives on: Lamping & Veach's jump consistent hash
 * ("A Fast, Minimal Memory, Consistent Hash Algorithm", 2014) of the user id.
 *
 * Why this function: it needs no table, spreads keys evenly, and when shards
 * grow from N to N+1 only ~1/(N+1) of users move, all of them to the new shard,
 * so resharding copies the least data possible. User ids are sequential, so
 * they are mixed first (SplitMix64's finaliser) to give the jump's generator a
 * well-spread seed.
 *
 * This function is part of the storage format: changing it moves users.
 */
const MASK_64 = (1n << 64n) - 1n;

function mix64(value: bigint): bigint {
  let z = (value + 0x9e3779b97f4a7c15n) & MASK_64;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK_64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK_64;
  return z ^ (z >> 31n);
}

export function jumpConsistentHash(key: bigint, buckets: number): number {
  if (!Number.isInteger(buckets) || buckets < 1) throw new RangeError("buckets must be a positive integer");
  let state = key & MASK_64;
  let bucket = -1;
  let next = 0;
  while (next < buckets) {
    bucket = next;
    state = (state * 2862933555777941757n + 1n) & MASK_64;
    next = Math.floor((bucket + 1) * (2 ** 31 / (Number(state >> 33n) + 1)));
  }
  return bucket;
}

export function shardIndexForUser(userId: number, shardCount: number): number {
  return jumpConsistentHash(mix64(BigInt(userId)), shardCount);
}
