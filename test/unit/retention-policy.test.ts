import { describe, expect, it } from "vitest";
import { defaultRetentionPolicy, type RetentionPolicy } from "../../src/config";
import { ACTIVITY_TYPE_NAMES } from "../../src/feed/activity-types";
import { planArchive, planRetention, retentionCutoff } from "../../src/retention/policy";
import { DAY } from "../support/time";

const now = Date.parse("2025-06-15T02:00:00Z");
/** A policy unlike the defaults, so that a plan built from the defaults would not pass. */
const policy: RetentionPolicy = { ...defaultRetentionPolicy(), fast_reminder: 7, milestone: 1000, event: 45 };
const everyType = (cutoff: number) => Object.fromEntries(ACTIVITY_TYPE_NAMES.map((type) => [type, cutoff]));

describe("retentionCutoff", () => {
  it("is the instant that many whole days before now", () => {
    expect(retentionCutoff(30, now)).toBe(Date.parse("2025-05-16T02:00:00Z"));
    expect(retentionCutoff(1, now)).toBe(now - DAY);
  });
});

describe("planRetention", () => {
  it("without options cuts every type at its own retention from the policy", () => {
    const plan = planRetention(policy, { onlyRead: false }, now);
    expect(plan).toEqual({
      cutoffs: Object.fromEntries(ACTIVITY_TYPE_NAMES.map((type) => [type, now - policy[type] * DAY])),
      onlyRead: false,
    });
    expect(plan.cutoffs.fast_reminder).toBe(now - 7 * DAY);
  });

  it("one type plans that type only", () => {
    expect(planRetention(policy, { activityType: "milestone", onlyRead: true }, now)).toEqual({
      cutoffs: { milestone: now - 1000 * DAY },
      onlyRead: true,
    });
  });

  it("older_than_days overrides the policy for every type", () => {
    expect(planRetention(policy, { olderThanDays: 60, onlyRead: false }, now)).toEqual({
      cutoffs: everyType(now - 60 * DAY),
      onlyRead: false,
    });
  });

  it("older_than_days with one type plans that type alone, at that age", () => {
    expect(planRetention(policy, { activityType: "event", olderThanDays: 400, onlyRead: false }, now)).toEqual({
      cutoffs: { event: now - 400 * DAY },
      onlyRead: false,
    });
  });
});

describe("planArchive", () => {
  it("cuts every type at the one age asked for, ignoring the types' retention", () => {
    expect(planArchive(365, true, now)).toEqual({ cutoffs: everyType(now - 365 * DAY), onlyRead: true });
    expect(planArchive(500, false, now)).toEqual({ cutoffs: everyType(now - 500 * DAY), onlyRead: false });
  });
});
