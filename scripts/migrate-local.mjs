#!/usr/bin/env node
// Applies migrations/ to every local D1 shard declared in wrangler.toml.
import { spawnSync } from "node:child_process";
import { QUIET_WRANGLER_ENV, ROOT, shardDatabases, WRANGLER_BIN } from "./lib/project.mjs";

export function migrateLocalShards({ persistTo } = {}) {
  for (const { binding, name } of shardDatabases()) {
    const args = [
      WRANGLER_BIN,
      "d1",
      "migrations",
      "apply",
      name,
      "--local",
      ...(persistTo ? ["--persist-to", persistTo] : []),
    ];
    const result = spawnSync(process.execPath, args, {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, ...QUIET_WRANGLER_ENV, CI: "true" },
    });
    if (result.status !== 0) {
      process.stderr.write(result.stdout + result.stderr);
      throw new Error(`migrations failed on ${binding} (${name})`);
    }
    // wrangler prints a final table with one "<file>.sql │ ✅" row per migration it applied.
    const finalTable = result.stdout.slice(result.stdout.lastIndexOf("┌"));
    const applied = result.stdout.includes("No migrations to apply")
      ? 0
      : (finalTable.match(/\.sql\s*│\s*✅/g) ?? []).length;
    console.log(`  ${binding} (${name}): ${applied ? `${applied} migration(s) applied` : "up to date"}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log("Applying migrations to every local shard:");
  migrateLocalShards();
}
