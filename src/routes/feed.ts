import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { listFeed, type PageLink } from "../feed/list-feed";
import { feedSummary, feedVersion, readBadge } from "../feed/summary";
import type { AppEnv } from "../http/app-env";
import { etagOf, listingEtag, matchesIfNoneMatch, notModified } from "../http/etag";
import { bearerAuth, jsonResponse, userCall } from "../http/route-parts";
import { authErrorResponses, ErrorDetailSchema, errorResponses } from "../schemas/common";
import { FeedPageSchema, FeedQuerySchema, FeedSummarySchema, UnreadCountSchema } from "../schemas/feed";
import { feedFiltersFrom, feedItemWire, feedSummaryWire, paginationFrom } from "../wire/feed";

const FEED_PATH = "/api/events/activity-feed";

const ETAG_HEADER = {
  ETag: { description: "Send it back as If-None-Match to get 304 while nothing changed", schema: { type: "string" } },
} as const;
const NOT_MODIFIED = { description: "Nothing changed since the ETag in If-None-Match (no body)" };

const listRoute = createRoute({
  method: "get",
  path: FEED_PATH,
  tags: ["Feed"],
  summary: "The caller's feed items, newest first",
  security: bearerAuth,
  middleware: userCall(),
  request: { query: FeedQuerySchema },
  responses: {
    200: { ...jsonResponse("One page of items", FeedPageSchema), headers: ETAG_HEADER },
    304: NOT_MODIFIED,
    ...errorResponses,
    404: jsonResponse("The page does not exist (`Invalid page.`)", ErrorDetailSchema),
  },
});

const summaryRoute = createRoute({
  method: "get",
  path: `${FEED_PATH}/summary`,
  tags: ["Feed"],
  summary: "Totals per status and type, and the 5 newest items",
  security: bearerAuth,
  middleware: userCall(),
  responses: {
    200: { ...jsonResponse("Summary", FeedSummarySchema), headers: ETAG_HEADER },
    304: NOT_MODIFIED,
    ...authErrorResponses,
  },
});

const unreadCountRoute = createRoute({
  method: "get",
  path: `${FEED_PATH}/unread-count`,
  tags: ["Feed"],
  summary: "The caller's unread and unseen counts (the badge), served from the edge cache",
  security: bearerAuth,
  middleware: userCall(),
  responses: {
    200: {
      ...jsonResponse("Unread count", UnreadCountSchema),
      headers: {
        ...ETAG_HEADER,
        "X-Cache": {
          description: "`hit`: served from the KV cache; `miss`: read from D1 (and cached)",
          schema: { type: "string", enum: ["hit", "miss"] },
        },
      },
    },
    304: NOT_MODIFIED,
    ...authErrorResponses,
  },
});

/** next/previous as absolute URLs that keep every filter of this request. */
function linkUrl(requestUrl: string, link: PageLink | null): string | null {
  if (!link) return null;
  const url = new URL(requestUrl);
  if ("cursor" in link) {
    url.searchParams.delete("page");
    url.searchParams.delete("pagination");
    url.searchParams.set("cursor", link.cursor);
  } else if (link.page === 1) {
    url.searchParams.delete("page");
  } else {
    url.searchParams.set("page", String(link.page));
  }
  return url.toString();
}

/** Answers may be kept and must be revalidated: If-None-Match with their ETag gets 304. */
const REVALIDATE = { "Cache-Control": "private, no-cache" };

export function registerFeedRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(listRoute, async (c) => {
    const query = c.req.valid("query");
    const pagination = paginationFrom(query);
    const { userId } = c.var.principal;
    const search = new URL(c.req.url).search;
    if (c.req.header("If-None-Match")) {
      const etag = listingEtag(await feedVersion(c.env, userId), search);
      if (matchesIfNoneMatch(c, etag)) return notModified(c, etag, REVALIDATE) as never;
    }
    const listing = await listFeed(c.env, userId, feedFiltersFrom(query), pagination, Date.now());
    return c.json(
      {
        count: listing.count,
        next: linkUrl(c.req.url, listing.next),
        previous: linkUrl(c.req.url, listing.previous),
        results: listing.items.map(feedItemWire),
      },
      200,
      { ETag: listingEtag(listing.version, search), ...REVALIDATE },
    );
  });

  app.openapi(summaryRoute, async (c) => {
    const { userId } = c.var.principal;
    if (c.req.header("If-None-Match")) {
      const etag = etagOf("s", await feedVersion(c.env, userId));
      if (matchesIfNoneMatch(c, etag)) return notModified(c, etag, REVALIDATE) as never;
    }
    const summary = await feedSummary(c.env, userId, Date.now());
    return c.json(feedSummaryWire(summary), 200, { ETag: etagOf("s", summary.version), ...REVALIDATE });
  });

  app.openapi(unreadCountRoute, async (c) => {
    const { badge, cached } = await readBadge(c.env, c.var.config, c.var.principal.userId);
    // The badge's own counts are its tag: a cache hit answers 304 without D1.
    const etag = etagOf("b", badge.unread, badge.unseen);
    const headers = { ETag: etag, "X-Cache": cached ? "hit" : "miss", "Cache-Control": "private, no-store" };
    if (matchesIfNoneMatch(c, etag)) return notModified(c, etag, headers) as never;
    return c.json({ unread_count: badge.unread, unseen_count: badge.unseen }, 200, headers);
  });
}
