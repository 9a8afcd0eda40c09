import { describe, expect, it } from "vitest";
import { ageDisplay } from "../../src/feed/age";
import { DAY, HOUR, MINUTE, SECOND, WEEK } from "../support/time";

describe("ageDisplay", () => {
  const now = Date.parse("2025-06-15T12:00:00Z");
  it.each([
    [0, "just now"],
    [59 * SECOND, "just now"],
    [MINUTE, "1m ago"],
    [5 * MINUTE + 59 * SECOND, "5m ago"],
    [59 * MINUTE + 59 * SECOND, "59m ago"],
    [HOUR, "1h ago"],
    [23 * HOUR + 59 * MINUTE, "23h ago"],
    [DAY, "1d ago"],
    [6 * DAY + 23 * HOUR, "6d ago"],
    [WEEK, "1w ago"],
    [2 * WEEK + 3 * DAY, "2w ago"],
    [4 * WEEK, "4w ago"],
    [-10 * MINUTE, "just now"],
  ])("an item %i ms old reads %s", (age, label) => {
    expect(ageDisplay(now - age, now)).toBe(label);
  });

  it("older items read as their UTC date, without zero padding", () => {
    expect(ageDisplay(Date.parse("2024-01-05T12:00:00Z"), now)).toBe("Jan 5, 2024");
    expect(ageDisplay(Date.parse("2024-12-31T23:30:00-05:00"), now)).toBe("Jan 1, 2025");
    expect(ageDisplay(Date.parse("2023-11-20T00:00:00Z"), now)).toBe("Nov 20, 2023");
    expect(ageDisplay(now - 60 * DAY, now)).toBe("Apr 16, 2025");
  });
});
