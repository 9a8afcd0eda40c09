#!/usr/bin/env node
// `npm run dev`: everything a newcomer needs, in one command.
//  1. checks that the port is free,
//  2. creates .dev.vars from .dev.vars.example if missing,
//  3. applies migrations to every local D1 shard,
//  4. builds the client and the static assets (npm run build),
//  5. starts `wrangler dev` (local D1, KV, R2, Queues, cron via /__scheduled),
//  6. loads demo data once (a marker under .wrangler/ remembers it),
//  7. prints links, the inbox demo page of user 1 among them.
// Flags: --no-seed skips the demo data; --port N (default 8787).
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { buildAll } from "./build.mjs";
import {
  exitWithUsage,
  forgetDevServer,
  parseScriptArgs,
  QUIET_WRANGLER_ENV,
  ROOT,
  recordDevServer,
  signToken,
  WRANGLER_BIN,
  waitForHealth,
} from "./lib/project.mjs";
import { migrateLocalShards } from "./migrate-local.mjs";
import { seedDemo } from "./seed-demo.mjs";

const USAGE = `usage: npm run dev [-- [--port N] [--no-seed]]

  --port N     serve on http://localhost:N (default 8787); the CLI and npm run seed follow it
  --no-seed    do not load the demo data`;

const { values } = parseScriptArgs({
  usage: USAGE,
  prefix: "dev: ",
  options: {
    "no-seed": { type: "boolean", default: false },
    port: { type: "string", default: "8787" },
  },
});
const port = Number(values.port);
if (!/^\d{1,5}$/.test(values.port) || port < 1 || port > 65_535)
  exitWithUsage(`dev: --port must be a port number (1-65535), got "${values.port}"`, USAGE);
const baseUrl = `http://localhost:${port}`;

/** Whether something already listens on the port wrangler will bind (localhost). */
function portBusy() {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once("error", (error) => resolve(error.code === "EADDRINUSE"));
    probe.listen({ port, host: "127.0.0.1", exclusive: true }, () => probe.close(() => resolve(false)));
  });
}

// Checked before anything starts: otherwise the health check below would
// reach the other server and report this one ready.
if (await portBusy()) {
  console.error(
    `dev: port ${port} is already in use (another npm run dev?); stop it or pick another: npm run dev -- --port ${port + 1}`,
  );
  process.exit(1);
}

if (!existsSync(path.join(ROOT, ".dev.vars"))) {
  copyFileSync(path.join(ROOT, ".dev.vars.example"), path.join(ROOT, ".dev.vars"));
  console.log("Created .dev.vars from .dev.vars.example");
}

console.log("Applying migrations to every local shard:");
migrateLocalShards();
await buildAll();

// wrangler runs in a process group of its own (with the workerd processes it
// starts), and a signal to this script stops the whole group: wrangler's own
// launcher does not pass SIGTERM on, which left workerd holding the port.
// Outside the terminal's foreground group it must never read stdin (it would
// be stopped), which --show-interactive-dev-session=false ensures; stdin stays
// inherited because wrangler fails with EPIPE when it is closed.
const wrangler = spawn(
  process.execPath,
  [WRANGLER_BIN, "dev", "--port", String(port), "--test-scheduled", "--show-interactive-dev-session=false"],
  { cwd: ROOT, stdio: "inherit", detached: true, env: { ...process.env, ...QUIET_WRANGLER_ENV } },
);
mkdirSync(path.join(ROOT, ".wrangler"), { recursive: true });
recordDevServer(baseUrl);
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
  forgetDevServer();
  console.error(`dev: could not start wrangler: ${error.message}`);
  process.exit(1);
});
wrangler.on("exit", (code, signal) => {
  forgetDevServer();
  stopWrangler("SIGTERM"); // any workerd left behind by a crashed wrangler
  process.exit(code ?? 128 + (os.constants.signals[signal] ?? 0));
});

// Kept with the local state it describes: deleting .wrangler/state starts over with the demo data.
const marker = path.join(ROOT, ".wrangler", "state", "demo-seeded");
try {
  await waitForHealth(baseUrl);
  if (!values["no-seed"] && !existsSync(marker)) {
    await seedDemo(baseUrl);
    mkdirSync(path.dirname(marker), { recursive: true });
    writeFileSync(marker, new Date().toISOString());
  }
  // The token rides in the fragment: the page reads it, the server never sees it in a URL.
  const inbox = `${baseUrl}/inbox/#token=${signToken({ userId: 1 })}`;
  console.log(
    `\nReady on ${baseUrl}.\n  Inbox of user 1:  ${inbox}\n  API reference:    ${baseUrl}/docs/\n  Try:\n    curl -H "Authorization: Bearer $(npm run -s token -- --user 1)" ${baseUrl}/api/events/activity-feed/\n`,
  );
} catch (error) {
  console.error(`dev: ${error.message}`);
}
