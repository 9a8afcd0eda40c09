import { describe, expect, it } from "vitest";
import { fromPublicId, MAX_SHARDS, toPublicId } from "../../src/shards/ids";

/** The largest local id whose public id is still a safe integer on every shard. */
const MAX_LOCAL_ID = 2 ** 43 - 1;

describe("public item ids", () => {
  it("split back into the shard and local id they were made from", () => {
    for (const shardIndex of [0, 1, 3, 511, MAX_SHARDS - 1]) {
      for (const localId of [1, 2, 1_000, 123_456_789, MAX_LOCAL_ID]) {
        const publicId = toPublicId(shardIndex, localId);
        expect(Number.isSafeInteger(publicId)).toBe(true);
        expect(fromPublicId(publicId)).toEqual({ shardIndex, localId });
      }
    }
  });

  it("the last shard's largest local id is the largest safe integer", () => {
    expect(toPublicId(MAX_SHARDS - 1, MAX_LOCAL_ID)).toBe(Number.MAX_SAFE_INTEGER);
  });

  it.each([0, -1, 1.5, Number.NaN, MAX_LOCAL_ID + 1])("local id %s is refused with a RangeError", (localId) => {
    expect(() => toPublicId(0, localId)).toThrow(RangeError);
  });

  it("numbers below MAX_SHARDS are not item ids: every local id is at least 1", () => {
    for (const publicId of [0, 1, 7, MAX_SHARDS - 1]) expect(fromPublicId(publicId)).toBeUndefined();
    expect(fromPublicId(MAX_SHARDS)).toEqual({ shardIndex: 0, localId: 1 });
  });

  it.each([-MAX_SHARDS, 2048.5, Number.MAX_SAFE_INTEGER + 1, Number.NaN, Number.POSITIVE_INFINITY])(
    "%s is not an item id",
    (publicId) => {
      expect(fromPublicId(publicId)).toBeUndefined();
    },
  );
});
