import { describe, expect, it } from "vitest";
import { InvalidInputError, InvalidPageError } from "../../src/errors";
import { type Cursor, encodeCursor } from "../../src/feed/cursor";
import type { FeedItem } from "../../src/feed/feed-item";
import { FeedQuerySchema } from "../../src/schemas/feed";
import { feedItemWire, paginationFrom } from "../../src/wire/feed";

/** The pagination of a listing query, given its raw parameters. */
const paginationOf = (params: Record<string, string>) => paginationFrom(FeedQuerySchema.parse(params));

// test/validation.test.ts covers page=0, -1, abc, 1.5 and an empty page over HTTP.
describe("paginationFrom", () => {
  it.each([
    [{}, 1],
    [{ page: "2" }, 2],
    [{ page: " " }, 1],
    [{ page: " 3 " }, 3],
    [{ page: "007" }, 7],
    [{ page: "999999999" }, 999_999_999],
  ])("%j asks for page %s of 20 items", (params, page) => {
    expect(paginationOf(params)).toStrictEqual({ mode: "page", page, pageSize: 20 });
  });

  it("page=last asks for the last page, with the page size asked for", () => {
    expect(paginationOf({ page: "last", page_size: "5" })).toStrictEqual({ mode: "page", page: "last", pageSize: 5 });
  });

  it.each(["1234567890", "1e3", "+2", "0x10", "2 3", "LAST", "first"])("page=%s is Invalid page.", (page) => {
    expect(() => paginationOf({ page })).toThrow(InvalidPageError);
  });

  it("a cursor is decoded, and wins over page and pagination=page", () => {
    const cursor: Cursor = { direction: "newer", createdAt: 1_705_314_600_000, localId: 42 };
    const params = { cursor: encodeCursor(cursor), page: "3", pagination: "page", page_size: "7" };
    expect(paginationOf(params)).toStrictEqual({ mode: "cursor", cursor, pageSize: 7 });
  });

  it("pagination=cursor without a cursor starts from the newest item", () => {
    expect(paginationOf({ pagination: "cursor" })).toStrictEqual({ mode: "cursor", pageSize: 20 });
  });

  it("a forged cursor is an input error on the cursor field", () => {
    const forged = btoa("o.1705314600000.x").replaceAll("=", "");
    expect(() => paginationOf({ cursor: forged })).toThrow(
      expect.objectContaining({ constructor: InvalidInputError, field: "cursor", message: "Invalid cursor." }),
    );
  });
});

describe("feedItemWire", () => {
  const item: FeedItem = {
    id: 1025,
    activityType: "fast_join",
    activityTypeDisplay: "Joined Fast",
    title: "Joined Great Lent",
    description: "Joined Great Lent",
    isRead: true,
    readAt: Date.UTC(2024, 0, 16, 8, 0, 0, 5),
    createdAt: Date.UTC(2024, 0, 15, 10, 30),
    ageDisplay: "1d ago",
    data: { fast_id: 3 },
    targetType: "hub.fast",
    targetId: 3,
    targetThumbnail: "https://cdn.example.org/fasts/3.jpg",
    isSeen: true,
    seenAt: Date.UTC(2024, 0, 16, 7, 59),
    isArchived: false,
    archivedAt: null,
  };

  it("names every field in snake_case and gives times as ISO UTC with milliseconds", () => {
    expect(feedItemWire(item)).toStrictEqual({
      id: 1025,
      activity_type: "fast_join",
      activity_type_display: "Joined Fast",
      title: "Joined Great Lent",
      description: "Joined Great Lent",
      is_read: true,
      read_at: "2024-01-16T08:00:00.005Z",
      created_at: "2024-01-15T10:30:00.000Z",
      age_display: "1d ago",
      data: { fast_id: 3 },
      target_type: "hub.fast",
      target_id: 3,
      target_thumbnail: "https://cdn.example.org/fasts/3.jpg",
      is_seen: true,
      seen_at: "2024-01-16T07:59:00.000Z",
      is_archived: false,
      archived_at: null,
    });
  });

  it("an unread item's read_at is null, not the epoch", () => {
    expect(feedItemWire({ ...item, isRead: false, readAt: null }).read_at).toBeNull();
  });

  it("an archived item gives its archived_at; an unseen one a null seen_at", () => {
    const wire = feedItemWire({
      ...item,
      isSeen: false,
      seenAt: null,
      isArchived: true,
      archivedAt: Date.UTC(2024, 1, 1),
    });
    expect(wire).toMatchObject({
      is_seen: false,
      seen_at: null,
      is_archived: true,
      archived_at: "2024-02-01T00:00:00.000Z",
    });
  });
});
