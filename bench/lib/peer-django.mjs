// The Django/DRF peer (the original design on PostgreSQL, ../shared/peers/django):
// a writable copy under bench/.state/peer, its own scripts to set it up, start
// and stop it, its loader for the bench's dataset, and the CPU its server
// processes (gunicorn and PostgreSQL, each a process tree) have used.
import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "../../scripts/lib/project.mjs";
import { treeCpuSeconds } from "./process-cpu.mjs";
import { STATE_DIR } from "./state.mjs";

export const PEER_URL = "http://127.0.0.1:8800";
const PEER_DIR = path.join(STATE_DIR, "peer");
/** What the copy keeps between runs (its database cluster) or makes itself. */
const NOT_COPIED = new Set(["pgdata", "run", "logs", "results", "__pycache__"]);

/** The shared, read-only peer: $DJANGO_PEER_DIR, or shared/peers/django beside the checkout or one level up. */
function peerSource() {
  const candidates = [
    process.env.DJANGO_PEER_DIR,
    path.join(ROOT, "..", "shared", "peers", "django"),
    path.join(ROOT, "..", "..", "shared", "peers", "django"),
  ].filter(Boolean);
  const found = candidates.find((dir) => existsSync(path.join(dir, "setup.sh")));
  if (!found) throw new Error(`the Django peer is not in ${candidates.join(" or ")} (set DJANGO_PEER_DIR)`);
  return found;
}

/** Runs one of the peer's commands in its copy, with its env.sh sourced; output to the log. */
function peerShell(command, { log, capture = false } = {}) {
  const result = spawnSync("bash", ["-c", `set -euo pipefail; source ./env.sh; ${command}`], {
    cwd: PEER_DIR,
    encoding: "utf8",
    env: { ...process.env, PRODUCT_DIR: ROOT },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (log) log.write(`$ ${command}\n${result.stdout}${result.stderr}\n`);
  if (result.status !== 0)
    throw new Error(`peer: ${command} failed (${result.status}):\n${(result.stderr || result.stdout).slice(-2000)}`);
  return capture ? result.stdout : undefined;
}

/** Copies the peer (its data directory stays), installs what it needs, starts PostgreSQL and gunicorn. */
export function startPeer({ log }) {
  const source = peerSource();
  mkdirSync(PEER_DIR, { recursive: true });
  cpSync(source, PEER_DIR, {
    recursive: true,
    force: true,
    filter: (from) => !NOT_COPIED.has(path.basename(from)) || path.dirname(from) !== source,
  });
  chmodSync(PEER_DIR, 0o755); // the shared copy is read-only; the peer writes run/ and logs/ here
  const started = Date.now();
  peerShell("./setup.sh", { log });
  peerShell("./start.sh", { log });
  return { source, dir: PEER_DIR, setupSeconds: (Date.now() - started) / 1000 };
}

export const stopPeer = ({ log }) => peerShell("./stop.sh", { log });

/** The bench's dataset, as bench/lib/load-dataset.mjs writes it for this mode, with the same "now". */
export function loadPeerDataset({ mode, now, log }) {
  const started = Date.now();
  peerShell(
    [
      '"$PY" load.py',
      `--users ${mode.regularUsers}`,
      `--history-sizes ${mode.historySizes.join(",")}`,
      `--mark-read-users ${mode.markReadUsers}`,
      `--mark-read-items ${mode.markReadItems}`,
      `--expired-rows ${mode.expiredRows}`,
      `--archive-rows ${mode.archiveRows}`,
      `--now ${now}`,
    ].join(" "),
    { log },
  );
  // The load leaves gigabytes of dirty buffers; written out now, not during the first measurement.
  peerShell('pg_super -c "CHECKPOINT"', { log });
  const dataset = JSON.parse(readFileSync(path.join(PEER_DIR, "run", "dataset.json"), "utf8"));
  return { seconds: (Date.now() - started) / 1000, ...dataset };
}

/** CPU seconds of the peer's server side: gunicorn's master and workers, PostgreSQL's postmaster and backends. */
export function peerCpuSeconds() {
  const gunicorn = Number(readFileSync(path.join(PEER_DIR, "run", "gunicorn.pid"), "utf8"));
  const postmaster = Number(readFileSync(path.join(PEER_DIR, "pgdata", "postmaster.pid"), "utf8").split("\n")[0]);
  return treeCpuSeconds([gunicorn, postmaster]);
}

/** One SQL statement in psql with \timing: its server-side milliseconds. */
export function psqlTimed(sql, { log }) {
  const output = peerShell(`psql -qAt -c '\\timing on' -c "${sql.replaceAll('"', '\\"')}"`, { log, capture: true });
  const ms = /Time: ([0-9.]+) ms/.exec(output)?.[1];
  if (ms === undefined) throw new Error(`psql printed no timing for ${sql}: ${output}`);
  return Number(ms);
}

export const psql = (sql, { log }) => peerShell(`psql -qAt -c "${sql.replaceAll('"', '\\"')}"`, { log, capture: true });

/** `manage.py cleanup_activity_feeds --all-unread` (read and unread past retention, as the Worker's cleanup). */
export function peerCleanup({ log }) {
  const output = peerShell('"$PY" manage.py cleanup_activity_feeds --all-unread', { log, capture: true });
  const match = /Deleted (\d+) .* in ([0-9.]+) s/.exec(output);
  if (!match) throw new Error(`cleanup_activity_feeds printed no total: ${output}`);
  const rows = Number(match[1]);
  const seconds = Number(match[2]);
  return { rows, seconds, rows_per_s: rows / seconds, command: "manage.py cleanup_activity_feeds --all-unread" };
}
