import { describe, expect, it } from "vitest";
import { defaultRetentionPolicy } from "../../src/config";
import {
  ACTIVITY_TYPES,
  type ActivityType,
  activityTypeDisplay,
  type EventData,
  isActivityType,
} from "../../src/feed/activity-types";

const title = (type: ActivityType, data: EventData) => ACTIVITY_TYPES[type].title(data);

// test/feed-list.test.ts checks every type's title for a fast with a name, over HTTP.
describe("activity type titles", () => {
  it.each<[ActivityType, string]>([
    ["event", "Event"],
    ["fast_start", "Fast #3 has begun"],
    ["fast_join", "Joined Fast #3"],
    ["fast_leave", "Left Fast #3"],
    ["devotional_available", "New devotional available for Fast #3"],
    ["milestone", "Fast #3 reached participation milestone"],
    ["fast_reminder", "Fast Reminder: Fast #3"],
    ["devotional_reminder", "New Devotional: Available"],
  ])("%s names a fast known only by its id by that id: %s", (type, expected) => {
    expect(title(type, { fast_id: 3 })).toBe(expected);
  });

  it("without any fast the titles say 'a fast'", () => {
    expect(title("fast_join", {})).toBe("Joined a fast");
    expect(title("fast_start", { fast_id: 0 })).toBe("a fast has begun");
    expect(title("milestone", { fast_id: "3" })).toBe("a fast reached participation milestone");
  });

  it("a fast's name is trimmed, and a blank or non-text name falls back to the id", () => {
    expect(title("fast_join", { fast_id: 4, fast_name: "  Nativity Fast " })).toBe("Joined Nativity Fast");
    expect(title("fast_join", { fast_id: 4, fast_name: "   " })).toBe("Joined Fast #4");
    expect(title("fast_join", { fast_id: 4, fast_name: 2024 })).toBe("Joined Fast #4");
  });

  it("a fast start reads 'has ended' for the phase 'ended' only", () => {
    expect(title("fast_start", { fast_name: "Lent", phase: "ended" })).toBe("Lent has ended");
    for (const phase of ["started", "ENDED", "ending", undefined])
      expect(title("fast_start", { fast_name: "Lent", phase })).toBe("Lent has begun");
  });

  it("an event's title and a devotional's video title are their own text, trimmed, when not blank", () => {
    expect(title("event", { title: " Welcome back " })).toBe("Welcome back");
    expect(title("event", { title: " " })).toBe("Event");
    expect(title("devotional_reminder", { video_title: " Day 1 " })).toBe("New Devotional: Day 1");
    expect(title("devotional_reminder", { video_title: "" })).toBe("New Devotional: Available");
  });
});

describe("activity type names", () => {
  it("a name that is not a type is shown as it is", () => {
    expect(activityTypeDisplay("article_published")).toBe("article_published");
  });

  it.each(["toString", "constructor", "__proto__", "hasOwnProperty"])("%s is not an activity type", (name) => {
    expect(isActivityType(name)).toBe(false);
  });

  it("each type's default retention is the original's, in days", () => {
    expect(defaultRetentionPolicy()).toEqual({
      fast_reminder: 30,
      devotional_reminder: 30,
      fast_start: 90,
      fast_join: 180,
      fast_leave: 180,
      devotional_available: 90,
      milestone: 365,
      event: 180,
    });
  });
});
