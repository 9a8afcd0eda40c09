import type { InboxCounts } from "../db/badge-counts";
import type { FeedItem } from "../feed/feed-item";

/**
 * What the live channel tells a connected user (docs/live.md has the wire
 * protocol). Write paths describe their changes in domain terms; the channel
 * (src/channel/feed-channel.ts) numbers them, logs them and sends them in
 * the API's shapes.
 */

/** The states a change sets, as the item view names them. */
export interface StateChanges {
  readonly isRead?: boolean;
  readonly isSeen?: boolean;
  readonly isArchived?: boolean;
}

/** Every inbox item matching these bounds (a bounded mark_all). */
export interface AllItems {
  readonly types?: readonly string[];
  readonly createdAtOrBefore?: number;
}

export type LiveChange =
  | { readonly type: "item.created"; readonly item: FeedItem }
  | { readonly type: "items.updated"; readonly ids: readonly number[]; readonly changes: StateChanges }
  | { readonly type: "items.updated"; readonly all: AllItems; readonly changes: StateChanges }
  | { readonly type: "items.deleted"; readonly ids: readonly number[] }
  /** Too much changed to describe (a restore): the client refetches. */
  | { readonly type: "reset" };

/** One user's changes of one write, and their counts after it. */
export interface LivePublication {
  readonly userId: number;
  readonly changes: readonly LiveChange[];
  readonly counts: InboxCounts;
}

/** What the channel object offers the Worker (its RPC methods). */
export interface FeedChannelRpc {
  publish(publication: LivePublication): Promise<void>;
  issueTicket(userId: number): Promise<string>;
}

/** How long a ticket from POST live/ticket/ opens the channel (once). */
export const TICKET_TTL_MS = 60_000;

/** The channel object of a user: one per user, named after them. */
export const channelName = (userId: number) => `user:${userId}`;
