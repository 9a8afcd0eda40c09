import { describe, expect, it } from "vitest";
import { type Cursor, decodeCursor, encodeCursor, keysetOn } from "../../src/feed/cursor";

/** The text a client could forge: any raw string, encoded as the service encodes cursors. */
const forge = (raw: string) => btoa(raw).replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "");

describe("pagination cursors", () => {
  it("decode to the position and direction they were made from, as URL-safe text", () => {
    const cursors: Cursor[] = [
      { direction: "older", createdAt: 0, localId: 1 },
      { direction: "newer", createdAt: Number.MAX_SAFE_INTEGER, localId: Number.MAX_SAFE_INTEGER },
    ];
    for (let index = 0; index < 200; index++) {
      const localId = 1 + index * 104_729;
      cursors.push({
        direction: index % 2 ? "older" : "newer",
        createdAt: 1_700_000_000_000 + index * 7_919,
        localId,
        // Half of them as issued since reshards exist: with their shard and the item's public id.
        ...(index % 4 < 2 ? {} : { issuedOn: { shard: index % 8, itemId: localId * 1024 + ((index + 3) % 8) } }),
      });
    }
    for (const cursor of cursors) {
      const text = encodeCursor(cursor);
      expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeCursor(text)).toEqual(cursor);
    }
  });

  it.each([
    ["empty text", ""],
    ["text that is not base64", "%%%"],
    ["an unknown direction", forge("x.1700000000000.5")],
    ["a missing part", forge("o.1700000000000")],
    ["an extra part", forge("o.1700000000000.5.6")],
    ["a shard without the item's id", forge("o.1700000000000.5.6.")],
    ["six parts", forge("o.1700000000000.5.6.7.8")],
    ["a shard beyond the id space", forge("o.1700000000000.5.1024.7173")],
    ["a negative time", forge("o.-1.5")],
    ["a hexadecimal id", forge("n.1700000000000.0x1f")],
    ["an exponent", forge("o.17e11.5")],
    ["trailing text", forge("o.1700000000000.5 ")],
    ["17 digits", forge("o.12345678901234567.5")],
    ["a time beyond 2^53", forge("o.9007199254740993.5")],
    ["an id beyond 2^53", forge("n.1700000000000.9999999999999999")],
  ])("%s is not a cursor", (_name, text) => {
    expect(decodeCursor(text)).toBeUndefined();
  });

  describe("where a cursor points once its user moved", () => {
    const cursor = (issuedOn?: Cursor["issuedOn"]): Cursor => ({
      direction: "older",
      createdAt: 1_700_000_000_000,
      localId: 42,
      ...(issuedOn ? { issuedOn } : {}),
    });

    it("on the shard that issued it: the local id, no lookup", () => {
      expect(keysetOn(cursor({ shard: 4, itemId: 42 * 1024 + 1 }), 4, 1)).toEqual({
        createdAt: 1_700_000_000_000,
        localId: 42,
      });
    });

    it("on another shard: the public id its item kept", () => {
      expect(keysetOn(cursor({ shard: 1, itemId: 42 * 1024 + 1 }), 4, 1)).toEqual({
        createdAt: 1_700_000_000_000,
        itemId: 42 * 1024 + 1,
      });
    });

    it("from before reshards: issued on the user's first shard", () => {
      expect(keysetOn(cursor(), 1, 1)).toEqual({ createdAt: 1_700_000_000_000, localId: 42 });
      expect(keysetOn(cursor(), 4, 1)).toEqual({ createdAt: 1_700_000_000_000, itemId: 42 * 1024 + 1 });
    });
  });
});
