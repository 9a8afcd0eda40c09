// Scenario 8: scale on paper. Bytes per item measured on the loaded shard
// files, then the design's growth table (1M users, 12M items a year) and the
// default retention give how many 10 GB D1 shards a deployment needs.
import { ACTIVITY_TYPE_NAMES, retentionDays, TYPE_MIX } from "../lib/dataset.mjs";
import { openDatabase } from "../lib/sqlite.mjs";
import { databaseBytes } from "../lib/state.mjs";

export const D1_MAX_BYTES = 10e9; // 10 GB per D1 database
const ITEMS_PER_YEAR = 12_000_000; // design: 1M users x 1 item/user/month
const DESIGN_GB_PER_YEAR = 8.4; // design's "Storage (GB)" for that row
const REMINDERS = new Set(["fast_reminder", "devotional_reminder"]);

/** Bytes per table (indexes included, via dbstat) and row counts over every shard. */
export function measureStorage(shardFiles) {
  const tables = {};
  let fileBytes = 0;
  let items = 0;
  let events = 0;
  for (const file of shardFiles) {
    fileBytes += databaseBytes(file);
    const db = openDatabase(file, { readOnly: true });
    for (const row of db
      .prepare(
        "SELECT m.tbl_name AS name, sum(s.pgsize) AS bytes FROM dbstat AS s JOIN sqlite_master AS m ON m.name = s.name GROUP BY m.tbl_name",
      )
      .all()) {
      tables[row.name] = (tables[row.name] ?? 0) + row.bytes;
    }
    items += db.prepare("SELECT count(*) AS n FROM feed_items").get().n;
    events += db.prepare("SELECT count(*) AS n FROM events").get().n;
    db.close();
  }
  const itemTables = (tables.feed_items ?? 0) + (tables.user_feed_counters ?? 0);
  const eventTables = (tables.events ?? 0) + (tables.fast_participants ?? 0);
  return {
    file_bytes: fileBytes,
    items,
    events,
    table_bytes: tables,
    bytes_per_item: fileBytes / items,
    item_bytes_per_item: itemTables / items,
    event_bytes_per_event: eventTables / events,
  };
}

export function scaleOnPaper(storage) {
  // Items kept at any time once retention runs: each type's last `retention` days.
  const retained = ACTIVITY_TYPE_NAMES.reduce(
    (sum, type) => sum + ITEMS_PER_YEAR * TYPE_MIX[type] * (Math.min(retentionDays(type), 365) / 365),
    0,
  );
  const eventsPerYear =
    ITEMS_PER_YEAR *
    ACTIVITY_TYPE_NAMES.filter((type) => !REMINDERS.has(type)).reduce((sum, type) => sum + TYPE_MIX[type], 0);
  const shards = (bytes) => Math.max(1, Math.ceil(bytes / D1_MAX_BYTES));
  const years = [1, 2, 3].map((year) => {
    const noRetention = year * ITEMS_PER_YEAR * storage.bytes_per_item;
    const withRetention = retained * storage.bytes_per_item;
    // What-if: retention deleting feed_items only and keeping every stored event
    // (the service deletes events past their type's retention too).
    const eventsKept = retained * storage.item_bytes_per_item + year * eventsPerYear * storage.event_bytes_per_event;
    return {
      year,
      no_retention: { gb: noRetention / 1e9, shards: shards(noRetention) },
      default_retention: { gb: withRetention / 1e9, shards: shards(withRetention) },
      default_retention_events_never_deleted: { gb: eventsKept / 1e9, shards: shards(eventsKept) },
    };
  });
  return {
    assumptions: {
      items_per_year: ITEMS_PER_YEAR,
      type_mix: TYPE_MIX,
      retention_days: Object.fromEntries(ACTIVITY_TYPE_NAMES.map((type) => [type, retentionDays(type)])),
      d1_max_bytes: D1_MAX_BYTES,
      design_gb_per_year: DESIGN_GB_PER_YEAR,
      design_bytes_per_item: (DESIGN_GB_PER_YEAR * 1e9) / ITEMS_PER_YEAR,
    },
    bytes_per_item: storage.bytes_per_item,
    retained_items: Math.round(retained),
    events_per_year: Math.round(eventsPerYear),
    years,
  };
}
