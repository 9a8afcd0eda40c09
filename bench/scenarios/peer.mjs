// `--peer django`: the original design (Django/DRF on PostgreSQL under gunicorn,
// bench/lib/peer-django.mjs) on the same dataset, measured with the same
// requests, tokens and load generator as the Worker, with the Worker stopped.
// Destructive steps come last: mark-all, then cleanup (a new run reloads).
import { createWriteStream } from "node:fs";
import path from "node:path";
import { authHeader, FEED, feedClient } from "../lib/api.mjs";
import { HISTORY_USER_BASE } from "../lib/dataset.mjs";
import { measureTargets } from "../lib/http-load.mjs";
import { DEPTH_PAGE } from "../lib/modes.mjs";
import {
  loadPeerDataset,
  PEER_URL,
  peerCleanup,
  peerCpuSeconds,
  psql,
  psqlTimed,
  startPeer,
  stopPeer,
} from "../lib/peer-django.mjs";
import { STATE_DIR } from "../lib/state.mjs";
import { median, ratio } from "../lib/stats.mjs";
import { markReadService } from "./mark-read.mjs";
import { firstPageRandom, roundRatio } from "./reads.mjs";

const PEER_TABLE = "events_useractivityfeed";

/** The Worker's read targets that the peer's API has too (it has no cursor pagination). */
function peerTargets(mode, regularUserIds) {
  const big = Math.max(...mode.historySizes);
  const asUser = (userId) => ({ authorization: authHeader(userId) });
  const targets = [
    { name: "floor", label: "GET /health (fixed JSON through Django's stack)", path: "/health" },
    firstPageRandom(mode, regularUserIds),
    {
      name: `page_${DEPTH_PAGE}`,
      label: `?page=${DEPTH_PAGE} (${big} items)`,
      path: `${FEED}?page=${DEPTH_PAGE}`,
      headers: asUser(HISTORY_USER_BASE + big),
    },
  ];
  for (const size of mode.historySizes) {
    const headers = asUser(HISTORY_USER_BASE + size);
    targets.push({ name: `first_page_${size}`, label: `first page, ?page=1 (${size} items)`, path: FEED, headers });
    targets.push({ name: `summary_${size}`, label: `summary (${size} items)`, path: `${FEED}summary/`, headers });
  }
  return targets;
}

/** The raw baseline of mark-all: the UPDATE Django runs, in psql, with the users unread again. */
function rawMarkAll(userIds, { log }) {
  const reset = () => {
    psql(
      `UPDATE ${PEER_TABLE} SET is_read = false, read_at = NULL WHERE user_id BETWEEN ${Math.min(...userIds)} AND ${Math.max(...userIds)}`,
      { log },
    );
    psql(`VACUUM (ANALYZE) ${PEER_TABLE}`, { log });
  };
  reset();
  const runs = userIds.map((userId) => ({
    user_id: userId,
    ms: psqlTimed(
      `UPDATE ${PEER_TABLE} SET is_read = true, read_at = now() WHERE user_id = ${userId} AND NOT is_read`,
      { log },
    ),
  }));
  reset();
  return {
    statement: `UPDATE ${PEER_TABLE} SET is_read = true, read_at = now() WHERE user_id = ? AND NOT is_read`,
    runs,
    median_ms: median(runs.map((run) => run.ms)),
  };
}

export async function runPeer({ mode, now, regularUserIds, markReadUserIds, steps, log }) {
  const logFile = path.join(STATE_DIR, "logs", "peer-django.log");
  const peerLog = createWriteStream(logFile, { flags: "w" });
  log(`  setting up the peer (bench/.state/peer; log ${path.relative(process.cwd(), logFile)})`);
  const peer = startPeer({ log: peerLog });
  log(`    copied from ${peer.source}; setup and start took ${peer.setupSeconds.toFixed(0)} s`);
  try {
    const dataset = loadPeerDataset({ mode, now, log: peerLog });
    log(`    dataset loaded in ${dataset.seconds.toFixed(0)} s (the same rows as the Worker's, same "now")`);
    for (const size of mode.historySizes) {
      const summary = await feedClient(PEER_URL, HISTORY_USER_BASE + size).summary();
      if (summary.total_items !== size)
        throw new Error(`peer: user ${HISTORY_USER_BASE + size} has ${summary.total_items} items, ${size} were loaded`);
    }
    const result = { url: PEER_URL, source: peer.source, dataset };
    if (steps.reads) {
      log("  peer: the read requests, autocannon as for the Worker");
      const measurements = await measureTargets(PEER_URL, peerTargets(mode, regularUserIds), {
        ...mode,
        cpuSeconds: peerCpuSeconds,
        log,
      });
      const small = Math.min(...mode.historySizes);
      const big = Math.max(...mode.historySizes);
      result.http = measurements;
      result.ratios = {
        first_page_rps_vs_floor: roundRatio(measurements, "first_page_random", "floor", "rps"),
        page_number_depth_p50: roundRatio(measurements, `page_${DEPTH_PAGE}`, `first_page_${big}`, "p50_ms"),
        summary_history_p50: roundRatio(measurements, `summary_${big}`, `summary_${small}`, "p50_ms"),
        first_page_history_p50: roundRatio(measurements, `first_page_${big}`, `first_page_${small}`, "p50_ms"),
      };
    }
    if (steps.markRead) {
      log("  peer: mark all read, then the same UPDATE in psql");
      const service = await markReadService({
        baseUrl: PEER_URL,
        userIds: markReadUserIds,
        expected: mode.markReadItems,
      });
      const raw = rawMarkAll(markReadUserIds, { log: peerLog });
      result.mark_read = { service, raw, ratio: ratio(service.median_ms, raw.median_ms) };
      log(`    median ${service.median_ms.toFixed(0)} ms; raw UPDATE ${raw.median_ms.toFixed(0)} ms`);
    }
    if (steps.cleanup) {
      log("  peer: cleanup_activity_feeds --all-unread");
      result.cleanup = peerCleanup({ log: peerLog });
      log(`    ${result.cleanup.rows.toLocaleString("en")} rows in ${result.cleanup.seconds.toFixed(1)} s`);
    }
    return result;
  } finally {
    stopPeer({ log: peerLog });
    peerLog.end();
  }
}
