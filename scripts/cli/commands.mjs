// The operator commands, mirroring the original management commands; `api` is the typed staff
// client (createStaffClient of activity-feed/client).
import { countsTable, number, progressReporter, table } from "./format.mjs";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Follows a queued job until every shard is done, showing progress. */
async function followJob(api, jobId, { json, verb }) {
  const progress = json ? { update() {}, done() {} } : progressReporter();
  for (;;) {
    const job = await api.jobs.get(jobId);
    const shardsDone = job.shards.filter((shard) => shard.done).length;
    progress.update(
      `${job.kind} ${jobId}: ${number(job.processed)} processed, ${number(job.affected)} ${verb}, ${shardsDone}/${job.shards.length} shards done`,
    );
    if (job.done) {
      progress.done();
      return job;
    }
    await sleep(500);
  }
}

function shardTable(job) {
  return table(job.shards, [
    { title: "shard", value: (shard) => shard.shard, align: "right" },
    { title: "chunks", value: (shard) => shard.step, align: "right" },
    { title: "processed", value: (shard) => number(shard.processed), align: "right" },
    { title: "affected", value: (shard) => number(shard.affected), align: "right" },
  ]);
}

export async function cleanup(api, options, out) {
  const body = {
    dry_run: options["dry-run"],
    only_read: options["only-read"],
    ...(options["activity-type"] ? { activity_type: options["activity-type"] } : {}),
    ...(options["older-than-days"] ? { older_than_days: Number(options["older-than-days"]) } : {}),
    ...(options["no-archive"] ? { archive: false } : {}),
  };
  const run = await api.cleanup(body);
  if (options.json && run.status === "dry_run") return out.json(run);
  if (run.status === "dry_run") {
    out.line(
      `By type:\n${countsTable(run.per_type, "activity_type")}\n\nBy shard:\n${countsTable(run.per_shard, "shard")}\n`,
    );
    return out.line(`DRY RUN: Would delete ${run.total} items total`);
  }
  const job = await followJob(api, run.job_id, { json: options.json, verb: "deleted" });
  if (options.json) return out.json(job);
  // detail holds the items deleted per type, plus `archived` and the stored `events` deleted.
  const { archived, events, ...perType } = job.detail;
  out.line(`${shardTable(job)}\n\nBy type:\n${countsTable(perType, "activity_type")}\n`);
  if (archived) out.line(`Archived ${archived} items to R2 (run ${job.job_id}) before deleting them.`);
  if (events) out.line(`Deleted ${events} stored events past retention too.`);
  out.line(`Successfully deleted ${job.affected} items total`);
}

export async function populate(api, options, out) {
  const userId = options["user-id"] ? Number(options["user-id"]) : undefined;
  const body = {
    days_back: Number(options["days-back"] ?? 30),
    dry_run: options["dry-run"],
    ...(userId ? { user_id: userId } : {}),
  };
  if (userId && !options.json) out.line(`Processing user: ${userId}`);
  const run = await api.populate(body);
  if (run.status === "dry_run")
    return options.json ? out.json(run) : out.line(`DRY RUN: Would create ${run.would_create} activity feed items`);
  if (run.status === "completed")
    return options.json ? out.json(run) : out.line(`Successfully created ${run.created_count} activity feed items`);
  const job = await followJob(api, run.job_id, { json: options.json, verb: "created" });
  if (options.json) return out.json(job);
  out.line(`${shardTable(job)}\n`);
  out.line(`Successfully created ${job.affected} activity feed items`);
}

export async function archive(api, options, out) {
  const body = {
    older_than_days: Number(options["older-than-days"] ?? 365),
    dry_run: options["dry-run"],
    only_read: options["only-read"],
  };
  const run = await api.archive(body);
  if (run.status === "dry_run")
    return options.json
      ? out.json(run)
      : out.line(`${countsTable(run.per_shard, "shard")}\n\nDRY RUN: Would archive ${run.total} items total`);
  const job = await followJob(api, run.job_id, { json: options.json, verb: "archived" });
  if (options.json) return out.json({ ...job, archived_count: job.detail.archived ?? 0, deleted_count: job.affected });
  out.line(`${shardTable(job)}\n`);
  out.line(`Archived ${job.detail.archived ?? 0} items, deleted ${job.affected} (run ${job.job_id}).`);
  out.line(`Restore with: npm run feed -- restore ${job.job_id}`);
}

/** `restore <key>` restores one object; `restore <run id>` every object of that run. */
export async function restore(api, options, out, target) {
  if (!target) throw new UsageError("restore needs an archive key or a run id (see `archives`)");
  let keys = [target];
  if (!target.endsWith(".ndjson.gz") && !target.endsWith(".manifest.json")) {
    keys = [];
    let cursor;
    do {
      const page = await api.archives({ run_id: target, cursor });
      keys.push(...page.results.map((entry) => entry.key));
      cursor = page.next_cursor;
    } while (cursor);
    if (keys.length === 0) throw new Error(`no archives for run ${target}`);
  }
  const progress = options.json ? { update() {}, done() {} } : progressReporter();
  const results = [];
  for (const [index, key] of keys.entries()) {
    progress.update(`restoring ${index + 1}/${keys.length}: ${key}`);
    results.push(await api.restore(key));
  }
  progress.done();
  if (options.json) return out.json({ results });
  const restored = results.reduce((sum, result) => sum + result.restored, 0);
  const skipped = results.reduce((sum, result) => sum + result.skipped, 0);
  out.line(`Restored ${restored} items from ${keys.length} archive(s); ${skipped} were already present.`);
  const queued = results.reduce((sum, result) => sum + (result.cache_refresh_queued ?? 0), 0);
  if (queued > 0) out.line(`The cached unread counts of ${queued} users are refreshed by the queue in a moment.`);
}

export async function archives(api, options, out) {
  const page = await api.archives({ run_id: options["run-id"] });
  if (options.json) return out.json(page);
  out.line(
    table(page.results, [
      { title: "key", value: (entry) => entry.key },
      { title: "rows", value: (entry) => number(entry.rows), align: "right" },
      { title: "bytes", value: (entry) => number(entry.bytes), align: "right" },
      { title: "from", value: (entry) => entry.first_created_at.slice(0, 10) },
      { title: "to", value: (entry) => entry.last_created_at.slice(0, 10) },
    ]),
  );
  out.line(
    `\n${page.count} archive(s), ${number(page.total_rows)} rows${page.next_cursor ? " (more: use the API's cursor)" : ""}`,
  );
}

export async function stats(api, options, out) {
  if (options["user-id"]) {
    const user = await api.userStats(Number(options["user-id"]));
    if (options.json) return out.json(user);
    out.line(
      `User ${user.user_id} (shard ${user.shard}) has ${user.total_items} items, ${user.unread_count} unread, ` +
        `${user.unseen_count} unseen; ${user.archived_count} archived\n`,
    );
    return out.line(countsTable(user.activity_types, "activity_type"));
  }
  const result = await api.stats();
  if (options.json) return out.json(result);
  out.line(
    table(
      [...result.shards, { shard: "total", ...result.total }],
      [
        { title: "shard", value: (row) => row.shard, align: "right" },
        { title: "items", value: (row) => number(row.items), align: "right" },
        { title: "unread", value: (row) => number(row.unread_items), align: "right" },
        { title: "unseen", value: (row) => number(row.unseen_items), align: "right" },
        { title: "archived", value: (row) => number(row.archived_items), align: "right" },
        { title: "users", value: (row) => number(row.users), align: "right" },
        { title: "events", value: (row) => number(row.events), align: "right" },
        { title: "db bytes", value: (row) => number(row.database_bytes), align: "right" },
        { title: "oldest item", value: (row) => row.oldest_item ?? "-" },
      ],
    ),
  );
  out.line(`\nItems per type:\n${countsTable(result.total.items_per_type, "activity_type")}`);
  if (result.total.bytes_per_item) out.line(`\n~${result.total.bytes_per_item} bytes per item (database size / items)`);
}

export async function jobs(api, options, out, jobId, extra) {
  if (jobId === "resume") {
    if (!extra) throw new UsageError("jobs resume needs a job id");
    const resumed = await api.jobs.resume(extra);
    if (options.json) return out.json(resumed);
    if (resumed.resumed_shards.length === 0) return out.line(`Job ${extra} has nothing left to do.`);
    out.line(`Resumed shard(s) ${resumed.resumed_shards.join(", ")}.`);
    const job = await followJob(api, extra, { json: false, verb: "affected" });
    return out.line(shardTable(job));
  }
  if (jobId) {
    const job = await api.jobs.get(jobId);
    return options.json
      ? out.json(job)
      : out.line(`${job.kind} ${job.job_id}: ${job.done ? "done" : "running"}\n${shardTable(job)}`);
  }
  const list = await api.jobs.list({ limit: 20 });
  if (options.json) return out.json(list);
  out.line(
    table(list.results, [
      { title: "job", value: (job) => job.job_id },
      { title: "kind", value: (job) => job.kind },
      { title: "state", value: (job) => (job.done ? "done" : "running") },
      { title: "processed", value: (job) => number(job.processed), align: "right" },
      { title: "affected", value: (job) => number(job.affected), align: "right" },
      { title: "started", value: (job) => job.started_at },
    ]),
  );
}

/** `reshard --to N`: grows the deployment online and follows the move, shard by shard. */
export async function reshard(api, options, out) {
  if (!options.to) throw new UsageError("reshard needs --to N (the shard count to grow to)");
  const started = await api.reshard({ shard_count: Number(options.to) });
  if (!options.json) out.line(`${started.message}; users start moving at ${started.moves_from}.`);
  const progress = options.json ? { update() {}, done() {} } : progressReporter();
  let job;
  for (;;) {
    job = await api.jobs.get(started.job_id);
    const { scanned = 0, moved = 0, copied = 0 } = job.detail;
    const shardsDone = job.shards.filter((shard) => shard.done).length;
    progress.update(
      `reshard ${started.job_id}: ${number(scanned)} users scanned, ${number(moved)} moved, ` +
        `${number(copied)} rows copied, ${shardsDone}/${job.shards.length} shards done`,
    );
    if (job.done) break;
    await sleep(500);
  }
  progress.done();
  if (options.json) return out.json({ ...started, job });
  out.line(
    table(job.shards, [
      { title: "from shard", value: (shard) => shard.shard, align: "right" },
      { title: "chunks", value: (shard) => shard.step, align: "right" },
      { title: "users moved", value: (shard) => number(shard.processed), align: "right" },
    ]),
  );
  const seconds = (Date.parse(job.updated_at) - Date.parse(job.started_at)) / 1000;
  out.line(
    `\nMoved ${number(job.detail.moved ?? 0)} users (${number(job.detail.copied ?? 0)} rows) from ${started.from_shards} ` +
      `to ${started.to_shards} shards in ${seconds.toFixed(1)} s; the deployment now routes over ${started.to_shards}.`,
  );
}

export class UsageError extends Error {}
