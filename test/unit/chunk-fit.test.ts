import { describe, expect, it } from "vitest";
import { type OwnedRow, prefixWithin, prefixWithinOwners } from "../../src/retention/chunk-fit";

describe("prefixWithin", () => {
  it("takes sizes while their total stays within the budget, and says the total", () => {
    expect(prefixWithin([3, 4, 5], 8)).toEqual({ count: 2, total: 7 });
  });

  it("a total exactly at the budget still fits; one more unit does not", () => {
    expect(prefixWithin([3, 4, 5], 12)).toEqual({ count: 3, total: 12 });
    expect(prefixWithin([3, 4, 5], 11)).toEqual({ count: 2, total: 7 });
    expect(prefixWithin([3, 4, 5], 7)).toEqual({ count: 2, total: 7 });
    expect(prefixWithin([3, 4, 5], 6)).toEqual({ count: 1, total: 3 });
  });

  it("a first size larger than the whole budget is taken alone, so a chunk always moves on", () => {
    expect(prefixWithin([50, 1, 1], 10)).toEqual({ count: 1, total: 50 });
    expect(prefixWithin([50], 0)).toEqual({ count: 1, total: 50 });
  });

  it("no sizes take nothing", () => {
    expect(prefixWithin([], 10)).toEqual({ count: 0, total: 0 });
  });
});

describe("prefixWithinOwners", () => {
  const unread = (userId: number, tag = "") => ({ userId, isRead: false, tag });
  const read = (userId: number, tag = "") => ({ userId, isRead: true, tag });
  const everyone = () => true;
  const tags = (rows: (OwnedRow & { tag: string })[]) => rows.map((row) => row.tag);

  it("stops before the first unread row of one owner too many", () => {
    const rows = [unread(1, "a"), unread(2, "b"), unread(3, "c"), unread(4, "d")];
    expect(tags(prefixWithinOwners(rows, 2, everyone))).toEqual(["a", "b"]);
  });

  it("exactly max owners keep every row", () => {
    const rows = [unread(1, "a"), unread(2, "b"), unread(1, "c")];
    expect(tags(prefixWithinOwners(rows, 2, everyone))).toEqual(["a", "b", "c"]);
  });

  it("counts an owner once however many unread rows they have", () => {
    const rows = [unread(1, "a"), unread(1, "b"), unread(2, "c"), unread(1, "d"), unread(2, "e"), unread(3, "f")];
    expect(tags(prefixWithinOwners(rows, 2, everyone))).toEqual(["a", "b", "c", "d", "e"]);
  });

  it("read rows do not count their owner, wherever they stand", () => {
    const rows = [unread(1, "a"), read(2, "b"), read(3, "c"), unread(1, "d"), unread(4, "e"), read(5, "f")];
    expect(tags(prefixWithinOwners(rows, 1, everyone))).toEqual(["a", "b", "c", "d"]);
  });

  it("owners the predicate does not count never cut the prefix", () => {
    const cached = new Set([10, 20, 30]);
    const rows = [unread(1, "a"), unread(10, "b"), unread(2, "c"), unread(3, "d"), unread(20, "e"), unread(30, "f")];
    expect(tags(prefixWithinOwners(rows, 2, (userId) => cached.has(userId)))).toEqual(["a", "b", "c", "d", "e"]);
  });
});
