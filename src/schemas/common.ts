import { z } from "@hono/zod-openapi";
import { ACTIVITY_TYPE_NAMES, type ActivityType, isActivityType } from "../feed/activity-types";

/** Schemas shared by several contracts. */

export const ActivityTypeSchema = z.enum(ACTIVITY_TYPE_NAMES).openapi("ActivityType");

export const ErrorDetailSchema = z.object({ detail: z.string() }).openapi("ErrorDetail", {
  example: { detail: "Authentication credentials were not provided." },
});

export const ValidationErrorSchema = z.record(z.string(), z.array(z.string())).openapi("ValidationError", {
  description: "Field name (dotted path for nested fields) to the problems found with it.",
  example: { page_size: ["Ensure this value is less than or equal to 100."] },
});

export const errorResponses = {
  400: { description: "Invalid input", content: { "application/json": { schema: ValidationErrorSchema } } },
  401: {
    description: "Missing, malformed, badly signed or expired token",
    content: { "application/json": { schema: ErrorDetailSchema } },
  },
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

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/i;
const DAY_MS = 86_400_000;

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
      const value = raw.trim();
      const dateOnly = DATE_ONLY.exec(value);
      let epochMs = Number.NaN;
      if (dateOnly) {
        const [year, month, day] = dateOnly.slice(1).map(Number) as [number, number, number];
        epochMs = Date.UTC(year, month - 1, day);
        const roundTrip = new Date(epochMs);
        if (roundTrip.getUTCMonth() !== month - 1 || roundTrip.getUTCDate() !== day) epochMs = Number.NaN;
        else if (edge === "end") epochMs += DAY_MS;
      } else if (DATE_TIME.test(value)) {
        const normalised = value.replace(" ", "T");
        epochMs = Date.parse(/(Z|[+-]\d{2}:?\d{2})$/i.test(normalised) ? normalised : `${normalised}Z`);
        if (edge === "end") epochMs += 1;
      }
      if (!Number.isFinite(epochMs)) {
        ctx.addIssue({
          code: "custom",
          message: "Enter a valid ISO 8601 date (2024-01-15) or datetime (2024-01-15T10:30:00Z).",
        });
        return z.NEVER;
      }
      return epochMs;
    })
    .openapi({ type: "string", example: edge === "start" ? "2024-01-01T00:00:00Z" : "2024-01-31" });
}

/** `true`/`false` as Django's boolean filter reads them. */
export const BooleanParam = z
  .enum(["true", "false", "True", "False", "1", "0"], { error: "Must be true or false." })
  .transform((value) => value === "true" || value === "True" || value === "1")
  .openapi({ type: "string", enum: ["true", "false"] });

/** How far back populate and generate look at stored events. */
export const DaysBackSchema = z.number().int().min(1).max(3650).default(30);

/** Days to keep items: the policy's per type, or an override of it (cleanup, archive). */
export const RetentionDaysSchema = z.number().int().min(1).max(36_500);
