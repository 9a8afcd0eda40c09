// The Worker under test: bundled once per run, then served by `wrangler dev`
// on its own port and persist directory. Serving the bundle (not src/) means
// that editing src/ while a benchmark runs cannot reload the Worker mid-run.
import { spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { ROOT, WRANGLER_BIN } from "../../scripts/lib/project.mjs";
import { wranglerSync } from "./state.mjs";

/** `wrangler deploy --dry-run`: the exact bundle a deploy would upload. */
export function buildWorker(outDir) {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  wranglerSync(["deploy", "--dry-run", "--outdir", outDir]);
  return path.join(outDir, "index.js");
}

/**
 * Starts `wrangler dev` in its own process group and waits for /health.
 * `vars` are passed with --var, so they win over .dev.vars and wrangler.toml.
 */
export async function startServer({ bundle, persistTo, port, vars, logFile }) {
  const url = `http://127.0.0.1:${port}`;
  if (await answers(url))
    throw new Error(`something already listens on ${url} (an earlier run still going?); pass --port`);
  const args = [WRANGLER_BIN, "dev", bundle, "--config", path.join(ROOT, "wrangler.toml"), "--no-bundle"];
  args.push(
    "--port",
    String(port),
    "--ip",
    "127.0.0.1",
    "--persist-to",
    persistTo,
    "--show-interactive-dev-session=false",
  );
  for (const [name, value] of Object.entries(vars)) args.push("--var", `${name}:${value}`);
  const log = createWriteStream(logFile, { flags: "a" });
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    detached: true, // own process group: stop() ends wrangler and its workerd together
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const exited = new Promise((resolve) => child.once("exit", resolve));
  running.add(child.pid);
  exited.then(() => running.delete(child.pid));
  const started = Date.now();
  try {
    await waitForHealth(url, exited, 90_000);
  } catch (error) {
    await stopGroup(child, exited);
    throw new Error(`${error.message} (log: ${path.relative(ROOT, logFile)})`);
  }
  return { url, startSeconds: (Date.now() - started) / 1000, stop: () => stopGroup(child, exited) };
}

const answers = (url) =>
  fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) }).then(
    () => true,
    () => false,
  );

// Servers run in their own process groups, so an interrupted run must end them itself.
const running = new Set();
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    for (const pid of running) {
      try {
        process.kill(-pid, "SIGTERM");
      } catch {
        // already gone
      }
    }
    process.exit(130);
  });
}

async function waitForHealth(url, exited, timeoutMs) {
  let gone = false;
  exited.then(() => (gone = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !gone) {
    try {
      const response = await fetch(`${url}/health`);
      if (response.ok) return;
      throw new Error(`the Worker answers /health with ${response.status}: ${await response.text()}`);
    } catch (error) {
      if (error.message.startsWith("the Worker")) throw error;
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(gone ? "wrangler dev exited before it was ready" : `the Worker did not answer ${url}/health in time`);
}

async function stopGroup(child, exited) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const signal = (name) => {
    try {
      process.kill(-child.pid, name);
    } catch {
      // already gone
    }
  };
  signal("SIGTERM");
  const timeout = setTimeout(() => signal("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timeout);
  // workerd may outlive wrangler by a moment; the state files must be closed
  // before anything writes to them directly.
  for (let i = 0; i < 50 && groupAlive(child.pid); i++) await new Promise((resolve) => setTimeout(resolve, 100));
  if (groupAlive(child.pid)) signal("SIGKILL");
}

/** Whether any process of the group still runs (zombies, which hold no files, do not count). */
function groupAlive(pgid) {
  if (!existsSync("/proc")) {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  }
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // pid (comm) state ppid pgrp ...; comm may hold spaces, so split after the last ")".
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(") ") + 2).split(" ");
      if (Number(fields[2]) === pgid && fields[0] !== "Z") return true;
    } catch {
      // exited meanwhile
    }
  }
  return false;
}
