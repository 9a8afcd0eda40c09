import type { z } from "@hono/zod-openapi";
import type { InboxCounts } from "../db/badge-counts";
import type { LiveChange, StateChanges } from "../live/changes";
import { isoTime } from "../platform/time";
import type { LiveCountsSchema, LiveMessageSchema } from "../schemas/live";
import { feedItemWire } from "./feed";

/** The live channel's messages in the API's shapes (docs/live.md, src/schemas/live.ts). */

type LiveMessage = z.output<typeof LiveMessageSchema>;

export const liveCountsWire = (counts: InboxCounts): z.output<typeof LiveCountsSchema> => ({
  unread_count: counts.unread,
  unseen_count: counts.unseen,
  total_items: counts.total,
});

function changesWire(changes: StateChanges) {
  return {
    ...(changes.isRead !== undefined ? { is_read: changes.isRead } : {}),
    ...(changes.isSeen !== undefined ? { is_seen: changes.isSeen } : {}),
    ...(changes.isArchived !== undefined ? { is_archived: changes.isArchived } : {}),
  };
}

/** One change as the message a client receives, numbered `seq`. */
export function liveMessageWire(change: LiveChange, seq: number, counts: InboxCounts): LiveMessage {
  const base = { seq, counts: liveCountsWire(counts) };
  switch (change.type) {
    case "item.created":
      return { type: change.type, ...base, item: feedItemWire(change.item) };
    case "items.updated":
      if ("all" in change) {
        const bounds = {
          ...(change.all.types ? { activity_types: [...change.all.types] } : {}),
          ...(change.all.createdAtOrBefore !== undefined ? { before: isoTime(change.all.createdAtOrBefore) } : {}),
        };
        return { type: change.type, ...base, all: true as const, ...bounds, changes: changesWire(change.changes) };
      }
      return { type: change.type, ...base, ids: [...change.ids], changes: changesWire(change.changes) };
    case "items.deleted":
      return { type: change.type, ...base, ids: [...change.ids] };
    case "reset":
      return { type: change.type, ...base };
  }
}

export const helloWire = (seq: number, counts: InboxCounts): LiveMessage => ({
  type: "hello" as const,
  seq,
  counts: liveCountsWire(counts),
});
