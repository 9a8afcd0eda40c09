import { type FeedFilters, readFeedPage } from "../db/feed-queries";
import type { FeedItemRow } from "../db/schema";
import type { Env } from "../env";
import { InvalidPageError } from "../errors";
import { publicIdOf } from "../shards/ids";
import { type Shard, shardsOf } from "../shards/router";
import { type Cursor, encodeCursor, keysetOn } from "./cursor";
import { type FeedItem, feedItemFrom } from "./feed-item";

export type Pagination =
  | { readonly mode: "page"; readonly page: number | "last"; readonly pageSize: number }
  | { readonly mode: "cursor"; readonly cursor?: Cursor; readonly pageSize: number };

/** Where the next or previous page is: a page number or an opaque cursor. */
export type PageLink = { readonly page: number } | { readonly cursor: string };

export interface FeedListing {
  readonly count: number;
  /** The user's items' version as of this read (the counters'): the listing's ETag. */
  readonly version: number;
  readonly items: FeedItem[];
  readonly next: PageLink | null;
  readonly previous: PageLink | null;
}

/** One page of the user's feed (on their shard), by page number or by cursor. */
export async function listFeed(
  env: Env,
  userId: number,
  filters: FeedFilters,
  pagination: Pagination,
  now: number,
): Promise<FeedListing> {
  const router = await shardsOf(env);
  const shard = await router.forUser(userId);
  return pagination.mode === "page"
    ? listByPageNumber(shard, userId, filters, pagination, now)
    : listByCursor(shard, userId, filters, pagination, router.firstShardOf(userId), now);
}

async function listByPageNumber(
  shard: Shard,
  userId: number,
  filters: FeedFilters,
  { page, pageSize }: Extract<Pagination, { mode: "page" }>,
  now: number,
): Promise<FeedListing> {
  if (page === "last") {
    // The last page needs the count first; the count is cheap (counters).
    const { count } = await readFeedPage(shard, userId, filters, { limit: 0 });
    return listByPageNumber(
      shard,
      userId,
      filters,
      { mode: "page", page: Math.max(1, Math.ceil(count / pageSize)), pageSize },
      now,
    );
  }
  const { rows, count, version } = await readFeedPage(shard, userId, filters, {
    limit: pageSize,
    offset: (page - 1) * pageSize,
  });
  const lastPage = Math.max(1, Math.ceil(count / pageSize));
  // As the original (Django REST framework): page 1 always exists, even empty.
  if (page > lastPage) throw new InvalidPageError();
  return {
    count,
    version,
    items: rows.map((row) => feedItemFrom(row, shard.index, now)),
    next: page < lastPage ? { page: page + 1 } : null,
    previous: page > 1 ? { page: page - 1 } : null,
  };
}

async function listByCursor(
  shard: Shard,
  userId: number,
  filters: FeedFilters,
  { cursor, pageSize }: Extract<Pagination, { mode: "cursor" }>,
  firstShard: number,
  now: number,
): Promise<FeedListing> {
  const readingNewer = cursor?.direction === "newer";
  const keyset = cursor ? keysetOn(cursor, shard.index, firstShard) : undefined;
  // One extra row says whether another page follows in the reading direction.
  const { rows, count, version } = await readFeedPage(shard, userId, filters, {
    limit: pageSize + 1,
    ...(keyset ? (readingNewer ? { newerThan: keyset } : { olderThan: keyset }) : {}),
  });
  const hasMore = rows.length > pageSize;
  const page = rows.slice(0, pageSize);
  if (readingNewer) page.reverse();

  const first = page[0];
  const last = page.at(-1);
  const at = (direction: Cursor["direction"], row: FeedItemRow) => ({
    cursor: encodeCursor({
      direction,
      createdAt: row.createdAt,
      localId: row.id,
      issuedOn: { shard: shard.index, itemId: publicIdOf(shard.index, row) },
    }),
  });
  const olderLink = (hasMore || readingNewer) && last ? at("older", last) : null;
  const newerLink = (readingNewer ? hasMore : cursor !== undefined) && first ? at("newer", first) : null;
  return {
    count,
    version,
    items: page.map((row) => feedItemFrom(row, shard.index, now)),
    next: olderLink,
    previous: newerLink,
  };
}
