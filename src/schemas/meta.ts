import { z } from "@hono/zod-openapi";

/** The service's own answers (src/routes/meta.ts): the liveness check and the landing links. */

export const HealthSchema = z
  .object({
    status: z.literal("ok"),
    shards: z.number().int().openapi({ description: "Shards users are routed over now" }),
    resharding_to: z
      .number()
      .int()
      .optional()
      .openapi({ description: "While a reshard runs: the shard count it grows to" }),
  })
  .openapi("Health");

export const PointersSchema = z
  .object({
    openapi: z.string().openapi({ example: "http://localhost:8787/openapi.json" }),
    docs: z.string().openapi({ description: "The API reference, for people", example: "http://localhost:8787/docs/" }),
    health: z.string().openapi({ example: "http://localhost:8787/health" }),
    inbox: z.string().optional().openapi({
      description: "The inbox demo page, where it is served (INBOX_DEMO_PAGE)",
      example: "http://localhost:8787/inbox/",
    }),
  })
  .openapi("Pointers");
