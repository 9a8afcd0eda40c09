#!/usr/bin/env node
// Scale on paper (docs/scale.md): from the bench's measured costs (bench/results/latest.json)
// and the design's growth table, what a deployment needs at 100k, 1M, 10M and 100M users:
// shards, queue consumers, Durable Objects, KV operations, which Cloudflare limit bites first,
// and the monthly bill at list prices. Every assumption that is not measured is named below.
//
//   npm run scale [-- --results bench/results/latest.json] [--json]
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";

const ROOT = path.resolve(import.meta.dirname, "..");
const { values: options } = parseArgs({
  options: {
    results: { type: "string", default: path.join(ROOT, "bench/results/latest.json") },
    json: { type: "boolean", default: false },
  },
});

// ---- Measured (bench/results/latest.json) ----
const bench = JSON.parse(readFileSync(options.results, "utf8"));
const BENCH_SHARDS = 4; // the bench runs the deployment's SHARD_COUNT
const measured = {
  /** Stored bytes per item, events and indexes included (shard files / items). */
  bytesPerItem: bench.storage.bytes_per_item,
  /** Items kept once retention runs, as a share of a year's items (default policy, design's type mix). */
  retainedShare: bench.scale.retained_items / bench.scale.assumptions.items_per_year,
  /** Stored events per item created (reminders store none). */
  eventsPerItem: bench.scale.events_per_year / bench.scale.assumptions.items_per_year,
  /** Queue ingestion, items/s per shard (the bench's total over its shards, on 2 shared cores). */
  ingestPerShard: bench.ingestion.queue.items_per_s / BENCH_SHARDS,
  /** Retention cleanup, rows/s per shard. */
  cleanupPerShard: bench.retention.cleanup.service.rows_per_s / BENCH_SHARDS,
  /** Workerd CPU per first-page request, ms (the CPU table of bench/README.md; falls back to 2.35). */
  cpuMsPerRead: bench.reads?.cpu?.first_page_ms_per_request ?? 2.35,
};
// D1 rows per request, bounded and checked by the bench's d1-cost scenario (bench/README.md):
// a page reads at most 20 rows + the user's counters + 2, a summary 5 + counters + 2.
const COUNTER_ROWS = 8; // one counters row per activity type
const ROWS_READ = { page: 20 + COUNTER_ROWS + 2, badgeMiss: COUNTER_ROWS, markRead: 2 + COUNTER_ROWS };
// An item insert writes the item, its event, its counters row and their index entries.
const ROWS_WRITTEN_PER_ITEM = 1 + measured.eventsPerItem + 1;
const ROWS_WRITTEN_PER_MARK_READ = 2; // the item and its counters row

// ---- Assumed (not measured: change them here) ----
const assumed = {
  /** The design's growth table: items per user per month (1M row: 1; beyond it, the same). */
  itemsPerUserMonth: (users) => (users <= 1e3 ? 5 : users <= 1e4 ? 3 : users <= 1e5 ? 2 : 1),
  dailyActiveShare: 0.2,
  sessionsPerActiveDay: 3,
  /** Per session: the badge (KV; a miss reads the counters), one page, half a mark-read. */
  badgeHitRate: 0.9,
  markReadsPerSession: 0.5,
  /** Peak: a fast reminder to a quarter of all users at once, which must be in their feeds within 15 minutes. */
  peakShareOfUsers: 0.25,
  peakWindowSeconds: 900,
  /** Users with the inbox open at the busiest minute: one channel Durable Object each. */
  liveShare: 0.02,
  /** Events per queue message (producers send batches). */
  eventsPerMessage: 50,
  /** A shard is grown at half its 10 GB: room for a year's growth and a reshard's copy. */
  shardFill: 0.5,
  /** Production D1 per shard vs the local rate (network round trips; conservative). */
  productionRateFactor: 0.5,
};

// ---- Cloudflare limits (developers.cloudflare.com, Workers Paid) ----
const LIMITS = {
  d1DatabaseBytes: 10e9,
  d1DatabasesPerAccount: 50_000,
  /** Shard bindings this Worker declares (wrangler.toml); ids leave room for 1,024. */
  boundShards: 8,
  idShards: 1024,
  queueMessagesPerSecond: 5_000,
  queueConcurrentConsumers: 250,
  kvWritesPerKeyPerSecond: 1,
};

// ---- List prices (USD, Workers Paid plan, per month) ----
const PRICE = {
  base: 5,
  requests: { included: 10e6, perMillion: 0.3 },
  cpuMs: { included: 30e6, perMillion: 0.02 },
  d1RowsRead: { included: 25e9, perMillion: 0.001 },
  d1RowsWritten: { included: 50e6, perMillion: 1.0 },
  d1StorageGb: { included: 5, perGb: 0.75 },
  kvReads: { included: 10e6, perMillion: 0.5 },
  kvWrites: { included: 1e6, perMillion: 5.0 },
  queueOps: { included: 1e6, perMillion: 0.4 },
  doRequests: { included: 1e6, perMillion: 0.15 },
  doGbSeconds: { included: 400_000, perMillion: 12.5 },
};
const over = (amount, { included, perMillion }) => (Math.max(0, amount - included) / 1e6) * perMillion;

function plan(users) {
  const itemsMonth = users * assumed.itemsPerUserMonth(users);
  const retainedItems = itemsMonth * 12 * measured.retainedShare;
  const storedBytes = retainedItems * measured.bytesPerItem;
  const shardsForStorage = Math.ceil(storedBytes / (LIMITS.d1DatabaseBytes * assumed.shardFill));

  const peakItemsPerSecond = (users * assumed.peakShareOfUsers) / assumed.peakWindowSeconds;
  const perShardRate = measured.ingestPerShard * assumed.productionRateFactor;
  const shardsForWrites = Math.ceil(peakItemsPerSecond / perShardRate);
  const shards = Math.max(1, shardsForStorage, shardsForWrites);

  const sessions = users * assumed.dailyActiveShare * assumed.sessionsPerActiveDay * 30;
  const requests = sessions * (2 + assumed.markReadsPerSession) + itemsMonth / assumed.eventsPerMessage;
  const rowsRead =
    sessions *
    (ROWS_READ.page +
      (1 - assumed.badgeHitRate) * ROWS_READ.badgeMiss +
      assumed.markReadsPerSession * ROWS_READ.markRead);
  const rowsWritten =
    itemsMonth * ROWS_WRITTEN_PER_ITEM + sessions * assumed.markReadsPerSession * ROWS_WRITTEN_PER_MARK_READ;
  // Retention deletes what the month added, once the deployment is a year old.
  const rowsDeleted = itemsMonth * (1 + measured.eventsPerItem);
  const cleanupHoursPerShard =
    rowsDeleted / 30 / shards / (measured.cleanupPerShard * assumed.productionRateFactor) / 3600;

  const kvReads = sessions;
  const kvWrites = itemsMonth + sessions * assumed.markReadsPerSession; // one badge write per change
  const messages = itemsMonth / assumed.eventsPerMessage;
  const queueOps = messages * 3; // write, read, delete
  // One consumer invocation per busy shard at a time: a chain of job steps per shard (docs/decisions/003-job-queue.md).
  const consumers = Math.min(shards, shardsForWrites);
  const liveObjects = Math.ceil(users * assumed.liveShare);
  // Hibernating channels bill no duration; a wake per pushed item, ~10 ms at 128 MB.
  const doRequests = itemsMonth * assumed.liveShare * 10 + sessions * assumed.liveShare * 10;
  const doGbSeconds = doRequests * 0.01 * 0.128;

  const cost = {
    workers: PRICE.base + over(requests, PRICE.requests) + over(requests * measured.cpuMsPerRead, PRICE.cpuMs),
    d1:
      over(rowsRead, PRICE.d1RowsRead) +
      over(rowsWritten + rowsDeleted, PRICE.d1RowsWritten) +
      Math.max(0, storedBytes / 1e9 - PRICE.d1StorageGb.included) * PRICE.d1StorageGb.perGb,
    kv: over(kvReads, PRICE.kvReads) + over(kvWrites, PRICE.kvWrites),
    queues: over(queueOps, PRICE.queueOps),
    durableObjects: over(doRequests, PRICE.doRequests) + over(doGbSeconds, PRICE.doGbSeconds),
  };
  const total = Object.values(cost).reduce((sum, value) => sum + value, 0);

  const bites = [];
  if (shards > LIMITS.boundShards)
    bites.push(`more than the ${LIMITS.boundShards} declared shard bindings: declare more before resharding`);
  if (shardsForWrites > shardsForStorage)
    bites.push(
      `D1's one writer per database, before its 10 GB: ${shardsForWrites} shards to land a reminder burst in ` +
        `${assumed.peakWindowSeconds / 60} min (${shardsForStorage} would hold the data)`,
    );
  else if (shards > 1) bites.push(`D1's 10 GB per database (at ${assumed.shardFill * 100}% fill)`);
  if (peakItemsPerSecond / assumed.eventsPerMessage > LIMITS.queueMessagesPerSecond)
    bites.push("Queues' 5,000 messages/s per queue");
  if (consumers > LIMITS.queueConcurrentConsumers) bites.push("Queues' 250 concurrent consumers");
  if (shards > LIMITS.idShards) bites.push("the id layout's 1,024 shards");
  const biggest = Object.entries(cost).sort(([, a], [, b]) => b - a)[0];
  if (biggest && biggest[1] > 50) bites.push(`cost: ${biggest[0]} is the largest line`);

  return {
    users,
    itemsMonth,
    retainedItems,
    storedGb: storedBytes / 1e9,
    shards,
    shardsForStorage,
    shardsForWrites,
    peakItemsPerSecond,
    consumers,
    liveObjects,
    kvReads,
    kvWrites,
    queueOps,
    rowsRead,
    rowsWritten: rowsWritten + rowsDeleted,
    cleanupHoursPerShard,
    requests,
    cost,
    total,
    bites: bites.length > 0 ? bites : ["nothing: one shard holds it"],
  };
}

const tiers = [1e5, 1e6, 1e7, 1e8].map(plan);
if (options.json) {
  process.stdout.write(
    `${JSON.stringify({ measured, assumed: { ...assumed, itemsPerUserMonth: "design table" }, tiers }, null, 2)}\n`,
  );
} else {
  const n = (value, digits = 0) =>
    value >= 1e9
      ? `${(value / 1e9).toFixed(1)}B`
      : value >= 1e6
        ? `${(value / 1e6).toFixed(1)}M`
        : value >= 1e4
          ? `${(value / 1e3).toFixed(0)}k`
          : value.toFixed(digits);
  const usd = (value) => `$${value < 100 ? value.toFixed(2) : Math.round(value).toLocaleString("en-US")}`;
  const rows = [
    ["users", (t) => n(t.users)],
    ["items / month", (t) => n(t.itemsMonth)],
    ["items kept (default retention)", (t) => n(t.retainedItems)],
    ["stored GB", (t) => t.storedGb.toFixed(1)],
    ["shards (storage / peak writes)", (t) => `${t.shards} (${t.shardsForStorage} / ${t.shardsForWrites})`],
    ["peak items/s (reminder burst)", (t) => n(t.peakItemsPerSecond)],
    ["queue consumers at peak", (t) => String(t.consumers)],
    ["live Durable Objects at peak", (t) => n(t.liveObjects)],
    ["KV reads / month", (t) => n(t.kvReads)],
    ["KV writes / month", (t) => n(t.kvWrites)],
    ["queue operations / month", (t) => n(t.queueOps)],
    ["D1 rows read / month", (t) => n(t.rowsRead)],
    ["D1 rows written / month", (t) => n(t.rowsWritten)],
    ["daily cleanup, hours per shard", (t) => t.cleanupHoursPerShard.toFixed(2)],
    ["Workers", (t) => usd(t.cost.workers)],
    ["D1", (t) => usd(t.cost.d1)],
    ["KV", (t) => usd(t.cost.kv)],
    ["Queues", (t) => usd(t.cost.queues)],
    ["Durable Objects", (t) => usd(t.cost.durableObjects)],
    ["**total / month**", (t) => `**${usd(t.total)}**`],
  ];
  const header = `| | ${tiers.map((t) => `${n(t.users)} users`).join(" | ")} |`;
  const lines = [header, `|---|${tiers.map(() => "---:").join("|")}|`];
  for (const [label, cell] of rows) lines.push(`| ${label} | ${tiers.map(cell).join(" | ")} |`);
  lines.push("", "Bites first:");
  for (const tier of tiers) lines.push(`- ${n(tier.users)} users: ${tier.bites.join("; ")}`);
  lines.push(
    "",
    `Measured: ${Math.round(measured.bytesPerItem)} bytes/item, ${(measured.retainedShare * 100).toFixed(0)}% of a year's items kept, ` +
      `${Math.round(measured.ingestPerShard)} items/s and ${Math.round(measured.cleanupPerShard)} cleanup rows/s per shard (local, ` +
      `x${assumed.productionRateFactor} assumed in production).`,
  );
  process.stdout.write(`${lines.join("\n")}\n`);
}
