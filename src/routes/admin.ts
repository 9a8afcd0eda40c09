import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { NotFoundError, UserMovingError } from "../errors";
import { countPopulateCandidates, populateSince, startPopulateAll } from "../feed/populate";
import type { AppEnv } from "../http/app-env";
import { bearerAuth, jsonBody, jsonResponse, staffBodyCall, staffCall } from "../http/route-parts";
import { resumeJob } from "../jobs/launch";
import { runJobInline } from "../jobs/runner";
import { listRecentJobs, readJobProgress } from "../jobs/status";
import { isoTime } from "../platform/time";
import { startReshard } from "../reshard/reshard";
import { refuseWhileRetentionRuns } from "../retention/in-flight";
import {
  GenerateRequestSchema,
  GenerateResponseSchema,
  JobListSchema,
  JobSchema,
  PopulateRequestSchema,
  PopulateResponseSchema,
  ReshardRequestSchema,
  ReshardResponseSchema,
  ResumedJobSchema,
} from "../schemas/admin";
import { bodyErrorResponses, ErrorDetailSchema, integerParam, staffErrorResponses } from "../schemas/common";
import { shardsOf } from "../shards/router";
import { jobWire } from "../wire/admin";

const generateRoute = createRoute({
  method: "post",
  path: "/api/events/activity-feed/generate",
  tags: ["Admin"],
  summary: "Regenerate one user's feed from stored events (staff)",
  description:
    "Creates the items of the user's events of the last `days_back` days that have none; existing items are never duplicated.",
  security: bearerAuth,
  middleware: staffBodyCall(),
  request: jsonBody(GenerateRequestSchema),
  responses: {
    200: jsonResponse("Items generated", GenerateResponseSchema),
    ...staffErrorResponses,
    ...bodyErrorResponses,
  },
});

const populateRoute = createRoute({
  method: "post",
  path: "/api/admin/populate",
  tags: ["Admin"],
  summary: "Populate feeds from stored events, for one user or all (staff)",
  description:
    "All users: queued work over every shard (202 and a job id). One user: inside the request. `dry_run` counts what would be created.",
  security: bearerAuth,
  middleware: staffBodyCall(),
  request: jsonBody(PopulateRequestSchema),
  responses: {
    200: jsonResponse("Completed or dry run", PopulateResponseSchema),
    202: jsonResponse("Queued", PopulateResponseSchema),
    ...staffErrorResponses,
    ...bodyErrorResponses,
  },
});

const jobRoute = createRoute({
  method: "get",
  path: "/api/admin/jobs/{job_id}",
  tags: ["Admin"],
  summary: "Progress of a queued job over every shard (staff)",
  security: bearerAuth,
  middleware: staffCall(),
  request: { params: z.object({ job_id: z.string().min(1).max(100) }) },
  responses: {
    200: jsonResponse("Job progress", JobSchema),
    ...staffErrorResponses,
    404: jsonResponse("No such job", ErrorDetailSchema),
  },
});

const jobsRoute = createRoute({
  method: "get",
  path: "/api/admin/jobs",
  tags: ["Admin"],
  summary: "The most recent jobs (staff)",
  security: bearerAuth,
  middleware: staffCall(),
  request: { query: z.object({ limit: integerParam({ min: 1, max: 100 }).default(20) }) },
  responses: {
    200: jsonResponse("Jobs, newest first", JobListSchema),
    ...staffErrorResponses,
  },
});

const resumeRoute = createRoute({
  method: "post",
  path: "/api/admin/jobs/{job_id}/resume",
  tags: ["Admin"],
  summary: "Resume a stalled job: send its next step again on every unfinished shard (staff)",
  description:
    "For a job whose message ended in the dead-letter queue. Safe on a running job: a step delivered twice commits once.",
  security: bearerAuth,
  middleware: staffCall(),
  request: { params: z.object({ job_id: z.string().min(1).max(100) }) },
  responses: {
    202: jsonResponse("Steps sent", ResumedJobSchema),
    ...staffErrorResponses,
    404: jsonResponse("No such job", ErrorDetailSchema),
    409: jsonResponse(
      "A retention job, while another retention job is still running (named in `detail`)",
      ErrorDetailSchema,
    ),
  },
});

const reshardRoute = createRoute({
  method: "post",
  path: "/api/admin/reshard",
  tags: ["Admin"],
  summary: "Grow to more shards online, moving the users whose shard changes (staff)",
  description:
    "Queues the reshard job over every current shard (202 and a job id, followed at GET /api/admin/jobs/{job_id}/). " +
    'Asking again for the reshard that runs answers the same job. README, "Adding shards".',
  security: bearerAuth,
  middleware: staffBodyCall(),
  request: jsonBody(ReshardRequestSchema),
  responses: {
    202: jsonResponse("Reshard queued (or already running)", ReshardResponseSchema),
    ...staffErrorResponses,
    ...bodyErrorResponses,
    409: jsonResponse(
      "Another reshard, or a job over every shard (retention, populate), is running",
      ErrorDetailSchema,
    ),
  },
});

/**
 * Rebuilds one user's feed from their events of the last `daysBack` days,
 * inside this request: the populate job on the user's shard only.
 */
async function generateUserFeed(c: Context<AppEnv>, userId: number, daysBack: number, now: number) {
  const since = populateSince(now, daysBack);
  // While a reshard copies the user this waits, then answers 503; the job's fence catches a move that starts meanwhile.
  const shard = (await (await shardsOf(c.env)).forUserWrite(userId)).index;
  const job = await runJobInline(c.env, c.var.config, "populate", { since, userId }, now, [shard]);
  // A move started meanwhile: the run went on to the user's new shard as queue work; the answer cannot count it.
  if (job.detail.handed_on) throw new UserMovingError([userId]);
  return { createdCount: job.affected, start: since, end: now, jobId: job.jobId };
}

export function registerAdminRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(generateRoute, async (c) => {
    const { user_id: userId, days_back: daysBack } = c.req.valid("json");
    const result = await generateUserFeed(c, userId, daysBack, Date.now());
    return c.json(
      {
        message: `Generated ${result.createdCount} activity feed items for user ${userId}`,
        created_count: result.createdCount,
        date_range: { start: isoTime(result.start), end: isoTime(result.end) },
      },
      200,
    );
  });

  app.openapi(populateRoute, async (c) => {
    const { user_id: userId, days_back: daysBack, dry_run: dryRun } = c.req.valid("json");
    const now = Date.now();
    if (dryRun) {
      const perShard = await countPopulateCandidates(c.env, daysBack, now, userId);
      const total = Object.values(perShard).reduce((sum, value) => sum + value, 0);
      return c.json(
        {
          status: "dry_run" as const,
          message: `DRY RUN: Would create ${total} activity feed items`,
          would_create: total,
          per_shard: perShard,
        },
        200,
      );
    }
    if (userId !== undefined) {
      const result = await generateUserFeed(c, userId, daysBack, now);
      return c.json(
        {
          status: "completed" as const,
          message: `Successfully created ${result.createdCount} activity feed items`,
          created_count: result.createdCount,
          job_id: result.jobId,
        },
        200,
      );
    }
    const job = await startPopulateAll(c.env, daysBack, now);
    return c.json(
      { status: "queued" as const, message: `Populating every shard (job ${job.jobId})`, job_id: job.jobId },
      202,
    );
  });

  app.openapi(reshardRoute, async (c) => {
    const reshard = await startReshard(c.env, c.var.config, c.req.valid("json").shard_count, Date.now());
    const message = reshard.existing
      ? `A reshard from ${reshard.from} to ${reshard.to} shards is already running (job ${reshard.jobId})`
      : `Resharding from ${reshard.from} to ${reshard.to} shards (job ${reshard.jobId})`;
    return c.json(
      {
        job_id: reshard.jobId,
        message,
        from_shards: reshard.from,
        to_shards: reshard.to,
        moves_from: isoTime(reshard.movesFrom),
      },
      202,
    );
  });

  app.openapi(jobRoute, async (c) => {
    const progress = await readJobProgress(c.env, c.req.valid("param").job_id);
    if (!progress) throw new NotFoundError("No such job.");
    return c.json(jobWire(progress), 200);
  });

  app.openapi(resumeRoute, async (c) => {
    const jobId = c.req.valid("param").job_id;
    const job = await readJobProgress(c.env, jobId);
    if (!job) throw new NotFoundError("No such job.");
    // A retention job brought back beside another that moves would walk the same rows.
    if (job.kind === "retention") await refuseWhileRetentionRuns(c.env, Date.now(), jobId);
    const resumed = await resumeJob(c.env, jobId);
    if (!resumed) throw new NotFoundError("No such job.");
    return c.json({ job_id: jobId, resumed_shards: resumed }, 202);
  });

  app.openapi(jobsRoute, async (c) =>
    c.json({ results: (await listRecentJobs(c.env, c.req.valid("query").limit)).map(jobWire) }, 200),
  );
}
