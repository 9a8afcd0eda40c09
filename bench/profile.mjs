#!/usr/bin/env node
// `npm run bench:profile -- --request first_page_random [--quick] [--seconds 10]`:
// where the Worker's CPU goes for one kind of request (or, `--request archive`,
// for one archive job from start to end). Serves the dataset the
// last `npm run bench` of that mode saved (bench/.state/dataset-<mode>-…) as
// the bench does (D1 meter off), loads it with autocannon while the V8
// sampling profiler runs in every isolate of the workerd process, and prints
// busy time per isolate, per source (src/…, hono, zod, drizzle-orm, …) and
// per function, next to the process's CPU per request. The profiles go to
// bench/.state/profiles/ (open them in Chrome DevTools).
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { ROOT } from "../scripts/lib/project.mjs";
import { authHeader, FEED, pollJob, staffClient } from "./lib/api.mjs";
import { profileIsolates, sourceLookup, summarizeProfiles } from "./lib/cpu-profile.mjs";
import { HISTORY_USER_BASE, randomSource } from "./lib/dataset.mjs";
import { runOnce } from "./lib/http-load.mjs";
import { ARCHIVE_OLDER_THAN_DAYS, BENCH_JWT_SECRET, BENCH_PORT, MODES } from "./lib/modes.mjs";
import { buildWorker, startServer } from "./lib/server.mjs";
import { prepareRunState, restoreDataset, STATE_DIR } from "./lib/state.mjs";
import { firstPageRandom } from "./scenarios/reads.mjs";

const { values: flags } = parseArgs({
  options: {
    request: { type: "string", default: "first_page_random" },
    quick: { type: "boolean", default: false },
    seconds: { type: "string", default: "10" },
    port: { type: "string", default: String(BENCH_PORT) },
    inspector: { type: "string", default: "9239" },
    // Isolates to sample (the inspector's ids); all of them by default.
    isolates: { type: "string" },
    // The Worker with its D1 meter on (D1_METER=true), to see what the meter costs.
    meter: { type: "boolean", default: false },
  },
});
const mode = MODES[flags.quick ? "quick" : "full"];

const shuffled = Array.from({ length: mode.regularUsers }, (_, index) => index + 1);
const shuffle = randomSource(9);
for (let index = shuffled.length - 1; index > 0; index--) {
  const other = Math.floor(shuffle() * (index + 1));
  [shuffled[index], shuffled[other]] = [shuffled[other], shuffled[index]];
}
const big = HISTORY_USER_BASE + Math.max(...mode.historySizes);
const asBig = { authorization: authHeader(big) };
const REQUESTS = {
  floor: { name: "floor", path: "/health" },
  first_page_random: firstPageRandom(mode, shuffled),
  cursor_page_1: { name: "cursor_page_1", path: `${FEED}?pagination=cursor`, headers: asBig },
  summary: { name: "summary", path: `${FEED}summary/`, headers: asBig },
};
const target = REQUESTS[flags.request];
if (!target && flags.request !== "archive") {
  console.error(`--request: one of ${[...Object.keys(REQUESTS), "archive"].join(", ")}`);
  process.exit(2);
}

const state = await prepareRunState({ log: () => {} });
if (!restoreDataset(mode.name, state.shardFiles)) {
  console.error(`no saved ${mode.name} dataset: run \`npm run bench${flags.quick ? " -- --quick" : ""}\` once first`);
  process.exit(1);
}
const bundle = buildWorker(path.join(STATE_DIR, "build"));
mkdirSync(path.join(STATE_DIR, "logs"), { recursive: true });
const server = await startServer({
  bundle,
  persistTo: state.persistTo,
  port: Number(flags.port),
  vars: {
    ENVIRONMENT: "production",
    JWT_SECRET: BENCH_JWT_SECRET,
    CORS_ALLOWED_ORIGINS: "https://bench.invalid",
    USE_ASYNC_ACTIVITY_FEED: "true",
    ...(flags.meter ? { D1_METER: "true" } : {}),
  },
  logFile: path.join(STATE_DIR, "logs", "worker-profile.log"),
  inspectorPort: Number(flags.inspector),
});
try {
  const settings = { connections: mode.connections, seconds: 2 };
  if (target) await runOnce(server.url, target, settings); // warm: JIT, pages in cache
  const profiling = await profileIsolates(Number(flags.inspector), { only: flags.isolates?.split(",") });
  const cpuBefore = server.cpuSeconds();
  const started = performance.now();
  const result = target
    ? await runOnce(server.url, target, { ...settings, seconds: Number(flags.seconds) })
    : await archiveJob(server.url);
  const seconds = (performance.now() - started) / 1000;
  const cpuMs = (server.cpuSeconds() - cpuBefore) * 1000;
  const profiles = await profiling.stop();

  const dir = path.join(STATE_DIR, "profiles");
  mkdirSync(dir, { recursive: true });
  for (const [id, profile] of Object.entries(profiles))
    writeFileSync(path.join(dir, `${flags.request}-${id.replaceAll(":", "_")}.cpuprofile`), JSON.stringify(profile));
  // For the archive job, "per request" reads "per 1,000 rows archived".
  const requests = target ? result.requests.total : result.rows / 1000;
  const isolates = summarizeProfiles(profiles, { lookup: sourceLookup(`${bundle}.map`), bundleUrl: "index.js" });
  const perRequest = (ms) => (ms / requests).toFixed(3);
  const lines = [
    target
      ? `# CPU profile: ${flags.request} (${mode.name} dataset), ${requests} requests in ${seconds.toFixed(0)} s, ${(requests / seconds).toFixed(0)} req/s`
      : `# CPU profile: one archive job (${mode.name} dataset), ${result.rows} rows in ${seconds.toFixed(1)} s; "request" below means 1,000 rows`,
    "",
    `workerd process CPU: ${perRequest(cpuMs)} ms per request. V8 samples (busy JS and GC, per isolate; "(program)" is native time outside JS):`,
    "",
  ];
  for (const isolate of isolates) {
    lines.push(
      `## ${isolate.id}: ${perRequest(isolate.busy_ms)} ms/request busy (GC ${perRequest(isolate.gc_ms)}), (program) ${perRequest(isolate.program_ms)}`,
      "",
      "| source | ms/request |",
      "| --- | ---: |",
      ...isolate.groups.map((group) => `| ${group.name} | ${perRequest(group.ms)} |`),
      "",
      "| function | ms/request |",
      "| --- | ---: |",
      ...isolate.functions.map((fn) => `| \`${fn.name}\` | ${perRequest(fn.ms)} |`),
      "",
    );
  }
  const report = lines.join("\n");
  writeFileSync(path.join(dir, `${flags.request}.md`), report);
  console.log(report);
  console.log(`Profiles and this summary: ${path.relative(ROOT, dir)}/`);
} finally {
  await server.stop();
}

/** Starts the bench's archive job and waits until it is done. */
async function archiveJob(baseUrl) {
  const staff = staffClient(baseUrl);
  const { job_id: jobId } = await staff.archive({ older_than_days: ARCHIVE_OLDER_THAN_DAYS });
  const { answer } = await pollJob(staff, jobId, {
    started: performance.now(),
    maxSeconds: Number.POSITIVE_INFINITY,
    firstWait: 250,
    maxWait: 250,
  });
  return { rows: answer.job.affected };
}
