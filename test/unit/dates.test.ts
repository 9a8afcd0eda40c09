import { describe, expect, it } from "vitest";
import { parseIsoInstant } from "../../src/schemas/common";

describe("parseIsoInstant (unit)", () => {
  it.each([
    ["2024-02-29", "2024-02-29T00:00:00.000Z"],
    ["0099-12-31", "0099-12-31T00:00:00.000Z"],
    ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000Z"],
    ["9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.999Z"],
    ["2026-11-01T00:00:00 02:00", "2026-10-31T22:00:00.000Z"],
    ["2026-11-01 00:00-0130", "2026-11-01T01:30:00.000Z"],
  ])("query %s is %s", (text, iso) => {
    expect(new Date(parseIsoInstant(text, "query")!.epochMs).toISOString()).toBe(iso);
  });

  it.each([
    "2024-02-30",
    "2023-02-29",
    "1900-02-29",
    "2024-04-31",
    "2024-06-31",
    "2024-13-01",
    "2024-00-10",
    "0000-01-01",
    "2024-01-01T24:00",
    "2024-01-01T23:60",
    "2024-01-01T23:59:60",
    "24-01-01",
  ])("query %s is refused", (text) => {
    expect(parseIsoInstant(text, "query")).toBeUndefined();
  });

  it("the body form needs T and an offset, and no space for +", () => {
    expect(parseIsoInstant("2024-01-15T10:30:00Z", "body")?.epochMs).toBe(Date.UTC(2024, 0, 15, 10, 30));
    for (const text of ["2024-01-15", "2024-01-15T10:30:00", "2024-01-15 10:30:00Z", "2024-01-15T10:30:00 02:00"])
      expect(parseIsoInstant(text, "body")).toBeUndefined();
  });
});
