import { AsyncLocalStorage } from "node:async_hooks";
import { createMiddleware } from "hono/factory";
import { MAX_SHARDS } from "./ids";

/**
 * D1 read replication through the Sessions API (README, "Read replicas"). A
 * request's queries to each shard run in one session of that shard
 * (`withSession`), so reads may be served by the nearest replica while the
 * request still sees its own writes in order. The response carries every
 * used shard's bookmark in `X-D1-Bookmark` (`<shard>:<bookmark>`, comma
 * separated); sent back on the next request, it starts that shard's session
 * at least as fresh as the last one, so a client reads its own writes even
 * when its next request meets another replica.
 *
 * Work outside a request (queue consumer, cron, Durable Objects) finds no
 * request here and uses the bindings as they are (the primary). Local
 * Miniflare has one copy of each database: the same code path, every
 * session on it.
 */

export const BOOKMARK_HEADER = "X-D1-Bookmark";

/** D1 bookmarks are hex groups joined by dashes; anything else a client sends is ignored. */
const BOOKMARK = /^[0-9a-f]+(?:-[0-9a-f]+)*$/i;
/** How many shard bookmarks a request header may carry (one per bound shard at most). */
const MAX_BOOKMARKS = 8;

interface RequestSessions {
  /** The bookmarks the client sent (or a move's, readAtLeast), by shard index. */
  readonly incoming: Map<number, string>;
  /** The sessions this request opened, by shard index. */
  readonly open: Map<number, D1DatabaseSession>;
}

let requests: AsyncLocalStorage<RequestSessions> | undefined;

/** Parses `X-D1-Bookmark`: `<shard>:<bookmark>` pairs; malformed parts are dropped, never trusted. */
export function parseBookmarks(header: string | undefined | null): Map<number, string> {
  const bookmarks = new Map<number, string>();
  if (!header) return bookmarks;
  for (const part of header.split(",").slice(0, MAX_BOOKMARKS)) {
    const [shard, bookmark, ...rest] = part.trim().split(":");
    const index = Number(shard);
    const valid = rest.length === 0 && bookmark && BOOKMARK.test(bookmark) && /^\d+$/.test(shard ?? "");
    if (!valid || index >= MAX_SHARDS) continue;
    bookmarks.set(index, bookmark);
  }
  return bookmarks;
}

export const formatBookmarks = (bookmarks: ReadonlyMap<number, string>): string =>
  [...bookmarks]
    .sort(([a], [b]) => a - b)
    .map(([shard, bookmark]) => `${shard}:${bookmark}`)
    .join(",");

/**
 * Makes this request's session of shard `index`, if it has not started yet,
 * start at least as fresh as `bookmark`: a user a reshard just moved is read
 * on their new shard no older than their copy (src/shards/router.ts).
 */
export function readAtLeast(index: number, bookmark: string): void {
  const request = requests?.getStore();
  if (!request || request.open.has(index)) return;
  const incoming = request.incoming.get(index);
  // Bookmarks of one database sort in commit order.
  if (incoming === undefined || incoming < bookmark) request.incoming.set(index, bookmark);
}

/** The runner of shard `index` now: this request's session of it, or the binding outside a request. */
function runnerFor(binding: D1Database, index: number): D1Database | D1DatabaseSession {
  const request = requests?.getStore();
  if (!request) return binding;
  let session = request.open.get(index);
  if (!session) {
    // Without a bookmark any replica will do; with one, a replica at least that fresh.
    session = binding.withSession(request.incoming.get(index) ?? "first-unconstrained");
    request.open.set(index, session);
  }
  return session;
}

/**
 * A shard binding whose statements run in the current request's session of
 * it. A statement is prepared on the runner that will batch it.
 */
export function sessionAwareD1(binding: D1Database, index: number): D1Database {
  return {
    prepare: (query: string) => runnerFor(binding, index).prepare(query),
    batch: <T = unknown>(statements: D1PreparedStatement[]) => runnerFor(binding, index).batch<T>(statements),
    exec: (query: string) => binding.exec(query),
    withSession: (constraint?: D1SessionBookmark | D1SessionConstraint) => binding.withSession(constraint),
    dump: () => binding.dump(),
  } as D1Database;
}

/** Runs the request's D1 work in sessions started from its bookmarks, and answers the new ones. */
export const d1Sessions = createMiddleware(async (c, next) => {
  requests ??= new AsyncLocalStorage<RequestSessions>();
  const request: RequestSessions = { incoming: parseBookmarks(c.req.header(BOOKMARK_HEADER)), open: new Map() };
  await requests.run(request, next);
  const bookmarks = new Map<number, string>();
  for (const [index, session] of request.open) {
    const bookmark = session.getBookmark();
    if (bookmark) bookmarks.set(index, bookmark);
  }
  // Shards this request did not touch keep the bookmark the client had: it stays as fresh as it was.
  for (const [index, bookmark] of request.incoming) if (!bookmarks.has(index)) bookmarks.set(index, bookmark);
  // c.header copies a finished response: once, after the handler.
  if (bookmarks.size > 0) c.header(BOOKMARK_HEADER, formatBookmarks(bookmarks));
});

/** The primary's bookmark now: a session that starts from it sees every write committed so far. */
export async function primaryBookmark(d1: D1Database): Promise<string | null> {
  const session = d1.withSession("first-primary");
  await session.prepare("SELECT 1").run();
  return session.getBookmark();
}
