import { describe, expect, it } from "vitest";
import { jsonRowParts } from "../../src/db/item-writes";
import { EVENT_MAX_JSON_BYTES, jsonBytes, QUEUE_MESSAGE_BYTES, utf8Bytes } from "../../src/platform/limits";
import { MESSAGE_BODY_MAX_BYTES, SEND_BATCH_MAX_BYTES } from "../../src/queue/limits";
import { sendBatchesOf } from "../../src/queue/producer";
import { EventSchema } from "../../src/schemas/events";

describe("byte limits (unit)", () => {
  it("the largest event the schema accepts fits one queue message, escaping at its worst", () => {
    const control = "\u0001";
    const event = {
      user_id: Number.MAX_SAFE_INTEGER,
      activity_type: "devotional_available",
      target_type: control.repeat(100),
      target_id: Number.MAX_SAFE_INTEGER,
      data: { k: control.repeat(Math.floor((16_384 - 8) / 6)) },
      occurred_at: "2024-01-15T10:30:00.123456789+14:00",
      event_id: control.repeat(200),
      title: control.repeat(1_024),
      description: control.repeat(8_192),
    };
    expect(EventSchema.safeParse(event).success).toBe(true);
    expect(jsonBytes(event)).toBeLessThanOrEqual(EVENT_MAX_JSON_BYTES);
    expect(jsonBytes({ v: 1, kind: "create_item", event })).toBeLessThan(MESSAGE_BODY_MAX_BYTES);
    expect(MESSAGE_BODY_MAX_BYTES).toBeLessThan(QUEUE_MESSAGE_BYTES);
  });

  it("sendBatch groups are measured in bytes, not characters", () => {
    const greek = { text: "α".repeat(30_000) }; // 30,000 characters, 60,000 bytes
    const batches = sendBatchesOf([greek, greek, greek, greek, greek]);
    expect(batches.map((batch) => batch.length)).toEqual([4, 1]);
    for (const batch of batches)
      expect(batch.reduce((sum, body) => sum + jsonBytes(body) + 256, 0)).toBeLessThanOrEqual(SEND_BATCH_MAX_BYTES);
  });

  it("D1 JSON parameters are cut in UTF-8 bytes and keep every row in order", () => {
    const rows = Array.from({ length: 10 }, (_, n) => ({ n, text: "道".repeat(100) })); // ~313 bytes a row
    const parts = jsonRowParts(rows, 1_000);
    expect(parts.length).toBeGreaterThan(3);
    for (const part of parts) expect(utf8Bytes(part)).toBeLessThanOrEqual(1_000);
    expect(parts.flatMap((part) => JSON.parse(part))).toEqual(rows);
    expect(jsonRowParts([])).toEqual(["[]"]);
  });
});
