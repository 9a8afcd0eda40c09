import { describe, expect, it } from "vitest";
import { jumpConsistentHash, shardIndexForUser } from "../../src/shards/jump-hash";

// test/auth-sharding.test.ts covers 4 shards: the spread of 10,000 users and growing to 5.
const USERS = 20_000;

describe("jumpConsistentHash", () => {
  it("gives the buckets other implementations of Lamping & Veach's algorithm give", () => {
    // Published test vectors (ClickHouse's jumpConsistentHash tests, rust jumphash).
    expect(jumpConsistentHash(1n, 1)).toBe(0);
    expect(jumpConsistentHash(42n, 57)).toBe(43);
    expect(jumpConsistentHash(256n, 1024)).toBe(520);
    expect(jumpConsistentHash(3_735_883_980n, 666)).toBe(361);
    expect(jumpConsistentHash(16_045_690_984_833_335_023n, 255)).toBe(237);
    expect(jumpConsistentHash(123_456n, 1000)).toBe(984);
  });

  it.each([0, -1, 1.5, Number.NaN])("%s buckets is a RangeError", (buckets) => {
    expect(() => jumpConsistentHash(1n, buckets)).toThrow(RangeError);
  });
});

describe("shardIndexForUser", () => {
  it("keeps every user on the shard they were stored on (the mapping is the storage format)", () => {
    const pinned = [1, 2, 3, 42, 1_000, 123_456_789].map((user) => [
      shardIndexForUser(user, 4),
      shardIndexForUser(user, 16),
      shardIndexForUser(user, 1024),
    ]);
    expect(pinned).toEqual([
      [3, 15, 527],
      [0, 0, 19],
      [1, 14, 473],
      [0, 0, 151],
      [0, 12, 639],
      [0, 10, 534],
    ]);
  });

  it("every shard index is an integer below the shard count", () => {
    const outOfRange: string[] = [];
    for (let shards = 1; shards <= 32; shards++) {
      for (let user = 1; user <= 500; user++) {
        const index = shardIndexForUser(user * 7_919, shards);
        if (!Number.isInteger(index) || index < 0 || index >= shards) outOfRange.push(`${user}/${shards}: ${index}`);
      }
    }
    expect(outOfRange).toEqual([]);
  });

  it.each([1, 2, 3, 7, 15, 31])(
    "growing from %i shards moves only users to the new shard, about 1/(N+1) of them",
    (shards) => {
      let moved = 0;
      const elsewhere: number[] = [];
      for (let user = 1; user <= USERS; user++) {
        const after = shardIndexForUser(user, shards + 1);
        if (after === shardIndexForUser(user, shards)) continue;
        moved += 1;
        if (after !== shards) elsewhere.push(user);
      }
      expect(elsewhere).toEqual([]);
      const expected = USERS / (shards + 1);
      expect(moved).toBeGreaterThan(0.9 * expected);
      expect(moved).toBeLessThan(1.1 * expected);
    },
  );

  it.each([2, 3, 8, 16])("spreads 20,000 sequential users over %i shards within 10% of even", (shards) => {
    const perShard = new Array<number>(shards).fill(0);
    for (let user = 1; user <= USERS; user++) perShard[shardIndexForUser(user, shards)]! += 1;
    for (const count of perShard) {
      expect(count).toBeGreaterThan(0.9 * (USERS / shards));
      expect(count).toBeLessThan(1.1 * (USERS / shards));
    }
  });
});
