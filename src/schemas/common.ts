import { z } from "@hono/zod-openapi";
import { ACTIVITY_TYPE_NAMES, type ActivityType, isActivityType } from "../feed/activity-types";
import { IDEMPOTENCY_KEY_BYTES, jsonBytes, TARGET_THUMBNAIL_BYTES, utf8Bytes } from "../platform/limits";
import { drfMessage } from "./drf-wording";

// Every schema imports this module, so every parse speaks DRF's words.
z.config({ customError: drfMessage });

/** Schemas shared by several contracts. */

export const ActivityTypeSchema = z.enum(ACTIVITY_TYPE_NAMES).openapi("ActivityType");

export const ErrorDetailSchema = z.object({ detail: z.string() }).openapi("ErrorDetail", {
  example: { detail: "Authentication credentials were not provided." },
});

export const ValidationErrorSchema = z.record(z.string(), z.array(z.string())).openapi("ValidationError", {
  description: "Field name (dotted path for nested fields) to the problems found with it.",
  example: { page_size: ["Ensure this value is less than or equal to 100."] },
});

/** Every route can fail unexpectedly or find the deployment misconfigured. */
export const serverErrorResponses = {
  500: {
    description: "Unexpected failure, or the service is misconfigured (the Worker's logs say which variable)",
    content: { "application/json": { schema: ErrorDetailSchema } },
  },
} as const;

/** Every route that needs a token. */
export const authErrorResponses = {
  401: {
    description: "Missing, malformed, badly signed or expired token",
    content: { "application/json": { schema: ErrorDetailSchema } },
  },
  ...serverErrorResponses,
} as const;

export const errorResponses = {
  400: { description: "Invalid input", content: { "application/json": { schema: ValidationErrorSchema } } },
  ...authErrorResponses,
} as const;

export const staffErrorResponses = {
  ...errorResponses,
  403: {
    description: "The token is not a staff token",
    content: { "application/json": { schema: ErrorDetailSchema } },
  },
} as const;

export const bodyErrorResponses = {
  413: { description: "Body larger than 1 MiB", content: { "application/json": { schema: ErrorDetailSchema } } },
  415: { description: "Body is not application/json", content: { "application/json": { schema: ErrorDetailSchema } } },
} as const;

export const PositiveIdSchema = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/** A comma-separated list of activity types, as a query parameter. */
export const ActivityTypeListParam = z
  .string()
  .transform((raw, ctx): ActivityType[] => {
    const names = [
      ...new Set(
        raw
          .split(",")
          .map((name) => name.trim())
          .filter(Boolean),
      ),
    ];
    const unknown = names.filter((name) => !isActivityType(name));
    if (names.length === 0 || unknown.length > 0) {
      ctx.addIssue({
        code: "custom",
        message: `Select a valid choice. ${unknown.join(", ") || "(empty)"} is not one of the available choices: ${ACTIVITY_TYPE_NAMES.join(", ")}.`,
      });
      return z.NEVER;
    }
    return names as ActivityType[];
  })
  .openapi({
    type: "string",
    description: `One type or several, comma-separated: ${ACTIVITY_TYPE_NAMES.join(", ")}.`,
    example: "fast_join,fast_reminder",
  });

/**
 * ISO 8601 as the feed's query parameters take it: a date, or a datetime with
 * `T` or a space, seconds and fraction optional, and an optional offset. A
 * `+` that arrived unencoded is a space by then (`00:00:00 02:00`), so a
 * space before the offset is read as `+`.
 */
const QUERY_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+\- ]\d{2}:?\d{2})?)?$/i;
/** RFC 3339 as events carry it: a full datetime with an explicit offset. */
const BODY_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})$/;
const DAY_MS = 86_400_000;

const isLeapYear = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
const daysInMonth = (year: number, month: number) =>
  month === 2 ? (isLeapYear(year) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;

export interface ParsedInstant {
  readonly epochMs: number;
  /** A bare date (no time of day). */
  readonly dateOnly: boolean;
}

/**
 * Reads an ISO 8601 date or datetime strictly: a day that is not in the
 * calendar (February 30th, April 31st, February 29th of a common year) or an
 * hour past 23 is refused rather than rolled over, and the year is read as
 * written (0001-9999; `Date.UTC` would take 0099 for 1999). Without an offset
 * the time is UTC. `undefined` when the text is not such a date.
 */
export function parseIsoInstant(text: string, form: "query" | "body"): ParsedInstant | undefined {
  const match = (form === "query" ? QUERY_INSTANT : BODY_INSTANT).exec(text);
  if (!match) return undefined;
  const [year, month, day, hour = 0, minute = 0, second = 0] = match.slice(1, 7).map((part) => Number(part ?? 0));
  const fraction = match[7] ?? "";
  const offset = match[8] ?? "Z";
  if (year! < 1 || month! < 1 || month! > 12 || day! < 1 || day! > daysInMonth(year!, month!)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  if (offset.toUpperCase() !== "Z") {
    const digits = offset.slice(1).replace(":", "");
    const offsetHours = Number(digits.slice(0, 2));
    const offsetRest = Number(digits.slice(2));
    if (offsetHours > 23 || offsetRest > 59) return undefined;
    offsetMinutes = (offset[0] === "-" ? -1 : 1) * (offsetHours * 60 + offsetRest);
  }
  const date = new Date(0);
  date.setUTCFullYear(year!, month! - 1, day!);
  date.setUTCHours(hour, minute, second, Number(fraction.padEnd(3, "0").slice(0, 3)));
  return { epochMs: date.getTime() - offsetMinutes * 60_000, dateOnly: match[4] === undefined };
}

/**
 * An ISO 8601 date or datetime as a query parameter, as epoch ms. A datetime
 * without an offset is UTC. With `edge: "end"` the result is the exclusive
 * upper bound: the next day for a bare date (the whole day is included), one
 * millisecond later for a datetime.
 */
export function isoBoundParam(edge: "start" | "end") {
  return z
    .string()
    .transform((raw, ctx) => {
      const instant = parseIsoInstant(raw.trim(), "query");
      if (!instant) {
        ctx.addIssue({
          code: "custom",
          message:
            "Enter a valid ISO 8601 date (2024-01-15) or datetime (2024-01-15T10:30:00Z); write a + offset as %2B.",
        });
        return z.NEVER;
      }
      if (edge === "start") return instant.epochMs;
      return instant.epochMs + (instant.dateOnly ? DAY_MS : 1);
    })
    .openapi({ type: "string", example: edge === "start" ? "2024-01-01T00:00:00Z" : "2024-01-31" });
}

/**
 * A plain decimal integer as a query parameter: `16`, not `0x10`, `1e1` or
 * `16.0` (which `Number()` and `z.coerce` would take).
 */
export function integerParam({ min, max }: { min: number; max: number }) {
  return z
    .string()
    .transform((raw, ctx) => {
      const text = raw.trim();
      const value = Number(text);
      const problem = !/^[+-]?\d+$/.test(text)
        ? "A valid integer is required."
        : value < min
          ? `Ensure this value is greater than or equal to ${min}.`
          : value > max
            ? `Ensure this value is less than or equal to ${max}.`
            : undefined;
      if (problem) {
        ctx.addIssue({ code: "custom", message: problem });
        return z.NEVER;
      }
      return value;
    })
    .openapi({ type: "integer", minimum: min, maximum: max });
}

/** A string of at most `max` bytes of UTF-8 (the limits are in src/platform/limits.ts). */
export const withinBytes = <S extends z.ZodString>(schema: S, max: number) =>
  schema.refine((value) => utf8Bytes(value) <= max, {
    message: `Ensure this field has no more than ${max} bytes (UTF-8).`,
  });

/** A JSON object of at most `max` bytes as JSON (UTF-8). */
export const jsonObjectWithinBytes = (max: number) =>
  z.record(z.string(), z.unknown()).refine((value) => jsonBytes(value) <= max, {
    message: `Ensure this object has no more than ${max} bytes as JSON (UTF-8).`,
  });

/** `true`/`false` as Django's boolean filter reads them. */
export const BooleanParam = z
  .enum(["true", "false", "True", "False", "1", "0"], { error: "Must be a valid boolean." })
  .transform((value) => value === "true" || value === "True" || value === "1")
  .openapi({ type: "string", enum: ["true", "false"] });

/** How far back populate and generate look at stored events. */
export const DaysBackSchema = z.number().int().min(1).max(3650).default(30);

/** Days to keep items: the policy's per type, or an override of it (cleanup, archive). */
export const RetentionDaysSchema = z.number().int().min(1).max(36_500);

/** The Idempotency-Key header of producer endpoints (src/feed/request-keys.ts). */
export const IdempotencyKeyHeadersSchema = z.object({
  "idempotency-key": withinBytes(
    z
      .string()
      .min(1)
      .regex(/^[\x20-\x7e]+$/, "An Idempotency-Key is printable ASCII."),
    IDEMPOTENCY_KEY_BYTES,
  )
    .optional()
    .openapi({
      description:
        `At most ${IDEMPOTENCY_KEY_BYTES} printable ASCII characters, e.g. a UUID. Sending the same key with the same body again ` +
        "repeats the first request: its answer is replayed (header `Idempotent-Replayed: true`), or, if it did not finish, it is completed without creating anything twice. " +
        "The same key with another body is 422. Keys are kept for 24 hours.",
      example: "c0a8012e-7d3f-4b8e-9a51-3f2b6d1e4a77",
    }),
});

export const keyedRequestResponses = {
  422: {
    description: "The Idempotency-Key was already used with another body",
    content: { "application/json": { schema: ErrorDetailSchema } },
  },
} as const;

/** A URL of a target's image (http or https), as producers send it and clients show it. */
export const ThumbnailUrlSchema = withinBytes(z.string(), TARGET_THUMBNAIL_BYTES)
  .refine((value) => /^https?:\/\//i.test(value) && URL.canParse(value), { message: "Enter a valid URL." })
  .openapi({ format: "uri", example: "https://cdn.example.org/fasts/12/cover.jpg" });
