#!/usr/bin/env node
// `npm run dev`: everything a newcomer needs, in one command.
//  1. creates .dev.vars from .dev.vars.example if missing,
//  2. applies migrations to every local D1 shard,
//  3. starts `wrangler dev` (local D1, KV, R2, Queues, cron via /__scheduled),
//  4. loads demo data once (a marker under .wrangler/ remembers it).
// Flags: --no-seed skips the demo data; --port N (default 8787).
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { ROOT, WRANGLER_BIN } from "./lib/project.mjs";
import { migrateLocalShards } from "./migrate-local.mjs";
import { seedDemo } from "./seed-demo.mjs";

const { values } = parseArgs({
  options: { "no-seed": { type: "boolean", default: false }, port: { type: "string", default: "8787" } },
});
const baseUrl = `http://localhost:${values.port}`;

if (!existsSync(path.join(ROOT, ".dev.vars"))) {
  copyFileSync(path.join(ROOT, ".dev.vars.example"), path.join(ROOT, ".dev.vars"));
  console.log("Created .dev.vars from .dev.vars.example");
}

console.log("Applying migrations to every local shard:");
migrateLocalShards();

// wrangler runs in a process group of its own (with the workerd processes it
// starts), and a signal to this script stops the whole group: wrangler's own
// launcher does not pass SIGTERM on, which left workerd holding the port.
// Outside the terminal's foreground group it must never read stdin (it would
// be stopped), which --show-interactive-dev-session=false ensures; stdin stays
// inherited because wrangler fails with EPIPE when it is closed.
const wrangler = spawn(
  process.execPath,
  [WRANGLER_BIN, "dev", "--port", values.port, "--test-scheduled", "--show-interactive-dev-session=false"],
  { cwd: ROOT, stdio: "inherit", detached: true, env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
);
const stopWrangler = (signal) => {
  if (wrangler.pid === undefined) return;
  try {
    process.kill(-wrangler.pid, signal);
  } catch (error) {
    if (error.code !== "ESRCH") throw error; // ESRCH: the group is already gone
  }
};
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => stopWrangler(signal));
wrangler.on("error", (error) => {
  console.error(`dev: could not start wrangler: ${error.message}`);
  process.exit(1);
});
wrangler.on("exit", (code, signal) => {
  stopWrangler("SIGTERM"); // any workerd left behind by a crashed wrangler
  process.exit(code ?? 128 + (os.constants.signals[signal] ?? 0));
});

async function waitForHealth(timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${baseUrl}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`the Worker did not answer ${baseUrl}/health within ${timeoutMs / 1000}s`);
}

const marker = path.join(ROOT, ".wrangler", "demo-seeded");
try {
  await waitForHealth();
  if (!values["no-seed"] && !existsSync(marker)) {
    await seedDemo(baseUrl);
    mkdirSync(path.dirname(marker), { recursive: true });
    writeFileSync(marker, new Date().toISOString());
  }
  console.log(
    `\nReady on ${baseUrl}. Try:\n  curl -H "Authorization: Bearer $(npm run -s token -- --user 1)" ${baseUrl}/api/events/activity-feed/\n`,
  );
} catch (error) {
  console.error(`dev: ${error.message}`);
}
