import { describe, expect, it } from "vitest";
import { z } from "zod";
import { validationErrors } from "../../src/http/error-responses";
import { EventBatchSchema, IngestRequestSchema } from "../../src/schemas/events";
import { MarkReadBodySchema } from "../../src/schemas/feed";
import { ReminderRequestSchema } from "../../src/schemas/reminders";

/** The error body for `input`, as the app's validation hook makes it. */
function errorsOf(schema: z.ZodType, input: unknown, location?: "query" | "body") {
  const result = schema.safeParse(input);
  if (result.success) throw new Error(`${JSON.stringify(input)} is valid`);
  return validationErrors(result.error, location);
}

const event = { user_id: 1, activity_type: "fast_join" };

// test/validation.test.ts checks over HTTP which fields are named; these check the messages and the rules.
describe("validationErrors", () => {
  it("a missing field deep in the body is 'This field is required.' under its dotted path", () => {
    expect(errorsOf(IngestRequestSchema, { events: [event, { activity_type: "milestone" }] })).toEqual({
      "events.1.user_id": ["This field is required."],
    });
  });

  it("a field of the wrong type gets DRF's message for its type, not the missing-field one", () => {
    expect(errorsOf(IngestRequestSchema, { ...event, user_id: "seven" })).toEqual({
      user_id: ["A valid integer is required."],
    });
  });

  it("each unknown key is a field of its own, 'Unknown field.'", () => {
    expect(errorsOf(EventBatchSchema, { events: [{ ...event, colour: "red", size: 3 }] })).toEqual({
      "events.0.colour": ["Unknown field."],
      "events.0.size": ["Unknown field."],
    });
  });

  it("every problem with one field is listed, in order", () => {
    const schema = z.object({ code: z.string().min(3, "Too short.").regex(/\d/, "Needs a digit.") });
    expect(errorsOf(schema, { code: "ab" })).toEqual({ code: ["Too short.", "Needs a digit."] });
  });

  describe("a union reports the alternative that came closest", () => {
    const schema = z.object({
      target: z.union([
        z.object({ kind: z.literal("fast"), fast_id: z.number(), name: z.string() }),
        z.object({ kind: z.literal("devotional"), devotional_id: z.number() }),
      ]),
    });

    it("the first alternative, when it failed least", () => {
      expect(errorsOf(schema, { target: { kind: "fast", fast_id: 3 } })).toEqual({
        "target.name": ["This field is required."],
      });
    });

    it("a later alternative, when it failed least", () => {
      expect(errorsOf(schema, { target: { kind: "devotional", devotional_id: "7" } })).toEqual({
        "target.devotional_id": ["A valid number is required."],
      });
    });

    it("the union's own message under its path, when no alternative even matched the discriminator", () => {
      expect(Object.keys(errorsOf(ReminderRequestSchema, { kind: "sms", fast_id: 1 }))).toEqual(["kind"]);
    });
  });

  it("a problem with the whole input is non_field_errors for a body and query for a query", () => {
    const message = 'Provide "activity_ids" (a list of 1 to 1000 ids) or "mark_all": true.';
    expect(errorsOf(MarkReadBodySchema, {}, "body")).toEqual({ non_field_errors: [message] });
    expect(errorsOf(MarkReadBodySchema, {})).toEqual({ non_field_errors: [message] });
    expect(errorsOf(MarkReadBodySchema, {}, "query")).toEqual({ query: [message] });
  });
});
