import { describe, expect, it } from "vitest";
import type { FeedItem, LiveMessage } from "../../src/client";
import { applyUpdate, belongsIn, withoutIds } from "../../web/inbox/list-changes";
import { relativeAge } from "../../web/inbox/relative-age";

const item = (id: number, extra: Partial<FeedItem> = {}): FeedItem => ({
  id,
  activity_type: "fast_start",
  activity_type_display: "Fast Started",
  title: `Item ${id}`,
  description: "",
  is_read: false,
  read_at: null,
  is_seen: false,
  seen_at: null,
  is_archived: false,
  archived_at: null,
  created_at: new Date(Date.UTC(2026, 10, id)).toISOString(),
  age_display: "",
  data: {},
  target_type: null,
  target_id: null,
  target_thumbnail: null,
  ...extra,
});
const counts = { unread_count: 0, unseen_count: 0, total_items: 0 };
type Update = Extract<LiveMessage, { type: "items.updated" }>;
const byIds = (ids: number[], changes: Update["changes"]): Update => ({
  type: "items.updated",
  seq: 1,
  counts,
  ids,
  changes,
});
const unreadOnly = { unreadOnly: true, activityType: undefined };

describe("the inbox's list under live changes", () => {
  it("takes a new item only where the list's filters would show it", () => {
    expect(belongsIn(unreadOnly, item(1))).toBe(true);
    expect(belongsIn(unreadOnly, item(1, { is_read: true }))).toBe(false);
    expect(belongsIn({ unreadOnly: false, activityType: "milestone" }, item(1))).toBe(false);
    expect(belongsIn({ unreadOnly: false, activityType: undefined }, item(1, { is_archived: true }))).toBe(false);
  });

  it("keeps an item read while shown, and drops an archived one", () => {
    const items = [item(1), item(2)];
    const read = applyUpdate(unreadOnly, items, byIds([1], { is_read: true, is_seen: true }));
    expect(read.items.map((shown) => [shown.id, shown.is_read])).toEqual([
      [1, true],
      [2, false],
    ]);
    expect(read.reload).toBe(false);
    expect(applyUpdate(unreadOnly, items, byIds([2], { is_archived: true })).items.map((shown) => shown.id)).toEqual([
      1,
    ]);
  });

  it("marks all within the bounds of a mark_all only: types and before", () => {
    const items = [item(1), item(5), item(9, { activity_type: "milestone" })];
    const update: Update = {
      type: "items.updated",
      seq: 2,
      counts,
      all: true,
      activity_types: ["fast_start"],
      before: item(5).created_at,
      changes: { is_read: true },
    };
    expect(applyUpdate(unreadOnly, items, update).items.map((shown) => shown.is_read)).toEqual([true, true, false]);
  });

  it("asks for a reload when an item it does not show may belong in it now", () => {
    const items = [item(1)];
    expect(applyUpdate(unreadOnly, items, byIds([7], { is_archived: false })).reload).toBe(true);
    expect(applyUpdate(unreadOnly, items, byIds([7], { is_read: false })).reload).toBe(true);
    expect(
      applyUpdate({ unreadOnly: false, activityType: undefined }, items, byIds([1], { is_read: false })).reload,
    ).toBe(false);
  });

  it("removes deleted items", () => {
    expect(withoutIds([item(1), item(2), item(3)], [2, 9]).map((shown) => shown.id)).toEqual([1, 3]);
  });
});

describe("relative ages", () => {
  const now = Date.UTC(2026, 10, 20, 12, 0, 0);
  const ago = (ms: number) => relativeAge(now - ms, now, "en-US", "just now");

  it("say just now, then minutes, hours, days and weeks, in the reader's language", () => {
    expect(ago(30_000)).toBe("just now");
    expect(ago(5 * 60_000)).toBe("5 min. ago");
    expect(ago(2 * 3_600_000)).toBe("2 hr. ago");
    expect(ago(86_400_000)).toBe("yesterday");
    expect(ago(3 * 86_400_000)).toBe("3 days ago");
    expect(ago(14 * 86_400_000)).toBe("2 wk. ago");
    expect(relativeAge(now - 3 * 86_400_000, now, "ar", "الآن")).not.toBe("3 days ago");
  });

  it("give the date past five weeks, with the year when it is another", () => {
    expect(ago(40 * 86_400_000)).toMatch(/^Oct 1[01]$/);
    expect(relativeAge(Date.UTC(2025, 0, 15, 12), now, "en-US", "just now")).toBe("Jan 15, 2025");
  });
});
