import { z } from "@hono/zod-openapi";
import { FeedItemSchema } from "./feed";

/**
 * The live channel's contract (docs/live.md): the ticket a browser opens it
 * with, and every message it sends. src/wire/live.ts makes the messages in
 * these shapes; the typed client (src/client) reads them by the same types.
 */

export const LiveTicketSchema = z
  .object({
    ticket: z.string().openapi({ description: "Pass as `?ticket=` when opening the channel; single use." }),
    expires_in: z.number().int().openapi({ description: "Seconds the ticket stays valid", example: 60 }),
  })
  .openapi("LiveTicket");

export const LiveCountsSchema = z
  .object({ unread_count: z.number().int(), unseen_count: z.number().int(), total_items: z.number().int() })
  .openapi("LiveCounts", { description: "The inbox's counts after the change (archived items left out)." });

const numbered = { seq: z.number().int(), counts: LiveCountsSchema };

const StateChangesSchema = z.object({
  is_read: z.boolean().optional(),
  is_seen: z.boolean().optional(),
  is_archived: z.boolean().optional(),
});

export const LiveMessageSchema = z
  .union([
    z.object({ type: z.literal("hello"), ...numbered }),
    z.object({ type: z.literal("item.created"), ...numbered, item: FeedItemSchema }),
    z.object({
      type: z.literal("items.updated"),
      ...numbered,
      ids: z.array(z.number().int()),
      changes: StateChangesSchema,
    }),
    z.object({
      type: z.literal("items.updated"),
      ...numbered,
      all: z.literal(true),
      activity_types: z.array(z.string()).optional(),
      before: z.string().optional().openapi({ format: "date-time" }),
      changes: StateChangesSchema,
    }),
    z.object({ type: z.literal("items.deleted"), ...numbered, ids: z.array(z.number().int()) }),
    z.object({ type: z.literal("reset"), ...numbered }),
  ])
  .openapi("LiveMessage", {
    description:
      "A message of the live channel, numbered by the user's `seq`: `hello` first, then changes; `reset` means refetch.",
  });
