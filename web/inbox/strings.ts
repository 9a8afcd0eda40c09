import type { ActivityType } from "../../src/client";

/**
 * Every word the inbox shows, in one table: an app translates it by setting
 * `inbox.strings = { ...overrides }`. Ages and dates come from Intl in the
 * element's `locale`. Text from the feed (titles, descriptions) is shown with
 * `dir="auto"`, so right-to-left titles render right to left in any page.
 */
export interface InboxStrings {
  /** The bell's name, and the panel's heading. */
  readonly title: string;
  /** The bell's accessible name with its count. */
  readonly bellLabel: (count: number, badge: "unread" | "unseen") => string;
  readonly showUnread: string;
  readonly showAll: string;
  readonly show: string;
  readonly typeFilter: string;
  readonly allTypes: string;
  readonly markAllRead: string;
  readonly archive: (title: string) => string;
  readonly unreadMarker: string;
  readonly loading: string;
  readonly emptyUnread: string;
  readonly emptyAll: string;
  readonly failed: string;
  readonly retry: string;
  readonly loadMore: string;
  /** Said by screen readers when an item arrives live. */
  readonly announceNew: (title: string) => string;
  readonly justNow: string;
  /** Activity type names; the feed's own display name where an entry is missing. */
  readonly activityTypes: Partial<Record<ActivityType, string>>;
}

export const ENGLISH: InboxStrings = {
  title: "Notifications",
  bellLabel: (count, badge) => (count === 0 ? "Notifications" : `Notifications, ${count} ${badge}`),
  showUnread: "Unread",
  showAll: "All",
  show: "Show",
  typeFilter: "Type",
  allTypes: "All types",
  markAllRead: "Mark all read",
  archive: (title) => `Archive: ${title}`,
  unreadMarker: "Unread",
  loading: "Loading…",
  emptyUnread: "You're all caught up.",
  emptyAll: "No notifications yet.",
  failed: "Notifications could not be loaded.",
  retry: "Try again",
  loadMore: "Load more",
  announceNew: (title) => `New notification: ${title}`,
  justNow: "just now",
  activityTypes: {},
};
