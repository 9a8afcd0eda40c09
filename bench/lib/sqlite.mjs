// Direct SQLite access to the shard files (dataset loading, raw baselines,
// progress polling). better-sqlite3 when it loads under this Node, otherwise
// Node's built-in node:sqlite; both are the SQLite C library, and the harness
// only uses the API they share (exec, prepare().run/get/all, close).
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
let driver;
/** A Worker that just stopped may still hold a shard file's lock for a moment (its WAL checkpoint at close). */
const BUSY_TIMEOUT_MS = 10_000;

/** Which driver is in use and, for the fallback, why. Probed once. */
export function sqliteDriver() {
  if (driver) return driver;
  try {
    const BetterSqlite3 = require("better-sqlite3");
    new BetterSqlite3(":memory:").close(); // loading the native addon happens here
    driver = {
      name: "better-sqlite3",
      open: (file, { readOnly = false } = {}) =>
        new BetterSqlite3(file, { readonly: readOnly, timeout: BUSY_TIMEOUT_MS }),
    };
  } catch (error) {
    const { DatabaseSync } = require("node:sqlite");
    const reason =
      error.code === "MODULE_NOT_FOUND"
        ? "better-sqlite3 is not a dependency"
        : `better-sqlite3 does not load: ${firstLine(error.message)}`;
    driver = {
      name: "node:sqlite",
      reason:
        `${reason}. Here no prebuilt addon can be downloaded, and built from source (npm install) it compiles against the ` +
        `machine's Node 20 headers, an addon that the Node 22 running npm scripts refuses to load (NODE_MODULE_VERSION 115 vs 127). ` +
        `node:sqlite is built into Node 22.`,
      open: (file, { readOnly = false } = {}) => new DatabaseSync(file, { readOnly, timeout: BUSY_TIMEOUT_MS }),
    };
  }
  const probe = driver.open(":memory:");
  driver.version = probe.prepare("SELECT sqlite_version() AS v").get().v;
  probe.close();
  return driver;
}

const firstLine = (text) => String(text).split("\n")[0];

export function openDatabase(file, options) {
  return sqliteDriver().open(file, options);
}
