import { describe, expect, it } from "vitest";
import { type ReminderPlan, reminderDedupeKey, reminderItem } from "../../src/feed/reminders";
import { ReminderRequestSchema } from "../../src/schemas/reminders";

const requestedAt = Date.parse("2024-03-18T09:15:00Z");
const request = (body: Record<string, unknown>) => ReminderRequestSchema.parse(body);
const plan = (body: Record<string, unknown>, fastName: string | null = "Great Lent"): ReminderPlan => ({
  request: request(body),
  fastName,
  requestedAt,
});

describe("reminderDedupeKey", () => {
  it("names the kind, the fast (and devotional) and the UTC day the reminder was sent", () => {
    expect(reminderDedupeKey(request({ kind: "fast_reminder", fast_id: 12 }), requestedAt)).toBe(
      "fast_reminder:12:2024-03-18",
    );
    expect(
      reminderDedupeKey(request({ kind: "devotional_reminder", devotional_id: 7, fast_id: 12 }), requestedAt),
    ).toBe("devotional_reminder:7:12:2024-03-18");
  });

  it("is the same all through a UTC day and changes at UTC midnight", () => {
    const fast = request({ kind: "fast_reminder", fast_id: 12 });
    const day = reminderDedupeKey(fast, Date.parse("2024-03-18T00:00:00Z"));
    expect(reminderDedupeKey(fast, Date.parse("2024-03-18T23:59:59.999Z"))).toBe(day);
    expect(reminderDedupeKey(fast, Date.parse("2024-03-18T23:30:00-01:00"))).not.toBe(day);
  });
});

describe("reminderItem", () => {
  it("a fast reminder reads as the original's and targets the fast", () => {
    expect(reminderItem(plan({ kind: "fast_reminder", fast_id: 12 }), 42)).toStrictEqual({
      userId: 42,
      activityType: "fast_reminder",
      title: "Fast Reminder: Great Lent",
      description: "The Great Lent is starting soon. Don't forget to join!",
      targetType: "hub.fast",
      targetId: 12,
      data: { fast_id: 12, fast_name: "Great Lent", reminder_type: "fast_reminder" },
      createdAt: requestedAt,
      dedupeKey: "fast_reminder:12:2024-03-18",
      targetThumbnail: null,
    });
  });

  it("a devotional reminder reads as the original's and targets the devotional", () => {
    const body = { kind: "devotional_reminder", devotional_id: 7, fast_id: 12, video_title: "Day 3: Silence" };
    expect(reminderItem(plan(body), 42)).toStrictEqual({
      userId: 42,
      activityType: "devotional_reminder",
      title: "New Devotional: Day 3: Silence",
      description: "A new devotional is available for Great Lent",
      targetType: "hub.devotional",
      targetId: 7,
      data: { devotional_id: 7, fast_id: 12, fast_name: "Great Lent", video_title: "Day 3: Silence" },
      createdAt: requestedAt,
      dedupeKey: "devotional_reminder:7:12:2024-03-18",
      targetThumbnail: null,
    });
  });

  it("without a fast name the text names the fast by id and data carries no fast_name", () => {
    const fast = reminderItem(plan({ kind: "fast_reminder", fast_id: 12, reminder_type: "last_day" }, null), 1);
    expect([fast.title, fast.description]).toEqual([
      "Fast Reminder: Fast #12",
      "The Fast #12 is starting soon. Don't forget to join!",
    ]);
    expect(fast.data).toStrictEqual({ fast_id: 12, reminder_type: "last_day" });
  });

  it("without a video title a devotional reminder reads 'Available' and data carries no video_title", () => {
    const item = reminderItem(plan({ kind: "devotional_reminder", devotional_id: 7, fast_id: 12 }), 1);
    expect(item.title).toBe("New Devotional: Available");
    expect(item.data).toStrictEqual({ devotional_id: 7, fast_id: 12, fast_name: "Great Lent" });
  });

  it("the request's extra data is kept, but cannot change the fast it names", () => {
    const body = { kind: "fast_reminder", fast_id: 12, data: { fast_id: 99, fast_name: "Other", starts: "Monday" } };
    const item = reminderItem(plan(body), 1);
    expect(item.data).toStrictEqual({
      fast_id: 12,
      fast_name: "Great Lent",
      reminder_type: "fast_reminder",
      starts: "Monday",
    });
    expect(item.title).toBe("Fast Reminder: Great Lent");
  });
});
