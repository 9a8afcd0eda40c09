import { describe, expect, it } from "vitest";
import { utf8Bytes } from "../../src/platform/limits";

describe("utf8Bytes", () => {
  it.each([
    ["ASCII", "Great Lent", 10, 10],
    ["Greek", "Μεγάλη Σαρακοστή", 31, 16],
    ["Ethiopic", "ዐቢይ ጾም", 16, 6],
    ["Chinese", "大斋期", 9, 3],
    ["an emoji", "🙏", 4, 2],
    ["an emoji sequence", "👩🏽‍🍳", 15, 7],
    ["nothing", "", 0, 0],
  ])("%s counts UTF-8 bytes, not UTF-16 units", (_script, text, bytes, units) => {
    expect(text.length).toBe(units);
    expect(utf8Bytes(text)).toBe(bytes);
  });
});
