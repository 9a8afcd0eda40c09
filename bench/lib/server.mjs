// The Worker under test: bundled once per run, then served on its own port and
// persist directory by bench/lib/serve-worker.mjs (one workerd through the
// Miniflare API, as production runs it) or, for the dev-server note only, by
// `wrangler dev`. Serving the bundle (not src/) means that editing src/ while a
// benchmark runs cannot reload the Worker mid-run.
import { spawn } from "node:child_process";
import { createWriteStream, mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ROOT, WRANGLER_BIN } from "../../scripts/lib/project.mjs";
import { groupAlive, groupProcesses, residentBytes, treeCpuSeconds } from "./process-cpu.mjs";
import { wranglerSync } from "./state.mjs";

const SERVE_WORKER = fileURLToPath(new URL("serve-worker.mjs", import.meta.url));

/** `wrangler deploy --dry-run`: the exact bundle a deploy would upload. */
export function buildWorker(outDir) {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  wranglerSync(["deploy", "--dry-run", "--outdir", outDir]);
  return path.join(outDir, "index.js");
}

/**
 * Serves the bundle with one workerd (bench/lib/serve-worker.mjs) and waits
 * for /health. `vars` override wrangler.toml's. `cpuSeconds()` is the CPU the
 * workerd process has used so far.
 */
export function startServer({ bundle, persistTo, port, vars, logFile, inspectorPort }) {
  const config = { bundle, persistTo, port, vars, tmpDir: path.join(path.dirname(persistTo), "tmp"), inspectorPort };
  return launch({ args: [SERVE_WORKER, JSON.stringify(config)], port, logFile, what: "serve-worker" });
}

/**
 * `wrangler dev` over the same bundle and state, as `npm run dev` serves the
 * Worker (ProxyWorker in front, local observability unless turned off). Only
 * for the dev-server scenario.
 */
export function startDevServer({ bundle, persistTo, port, vars, logFile, observability }) {
  const args = [WRANGLER_BIN, "dev", bundle, "--config", path.join(ROOT, "wrangler.toml"), "--no-bundle"];
  args.push("--port", String(port), "--ip", "127.0.0.1", "--persist-to", persistTo);
  args.push("--show-interactive-dev-session=false");
  for (const [name, value] of Object.entries(vars)) args.push("--var", `${name}:${value}`);
  return launch({ args, port, logFile, what: "wrangler dev", env: { X_LOCAL_OBSERVABILITY: String(observability) } });
}

async function launch({ args, port, logFile, what, env = {} }) {
  const url = `http://127.0.0.1:${port}`;
  if (await answers(url))
    throw new Error(`something already listens on ${url} (an earlier run still going?); pass --port`);
  const log = createWriteStream(logFile, { flags: "a" });
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    detached: true, // own process group: stop() ends it and its workerd together
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", ...env },
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const exited = new Promise((resolve) => child.once("exit", resolve));
  running.add(child.pid);
  exited.then(() => running.delete(child.pid));
  const started = Date.now();
  try {
    await waitForHealth(url, exited, 90_000, what);
  } catch (error) {
    await stopGroup(child, exited);
    throw new Error(`${error.message} (log: ${path.relative(ROOT, logFile)})`);
  }
  const workerd = groupProcesses(child.pid, "workerd").map((process) => process.pid);
  if (workerd.length === 0) throw new Error(`${what}: no workerd process in its process group`);
  return {
    url,
    startSeconds: (Date.now() - started) / 1000,
    workerdPids: workerd,
    cpuSeconds: () => treeCpuSeconds(workerd),
    /** Resident memory of the workerd process(es) now. */
    residentBytes: () => residentBytes(workerd),
    /** Every process of the server: wrangler's or serve-worker's Node and its workerd processes. */
    groupCpuSeconds: () => treeCpuSeconds([child.pid]),
    stop: () => stopGroup(child, exited),
  };
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

async function waitForHealth(url, exited, timeoutMs, what) {
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
  throw new Error(gone ? `${what} exited before it was ready` : `the Worker did not answer ${url}/health in time`);
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
  // workerd may outlive its parent by a moment; the state files must be
  // closed before anything writes to them directly.
  for (let i = 0; i < 50 && groupAlive(child.pid); i++) await new Promise((resolve) => setTimeout(resolve, 100));
  if (groupAlive(child.pid)) signal("SIGKILL");
}
