// Scenario 7: cleanup and archive through the service's queued jobs (rows per
// second, from the job's own progress), against a raw SQLite DELETE of the
// same rows on copies of the shard files the archive job starts from
// (bench/run.mjs). The service runs archive first (rows older than every
// retention), then cleanup (default retention), and the raw baseline does the
// same in the same order.
import { pollJob, staffClient } from "../lib/api.mjs";
import { ACTIVITY_TYPE_NAMES, DAY, retentionDays } from "../lib/dataset.mjs";
import { ARCHIVE_OLDER_THAN_DAYS } from "../lib/modes.mjs";
import { openDatabase } from "../lib/sqlite.mjs";
import { median, middleBy, ratio } from "../lib/stats.mjs";
import { usageDelta } from "./d1-cost.mjs";

/** A no-op write before timing: a fresh copy's first write creates its WAL file. */
const WARM_UP = "UPDATE feed_items SET is_read = is_read WHERE id = (SELECT min(id) FROM feed_items)";

function rawDelete(files, statements) {
  let rows = 0;
  let ms = 0;
  for (const file of files) {
    const db = openDatabase(file);
    db.exec(WARM_UP);
    for (const [sql, ...params] of statements) {
      const started = performance.now();
      rows += Number(db.prepare(sql).run(...params).changes);
      ms += performance.now() - started;
    }
    db.close();
  }
  return { rows, seconds: ms / 1000, rows_per_s: rows / (ms / 1000) };
}

/** One pass of the raw baselines, in the service's order: archive, then cleanup, each items then events. */
function rawPass(files, now, withCleanup) {
  const archiveCutoff = now - ARCHIVE_OLDER_THAN_DAYS * DAY;
  const archive = rawDelete(files, [["DELETE FROM feed_items WHERE created_at < ?", archiveCutoff]]);
  const archiveEvents = rawDelete(files, [["DELETE FROM events WHERE occurred_at < ?", archiveCutoff]]);
  if (!withCleanup) return { archive, archiveEvents };
  const cleanup = rawDelete(
    files,
    ACTIVITY_TYPE_NAMES.map((type) => [
      "DELETE FROM feed_items WHERE activity_type = ? AND created_at < ?",
      type,
      now - retentionDays(type) * DAY,
    ]),
  );
  const cleanupEvents = rawDelete(
    files,
    ACTIVITY_TYPE_NAMES.map((type) => [
      "DELETE FROM events WHERE event_type = ? AND occurred_at < ?",
      type,
      now - retentionDays(type) * DAY,
    ]),
  );
  return { archive, archiveEvents, cleanup, cleanupEvents };
}

/** One measure's median pass (by rows/s; the passes are odd in number), with every pass's rate for the report. */
function medianPass(passes, pick) {
  const runs = passes.map(pick);
  return {
    ...middleBy(runs, (run) => run.rows_per_s),
    passes_rows_per_s: runs.map((run) => Math.round(run.rows_per_s)),
  };
}

/**
 * The raw baselines: the target's DELETE of the items, then (for comparison
 * only) the stored events the service deletes in the same job. One pass's
 * rate moves by a fifth from one run to the next, so the passes repeat, each
 * on fresh copies of the shard files the archive job starts from
 * (`freshCopies()`, flushed to disk before timing), and each measure reports
 * its median pass. The first
 * `passes.cleanup` passes also run cleanup's DELETEs after archive's.
 */
export function retentionRaw({ freshCopies, passes, now, withCleanup = true }) {
  for (const [name, count] of Object.entries(passes)) {
    if (count % 2 === 0) throw new Error(`raw ${name} passes must be odd (got ${count}): the median must be one pass`);
  }
  if (withCleanup && passes.cleanup > passes.archive)
    throw new Error("cleanup's raw passes run after archive's: no more of them than archive's");
  const results = Array.from({ length: passes.archive }, (_, index) =>
    rawPass(freshCopies(), now, withCleanup && index < passes.cleanup),
  );
  const archive = medianPass(results, (pass) => pass.archive);
  const archiveEvents = medianPass(results, (pass) => pass.archiveEvents);
  const raw = {
    passes: passes.archive,
    archive: {
      ...archive,
      events: eventsBaseline(archive, archiveEvents),
      statement: `DELETE FROM feed_items WHERE created_at < now - ${ARCHIVE_OLDER_THAN_DAYS} days`,
    },
  };
  if (!withCleanup) return raw;
  const withCleanupPasses = results.slice(0, passes.cleanup);
  const cleanup = medianPass(withCleanupPasses, (pass) => pass.cleanup);
  const cleanupEvents = medianPass(withCleanupPasses, (pass) => pass.cleanupEvents);
  return {
    ...raw,
    cleanup: {
      ...cleanup,
      events: eventsBaseline(cleanup, cleanupEvents),
      statement: "DELETE FROM feed_items WHERE activity_type = ? AND created_at < now - retention(type), per type",
    },
  };
}

/** Items and events together: rows/s counted in items, time for both, like the service's job. */
const eventsBaseline = (items, events) => ({
  rows: events.rows,
  seconds: events.seconds,
  items_rows_per_s: items.rows / (items.seconds + events.seconds),
});

/** Rates over consecutive windows of the job's progress, and their median. */
function windowRates(samples, windowSeconds) {
  const rates = [];
  let from = samples[0];
  for (const sample of samples.slice(1)) {
    if (sample.t - from.t >= windowSeconds) {
      rates.push((sample.affected - from.affected) / (sample.t - from.t));
      from = sample;
    }
  }
  return rates;
}

/**
 * Starts a job (`start(staff, body)`, a staff client call), follows GET
 * /api/admin/jobs/{id}/ until it is done or `maxSeconds` have passed;
 * `available: false` (and why) when the API lacks the endpoint.
 */
async function followJob({ baseUrl, start, bodies, maxSeconds, log }) {
  const staff = staffClient(baseUrl);
  /** The staff client's answer as { path, status, json, d1 }; a refusal is an answer here, not an error. */
  const post = async (body) => {
    const json = await start(staff, body).catch((error) => {
      if (error.status > 0) return error.body;
      throw error;
    });
    return { ...staff.lastAnswer(), json };
  };
  // The first body the API accepts (e.g. `archive: false` only where cleanup has that switch).
  let body;
  let dryRun;
  for (body of bodies) {
    dryRun = await post({ ...body, dry_run: true });
    if (dryRun.status !== 400) break;
  }
  if (dryRun.status === 404) return { available: false, reason: `POST ${dryRun.path} answered 404: not in this build` };
  const started = performance.now();
  const response = await post(body);
  if (response.status !== 202 || !response.json?.job_id)
    return {
      available: false,
      reason: `POST ${response.path} answered ${response.status}: ${JSON.stringify(response.json).slice(0, 200)}`,
    };
  const jobId = response.json.job_id;
  // Timed by our clock when each progress report arrives: the job's own
  // updated_at is the start of the consumer invocation that committed the chunk
  // (src/jobs/runner.ts passes the batch's `now`), not the commit.
  const samples = [{ t: 0, affected: 0 }];
  const polls = [];
  const { answer: lastPoll, seconds } = await pollJob(staff, jobId, {
    started,
    maxSeconds,
    onPoll: (answer, t, pollMs) => {
      polls.push(pollMs);
      samples.push({ t, affected: answer.job.affected });
    },
  });
  const { job } = lastPoll;
  const rates = windowRates(samples, Math.max(2, Math.min(10, maxSeconds / 6)));
  log(
    `    ${response.path} ${JSON.stringify(body)}: ${job.done ? "done" : "stopped (time cap)"} — ${job.affected} of ${dryRun.json?.total ?? "?"} rows in ${seconds.toFixed(1)} s; slowest progress poll ${(Math.max(...polls) / 1000).toFixed(1)} s`,
  );
  return {
    available: true,
    body,
    job_id: jobId,
    rows_to_process: dryRun.json?.total ?? null,
    rows: job.affected,
    done: job.done,
    seconds,
    rows_per_s: job.affected / seconds,
    window_rows_per_s: rates,
    median_window_rows_per_s: median(rates),
    slowest_poll_seconds: Math.max(...polls) / 1000,
    detail: job.detail,
    d1: jobUsage(dryRun.d1, response.d1, lastPoll.d1, job.affected),
  };
}

/**
 * The job's D1 work per row: what the consumer did between the dry run and
 * the last poll (background), plus the starting request's own. Null without the meter.
 */
function jobUsage(beforeStart, start, last, rows) {
  if (!beforeStart || !start || !last) return null;
  const { background: _, ...own } = start;
  const after = Object.fromEntries(Object.entries(last.background).map(([key, value]) => [key, value + own[key]]));
  return usageDelta(beforeStart.background, after, rows, "row");
}

export async function archiveService({ baseUrl, mode, log }) {
  return followJob({
    baseUrl,
    start: (staff, body) => staff.archive(body),
    bodies: [{ older_than_days: ARCHIVE_OLDER_THAN_DAYS }],
    maxSeconds: mode.jobSeconds.archive,
    log,
  });
}

/** Cleanup without archiving (a plain delete, like the baseline) when the API has the switch. */
export async function cleanupService({ baseUrl, mode, log }) {
  return followJob({
    baseUrl,
    start: (staff, body) => staff.cleanup(body),
    bodies: [{ archive: false }, {}],
    maxSeconds: mode.jobSeconds.cleanup,
    log,
  });
}

/**
 * The service's rate: a finished job's rows over its whole time (start-up and
 * the stored-events phase included); for a job stopped at the time cap, the
 * median over windows of its progress when there are several.
 */
export const serviceRate = (run) =>
  run?.available
    ? !run.done && run.window_rows_per_s.length >= 3
      ? run.median_window_rows_per_s
      : run.rows_per_s
    : null;

/**
 * The median of repeated runs of one job (by the rate serviceRate takes), with
 * every run's rate for the report; of an even number (a run failed), the
 * slower middle one.
 */
export function medianRun(runs) {
  const measured = runs.filter((run) => run?.available);
  if (measured.length === 0) return runs.find((run) => run) ?? null;
  return { ...middleBy(measured, serviceRate), runs_rows_per_s: measured.map((run) => Math.round(serviceRate(run))) };
}

export function retentionResult(service, raw) {
  return {
    service,
    raw,
    slowdown: ratio(raw?.rows_per_s ?? null, serviceRate(service)),
    slowdown_with_events: ratio(raw?.events?.items_rows_per_s ?? null, serviceRate(service)),
  };
}
