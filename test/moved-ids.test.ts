import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeCursor } from "../src/feed/cursor";
import { shardIndexForUser } from "../src/shards/jump-hash";
import { FEED, follow, type Item, ids, list, seed } from "./support/feed";
import { asUser, freshUser } from "./support/http";
import { copyItemsByHand, deleteItemsByHand, moverFrom, routeOver, shardBinding } from "./support/moves";

/**
 * Ids and cursors of a user whose rows moved to a new shard. The move is
 * made by hand here, as the reshard job leaves it (rows copied in
 * (created_at, id) order with their public ids kept, the old ones deleted,
 * the routing at 5 shards), so that these tests check the id and cursor
 * rules alone; test/reshard.test.ts moves users with the job itself.
 */

describe("ids and cursors survive a move to a new shard", () => {
  let user: number;
  let from: number;
  /** The user's items before the move, newest first. */
  let before: Item[];
  /** The links of a walk by cursor, two items a page, taken before the move. */
  let cursorPages: { next: string | null; results: number[] }[];

  beforeAll(async () => {
    user = moverFrom(freshUser());
    from = shardIndexForUser(user, 4);
    const specs: Record<string, { type: string; at: string; read?: boolean }> = {};
    for (let index = 0; index < 9; index++)
      specs[`item${index}`] = {
        type: index % 2 ? "fast_join" : "milestone",
        // Two items share each millisecond: the order between them is the id's.
        at: new Date(Date.UTC(2026, 5, 1 + Math.floor(index / 2))).toISOString(),
        read: index < 3,
      };
    await seed(user, specs);
    before = (await list(user, { page_size: "100" })).results;
    cursorPages = [];
    let page = await list(user, { pagination: "cursor", page_size: "2" });
    cursorPages.push({ next: page.next, results: ids(page) });
    while (page.next) {
      page = await follow(user, page.next);
      cursorPages.push({ next: page.next, results: ids(page) });
    }
    await copyItemsByHand(user, from, shardIndexForUser(user, 5));
    await deleteItemsByHand(user, from);
    await routeOver(5);
  });

  afterAll(() => routeOver(null));

  it("the list shows the same items with the same ids, in the same order", async () => {
    const after = (await list(user, { page_size: "100" })).results;
    expect(after.map((item) => [item.id, item.title, item.is_read])).toEqual(
      before.map((item) => [item.id, item.title, item.is_read]),
    );
  });

  it("mark-read and mark-unread by an id from before the move change that item and count it", async () => {
    const unread = before.filter((item) => !item.is_read).map((item) => item.id);
    const marked = await asUser(user, "POST", `${FEED}mark-read/`, { activity_ids: [unread[0], unread[1]] });
    expect(marked.body).toEqual({ message: "Marked 2 items as read", updated_count: 2 });
    const again = await asUser(user, "POST", `${FEED}mark-unread/`, { activity_ids: [unread[0], unread[1]] });
    expect(again.body.updated_count).toBe(2);
    const summary = await asUser(user, "GET", `${FEED}summary/`);
    expect(summary.body.unread_count).toBe(unread.length);
  });

  it("another user cannot change a moved item by its id", async () => {
    const other = freshUser();
    const marked = await asUser(other, "POST", `${FEED}mark-read/`, { activity_ids: [before[0]!.id] });
    expect(marked.body.updated_count).toBe(0);
  });

  it("a cursor taken before the move continues the walk exactly where it was", async () => {
    for (let index = 0; index + 1 < cursorPages.length; index++) {
      const page = await follow(user, cursorPages[index]!.next!);
      expect(ids(page), `page ${index + 2}`).toEqual(cursorPages[index + 1]!.results);
    }
  });

  it("a cursor from before reshards existed (local id only) still pages", async () => {
    const boundary = before[3]!;
    const legacy = encodeCursor({
      direction: "older",
      createdAt: Date.parse(boundary.created_at),
      localId: Math.floor(boundary.id / 1024),
    });
    const page = await list(user, { cursor: legacy, page_size: "3" });
    expect(ids(page)).toEqual(before.slice(4, 7).map((item) => item.id));
  });

  it("a cursor whose item was deleted since repeats items of its millisecond rather than skip any", async () => {
    // before[1] and before[2] share a millisecond; the cursor sits after before[2].
    const boundary = before[2]!;
    const cursor = encodeCursor({
      direction: "older",
      createdAt: Date.parse(boundary.created_at),
      localId: Math.floor(boundary.id / 1024),
      issuedOn: { shard: from, itemId: boundary.id },
    });
    await shardBinding(shardIndexForUser(user, 5))
      .prepare("DELETE FROM feed_items WHERE user_id = ?1 AND public_id = ?2")
      .bind(user, boundary.id)
      .run();
    const page = await list(user, { cursor, page_size: "3" });
    // before[1] again (already shown), then on without a gap.
    expect(ids(page)).toEqual([before[1]!.id, before[3]!.id, before[4]!.id]);
  });
});
