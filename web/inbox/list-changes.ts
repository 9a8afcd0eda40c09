import type { FeedItem, LiveMessage } from "../../src/client";

/**
 * How the inbox's list follows the live channel: which new items belong in
 * it as it is filtered, and what a change of states does to the items shown.
 * Items read while shown stay in an unread-only list (they do not vanish
 * under the reader's pointer) until it is reloaded.
 */

export interface ListView {
  readonly unreadOnly: boolean;
  /** Only these types, or all. */
  readonly activityType: string | undefined;
}

type Update = Extract<LiveMessage, { type: "items.updated" }>;

export function belongsIn(view: ListView, item: FeedItem): boolean {
  if (item.is_archived) return false;
  if (view.unreadOnly && item.is_read) return false;
  return view.activityType === undefined || item.activity_type === view.activityType;
}

function touches(update: Update, item: FeedItem): boolean {
  if ("ids" in update) return update.ids.includes(item.id);
  if (item.is_archived) return false; // mark_all acts on the inbox
  if (update.activity_types && !update.activity_types.includes(item.activity_type)) return false;
  return update.before === undefined || Date.parse(item.created_at) <= Date.parse(update.before);
}

/**
 * The items after a change of states; `reload` when items that are not shown
 * may now belong in the list (unarchived, or marked unread in an unread-only list).
 */
export function applyUpdate(view: ListView, items: readonly FeedItem[], update: Update) {
  const next: FeedItem[] = [];
  for (const item of items) {
    if (!touches(update, item)) {
      next.push(item);
      continue;
    }
    const changed = { ...item, ...update.changes };
    if (!changed.is_archived) next.push(changed);
  }
  const shown = new Set(items.map((item) => item.id));
  const mayAppear = update.changes.is_archived === false || (view.unreadOnly && update.changes.is_read === false);
  const reload = mayAppear && ("ids" in update ? update.ids.some((id) => !shown.has(id)) : true);
  return { items: next, reload };
}

export function withoutIds(items: readonly FeedItem[], ids: readonly number[]): FeedItem[] {
  const gone = new Set(ids);
  return items.filter((item) => !gone.has(item.id));
}
