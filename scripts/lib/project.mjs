// Small helpers shared by the project's scripts (Node, no build step).
import { createHmac } from "node:crypto";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** The project's wrangler, run with `process.execPath` (the Node 22 of npm scripts) rather than through npx. */
export const WRANGLER_BIN = path.join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");

/**
 * What wrangler needs to stay quiet and offline locally: no telemetry, no
 * banner (its update check asks the npm registry on every start), and the
 * placeholder `Request.cf` instead of a fetch from workers.cloudflare.com
 * that fails offline with a stack trace.
 */
export const QUIET_WRANGLER_ENV = {
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_HIDE_BANNER: "true",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
};

export const DEFAULT_LOCAL_URL = "http://localhost:8787";

/** Where a running `npm run dev` records its URL, so the CLI and seed follow `--port`. */
const DEV_SERVER_FILE = path.join(ROOT, ".wrangler", "dev-server.json");

export function recordDevServer(url) {
  writeFileSync(DEV_SERVER_FILE, `${JSON.stringify({ url, pid: process.pid })}\n`);
}

/** Removes the record, unless another `npm run dev` has written its own since. */
export function forgetDevServer() {
  try {
    if (JSON.parse(readFileSync(DEV_SERVER_FILE, "utf8")).pid === process.pid) rmSync(DEV_SERVER_FILE);
  } catch {
    // no record
  }
}

/** The URL of the running `npm run dev` of this checkout, else the default port's. */
export function localServiceUrl() {
  try {
    const { url, pid } = JSON.parse(readFileSync(DEV_SERVER_FILE, "utf8"));
    process.kill(pid, 0); // throws when that dev server is gone (a crash leaves the file behind)
    return url;
  } catch {
    return DEFAULT_LOCAL_URL;
  }
}

/** Bad usage, as every script here answers it: the reason and the usage on stderr, exit 2. */
export function exitWithUsage(message, usage) {
  console.error(`${message}\n\n${usage}`);
  process.exit(2);
}

/**
 * A script's flags (node:util parseArgs), with `-h`/`--help` printing the
 * usage on stdout (exit 0) and bad flags answered by exitWithUsage.
 * `prefix` names the script in its messages (`"token: "`).
 */
export function parseScriptArgs({ usage, options, prefix = "", allowPositionals = false }) {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals,
      options: { ...options, help: { type: "boolean", short: "h", default: false } },
    });
  } catch (error) {
    exitWithUsage(`${prefix}${error.message}`, usage);
  }
  if (parsed.values.help) {
    console.log(usage);
    process.exit(0);
  }
  return parsed;
}

/** Waits until a local Worker answers its health check. */
export async function waitForHealth(baseUrl, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${baseUrl}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new Error(`the Worker did not answer ${baseUrl}/health within ${timeoutMs / 1000}s`);
}

/** The D1 database names bound as shards in wrangler.toml, in binding order. */
export function shardDatabases() {
  const toml = readFileSync(path.join(ROOT, "wrangler.toml"), "utf8");
  const blocks = toml.split("[[d1_databases]]").slice(1);
  return blocks
    .map((block) => ({
      binding: /binding\s*=\s*"([^"]+)"/.exec(block)?.[1],
      name: /database_name\s*=\s*"([^"]+)"/.exec(block)?.[1],
    }))
    .filter((db) => db.binding?.startsWith("SHARD_") && db.name)
    .sort((a, b) => Number(a.binding.slice(6)) - Number(b.binding.slice(6)));
}

/** The shard count the deployment starts with: `SHARD_COUNT` of wrangler.toml's [vars]. */
export function initialShardCount() {
  const toml = readFileSync(path.join(ROOT, "wrangler.toml"), "utf8");
  const count = Number(/^SHARD_COUNT\s*=\s*"(\d+)"/m.exec(toml)?.[1]);
  if (!Number.isInteger(count) || count < 1) throw new Error("wrangler.toml sets no SHARD_COUNT");
  return count;
}

/** KEY=value pairs of .dev.vars (or the example when it does not exist yet). */
export function devVars() {
  const file = [".dev.vars", ".dev.vars.example"].map((name) => path.join(ROOT, name)).find(existsSync);
  const vars = {};
  if (!file) return vars;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const match = /^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (match) vars[match[1]] = match[2].replace(/^"(.*)"$/, "$1");
  }
  return vars;
}

const base64url = (value) => Buffer.from(value).toString("base64url");

/** An HS256 JWT, as the Worker expects: `sub` = user id, optional `is_staff`. */
export function signToken({ userId, staff = false, ttlSeconds = 86_400, secret = devVars().JWT_SECRET }) {
  if (!secret) throw new Error("JWT_SECRET is not set (.dev.vars)");
  const now = Math.floor(Date.now() / 1000);
  const header = base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const payload = base64url(
    JSON.stringify({ sub: String(userId), ...(staff ? { is_staff: true } : {}), iat: now, exp: now + ttlSeconds }),
  );
  const signature = createHmac("sha256", secret).update(`${header}.${payload}`).digest("base64url");
  return `${header}.${payload}.${signature}`;
}
