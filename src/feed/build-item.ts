import type { EventInput } from "../schemas/events";
import { ACTIVITY_TYPES, type ActivityType, type ActivityTypeDefinition, type EventData } from "./activity-types";

/** An event as stored on the user's shard (the `events` table). */
export interface EventRecord {
  readonly userId: number;
  readonly eventType: ActivityType;
  readonly sourceEventId: string;
  readonly targetType: string | null;
  readonly targetId: number | null;
  readonly fastId: number | null;
  readonly data: EventData;
  readonly title: string | null;
  readonly description: string | null;
  readonly occurredAt: number;
  /** A URL of the target's image, as the producer sent it. */
  readonly targetThumbnail: string | null;
}

/** A feed item ready to insert; `dedupeKey` makes the insert idempotent. */
export interface ItemDraft {
  readonly userId: number;
  readonly activityType: ActivityType;
  readonly title: string;
  readonly description: string;
  readonly targetType: string | null;
  readonly targetId: number | null;
  readonly data: EventData;
  readonly createdAt: number;
  readonly dedupeKey: string;
  readonly targetThumbnail: string | null;
}

const positiveInt = (value: unknown) =>
  typeof value === "number" && Number.isSafeInteger(value) && value > 0 ? value : null;

/**
 * `fallbackEventId` names an event whose producer gave no event_id. The queue
 * consumer passes one derived from the message id, which is stable across
 * redeliveries, so a retried message cannot create a second item.
 */
export function eventRecordFrom(input: EventInput, now: number, fallbackEventId?: string): EventRecord {
  const data = input.data ?? {};
  const fastTargetId = input.target_type === "hub.fast" ? positiveInt(input.target_id) : null;
  return {
    userId: input.user_id,
    eventType: input.activity_type,
    // Without the producer's key the event cannot be recognised when sent again;
    // a generated one still gives every stored event a unique identity.
    sourceEventId: input.event_id ?? fallbackEventId ?? `gen:${crypto.randomUUID()}`,
    targetType: input.target_type ?? null,
    targetId: input.target_id ?? null,
    fastId: positiveInt(data.fast_id) ?? fastTargetId,
    data,
    title: input.title ?? null,
    description: input.description ?? null,
    occurredAt: input.occurred_at ?? now,
    targetThumbnail: input.target_thumbnail ?? null,
  };
}

export const eventDedupeKey = (sourceEventId: string) => `event:${sourceEventId}`;

/** The feed item an event makes: title and target per type, the event's own data. */
export function itemFromEvent(event: EventRecord): ItemDraft {
  const type: ActivityTypeDefinition = ACTIVITY_TYPES[event.eventType];
  const title = event.title ?? type.title(event.data);
  const description = event.description ?? type.description?.(event.data) ?? title;
  const target =
    event.targetType !== null ? { type: event.targetType, id: event.targetId } : type.defaultTarget?.(event.data);
  return {
    userId: event.userId,
    activityType: event.eventType,
    title,
    description,
    targetType: target?.type ?? null,
    targetId: target?.id ?? null,
    data: event.data,
    createdAt: event.occurredAt,
    dedupeKey: eventDedupeKey(event.sourceEventId),
    targetThumbnail: event.targetThumbnail,
  };
}
