// The benchmark's own local state under bench/.state, never the dev state
// (.wrangler/state). Applying the migrations with wrangler costs a few seconds
// per shard, so a migrated, empty state is kept as a template keyed by the
// migrations and the D1 bindings, and every run starts from a fresh copy of it.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { ROOT, shardDatabases, WRANGLER_BIN } from "../../scripts/lib/project.mjs";
import { openDatabase } from "./sqlite.mjs";

export const STATE_DIR = path.join(ROOT, "bench", ".state");
const D1_DIR = path.join("v3", "d1", "miniflare-D1DatabaseObject");

/** Runs the project's wrangler under the Node running this script (Node 22). */
export function wranglerSync(args, { quiet = true } = {}) {
  const result = spawnSync(process.execPath, [WRANGLER_BIN, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
  });
  if (result.status !== 0) {
    throw new Error(`wrangler ${args.slice(0, 3).join(" ")} failed:\n${result.stdout}${result.stderr}`);
  }
  if (!quiet) process.stdout.write(result.stdout);
  return result.stdout;
}

function templateKey() {
  const hash = createHash("sha256");
  const migrations = path.join(ROOT, "migrations");
  for (const name of readdirSync(migrations).sort())
    hash.update(name).update(readFileSync(path.join(migrations, name)));
  hash.update(JSON.stringify(shardDatabases()));
  hash.update(JSON.parse(readFileSync(path.join(ROOT, "node_modules", "wrangler", "package.json"), "utf8")).version);
  return hash.digest("hex").slice(0, 16);
}

const sqliteFiles = (dir) =>
  existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith(".sqlite") && name !== "metadata.sqlite") : [];

/** wrangler without blocking, so that several can run at once. */
function wranglerAsync(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRANGLER_BIN, ...args], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve(output) : reject(new Error(`wrangler ${args.slice(0, 3).join(" ")} failed:\n${output}`)),
    );
  });
}

/**
 * Applies the migrations to every shard, each into a persist directory of its
 * own (so they can run side by side), where it creates exactly one SQLite
 * file: that shard's. A marker table in the file records which binding it
 * belongs to, and is checked every time the template is used. The files are
 * then gathered into one persist directory (the file names are derived from the
 * database ids, not from the directory).
 */
async function buildTemplate(dir, log) {
  const started = Date.now();
  const shards = await Promise.all(
    shardDatabases().map(async ({ binding, name }) => {
      const own = path.join(dir, "parts", binding);
      await wranglerAsync(["d1", "migrations", "apply", name, "--local", "--persist-to", own]);
      const created = sqliteFiles(path.join(own, D1_DIR));
      if (created.length !== 1) throw new Error(`expected one SQLite file for ${name}, found ${created.length}`);
      const db = openDatabase(path.join(own, D1_DIR, created[0]));
      db.exec(
        `CREATE TABLE bench_shard_marker (binding TEXT NOT NULL); INSERT INTO bench_shard_marker VALUES ('${binding}');`,
      );
      db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
      db.close();
      return { binding, name, file: created[0], own };
    }),
  );
  const d1Dir = path.join(dir, "state", D1_DIR);
  mkdirSync(d1Dir, { recursive: true });
  for (const shard of shards) {
    cpSync(path.join(shard.own, D1_DIR, shard.file), path.join(d1Dir, shard.file));
    log(`  ${shard.binding} (${shard.name}) -> ${shard.file.slice(0, 12)}…`);
  }
  rmSync(path.join(dir, "parts"), { recursive: true, force: true });
  writeFileSync(
    path.join(dir, "shards.json"),
    JSON.stringify(
      shards.map(({ binding, name, file }) => ({ binding, name, file })),
      null,
      2,
    ),
  );
  log(`  migrations applied to ${shards.length} shards in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function checkMarkers(persistTo, shards) {
  for (const shard of shards) {
    const db = openDatabase(path.join(persistTo, D1_DIR, shard.file), { readOnly: true });
    const row = db.prepare("SELECT binding FROM bench_shard_marker").get();
    db.close();
    if (row?.binding !== shard.binding) throw new Error(`shard file ${shard.file} is not ${shard.binding}`);
  }
}

/**
 * A fresh persist directory for this run with the migrations applied to every
 * shard, and the SQLite file of each shard (index = shard index).
 */
export async function prepareRunState({ fresh = false, log = console.log } = {}) {
  mkdirSync(STATE_DIR, { recursive: true });
  const template = path.join(STATE_DIR, `template-${templateKey()}`);
  if (fresh || !existsSync(path.join(template, "shards.json"))) {
    log("Applying the migrations to every shard (kept as a template for later runs):");
    for (const name of readdirSync(STATE_DIR))
      if (name.startsWith("template-")) rmSync(path.join(STATE_DIR, name), { recursive: true, force: true });
    const building = `${template}.building`;
    rmSync(building, { recursive: true, force: true });
    await buildTemplate(building, log);
    renameSync(building, template);
  } else {
    log(`Migrated state: reusing ${path.relative(ROOT, template)} (same migrations and bindings)`);
  }
  const shards = JSON.parse(readFileSync(path.join(template, "shards.json"), "utf8"));
  const persistTo = path.join(STATE_DIR, "run");
  rmSync(persistTo, { recursive: true, force: true });
  cpSync(path.join(template, "state"), persistTo, { recursive: true });
  checkMarkers(persistTo, shards);
  return { persistTo, shardFiles: shards.map((shard) => path.join(persistTo, D1_DIR, shard.file)), shards };
}

/**
 * The last loaded dataset of a mode, kept for `--reuse-dataset` (iterating on
 * one scenario without loading a million rows each time). Valid only for the
 * same migrations, bindings and wrangler version as the template.
 */
const savedDatasetDir = (modeName) => path.join(STATE_DIR, `dataset-${modeName}-${templateKey()}`);

export function saveDataset(modeName, shardFiles, dataset) {
  for (const name of readdirSync(STATE_DIR))
    if (name.startsWith(`dataset-${modeName}-`)) rmSync(path.join(STATE_DIR, name), { recursive: true, force: true });
  const dir = savedDatasetDir(modeName);
  mkdirSync(dir, { recursive: true });
  shardFiles.forEach((file, index) => {
    cpSync(file, path.join(dir, `shard-${index}.sqlite`));
  });
  writeFileSync(path.join(dir, "dataset.json"), JSON.stringify(dataset));
}

/** Copies the saved dataset into this run's shard files; undefined when there is none. */
export function restoreDataset(modeName, shardFiles) {
  const dir = savedDatasetDir(modeName);
  if (!existsSync(path.join(dir, "dataset.json"))) return undefined;
  shardFiles.forEach((file, index) => {
    for (const suffix of ["-wal", "-shm"]) rmSync(`${file}${suffix}`, { force: true });
    cpSync(path.join(dir, `shard-${index}.sqlite`), file);
  });
  return JSON.parse(readFileSync(path.join(dir, "dataset.json"), "utf8"));
}

/**
 * The Worker's whole local state (D1 files with their WALs, KV, R2), copied
 * while the Worker is stopped, so that a scenario that consumes its rows can
 * run again from exactly the same state. Returns a function that puts it back.
 */
export function snapshotState(persistTo, name) {
  const snapshot = path.join(STATE_DIR, `snapshot-${name}`);
  rmSync(snapshot, { recursive: true, force: true });
  cpSync(persistTo, snapshot, { recursive: true });
  return {
    restore() {
      rmSync(persistTo, { recursive: true, force: true });
      cpSync(snapshot, persistTo, { recursive: true });
    },
    /** Where the snapshot keeps a copy of this file of the persist directory. */
    pathOf: (file) => path.join(snapshot, path.relative(persistTo, file)),
    discard: () => rmSync(snapshot, { recursive: true, force: true }),
  };
}

/** Bytes on disk of a SQLite database, its WAL included. */
export function databaseBytes(file) {
  return [file, `${file}-wal`].filter(existsSync).reduce((sum, name) => sum + statSync(name).size, 0);
}
