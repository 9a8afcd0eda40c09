import { describe, expect, it } from "vitest";
import type { ActivityType } from "../../src/feed/activity-types";
import { type EventRecord, eventRecordFrom, itemFromEvent } from "../../src/feed/build-item";
import { EventSchema } from "../../src/schemas/events";

const now = Date.parse("2024-03-18T09:15:00Z");
const recordOf = (event: Record<string, unknown>, fallbackEventId?: string) =>
  eventRecordFrom(EventSchema.parse({ user_id: 5, activity_type: "fast_join", ...event }), now, fallbackEventId);

describe("eventRecordFrom", () => {
  it("an event with only a user, a type and an id has empty data, no target and happens now", () => {
    expect(recordOf({ event_id: "evt-1" })).toStrictEqual({
      userId: 5,
      eventType: "fast_join",
      sourceEventId: "evt-1",
      targetType: null,
      targetId: null,
      fastId: null,
      data: {},
      title: null,
      description: null,
      occurredAt: now,
      targetThumbnail: null,
    });
  });

  it("the producer's event_id wins over the fallback; the fallback names an event without one", () => {
    expect(recordOf({ event_id: "evt-1" }, "msg:abc").sourceEventId).toBe("evt-1");
    expect(recordOf({}, "msg:abc").sourceEventId).toBe("msg:abc");
  });

  it("an event with neither gets a generated id of its own", () => {
    const first = recordOf({}).sourceEventId;
    expect(first).toMatch(/^gen:[0-9a-f-]{36}$/);
    expect(recordOf({}).sourceEventId).not.toBe(first);
  });

  it.each<[string, Record<string, unknown>, number | null]>([
    ["data's fast_id", { data: { fast_id: 3 } }, 3],
    ["a hub.fast target", { target_type: "hub.fast", target_id: 8 }, 8],
    ["data's fast_id over a hub.fast target", { data: { fast_id: 3 }, target_type: "hub.fast", target_id: 8 }, 3],
    ["no other kind of target", { target_type: "hub.devotional", target_id: 8 }, null],
    ["no fast_id that is text", { data: { fast_id: "3" } }, null],
    ["no fast_id of 0", { data: { fast_id: 0 }, target_type: "hub.fast", target_id: 0 }, null],
  ])("the fast is %s", (_name, event, fastId) => {
    expect(recordOf(event).fastId).toBe(fastId);
  });
});

describe("itemFromEvent", () => {
  const record = (eventType: ActivityType, fields: Partial<EventRecord> = {}): EventRecord => ({
    ...recordOf({ event_id: "evt-1" }),
    eventType,
    data: { fast_id: 3, fast_name: "Great Lent" },
    occurredAt: Date.parse("2024-01-15T10:30:00Z"),
    ...fields,
  });

  it("takes the type's title, the title as description, the fast as target, and the event's data and time", () => {
    expect(itemFromEvent(record("fast_join"))).toStrictEqual({
      userId: 5,
      activityType: "fast_join",
      title: "Joined Great Lent",
      description: "Joined Great Lent",
      targetType: "hub.fast",
      targetId: 3,
      data: { fast_id: 3, fast_name: "Great Lent" },
      createdAt: Date.parse("2024-01-15T10:30:00Z"),
      dedupeKey: "event:evt-1",
      targetThumbnail: null,
    });
  });

  it("the event's own title and description win", () => {
    const item = itemFromEvent(record("fast_join", { title: "Welcome!", description: "You are in." }));
    expect([item.title, item.description]).toEqual(["Welcome!", "You are in."]);
  });

  it("an own title is the description too, unless the type writes a description of its own", () => {
    expect(itemFromEvent(record("fast_join", { title: "Welcome!" })).description).toBe("Welcome!");
    expect(itemFromEvent(record("fast_reminder", { title: "Soon!" })).description).toBe(
      "The Great Lent is starting soon. Don't forget to join!",
    );
  });

  it.each<[ActivityType, Record<string, unknown>, string | null, number | null]>([
    ["fast_start", { fast_id: 3 }, "hub.fast", 3],
    ["fast_leave", { fast_id: 3 }, "hub.fast", 3],
    ["milestone", { fast_id: 3, milestone: 100 }, "hub.fast", 3],
    ["fast_reminder", { fast_id: 3 }, "hub.fast", 3],
    ["devotional_reminder", { fast_id: 3, devotional_id: 9 }, "hub.devotional", 9],
    ["devotional_reminder", { fast_id: 3 }, "hub.fast", 3],
    ["devotional_available", { devotional_id: -9, fast_id: 3 }, "hub.fast", 3],
    ["fast_join", { fast_id: 0 }, null, null],
    ["event", { fast_id: 3 }, null, null],
  ])("a %s with data %j and no target of its own targets %s %s", (type, data, targetType, targetId) => {
    const item = itemFromEvent(record(type, { data }));
    expect([item.targetType, item.targetId]).toEqual([targetType, targetId]);
  });
});
