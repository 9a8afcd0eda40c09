#!/usr/bin/env node
// `npm run bench` (about 18 minutes) or `npm run bench -- --quick` (about 3).
// Flags: --quick, --fresh (re-apply the migrations instead of reusing the
// migrated template), --port N (default 8799), --only reads,mark_read,
// ingestion,retention,archive,live,reshard (some scenarios; the report then goes to
// bench/.state/results, not bench/results; `archive` is retention without
// cleanup), --reuse-dataset (with --only: the last dataset this mode loaded,
// instead of loading a new one).
//
//  0. a fresh local state under bench/.state (never .wrangler/state), the
//     Worker bundled once, the dataset written straight into the shard files,
//     storage measured, the raw mark-read baseline run on copies of those files;
//  1. the Worker in asynchronous mode: reads, mark-read, queue ingestion; then
//     the state they left is copied, the raw retention baselines run on copies
//     of its shard files, and the archive job runs (full mode: three times),
//     each run on a fresh Worker over that copy;
//  2. the Worker in synchronous mode: one-event-per-request ingestion, cleanup;
//  3. the live channel: its fasts' participants written into the shard files,
//     then a Worker in synchronous mode with 1,000 WebSockets open: delivery
//     latency, the first page, the reminder fan-out connected vs not;
//  4. bench/results/latest.json and latest.md.
import { closeSync, cpSync, existsSync, fsyncSync, mkdirSync, openSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { ROOT } from "../scripts/lib/project.mjs";
import { randomSource } from "./lib/dataset.mjs";
import { liveUsers, loadDataset, loadLiveParticipants, markReadUserIds } from "./lib/load-dataset.mjs";
import { BENCH_JWT_SECRET, BENCH_PORT, MODES } from "./lib/modes.mjs";
import { readPeerReference, writePeerReference, writeReport } from "./lib/report.mjs";
import { buildWorker, startDevServer, startServer } from "./lib/server.mjs";
import { openDatabase, sqliteDriver } from "./lib/sqlite.mjs";
import { databaseBytes, prepareRunState, restoreDataset, STATE_DIR, saveDataset, snapshotState } from "./lib/state.mjs";
import { d1Operations, readCosts } from "./scenarios/d1-cost.mjs";
import { measureDevServing } from "./scenarios/dev-server.mjs";
import { ingestionResult, ingestOnePerRequest, ingestViaQueue } from "./scenarios/ingestion.mjs";
import { channelStorage, runLive } from "./scenarios/live.mjs";
import { markReadRaw, markReadResult, markReadService } from "./scenarios/mark-read.mjs";
import { runPeer } from "./scenarios/peer.mjs";
import { checkDataVisible, meterCost, runReadScenarios } from "./scenarios/reads.mjs";
import { runReshard } from "./scenarios/reshard.mjs";
import { archiveService, cleanupService, medianRun, retentionRaw, retentionResult } from "./scenarios/retention.mjs";
import { measureStorage, scaleOnPaper } from "./scenarios/scale.mjs";

const { values: flags } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    fresh: { type: "boolean", default: false },
    port: { type: "string", default: String(BENCH_PORT) },
    only: { type: "string" },
    "reuse-dataset": { type: "boolean", default: false },
    peer: { type: "string" },
  },
});
if (flags.peer !== undefined && flags.peer !== "django") {
  console.error(`--peer: the only peer is django (got ${flags.peer})`);
  process.exit(2);
}
const SCENARIOS = ["reads", "mark_read", "ingestion", "retention", "archive", "live"];
// Only on request: the note on `npm run dev`'s serving, not a target; a reshard, which changes the deployment.
const OPT_IN = ["dev_server", "reshard"];
const only = flags.only ? flags.only.split(",").map((name) => name.trim()) : SCENARIOS;
const unknown = only.filter((name) => !SCENARIOS.includes(name) && !OPT_IN.includes(name));
if (unknown.length > 0) {
  console.error(
    `--only: unknown scenario(s) ${unknown.join(", ")}; choose from ${[...SCENARIOS, ...OPT_IN].join(", ")}`,
  );
  process.exit(2);
}
if (flags["reuse-dataset"] && !flags.only) {
  console.error("--reuse-dataset needs --only: the committed results always come from a freshly loaded dataset");
  process.exit(2);
}
// `archive` is the retention scenario without its cleanup half.
const runs = (scenario) => only.includes(scenario) || (scenario === "archive" && only.includes("retention"));
const mode = MODES[flags.quick ? "quick" : "full"];
const runStarted = Date.now();
const elapsed = () => `${((Date.now() - runStarted) / 1000).toFixed(0)} s`;
const log = (line) => console.log(line);
const phase = (title) => log(`\n[${elapsed()}] ${title}`);

const results = {
  mode: mode.name,
  started_at: new Date(runStarted).toISOString(),
  machine: {
    cpus: os.cpus().length,
    node: process.version,
    sqlite: { driver: sqliteDriver().name, version: sqliteDriver().version, why: sqliteDriver().reason ?? null },
  },
  settings: mode,
  phases: {},
  errors: [],
};

/** Runs one scenario; a failure is recorded and the run goes on with the others. */
async function attempt(name, work) {
  const started = Date.now();
  try {
    return await work();
  } catch (error) {
    log(`  ! ${name} failed: ${error.stack ?? error}`);
    results.errors.push({ scenario: name, error: String(error.message ?? error) });
    return null;
  } finally {
    results.phases[name] = (Date.now() - started) / 1000;
  }
}

function serverVars({ asyncIngestion, meter, extra = {} }) {
  return {
    ...extra,
    ENVIRONMENT: "production",
    CORS_ALLOWED_ORIGINS: "https://bench.invalid",
    JWT_SECRET: BENCH_JWT_SECRET,
    USE_ASYNC_ACTIVITY_FEED: asyncIngestion ? "true" : "false",
    ...(meter ? { D1_METER: "true" } : {}),
  };
}

/** Starts the Worker (D1 meter on or off), runs `work`, always stops it. */
async function withServer(name, { asyncIngestion, meter, extra }, work) {
  const logFile = path.join(STATE_DIR, "logs", `worker-${name}.log`);
  rmSync(logFile, { force: true });
  const server = await startServer({
    bundle,
    persistTo: state.persistTo,
    port: Number(flags.port),
    vars: serverVars({ asyncIngestion, meter, extra }),
    logFile,
  });
  log(
    `  Worker ready on ${server.url} in ${server.startSeconds.toFixed(1)} s (workerd pid ${server.workerdPids.join(", ")}; USE_ASYNC_ACTIVITY_FEED=${asyncIngestion}, D1 meter ${meter ? "on" : "off"}; log ${path.relative(ROOT, logFile)})`,
  );
  try {
    return await work({
      baseUrl: server.url,
      logFile,
      cpuSeconds: server.cpuSeconds,
      residentBytes: server.residentBytes,
    });
  } finally {
    await server.stop();
  }
}

log(`Benchmark, ${mode.name} mode. SQLite driver for direct access: ${sqliteDriver().name} ${sqliteDriver().version}`);
if (sqliteDriver().reason) log(`  (${sqliteDriver().reason})`);

phase("Preparing a fresh state and bundling the Worker");
mkdirSync(path.join(STATE_DIR, "logs"), { recursive: true });
const state = await prepareRunState({ fresh: flags.fresh, log });
const bundle = buildWorker(path.join(STATE_DIR, "build"));

phase("Writing the dataset into the shard files");
const loadedAt = Date.now();
const reused = flags["reuse-dataset"] ? restoreDataset(mode.name, state.shardFiles) : undefined;
if (reused)
  log(`  reusing the ${mode.name} dataset loaded at ${new Date(reused.loaded_at).toISOString()} (--reuse-dataset)`);
else if (flags["reuse-dataset"]) log("  no saved dataset for this mode yet: loading one");
results.dataset = reused ?? {
  ...loadDataset({ shardFiles: state.shardFiles, mode, now: loadedAt, log }),
  loaded_at: loadedAt,
};
if (!reused) saveDataset(mode.name, state.shardFiles, results.dataset);
results.storage = measureStorage(state.shardFiles);
log(
  `  ${results.storage.items.toLocaleString("en")} items, ${results.storage.events.toLocaleString("en")} events, ${(results.storage.file_bytes / 1e6).toFixed(0)} MB over ${state.shardFiles.length} shards`,
);

const rawDir = path.join(STATE_DIR, "raw");
/**
 * Copies of shard files (with their WALs) for a raw baseline to change. Each
 * is flushed to disk before it is used: otherwise the first commit timed on it
 * would also pay for writing out the whole freshly copied file.
 */
function rawCopies(sourceFiles) {
  rmSync(rawDir, { recursive: true, force: true });
  mkdirSync(rawDir, { recursive: true });
  return sourceFiles.map((file, index) => {
    const copy = path.join(rawDir, `shard-${index}.sqlite`);
    for (const suffix of ["", "-wal"]) {
      if (suffix && !existsSync(`${file}${suffix}`)) continue;
      cpSync(`${file}${suffix}`, `${copy}${suffix}`);
      const descriptor = openSync(`${copy}${suffix}`, "r+");
      fsyncSync(descriptor);
      closeSync(descriptor);
    }
    return copy;
  });
}
const markReadUsers = markReadUserIds(mode);
let rawMarkRead;
if (runs("mark_read")) {
  phase("Raw SQLite baseline of mark-read on copies of the shard files");
  try {
    rawMarkRead = markReadRaw({ rawFiles: rawCopies(state.shardFiles), userIds: markReadUsers });
    log(
      `  mark all read, raw UPDATE: median ${rawMarkRead.median_ms.toFixed(1)} ms over ${rawMarkRead.runs.length} users`,
    );
  } finally {
    rmSync(rawDir, { recursive: true, force: true });
  }
}

const shuffled = Array.from({ length: mode.regularUsers }, (_, index) => index + 1);
const random = randomSource(9);
for (let index = shuffled.length - 1; index > 0; index--) {
  const other = Math.floor(random() * (index + 1));
  [shuffled[index], shuffled[other]] = [shuffled[other], shuffled[index]];
}

let reads;
let readCostsResult;
let markRead;
let queue;
if (runs("reads")) {
  phase("Worker in asynchronous mode, D1 meter off: floor, first page, depth, history size");
  await withServer("reads", { asyncIngestion: true, meter: false }, async ({ baseUrl, cpuSeconds }) => {
    await checkDataVisible({ baseUrl, mode, markReadUserIds: markReadUsers });
    log("  the Worker sees the loaded data (history and mark-read users' counts match)");
    log("  scenarios 1-4: floor, first page, depth, history size");
    reads = await attempt("reads", () =>
      runReadScenarios({ baseUrl, mode, regularUserIds: shuffled, cpuSeconds, log }),
    );
  });
}
// Everything below is measured with the meter on: it costs microseconds per D1
// call, which only requests of a fraction of a millisecond notice (bench/README.md).
if (runs("reads") || runs("mark_read") || runs("ingestion")) {
  phase("Worker in asynchronous mode, D1 meter on: D1 per read request, mark-read, queue ingestion");
  await withServer("async", { asyncIngestion: true, meter: true }, async ({ baseUrl, logFile, cpuSeconds }) => {
    await checkDataVisible({ baseUrl, mode, markReadUserIds: markReadUsers });
    if (runs("reads")) {
      log("  D1 cost of every read request (one at a time, untimed)");
      readCostsResult = await attempt("d1_reads", () =>
        readCosts({
          baseUrl,
          mode,
          shardFiles: state.shardFiles,
          regularUserIds: shuffled,
          depthPath: reads?.depth_path,
          log,
        }),
      );
      if (reads)
        reads.meter_cost = await attempt("meter_cost", () =>
          meterCost({ baseUrl, mode, regularUserIds: shuffled, cpuSeconds, reads, log }),
        );
    }
    if (runs("mark_read")) {
      log("  scenario 5: mark all read");
      markRead = await attempt("mark_read", () =>
        markReadService({ baseUrl, userIds: markReadUsers, expected: mode.markReadItems }),
      );
      if (markRead)
        log(
          `    median ${markRead.median_ms.toFixed(1)} ms (${markRead.runs.map((run) => run.ms.toFixed(0)).join(", ")} ms)`,
        );
    }
    if (runs("ingestion")) {
      log("  scenario 6: ingestion through the queue");
      queue = await attempt("ingestion_queue", () =>
        ingestViaQueue({ baseUrl, shardFiles: state.shardFiles, logFile, mode, log }),
      );
    }
  });
}

// The archive job consumes its rows, so each of its runs starts from a copy
// of the state the scenarios above left (their cached counts, WALs and all)
// on a fresh Worker: every run measures the same thing. The raw baselines
// delete the same rows from copies of the same shard files, so that the ratio
// compares the job with a DELETE, not one database state with another.
const archiveRuns = [];
let rawRetention;
if (runs("archive")) {
  const snapshot = snapshotState(state.persistTo, "before-archive");
  try {
    phase("Raw SQLite baselines of retention on copies of that state");
    try {
      const freshCopies = () => rawCopies(state.shardFiles.map(snapshot.pathOf));
      rawRetention = retentionRaw({
        freshCopies,
        passes: mode.rawRetentionPasses,
        now: Date.now(),
        withCleanup: runs("retention"),
      });
      for (const name of runs("retention") ? ["archive", "cleanup"] : ["archive"]) {
        const raw = rawRetention[name];
        log(
          `  ${name}, raw DELETE: ${raw.rows.toLocaleString("en")} rows, ${raw.rows_per_s.toFixed(0)} rows/s (passes: ${raw.passes_rows_per_s.join(", ")})`,
        );
      }
    } finally {
      rmSync(rawDir, { recursive: true, force: true });
    }
    phase(`Archive: ${mode.archiveRuns} run(s) of the job, each on a fresh Worker over the same state`);
    for (let run = 1; run <= mode.archiveRuns; run++) {
      if (run > 1) snapshot.restore();
      await withServer(`archive-${run}`, { asyncIngestion: true, meter: true }, async ({ baseUrl }) => {
        log(`  scenario 7: archive, run ${run} of ${mode.archiveRuns}`);
        archiveRuns.push(
          await attempt(run === 1 ? "archive" : `archive_run_${run}`, () => archiveService({ baseUrl, mode, log })),
        );
      });
    }
  } finally {
    snapshot.discard();
  }
}

let sync;
let cleanup;
if (runs("ingestion") || runs("retention")) {
  phase("Worker in synchronous mode: one event per request, cleanup");
  // A fresh start also drops whatever is left of a time-capped archive job (local queues live in memory).
  await withServer("sync", { asyncIngestion: false, meter: true }, async ({ baseUrl, cpuSeconds }) => {
    if (runs("ingestion")) {
      log("  scenario 6: baseline, one event per request (one transaction each)");
      sync = await attempt("ingestion_sync", () => ingestOnePerRequest({ baseUrl, mode, cpuSeconds, log }));
    }
    if (runs("retention")) {
      log("  scenario 7: cleanup");
      cleanup = await attempt("cleanup", () => cleanupService({ baseUrl, mode, log }));
    }
  });
}

// Measured before the live scenario adds its reminders' items to the shard files.
const shardFilesAfter = {
  file_bytes: state.shardFiles.reduce((sum, file) => sum + databaseBytes(file), 0),
  freelist_pages: state.shardFiles.reduce((sum, file) => {
    const db = openDatabase(file, { readOnly: true });
    const pages = db.prepare("PRAGMA freelist_count").get().freelist_count;
    db.close();
    return sum + pages;
  }, 0),
};

let live;
if (runs("live")) {
  phase("Live channel: its participants written into the shard files; the Worker in synchronous mode, D1 meter off");
  results.dataset.live_participants = loadLiveParticipants({
    shardFiles: state.shardFiles,
    mode,
    now: Date.now(),
    log,
  });
  await withServer("live", { asyncIngestion: false, meter: false }, async (server) => {
    log("  scenario 9: WebSockets, delivery latency, first page with them open, reminder fan-out");
    live = await attempt("live", () =>
      runLive({ ...server, mode, shardFiles: state.shardFiles, regularUserIds: shuffled, log }),
    );
  });
  if (live) {
    live.channels = await attempt("live_channels", () => channelStorage(state.persistTo, liveUsers(mode).connected));
    if (live.channels)
      log(
        `  channel objects in the Worker's storage: ${live.channels.objects} (${live.channels.of_connected_users} of connected users, ${live.channels.of_other_users} of others); ${live.channels.item_created} item.created logged`,
      );
  }
}

let reshard;
if (runs("reshard")) {
  phase("Reshard 4 -> 5 under a bounded mixed load (list, mark-read, ingest); the Worker in synchronous mode");
  // Users start moving once every isolate's routing has seen the reshard: 2 s here instead of 30.
  await withServer(
    "reshard",
    { asyncIngestion: false, meter: false, extra: { ROUTING_CACHE_SECONDS: "2" } },
    async ({ baseUrl }) => {
      log("  scenario 10: reshard under load");
      reshard = await attempt("reshard", () => runReshard({ baseUrl, mode, regularUserIds: shuffled, log }));
    },
  );
}

let devServing;
if (runs("dev_server")) {
  phase("npm run dev's serving: the floor and the first page, direct and through wrangler dev");
  devServing = await attempt("dev_server", () =>
    measureDevServing({
      mode,
      regularUserIds: shuffled,
      log,
      serve: async (serving, work) => {
        const logFile = path.join(STATE_DIR, "logs", `worker-${serving.name}.log`);
        rmSync(logFile, { force: true });
        const options = { bundle, persistTo: state.persistTo, port: Number(flags.port), logFile };
        const vars = serverVars({ asyncIngestion: true, meter: false });
        const server = serving.dev
          ? await startDevServer({ ...options, vars, observability: serving.observability })
          : await startServer({ ...options, vars });
        try {
          return await work({ baseUrl: server.url, cpuSeconds: server.groupCpuSeconds });
        } finally {
          await server.stop();
        }
      },
    }),
  );
}

let peer;
if (flags.peer) {
  phase("The original design (Django/DRF on PostgreSQL) on the same dataset, the Worker stopped");
  peer = await attempt("peer_django", () =>
    runPeer({
      mode,
      now: results.dataset.loaded_at,
      regularUserIds: shuffled,
      markReadUserIds: markReadUsers,
      steps: { reads: runs("reads"), markRead: runs("mark_read"), cleanup: runs("retention") },
      log,
    }),
  );
}

results.scenarios = only;
if (runs("reads")) results.reads = reads;
if (runs("mark_read"))
  results.mark_read = markRead
    ? markReadResult(markRead, rawMarkRead)
    : { service: null, raw: rawMarkRead, ratio: null };
if (runs("ingestion")) results.ingestion = ingestionResult(queue, sync);
if (runs("archive")) {
  results.retention = {
    archive: retentionResult(medianRun(archiveRuns), rawRetention.archive),
    ...(runs("retention") ? { cleanup: retentionResult(cleanup, rawRetention.cleanup) } : {}),
    after: shardFilesAfter,
  };
}
results.d1 = {
  reads: readCostsResult ?? null,
  operations: d1Operations({
    reads: readCostsResult,
    markRead,
    queue,
    sync,
    archive: runs("archive") ? medianRun(archiveRuns) : null,
    cleanup,
  }),
};
if (runs("live")) results.live = live;
if (runs("dev_server")) results.dev_server = devServing;
if (runs("reshard")) results.reshard = reshard;
if (peer) results.peer = peer;
else results.peer_reference = readPeerReference(mode.name);
results.scale = scaleOnPaper(results.storage);
results.total_seconds = (Date.now() - runStarted) / 1000;

phase("Report");
// Only a run of every scenario replaces the committed results.
const written = await writeReport(
  results,
  flags.only ? path.join(STATE_DIR, "results") : path.join(ROOT, "bench", "results"),
);
if (peer && !flags.only) written.push(writePeerReference(peer, results));
for (const file of written) log(`  ${path.relative(ROOT, file)} (${statSync(file).size} bytes)`);
log(`\nDone in ${elapsed()}.`);
process.exitCode = results.errors.length > 0 ? 1 : 0;
