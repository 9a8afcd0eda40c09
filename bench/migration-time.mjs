// How long a migration holds a shard: applies the migrations before it to a
// fresh SQLite file, fills it with N synthetic items spread over 2,500 users,
// then times the migration itself.
//   node bench/migration-time.mjs [items = 300000] [migration = 0005_inbox_states.sql]
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";

const items = Number(process.argv[2] ?? 300_000);
const target = process.argv[3] ?? "0005_inbox_states.sql";
const migrations = readdirSync("migrations")
  .filter((name) => name.endsWith(".sql"))
  .sort();
if (!migrations.includes(target)) throw new Error(`no migration ${target} in migrations/`);

const file = path.join(tmpdir(), `migration-time-${process.pid}.sqlite`);
rmSync(file, { force: true });
const db = new DatabaseSync(file);
for (const name of migrations.slice(0, migrations.indexOf(target))) db.exec(readFileSync(`migrations/${name}`, "utf8"));
const types = ["fast_join", "fast_start", "fast_reminder", "milestone", "devotional_available", "fast_leave", "event"];
db.exec("BEGIN");
const insert = db.prepare(
  `INSERT INTO feed_items (user_id, activity_type, title, description, created_at, data, is_read, dedupe_key)
   VALUES (?, ?, 'Joined Great Lent Fast', 'Joined Great Lent Fast', ?, '{"fast_id":1,"fast_name":"Great Lent Fast"}', ?, ?)`,
);
for (let n = 0; n < items; n++)
  insert.run(1 + (n % 2_500), types[n % types.length], 1_700_000_000_000 + n * 60_000, n % 2, `event:${n}`);
db.exec("COMMIT");

const started = performance.now();
db.exec(readFileSync(`migrations/${target}`, "utf8"));
console.log(`${target} on ${items.toLocaleString("en")} items: ${(performance.now() - started).toFixed(0)} ms`);
db.close();
rmSync(file, { force: true });
