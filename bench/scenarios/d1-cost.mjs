// D1 cost per operation, what D1 bills: rows read and written, statements and
// round trips, from D1's own `meta` as the Worker's opt-in meter reports it
// (D1_METER=true, src/shards/d1-meter.ts). Requests are sent one at a time,
// untimed, to a Worker started with the meter on. Read requests are checked
// against the user's counter rows (read straight from the shard file): a page
// may read the page, the counters and a small constant, whatever the history.
import { initialShardCount } from "../../scripts/lib/project.mjs";
import { shardIndexForUser } from "../../src/shards/jump-hash.ts";
import { feedClient, staffClient } from "../lib/api.mjs";
import { HISTORY_USER_BASE } from "../lib/dataset.mjs";
import { DEPTH_PAGE } from "../lib/modes.mjs";
import { openDatabase } from "../lib/sqlite.mjs";
import { median } from "../lib/stats.mjs";

export const PAGE_SIZE = 20;
const SUMMARY_RECENT = 5;
/** Rows a read may take beyond its page (or recent items) and the counters. */
export const READ_SLACK = 2;

function counterRows(shardFiles) {
  const connections = new Map();
  return {
    of(userId) {
      const index = shardIndexForUser(userId, initialShardCount());
      if (!connections.has(index)) {
        const db = openDatabase(shardFiles[index], { readOnly: true });
        connections.set(index, {
          db,
          count: db.prepare("SELECT count(*) AS n FROM user_feed_counters WHERE user_id = ?"),
        });
      }
      return Number(connections.get(index).count.get(userId).n);
    },
    close: () => {
      for (const { db } of connections.values()) db.close();
    },
  };
}

/**
 * One kind of request, `send(feed)` through each of `users`' typed client;
 * `rows` is how many items it lists. `path` is the request as sent.
 */
async function sample(baseUrl, { label, send, users, counters, rows, allowance }) {
  const runs = [];
  let path;
  for (const userId of users) {
    const feed = feedClient(baseUrl, userId);
    const json = await send(feed);
    const { d1, path: sent } = feed.lastAnswer();
    path = sent;
    if (!d1) throw new Error("the Worker does not report D1 usage: is D1_METER on?");
    const counterCount = counters.of(userId);
    const listed = rows(json);
    runs.push({ user_id: userId, ...withoutBackground(d1), counter_rows: counterCount, listed });
  }
  const beyond = runs.map((run) => run.rows_read - run.counter_rows);
  return {
    label,
    path,
    requests: runs.length,
    queries: Math.max(...runs.map((run) => run.queries)),
    round_trips: Math.max(...runs.map((run) => run.round_trips)),
    rows_read: median(runs.map((run) => run.rows_read)),
    rows_read_max: Math.max(...runs.map((run) => run.rows_read)),
    rows_written: Math.max(...runs.map((run) => run.rows_written)),
    unmetered: Math.max(...runs.map((run) => run.unmetered)),
    counter_rows: median(runs.map((run) => run.counter_rows)),
    listed: median(runs.map((run) => run.listed)),
    // Rows read beyond the user's counters, the worst request: what the bound is checked on.
    rows_beyond_counters_max: Math.max(...beyond),
    allowance,
    runs: runs.length <= 5 ? runs : undefined,
  };
}

const withoutBackground = ({ background: _, ...usage }) => usage;
const listedItems = (json) => json.results.length;
/** The cursor of the load's deep cursor page (reads.mjs's `depth_path`). */
const depthCursor = (depthPath) => new URLSearchParams(depthPath.slice(depthPath.indexOf("?"))).get("cursor");

/** Every read request of the read scenarios, the badge's miss and hit, once or for a sample of users. */
export async function readCosts({ baseUrl, mode, shardFiles, regularUserIds, depthPath, log }) {
  const counters = counterRows(shardFiles);
  try {
    const big = HISTORY_USER_BASE + Math.max(...mode.historySizes);
    const random = regularUserIds.slice(0, mode.d1SampleUsers);
    const page = { rows: listedItems, allowance: PAGE_SIZE + READ_SLACK };
    const operations = {
      first_page_random: await sample(baseUrl, {
        label: `first page ?is_read=false, ${random.length} random users`,
        send: (feed) => feed.list({ is_read: false }),
        users: random,
        counters,
        ...page,
      }),
      cursor_page_1: await sample(baseUrl, {
        label: "cursor page 1",
        send: (feed) => feed.list({ pagination: "cursor" }),
        users: [big],
        counters,
        ...page,
      }),
      ...(depthPath
        ? {
            [`cursor_page_${DEPTH_PAGE}`]: await sample(baseUrl, {
              label: `cursor page ${DEPTH_PAGE}`,
              send: (feed) => feed.list({ cursor: depthCursor(depthPath) }),
              users: [big],
              counters,
              ...page,
            }),
          }
        : {}),
      [`page_${DEPTH_PAGE}`]: await sample(baseUrl, {
        label: `?page=${DEPTH_PAGE} (OFFSET, no bound)`,
        send: (feed) => feed.list({ page: String(DEPTH_PAGE) }),
        users: [big],
        counters,
        rows: listedItems,
        allowance: null,
      }),
    };
    for (const size of mode.historySizes) {
      const userId = HISTORY_USER_BASE + size;
      operations[`first_page_${size}`] = await sample(baseUrl, {
        label: `first page (${size} items)`,
        send: (feed) => feed.list(),
        users: [userId],
        counters,
        ...page,
      });
      operations[`summary_${size}`] = await sample(baseUrl, {
        label: `summary (${size} items)`,
        send: (feed) => feed.summary(),
        users: [userId],
        counters,
        rows: (json) => json.recent_activity.length,
        allowance: SUMMARY_RECENT + READ_SLACK,
      });
    }
    // The badge: users the read scenarios never asked (the end of the shuffled list), so KV misses once.
    const badgeUsers = regularUserIds.slice(-Math.min(20, mode.d1SampleUsers));
    const badge = (label, allowance) =>
      sample(baseUrl, {
        label,
        // A fresh client per request: none sends If-None-Match, so the badge is read, never a 304.
        send: (feed) => feed.unreadCount(),
        users: badgeUsers,
        counters,
        rows: () => 0,
        allowance,
      });
    const miss = await badge("badge, KV miss (unread-count)", READ_SLACK);
    const hit = await badge("badge, KV hit", null);
    operations.badge_miss = miss;
    operations.badge_hit = hit;
    log(
      `    D1 per read request: first page ${operations.first_page_random.rows_read} rows read (worst ${operations.first_page_random.rows_beyond_counters_max} beyond counters), ` +
        `summary ${operations[`summary_${Math.max(...mode.historySizes)}`].rows_read}, badge miss ${miss.rows_read}, hit ${hit.rows_read}`,
    );
    return operations;
  } finally {
    counters.close();
  }
}

/** D1 work outside requests so far (queue consumer, cron), from any metered response. */
export async function backgroundUsage(baseUrl) {
  const staff = staffClient(baseUrl);
  await staff.health();
  const { d1 } = staff.lastAnswer();
  if (!d1) throw new Error("the Worker does not report D1 usage: is D1_METER on?");
  return d1.background;
}

/** Usage `after` minus `before`, and per unit (item, row). */
export function usageDelta(before, after, units, unit) {
  const delta = Object.fromEntries(Object.keys(after).map((key) => [key, after[key] - (before?.[key] ?? 0)]));
  const per = (value) => (units > 0 ? value / units : null);
  return {
    ...delta,
    units,
    unit,
    rows_read_per_unit: per(delta.rows_read),
    rows_written_per_unit: per(delta.rows_written),
    queries_per_unit: per(delta.queries),
  };
}

/** The sum of several requests' own usage. */
export const sumUsage = (usages) =>
  usages.filter(Boolean).reduce(
    (sum, usage) => {
      for (const key of Object.keys(sum)) sum[key] += usage[key] ?? 0;
      return sum;
    },
    { queries: 0, round_trips: 0, rows_read: 0, rows_written: 0, unmetered: 0 },
  );

/** One row per operation, for the report: D1's figures per request, item or row. */
export function d1Operations({ reads, markRead, queue, sync, archive, cleanup }) {
  const rows = [];
  for (const [name, op] of Object.entries(reads ?? {}))
    rows.push({
      name,
      operation: op.label,
      per: "request",
      queries: op.queries,
      round_trips: op.round_trips,
      rows_read: op.rows_read,
      rows_written: op.rows_written,
      counter_rows: op.counter_rows,
      listed: op.listed,
      rows_beyond_counters_max: op.rows_beyond_counters_max,
      allowance: op.allowance,
      unmetered: op.unmetered,
    });
  const metered = markRead?.runs.filter((run) => run.d1) ?? [];
  if (metered.length > 0) {
    const run = metered[(metered.length - 1) >> 1];
    rows.push({
      name: "mark_all",
      operation: `mark all read (${run.updated.toLocaleString("en")} unread items)`,
      per: "request",
      ...run.d1,
      rows_read_per_item: run.d1.rows_read / run.updated,
      rows_written_per_item: run.d1.rows_written / run.updated,
    });
  }
  const perUnit = (name, operation, usage) =>
    usage &&
    rows.push({
      name,
      operation,
      per: usage.unit,
      units: usage.units,
      queries: usage.queries_per_unit ?? usage.queries / usage.units,
      rows_read: usage.rows_read_per_unit,
      rows_written: usage.rows_written_per_unit,
    });
  const queueRun = queue?.runs?.[(queue.runs.length - 1) >> 1];
  perUnit(
    "ingest_queue",
    "ingestion through the queue (100 events a message)",
    queueRun?.d1 && {
      ...queueRun.d1.consumer,
      rows_read_per_unit: queueRun.d1.rows_read_per_item,
      rows_written_per_unit: queueRun.d1.rows_written_per_item,
    },
  );
  perUnit("ingest_sync", "ingestion, one event per request", sync?.d1);
  perUnit("archive", "archive job (older than 400 days)", archive?.d1);
  perUnit("cleanup", "cleanup job (default retention, no archive)", cleanup?.d1);
  return rows;
}
