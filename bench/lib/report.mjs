// bench/results/latest.json (everything, plus `targets`) and latest.md (the
// same, readable).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { serviceRate } from "../scenarios/retention.mjs";
import { DEPTH_PAGE } from "./modes.mjs";
import { writeHistoryPlot } from "./plot.mjs";
import { round } from "./stats.mjs";

const target = (name, measured, comparison, limit) => ({
  name,
  measured: round(measured, 3),
  target: `${comparison} ${limit}`,
  met:
    measured === null || measured === undefined || !Number.isFinite(limit)
      ? null
      : comparison === "<="
        ? measured <= limit
        : comparison === "="
          ? measured === limit
          : measured >= limit,
});

/** First-page requests per core of the Worker against the original's (the peer run's, or the last one kept). */
export function perCoreVsPeer(results) {
  const worker = results.reads?.measurements?.first_page_random?.rps_per_core ?? null;
  const peer = (results.peer ?? results.peer_reference)?.http?.first_page_random?.rps_per_core ?? null;
  return worker === null || peer === null ? null : worker / peer;
}

/** Reads checked against their D1 allowance: rows beyond the user's counters, the worst request. */
function d1ReadTargets(reads) {
  const checks = [];
  const bounded = (name, what) => {
    const op = reads?.[name];
    checks.push(
      target(
        `D1 rows read, ${what}: beyond the user's counter rows (${op?.counter_rows ?? "?"}), worst request`,
        op?.rows_beyond_counters_max ?? null,
        "<=",
        op?.allowance ?? Number.NaN,
      ),
    );
  };
  bounded("first_page_random", "first page of random users (page 20 + 2)");
  bounded("cursor_page_1", "cursor page 1 (page 20 + 2)");
  bounded(`cursor_page_${DEPTH_PAGE}`, `cursor page ${DEPTH_PAGE} (page 20 + 2)`);
  const sizes = Object.keys(reads ?? {})
    .filter((name) => name.startsWith("summary_"))
    .map((name) => name.slice("summary_".length));
  for (const size of sizes) {
    bounded(`first_page_${size}`, `first page, ${size} items (page 20 + 2)`);
    bounded(`summary_${size}`, `summary, ${size} items (5 recent + 2)`);
  }
  const readRequests = Object.entries(reads ?? {}).filter(([name]) => name !== "badge_hit");
  checks.push(
    target(
      "D1 round trips per read request (pages, summary, badge miss), the most of any",
      readRequests.length ? Math.max(...readRequests.map(([, op]) => op.round_trips)) : null,
      "<=",
      1,
    ),
  );
  return checks;
}

export function targetsOf(results) {
  const r = results.reads?.ratios ?? {};
  const sizes = results.reads?.sizes ?? { small: "small", big: "big" };
  return [
    target(
      "first page (?is_read=false, random users): req/s vs the floor's, both on the direct runtime",
      r.first_page_rps_vs_floor ?? null,
      ">=",
      0.6,
    ),
    target(
      "first page per core (requests per CPU-second of the server) vs the original's (Django peer)",
      perCoreVsPeer(results),
      ">=",
      2,
    ),
    target(`cursor page ${DEPTH_PAGE} vs cursor page 1: p50 ratio`, r.cursor_depth_p50 ?? null, "<=", 1.1),
    target(`summary, ${sizes.big} vs ${sizes.small} items: p50 ratio`, r.summary_history_p50 ?? null, "<=", 1.1),
    target(`first page, ${sizes.big} vs ${sizes.small} items: p50 ratio`, r.first_page_history_p50 ?? null, "<=", 1.1),
    target(
      "mark all read (10,000 unread): request time vs raw SQLite UPDATE",
      results.mark_read?.ratio ?? null,
      "<=",
      1.5,
    ),
    target("ingestion: queue items/s vs one event per transaction", results.ingestion?.ratio ?? null, ">=", 10),
    target(
      "cleanup: raw SQLite DELETE rows/s vs the service's (slowdown)",
      results.retention?.cleanup?.slowdown ?? null,
      "<=",
      2,
    ),
    target(
      "archive: raw SQLite DELETE rows/s vs the service's (slowdown)",
      results.retention?.archive?.slowdown ?? null,
      "<=",
      2.5,
    ),
    ...(results.scenarios?.includes("reads") ? d1ReadTargets(results.d1?.reads) : []),
    ...(results.scenarios?.includes("live") ? liveTargets(results.live, results.settings.live) : []),
  ];
}

/** The live channel's: the fan-out's ratio, and that exactly the connected participants heard of it. */
function liveTargets(live, settings) {
  const fanout = live?.fanout;
  const participants = fmt(settings.participants, 0);
  return [
    target(
      `live: reminder fan-out to ${participants} participants, job time with 1% of them connected vs none (medians of ${settings.fanoutRuns} runs each)`,
      fanout?.ratio ?? null,
      "<=",
      1.15,
    ),
    target(
      "live: connected participants who received their item.created ÷ connected participants, over those runs",
      fanout?.delivered_share ?? null,
      "=",
      1,
    ),
    target(
      "live: channel objects of users who never connected (the channels' storage after the run)",
      live?.channels ? live.channels.of_other_users + live.channels.unnamed : null,
      "=",
      0,
    ),
  ];
}

const fmt = (value, digits = 1) =>
  value === null || value === undefined || Number.isNaN(value)
    ? "—"
    : Number(value).toLocaleString("en", { maximumFractionDigits: digits, minimumFractionDigits: 0 });
const table = (header, rows) =>
  [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((row) => `| ${row.join(" | ")} |`),
  ].join("\n");
const duration = (seconds) =>
  !Number.isFinite(seconds) ? "—" : seconds < 120 ? `${fmt(seconds, 0)} s` : `${fmt(seconds / 60, 0)} min`;
const metText = (met) => (met === null ? "not measured" : met ? "yes" : "**no**");

function readsSection(reads, settings, plot) {
  if (!reads) return "Not measured (see errors).";
  const rows = Object.values(reads.measurements).map((m) => [
    m.label,
    fmt(m.p50_ms, 0),
    fmt(m.p99_ms, 0),
    fmt(m.rps, 0),
    fmt(m.cpu_ms_per_request, 3),
    fmt(m.rps_per_core, 0),
    fmt(m.requests, 0),
    m.non2xx || m.errors ? `${m.non2xx} / ${m.errors}` : "0",
  ]);
  const r = reads.ratios;
  const meter = reads.meter_cost;
  return [
    `The Worker served as production runs it (one workerd through the Miniflare API, the deploy bundle, its own socket; bench/README.md), D1 meter off.`,
    `autocannon, ${settings.connections} connections, ${settings.repeats} runs of ${settings.seconds} s per row (interleaved); medians over the runs.`,
    "CPU ms per request: the workerd process's CPU time (user + system, all threads, D1's SQLite included) over a run ÷ its requests; per core: 1000 ÷ that, the requests one fully used core serves.",
    "",
    table(
      ["request", "p50 ms", "p99 ms", "req/s", "CPU ms/req", "req/s per core", "requests", "non-2xx / errors"],
      rows,
    ),
    "",
    `- First page vs floor: ${fmt(r.first_page_rps_vs_floor, 2)} of the floor's throughput.`,
    ...(meter
      ? [
          `- The D1 meter's own cost (first page again on the metered Worker): ${fmt(meter.metered_cpu_ms_per_request, 3)} ms CPU/req against ${fmt(meter.unmetered_cpu_ms_per_request, 3)} ms unmetered.`,
        ]
      : []),
    `- Depth, cursor: page ${DEPTH_PAGE} p50 is ${fmt(r.cursor_depth_p50, 2)}x page 1's. Page numbers (\`?page=${DEPTH_PAGE}\`, OFFSET) cost ${fmt(r.page_number_depth_p50, 2)}x page 1's.` +
      ` (The cursor of page ${DEPTH_PAGE} was found by walking the chain first, in ${fmt(reads.depth_walk_seconds, 1)} s, outside the timed runs.)`,
    `- History size, ${reads.sizes.big} vs ${reads.sizes.small} items: summary p50 ${fmt(r.summary_history_p50, 2)}x, first page p50 ${fmt(r.first_page_history_p50, 2)}x.`,
    `- In CPU per request: first page ${fmt(r.first_page_cpu_vs_floor, 2)}x the floor's; cursor page ${DEPTH_PAGE} ${fmt(r.cursor_depth_cpu, 2)}x page 1's; ${reads.sizes.big} vs ${reads.sizes.small} items: summary ${fmt(r.summary_history_cpu, 2)}x, first page ${fmt(r.first_page_history_cpu, 2)}x.`,
    ...(plot.png || plot.svg ? ["", `![Latency against history size](${plot.png ?? plot.svg})`] : []),
    ...(plot.noPng ? ["", `(SVG only: ${plot.noPng}.)`] : []),
  ].join("\n");
}

function markReadSection(markRead) {
  const service = markRead.service;
  const rows = markRead.raw.runs.map((raw, index) => [
    raw.user_id,
    fmt(service?.runs[index]?.ms, 1),
    fmt(raw.ms, 1),
    fmt(raw.updated, 0),
  ]);
  return [
    'One `POST /api/events/activity-feed/mark-read/ {"mark_all": true}` per user, each user a fresh one with 10,000 unread items;',
    `the raw baseline runs \`${markRead.raw.statement}\` for the same users on copies of the shard files taken before the Worker started (same schema and triggers).`,
    "",
    table(["user", "service ms", "raw SQLite ms", "rows"], rows),
    "",
    `Median: service ${fmt(service?.median_ms, 1)} ms, raw ${fmt(markRead.raw.median_ms, 1)} ms, ratio ${fmt(markRead.ratio, 2)}.`,
  ].join("\n");
}

function ingestionSection(ingestion) {
  const queue = ingestion.queue;
  const sync = ingestion.one_per_transaction;
  const lines = [];
  if (queue) {
    lines.push(
      `Queue: ${queue.runs.length} rounds; producers POST ${queue.events_per_request} events per request in asynchronous mode (one \`batch_create\` message each, users on every shard);`,
      "items/s counted from the first POST until every item is in the shard files.",
      "",
      table(
        [
          "round",
          "events",
          "stored",
          "seconds",
          "enqueue s",
          "items/s",
          "consumer invocations",
          "messages handed back",
        ],
        queue.runs.map((run, index) => [
          index + 1,
          fmt(run.events, 0),
          fmt(run.stored, 0),
          fmt(run.seconds, 1),
          fmt(run.produce_seconds, 1),
          fmt(run.items_per_s, 0),
          run.invocations,
          run.messages_handed_back,
        ]),
      ),
      "",
    );
    const producerBound = queue.runs.filter((run) => run.produce_seconds > 0.8 * run.seconds).length;
    if (producerBound > 0) {
      lines.push(
        `In ${producerBound} of ${queue.runs.length} rounds the items were stored within moments of the last POST: the consumer kept pace with the producers, so the queue figure is a lower bound of what the consumer can do.`,
        "",
      );
    }
  }
  lines.push(
    `Baseline: synchronous \`POST /api/internal/events/\` with one event per request (one D1 transaction each), autocannon: ${fmt(sync?.items_per_s, 0)} items/s (p50 ${fmt(sync?.p50_ms, 0)} ms).`,
    `Ratio queue / one-per-transaction: ${fmt(ingestion.ratio, 2)}.`,
  );
  return lines.join("\n");
}

/** The raw rate's passes (each on fresh copies of the shard files the archive job starts from). */
const rawPasses = (raw) =>
  raw.passes_rows_per_s?.length > 1
    ? ` (median of ${raw.passes_rows_per_s.length} passes, each on fresh copies of the shard files the archive job starts from: ${raw.passes_rows_per_s.map((rate) => fmt(rate, 0)).join(", ")})`
    : " (one pass, on a copy of the shard files the archive job starts from)";

function retentionSection(retention) {
  const describe = (name, { service, raw, slowdown, slowdown_with_events: withEvents }) => {
    if (!service?.available)
      return `- ${name}: **not measured**: ${service?.reason ?? "the scenario failed (see errors)"}. Raw DELETE: ${fmt(raw.rows, 0)} rows at ${fmt(raw.rows_per_s, 0)} rows/s.`;
    const how = service.done
      ? `finished: ${fmt(service.rows, 0)} rows in ${fmt(service.seconds, 1)} s`
      : `stopped after ${fmt(service.seconds, 0)} s (time cap) with ${fmt(service.rows, 0)} of ${fmt(service.rows_to_process, 0)} rows; a full run would take about ${duration(service.rows_to_process / serviceRate(service))}`;
    return (
      `- ${name} (\`${JSON.stringify(service.body)}\`): ${how}; ${fmt(serviceRate(service), 0)} rows/s` +
      (!service.done && service.window_rows_per_s.length >= 3
        ? ` (median of ${service.window_rows_per_s.length} windows; overall ${fmt(service.rows_per_s, 0)})`
        : " over the whole job") +
      (service.runs_rows_per_s?.length > 1
        ? `, ${service.runs_rows_per_s.length % 2 === 0 ? "the slower middle one" : "the median"} of ${service.runs_rows_per_s.length} runs, each on a fresh Worker over the same state (${service.runs_rows_per_s.map((rate) => fmt(rate, 0)).join(", ")} rows/s)`
        : "") +
      `. Raw DELETE: ${fmt(raw.rows, 0)} rows at ${fmt(raw.rows_per_s, 0)} rows/s${rawPasses(raw)}. Slowdown ${fmt(slowdown, 2)}x.` +
      (raw.events
        ? ` The job also deleted ${fmt(service.detail?.events, 0)} stored events past retention; raw SQLite deletes ${fmt(raw.events.rows, 0)} in ${fmt(raw.events.seconds, 1)} s, and against items and events together the slowdown is ${fmt(withEvents, 2)}x.`
        : "")
    );
  };
  return [
    describe("Archive", retention.archive),
    ...(retention.cleanup ? [describe("Cleanup", retention.cleanup)] : ["- Cleanup: not run (`--only archive`)."]),
    `- After both: ${fmt(retention.after.file_bytes / 1e6, 0)} MB of shard files, ${fmt(retention.after.freelist_pages, 0)} free pages inside them (SQLite does not shrink files on DELETE).`,
  ].join("\n");
}

function liveSection(live, results) {
  if (!live) return "Not measured (see errors).";
  const c = live.connections;
  const d = live.delivery;
  const f = live.fanout;
  const fp = live.first_page;
  const withoutSockets = results.reads?.ratios?.first_page_rps_vs_floor;
  const ms = (value) => fmt(value, 1);
  const problems = (run) =>
    [
      run.duplicates ? `${run.duplicates} duplicates` : "",
      run.unexpected_messages ? `${run.unexpected_messages} unexpected` : "",
    ]
      .filter(Boolean)
      .join(", ");
  const lines = [
    `The Worker in synchronous mode, D1 meter off, with ${fmt(c.opened, 0)} WebSockets open: one per user, each opened with a ticket (\`POST live/ticket/\`, then \`?ticket=\`), ${c.batch} at a time, from Node's WebSocket client on the same machine.`,
    "",
    `- **Connection setup**: ${fmt(c.opened, 0)} of ${fmt(c.asked, 0)} open in ${fmt(c.seconds, 1)} s (${fmt(c.per_s, 0)} per second); each, ticket + upgrade + \`hello\`: p50 ${ms(c.p50_ms)} ms, p99 ${ms(c.p99_ms)} ms (the ticket alone p50 ${ms(c.ticket_p50_ms)} ms)` +
      `${c.failures ? `; **${c.failures} failed** (first: ${c.first_failure})` : ""}. \`live_users\` rows on the shards then: ${fmt(c.presence_rows, 0)}.` +
      (live.memory
        ? ` workerd's resident memory: ${fmt(live.memory.before_sockets_bytes / 1e6, 0)} MB before, ${fmt(live.memory.sockets_open_bytes / 1e6, 0)} MB with the sockets open, ${fmt(live.memory.after_fan_outs_bytes / 1e6, 0)} MB after the fan-outs.`
        : ""),
    `- **Delivery latency** (${d.measured}; one at a time, ${fmt(d.sample, 0)} users): from the 201 p50 **${ms(d.from_201.p50_ms)} ms**, p99 **${ms(d.from_201.p99_ms)} ms**; from the POST's send p50 ${ms(d.from_send.p50_ms)} ms, p99 ${ms(d.from_send.p99_ms)} ms.` +
      ` The request notifies the channel before it answers, so the message often arrives first: ${fmt(d.before_201, 0)} of ${fmt(d.delivered, 0)} came before the 201 (negative times).` +
      (d.not_201 || d.lost || d.other_item
        ? ` **${d.not_201} not 201, ${d.lost} lost, ${d.other_item} with another item** (first: ${d.first}).`
        : " None lost."),
    `- **First page vs the floor** (scenario 2's figure) on this Worker: ${fmt(fp.first_page_rps_vs_floor, 2)} of the floor's req/s with the ${fmt(fp.sockets_open, 0)} sockets open, ${fmt(fp.before_sockets?.first_page_rps_vs_floor, 2)} before any opened: **${fmt(fp.with_vs_without, 2)}x** (CPU per request ${fmt(fp.first_page_cpu_vs_floor, 2)}x the floor's with them, ${fmt(fp.before_sockets?.first_page_cpu_vs_floor, 2)}x without); scenario 2 (another Worker, earlier in the run): ${fmt(withoutSockets, 2)}.` +
      ` With the sockets open: floor ${fmt(fp.measurements.floor?.rps, 0)} req/s, first page ${fmt(fp.measurements.first_page_random?.rps, 0)} req/s (p50 ${fmt(fp.measurements.first_page_random?.p50_ms, 0)} ms).`,
    "",
    `**Reminder fan-out** to ${fmt(f.participants, 0)} participants (\`devotional_reminder\`, a new devotional each run, so every run creates an item per participant): one fast with ${fmt(f.connected_participants, 0)} of them connected (1%), another fast with as many participants and none connected, the same sockets open throughout. ${f.measured}; one untimed run of each first, then rounds in ABBA order.`,
    "",
    table(
      ["round", "connected", "job s", "items", "delivered", "after job done", "last delivery s", "problems"],
      f.runs.map((run) => [
        run.round,
        run.condition === "connected" ? fmt(f.connected_participants, 0) : "none",
        fmt(run.seconds, 2),
        fmt(run.affected, 0),
        `${fmt(run.deliveries, 0)} / ${fmt(run.expected_deliveries, 0)}`,
        fmt(run.after_done, 0),
        fmt(run.last_delivery_seconds, 1),
        problems(run),
      ]),
    ),
    "",
    `Median job time: ${fmt(f.connected_median_seconds, 2)} s connected, ${fmt(f.none_median_seconds, 2)} s none: **${fmt(f.ratio, 3)}x** (per round: ${f.round_ratios.map((value) => fmt(value, 3)).join(", ")}).` +
      ` Deliveries: ${fmt(f.deliveries, 0)} of ${fmt(f.expected_deliveries, 0)} connected participants reached, ${fmt(f.duplicates, 0)} duplicates, ${fmt(f.unexpected_messages, 0)} messages nobody should have had; ${fmt(f.after_done, 0)} arrived after a poll had found the job done (notifications the budget sent on through the queue, or the last chunk's).`,
    "",
    `- Messages received: ${Object.entries(live.messages.by_type)
      .map(([type, count]) => `${type} ${fmt(count, 0)}`)
      .join(
        ", ",
      )}; seq gaps ${fmt(live.messages.seq_gaps, 0)}; sockets closed by the server before the end ${fmt(live.messages.closed_early, 0)}.`,
  ];
  if (live.channels)
    lines.push(
      `- The channels' own storage after the Worker stopped (${live.channels.directory ?? "no directory"}): ${fmt(live.channels.objects, 0)} objects, ${fmt(live.channels.of_connected_users, 0)} of connected users, ${fmt(live.channels.of_other_users, 0)} of other users, ${fmt(live.channels.unnamed, 0)} without a user;` +
        ` ${fmt(live.channels.item_created, 0)} item.created in their logs, ${fmt(live.messages.item_created, 0)} received by the sockets.`,
    );
  if (live.close)
    lines.push(
      `- Closing: ${fmt(live.close.closed, 0)} sockets closed in ${fmt(live.close.seconds, 1)} s, \`live_users\` rows left ${fmt(live.close.presence_rows_left, 0)}.`,
    );
  if (live.worker_log) {
    const entries = Object.entries(live.worker_log.by_message);
    lines.push(
      `- The Worker's log during the scenario: ${entries.length ? entries.map(([message, count]) => `${message} (${count})`).join("; ") : "no warnings or errors"}.`,
    );
  }
  return lines.join("\n");
}

function scaleSection(storage, scale) {
  const a = scale.assumptions;
  return [
    `Measured: ${fmt(storage.file_bytes / 1e6, 0)} MB of shard files for ${fmt(storage.items, 0)} items and ${fmt(storage.events, 0)} events = **${fmt(storage.bytes_per_item, 0)} bytes per item** ` +
      `(feed_items with its indexes and counters: ${fmt(storage.item_bytes_per_item, 0)} B/item; events with theirs: ${fmt(storage.event_bytes_per_event, 0)} B/event). The design assumed ${fmt(a.design_bytes_per_item, 0)} B/item.`,
    "",
    `Design: 1M users, ${fmt(a.items_per_year / 1e6, 0)}M items a year; default retention keeps ${fmt(scale.retained_items / 1e6, 2)}M items at any time (this dataset's type mix). D1 shards of ${fmt(a.d1_max_bytes / 1e9, 0)} GB:`,
    "",
    table(
      ["year", "no retention", "default retention", "default retention, if stored events were never deleted"],
      scale.years.map((y) => [
        y.year,
        `${fmt(y.no_retention.gb, 1)} GB → ${y.no_retention.shards}`,
        `${fmt(y.default_retention.gb, 1)} GB → ${y.default_retention.shards}`,
        `${fmt(y.default_retention_events_never_deleted.gb, 1)} GB → ${y.default_retention_events_never_deleted.shards}`,
      ]),
    ),
  ].join("\n");
}

function d1Section(d1) {
  const ops = d1?.operations ?? [];
  if (ops.length === 0) return "Not measured (see errors).";
  const num = (value) => fmt(value, value !== null && value !== undefined && Math.abs(value) < 10 ? 2 : 0);
  return [
    "From D1's own `meta` (`rows_read`, `rows_written`), as the Worker's opt-in meter reports it (`D1_METER=true`, src/shards/d1-meter.ts):",
    "read requests one at a time on the metered Worker (random users: the worst and the median of a sample); jobs and queue ingestion from the",
    "isolate's D1 work outside requests between two responses, divided by the items or rows they handled.",
    "",
    table(
      [
        "operation",
        "per",
        "queries",
        "round trips",
        "rows read",
        "rows written",
        "counter rows",
        "rows beyond counters (worst)",
        "allowed",
      ],
      ops.map((op) => [
        op.operation,
        op.per,
        num(op.queries),
        op.round_trips === undefined ? "—" : num(op.round_trips),
        num(op.rows_read),
        num(op.rows_written),
        op.counter_rows === undefined ? "" : num(op.counter_rows),
        op.rows_beyond_counters_max === undefined || op.allowance === null ? "" : num(op.rows_beyond_counters_max),
        op.allowance === undefined || op.allowance === null ? "" : `≤ ${op.allowance}`,
      ]),
    ),
    ...ops
      .filter((op) => op.rows_written_per_item !== undefined)
      .map(
        (op) =>
          `\n${op.operation}: ${fmt(op.rows_read_per_item, 2)} rows read and ${fmt(op.rows_written_per_item, 2)} rows written per item updated.`,
      ),
  ].join("\n");
}

/** Worker and original side by side: every figure of both, and their ratio. */
function peerSection(results) {
  const peer = results.peer ?? results.peer_reference;
  if (!peer)
    return "Not run (`npm run bench -- --peer django`), and no earlier peer run of this mode is kept in bench/results/.";
  const worker = results.reads?.measurements ?? {};
  const theirs = peer.http ?? {};
  const sizes = results.settings.historySizes;
  const small = Math.min(...sizes);
  const big = Math.max(...sizes);
  const row = (label, ours, them, digits = 0, compare = true) => [
    label,
    fmt(ours, digits),
    fmt(them, digits),
    compare && ours !== null && ours !== undefined && them ? `${fmt(ours / them, 2)}x` : "",
  ];
  const workerCleanup = results.retention?.cleanup ? serviceRate(results.retention.cleanup.service) : null;
  const rows = [
    row("floor (fixed JSON) req/s", worker.floor?.rps, theirs.floor?.rps),
    row("floor CPU ms per request", worker.floor?.cpu_ms_per_request, theirs.floor?.cpu_ms_per_request, 3),
    row("first page, random users: req/s", worker.first_page_random?.rps, theirs.first_page_random?.rps),
    row(
      "first page: CPU ms per request",
      worker.first_page_random?.cpu_ms_per_request,
      theirs.first_page_random?.cpu_ms_per_request,
      3,
    ),
    row(
      "**first page: req/s per core**",
      worker.first_page_random?.rps_per_core,
      theirs.first_page_random?.rps_per_core,
    ),
    row("first page: p50 ms", worker.first_page_random?.p50_ms, theirs.first_page_random?.p50_ms),
    row(
      "first page req/s ÷ floor req/s",
      results.reads?.ratios?.first_page_rps_vs_floor,
      peer.ratios?.first_page_rps_vs_floor,
      2,
      false,
    ),
    row(
      `summary p50, ${big} ÷ ${small} items`,
      results.reads?.ratios?.summary_history_p50,
      peer.ratios?.summary_history_p50,
      2,
      false,
    ),
    row(
      `first page p50, ${big} ÷ ${small} items`,
      results.reads?.ratios?.first_page_history_p50,
      peer.ratios?.first_page_history_p50,
      2,
      false,
    ),
    row(`summary p50 ms, ${big} items`, worker[`summary_${big}`]?.p50_ms, theirs[`summary_${big}`]?.p50_ms),
    row(
      `cursor page ${DEPTH_PAGE} ÷ cursor page 1 p50 (the peer has no cursors)`,
      results.reads?.ratios?.cursor_depth_p50,
      null,
      2,
      false,
    ),
    row(
      `\`?page=${DEPTH_PAGE}\` ÷ \`?page=1\` p50`,
      results.reads?.ratios?.page_number_depth_p50,
      peer.ratios?.page_number_depth_p50,
      2,
      false,
    ),
    row(
      "mark all read, 10,000 unread: ms (median)",
      results.mark_read?.service?.median_ms,
      peer.mark_read?.service?.median_ms,
    ),
    row("mark all read ÷ its raw UPDATE (SQLite / psql)", results.mark_read?.ratio, peer.mark_read?.ratio, 2, false),
    row(
      "cleanup rows/s (Worker: job, no archive; Django: management command)",
      workerCleanup,
      peer.cleanup?.rows_per_s,
    ),
  ];
  const from = results.peer
    ? "measured in this run, after the Worker was stopped"
    : `from the last \`--peer django\` run of this mode (${peer.measured_at}, ${peer.file}), not this run`;
  return [
    `The original design as its users run it: Django 3.2 + DRF on PostgreSQL 15 under gunicorn (2 sync workers), ${from}: the same dataset (same rows, same "now"), the same requests, tokens and load generator.`,
    "CPU per request: the server's processes (Worker: its workerd, D1 included; Django: gunicorn and PostgreSQL with their children). Per core: 1000 ÷ CPU ms per request.",
    "",
    table(["figure", "Worker", "Django peer", "Worker ÷ peer"], rows),
    ...(peer.cleanup
      ? [
          "",
          `Django's cleanup deleted ${fmt(peer.cleanup.rows, 0)} rows (archive-age rows included, nothing archived, dead rows left to vacuum) in ${fmt(peer.cleanup.seconds, 1)} s, the DELETEs only; the Worker's job rate is over the whole job, start-up and stored events included.`,
        ]
      : []),
  ].join("\n");
}

function reshardSection(reshard) {
  if (!reshard) return "Not measured (see errors).";
  return [
    `${reshard.from_shards} -> ${reshard.to_shards} shards: ${reshard.users_moved} of ${reshard.users_scanned} users moved ` +
      `(${fmt(reshard.rows_copied, 0)} rows copied) in ${reshard.move_seconds} s, **${reshard.users_moved_per_s} users/s**; ` +
      `items ${reshard.items_before} + ${reshard.items_ingested} ingested = ${reshard.items_after} ` +
      `(**lost ${reshard.lost}, duplicated ${reshard.duplicated}**).`,
    "",
    table(
      ["mixed load (list, mark-read, ingest)", "requests", "errors", "p50 ms", "p99 ms"],
      [
        [
          "before the move",
          reshard.before_move.requests,
          reshard.before_move.errors,
          reshard.before_move.p50_ms,
          reshard.before_move.p99_ms,
        ],
        [
          "during the move",
          reshard.during_move.requests,
          reshard.during_move.errors,
          reshard.during_move.p50_ms,
          reshard.during_move.p99_ms,
        ],
      ],
    ),
    "",
    `p99 during vs before: **${reshard.p99_ratio}x** (target <= 2).`,
  ].join("\n");
}

function devServerSection(servings) {
  if (!servings) return "Not measured (see errors).";
  const rows = [];
  for (const serving of Object.values(servings))
    for (const name of ["floor", "first_page_random"]) {
      const m = serving[name];
      rows.push([
        serving.label,
        name === "floor" ? "`/health`" : "first page",
        fmt(m.rps, 0),
        fmt(m.p50_ms, 0),
        fmt(m.cpu_ms_per_request, 3),
      ]);
    }
  return [
    "The same bundle, state and load served three ways in turn; CPU per request counts every process of the server (Node and workerd).",
    "",
    table(["served by", "request", "req/s", "p50 ms", "CPU ms/req"], rows),
  ].join("\n");
}

const NOT_RUN = "Not run in this run (`--only`).";

export function toMarkdown(results, plot = { files: [] }) {
  const targets = results.targets;
  const s = results.settings;
  const section = (value, render) => (value === undefined ? NOT_RUN : render(value));
  return [
    `# Benchmark results (${results.mode})`,
    "",
    `${results.started_at}, ${fmt(results.total_seconds, 0)} s. ${results.machine.cpus} CPUs, Node ${results.machine.node}, load generator on the same machine: only ratios within this run mean anything.`,
    `Dataset: ${fmt(s.regularUsers, 0)} regular users, history users of ${s.historySizes.join(" / ")} items, ${s.markReadUsers} users with ${fmt(s.markReadItems, 0)} unread items, ${fmt(results.dataset.expired_rows, 0)} rows past retention (${fmt(results.dataset.archivable_rows, 0)} of them older than every retention); written in ${fmt(results.dataset.seconds, 0)} s.`,
    `Direct SQLite access: ${results.machine.sqlite.driver} (SQLite ${results.machine.sqlite.version})${results.machine.sqlite.why ? `. Why not better-sqlite3: ${results.machine.sqlite.why}` : ""}`,
    "",
    "## Targets",
    "",
    table(
      ["target", "measured", "target", "met"],
      targets.map((t) => [t.name, fmt(t.measured, 2), t.target, metText(t.met)]),
    ),
    ...(results.errors.length
      ? ["", "## Errors", "", ...results.errors.map((e) => `- ${e.scenario}: ${e.error}`)]
      : []),
    "",
    "## 1–4. Floor, first page, depth, history size",
    "",
    results.scenarios.includes("reads") ? readsSection(results.reads, s, plot) : NOT_RUN,
    "",
    "## 5. Mark all read",
    "",
    section(results.mark_read, markReadSection),
    "",
    "## 6. Ingestion",
    "",
    section(results.ingestion, ingestionSection),
    "",
    "## 7. Cleanup and archive",
    "",
    section(results.retention, retentionSection),
    "",
    "## 9. Live channel",
    "",
    section(results.live, (live) => liveSection(live, results)),
    "",
    "## Side by side with the original (Django peer)",
    "",
    peerSection(results),
    "",
    "## D1 cost per operation",
    "",
    d1Section(results.d1),
    "",
    ...(results.dev_server !== undefined
      ? ["## `npm run dev`'s serving", "", devServerSection(results.dev_server), ""]
      : []),
    ...(results.reshard !== undefined ? ["## 10. Reshard under load", "", reshardSection(results.reshard), ""] : []),
    "## 8. Scale on paper",
    "",
    scaleSection(results.storage, results.scale),
    "",
  ].join("\n");
}

/**
 * The peer's figures of the last full `--peer django` run of a mode, kept in
 * bench/results/, so that a run without the peer still checks the per-core target.
 */
const peerReferenceFile = (modeName) =>
  path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "results", `peer-django-${modeName}.json`);

export function readPeerReference(modeName) {
  const file = peerReferenceFile(modeName);
  if (!existsSync(file)) return null;
  return {
    ...JSON.parse(readFileSync(file, "utf8")),
    file: path.relative(path.join(path.dirname(file), "..", ".."), file),
  };
}

export function writePeerReference(peer, results) {
  const file = peerReferenceFile(results.mode);
  writeFileSync(file, `${JSON.stringify({ measured_at: results.started_at, mode: results.mode, ...peer }, null, 2)}\n`);
  return file;
}

export async function writeReport(results, dir) {
  mkdirSync(dir, { recursive: true });
  const { mode, started_at, total_seconds, ...rest } = results;
  const ordered = { mode, started_at, total_seconds, targets: targetsOf(results), ...rest };
  const json = path.join(dir, "latest.json");
  const markdown = path.join(dir, "latest.md");
  const plot = await writeHistoryPlot(results.reads, results.settings, dir);
  writeFileSync(json, `${JSON.stringify(ordered, null, 2)}\n`);
  writeFileSync(markdown, toMarkdown(ordered, plot));
  return [json, markdown, ...plot.files];
}
