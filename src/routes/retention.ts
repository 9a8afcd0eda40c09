import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../http/app-env";
import { bearerAuth, jsonBody, jsonResponse, staffBodyCall, staffCall } from "../http/route-parts";
import { deploymentStats, userFeedStats } from "../monitoring/stats";
import { listArchives, type RetentionRun, restoreArchive, startArchive, startCleanup } from "../retention/retention";
import { bodyErrorResponses, ErrorDetailSchema, staffErrorResponses } from "../schemas/common";
import {
  ArchiveListQuerySchema,
  ArchiveListSchema,
  ArchiveOptionsSchema,
  CleanupOptionsSchema,
  RestoreRequestSchema,
  RestoreResponseSchema,
  RetentionRunSchema,
  StatsQuerySchema,
  StatsSchema,
} from "../schemas/retention";
import {
  archiveRequestFrom,
  cleanupRequestFrom,
  deploymentStatsWire,
  restoreWire,
  userFeedStatsWire,
} from "../wire/retention";

const runResponses = {
  200: jsonResponse("Dry run: what would go, per type and shard", RetentionRunSchema),
  202: jsonResponse("Queued over every shard; follow the job", RetentionRunSchema),
  409: jsonResponse(
    "Another retention job is still running (named in `detail`); nothing was started",
    ErrorDetailSchema,
  ),
  ...staffErrorResponses,
  ...bodyErrorResponses,
} as const;

const cleanupRoute = createRoute({
  method: "post",
  path: "/api/admin/cleanup",
  tags: ["Retention"],
  summary: "Delete items past retention, over every shard (staff)",
  security: bearerAuth,
  middleware: staffBodyCall(),
  request: jsonBody(CleanupOptionsSchema),
  responses: runResponses,
});

const archiveRoute = createRoute({
  method: "post",
  path: "/api/admin/archive",
  tags: ["Retention"],
  summary: "Archive items older than N days to R2, then delete them (staff)",
  security: bearerAuth,
  middleware: staffBodyCall(),
  request: jsonBody(ArchiveOptionsSchema),
  responses: runResponses,
});

const restoreRoute = createRoute({
  method: "post",
  path: "/api/admin/archive/restore",
  tags: ["Retention"],
  summary: "Put an archive's rows back (idempotent) (staff)",
  security: bearerAuth,
  middleware: staffBodyCall(),
  request: jsonBody(RestoreRequestSchema),
  responses: {
    200: jsonResponse("Restored", RestoreResponseSchema),
    ...staffErrorResponses,
    ...bodyErrorResponses,
    404: jsonResponse("No archive at that key", ErrorDetailSchema),
  },
});

const archivesRoute = createRoute({
  method: "get",
  path: "/api/admin/archives",
  tags: ["Retention"],
  summary: "List archives with their counts (staff)",
  security: bearerAuth,
  middleware: staffCall(),
  request: { query: ArchiveListQuerySchema },
  responses: { 200: jsonResponse("Archives", ArchiveListSchema), ...staffErrorResponses },
});

const statsRoute = createRoute({
  method: "get",
  path: "/api/admin/stats",
  tags: ["Retention"],
  summary: "Table growth per shard and in total; with user_id, that user's feed stats (staff)",
  security: bearerAuth,
  middleware: staffCall(),
  request: { query: StatsQuerySchema },
  responses: { 200: jsonResponse("Stats", StatsSchema), ...staffErrorResponses },
});

function runBody(run: RetentionRun, verb: "delete" | "archive") {
  if (run.dryRun) {
    return {
      status: "dry_run" as const,
      message: `DRY RUN: Would ${verb} ${run.total} items total`,
      total: run.total,
      per_type: run.perType,
      per_shard: run.perShard,
    };
  }
  return { status: "queued" as const, message: `Queued over every shard as job ${run.jobId}`, job_id: run.jobId };
}

export function registerRetentionRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(cleanupRoute, async (c) => {
    const run = await startCleanup(
      c.env,
      c.var.config,
      cleanupRequestFrom(c.req.valid("json"), c.var.config),
      Date.now(),
    );
    return run.dryRun ? c.json(runBody(run, "delete"), 200) : c.json(runBody(run, "delete"), 202);
  });

  app.openapi(archiveRoute, async (c) => {
    const run = await startArchive(c.env, archiveRequestFrom(c.req.valid("json")), Date.now());
    return run.dryRun ? c.json(runBody(run, "archive"), 200) : c.json(runBody(run, "archive"), 202);
  });

  app.openapi(restoreRoute, async (c) =>
    c.json(restoreWire(await restoreArchive(c.env, c.var.config, c.req.valid("json").key)), 200),
  );

  app.openapi(archivesRoute, async (c) => {
    const query = c.req.valid("query");
    const listing = await listArchives(
      c.env.ARCHIVE,
      query.run_id ? `archives/${query.run_id}/` : undefined,
      query.cursor,
    );
    return c.json(
      {
        count: listing.archives.length,
        total_rows: listing.archives.reduce((sum, archive) => sum + archive.rows, 0),
        next_cursor: listing.cursor,
        results: listing.archives,
      },
      200,
    );
  });

  app.openapi(statsRoute, async (c) => {
    const { user_id: userId } = c.req.valid("query");
    return c.json(
      userId === undefined
        ? deploymentStatsWire(await deploymentStats(c.env))
        : userFeedStatsWire(await userFeedStats(c.env, userId)),
      200,
    );
  });
}
