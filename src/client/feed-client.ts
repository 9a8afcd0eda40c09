import { connectLive, type LiveConnection, type LiveOptions } from "./live";
import { createTransport, queryString, type Transport, type TransportOptions } from "./transport";
import type {
  BulkActionBody,
  FeedPage,
  FeedSummary,
  ItemActionResult,
  ItemSelection,
  ListFilters,
  LiveTicket,
  Preferences,
  UnreadCount,
} from "./types";

export const FEED_PATH = "/api/events/activity-feed";

export interface FeedClientOptions extends TransportOptions, Pick<LiveOptions, "openSocket"> {}

export interface FeedClient {
  /** One page of the caller's items, newest first (page or cursor pagination, as the filters say). */
  list(filters?: ListFilters): Promise<FeedPage>;
  /** Every page, by cursor: never skips or repeats an item, even while new ones arrive. */
  pages(filters?: Omit<ListFilters, "page" | "pagination">): AsyncGenerator<FeedPage, void, undefined>;
  summary(): Promise<FeedSummary>;
  /** The badge. Polling is cheap: the last answer's ETag goes along, and a 304 returns that answer. */
  unreadCount(): Promise<UnreadCount>;
  markRead(items: ItemSelection, options?: ActionOptions): Promise<ItemActionResult>;
  markSeen(items: ItemSelection, options?: ActionOptions): Promise<ItemActionResult>;
  markUnread(ids: readonly number[], options?: ActionOptions): Promise<ItemActionResult>;
  archive(items: ItemSelection, options?: ActionOptions): Promise<ItemActionResult>;
  unarchive(ids: readonly number[], options?: ActionOptions): Promise<ItemActionResult>;
  readonly preferences: {
    get(): Promise<Preferences>;
    set(preferences: Preferences): Promise<Preferences>;
  };
  /** A single-use ticket that opens the live channel (browsers cannot send headers on a WebSocket). */
  liveTicket(): Promise<LiveTicket>;
  /** Follows the caller's live channel: see src/client/live.ts. */
  live(options: Omit<LiveOptions, "openSocket">): LiveConnection;
}

export interface ActionOptions {
  /** Let the request outlive the page: a click that marks an item read, then navigates. */
  readonly keepalive?: boolean;
}

/** An action's body on the wire. */
function selectionBody(items: ItemSelection): BulkActionBody {
  if (isIdList(items)) return { activity_ids: [...items] };
  const before = items.before instanceof Date ? items.before.toISOString() : items.before;
  return {
    mark_all: true,
    ...(before !== undefined ? { before } : {}),
    ...(items.activityTypes !== undefined ? { activity_type: [...items.activityTypes] } : {}),
  };
}

const isIdList = (items: ItemSelection): items is readonly number[] => Array.isArray(items);

/** The query of a next/previous link, which keeps the request's filters. */
const linkQuery = (link: string) => link.slice(link.indexOf("?"));

/**
 * A client of the feed API for one user.
 *
 * @example
 * const feed = createFeedClient({ baseUrl: "https://feed.example.org", getToken: () => session.token() });
 * const { results } = await feed.list({ is_read: false, page_size: 5 });
 * await feed.markRead({ all: true, before: loadedAt });
 */
export function createFeedClient(options: FeedClientOptions): FeedClient {
  const transport: Transport = createTransport(options);
  const get = async <T>(path: string) => (await transport.request<T>("GET", path)).body;
  const action = async (name: string, body: unknown, actionOptions: ActionOptions = {}) =>
    (await transport.request<ItemActionResult>("POST", `${FEED_PATH}/${name}/`, { body, ...actionOptions })).body;
  let badge: { etag: string; value: UnreadCount } | undefined;

  const client: FeedClient = {
    list: (filters = {}) => get<FeedPage>(`${FEED_PATH}/${queryString(filters)}`),

    async *pages(filters = {}) {
      const first = filters.cursor === undefined ? { ...filters, pagination: "cursor" as const } : filters;
      let page = await client.list(first);
      yield page;
      while (page.next) {
        page = await get<FeedPage>(`${FEED_PATH}/${linkQuery(page.next)}`);
        yield page;
      }
    },

    summary: () => get<FeedSummary>(`${FEED_PATH}/summary/`),

    async unreadCount() {
      const response = await transport.request<UnreadCount>("GET", `${FEED_PATH}/unread-count/`, {
        headers: badge ? { "If-None-Match": badge.etag } : {},
        notModified: true,
      });
      if (response.status === 304 && badge) return badge.value;
      const etag = response.headers.get("ETag");
      badge = etag ? { etag, value: response.body } : undefined;
      return response.body;
    },

    markRead: (items, actionOptions) => action("mark-read", selectionBody(items), actionOptions),
    markSeen: (items, actionOptions) => action("mark-seen", selectionBody(items), actionOptions),
    markUnread: (ids, actionOptions) => action("mark-unread", { activity_ids: [...ids] }, actionOptions),
    archive: (items, actionOptions) => action("archive", selectionBody(items), actionOptions),
    unarchive: (ids, actionOptions) => action("unarchive", { activity_ids: [...ids] }, actionOptions),

    preferences: {
      get: () => get<Preferences>(`${FEED_PATH}/preferences/`),
      set: async (preferences) =>
        (await transport.request<Preferences>("PUT", `${FEED_PATH}/preferences/`, { body: preferences })).body,
    },

    liveTicket: async () => (await transport.request<LiveTicket>("POST", `${FEED_PATH}/live/ticket/`)).body,

    live: (liveOptions) =>
      connectLive({
        ...liveOptions,
        ...(options.openSocket ? { openSocket: options.openSocket } : {}),
        baseUrl: transport.baseUrl,
        ticket: client.liveTicket,
        unreadCount: client.unreadCount,
      }),
  };
  return client;
}
