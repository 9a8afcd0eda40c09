import { z } from "@hono/zod-openapi";
import { MAX_SHARDS } from "../shards/ids";
import { DaysBackSchema, PositiveIdSchema } from "./common";

/** Contracts of staff-only administration endpoints. */

export const GenerateRequestSchema = z
  .object({
    user_id: PositiveIdSchema.openapi({ example: 123 }),
    days_back: DaysBackSchema,
  })
  .strict()
  .openapi("GenerateRequest");

export const GenerateResponseSchema = z
  .object({
    message: z.string().openapi({ example: "Generated 15 activity feed items for user 123" }),
    created_count: z.number().int(),
    date_range: z.object({ start: z.string(), end: z.string() }),
  })
  .openapi("GenerateResponse");

export const PopulateRequestSchema = z
  .object({
    user_id: PositiveIdSchema.optional().openapi({ description: "Only this user (runs inside the request)." }),
    days_back: DaysBackSchema,
    dry_run: z.boolean().default(false),
  })
  .strict()
  .openapi("PopulateRequest");

export const PopulateResponseSchema = z
  .object({
    status: z.enum(["completed", "queued", "dry_run"]),
    message: z.string(),
    created_count: z.number().int().optional(),
    would_create: z.number().int().optional(),
    per_shard: z.record(z.string(), z.number().int()).optional(),
    job_id: z.string().optional(),
  })
  .openapi("PopulateResponse");

export const JobSchema = z
  .object({
    job_id: z.string(),
    kind: z.string(),
    params: z.unknown(),
    done: z.boolean(),
    processed: z.number().int(),
    affected: z.number().int(),
    detail: z.record(z.string(), z.number()),
    started_at: z.string(),
    updated_at: z.string(),
    shards: z.array(
      z.object({
        shard: z.number().int(),
        step: z.number().int(),
        processed: z.number().int(),
        affected: z.number().int(),
        done: z.boolean(),
        updated_at: z.string(),
      }),
    ),
  })
  .openapi("Job");

export const JobListSchema = z.object({ results: z.array(JobSchema) }).openapi("JobList");

export const ResumedJobSchema = z
  .object({ job_id: z.string(), resumed_shards: z.array(z.number().int()) })
  .openapi("ResumedJob");

export const ReshardRequestSchema = z
  .object({
    shard_count: z.number().int().min(2).max(MAX_SHARDS).openapi({
      example: 5,
      description: "The shard count to grow to: more than now, at most the bindings declared.",
    }),
  })
  .strict()
  .openapi("ReshardRequest");

export const ReshardResponseSchema = z
  .object({
    job_id: z.string(),
    message: z.string(),
    from_shards: z.number().int(),
    to_shards: z.number().int(),
    moves_from: z
      .string()
      .openapi({ description: "When users start moving (every isolate routes by the target by then)." }),
  })
  .openapi("ReshardResponse");
