#!/usr/bin/env node
// Operator CLI for the activity feed: the original management commands against
// a running deployment (local dev by default).
//
//   npm run feed -- <command> [options]        (or: npx activity-feed <command>)
//
// Exit codes: 0 done, 1 the service refused or failed, 2 bad usage, 3 unreachable.
import { exitWithUsage, localServiceUrl, parseScriptArgs } from "../lib/project.mjs";
import { createClient, FeedApiError, failure } from "./api.mjs";
import * as commands from "./commands.mjs";

const USAGE = `usage: npm run feed -- <command> [options]

commands:
  cleanup   [--dry-run] [--activity-type T] [--older-than-days N] [--only-read] [--no-archive]
  populate  [--user-id N] [--days-back N] [--dry-run]
  archive   [--older-than-days N] [--only-read] [--dry-run]
  restore   <archive key | run id>
  archives  [--run-id R]
  stats     [--user-id N]
  jobs      [job id]            recent jobs, or one job's progress
  jobs      resume <job id>     send a stalled job's next steps again
  reshard   --to N              grow to N shards online, following the move (README "Adding shards")

options:
  --url URL       deployment to talk to (default FEED_URL, else the running npm run dev, else
                  http://localhost:8787)
  --token JWT     staff token (default FEED_TOKEN; locally a token signed with .dev.vars)
  --json          machine-readable output
  -h, --help`;

const usageError = (message) => exitWithUsage(message, USAGE);

const { values: options, positionals } = parseScriptArgs({
  usage: USAGE,
  allowPositionals: true,
  options: {
    url: { type: "string", default: process.env.FEED_URL ?? localServiceUrl() },
    token: { type: "string", default: process.env.FEED_TOKEN },
    json: { type: "boolean", default: false },
    "dry-run": { type: "boolean", default: false },
    "only-read": { type: "boolean", default: false },
    "no-archive": { type: "boolean", default: false },
    "activity-type": { type: "string" },
    "older-than-days": { type: "string" },
    "days-back": { type: "string" },
    "user-id": { type: "string" },
    "run-id": { type: "string" },
    to: { type: "string" },
  },
});

const [name, ...rest] = positionals;
const COMMANDS = {
  cleanup: commands.cleanup,
  populate: commands.populate,
  archive: commands.archive,
  restore: commands.restore,
  archives: commands.archives,
  stats: commands.stats,
  jobs: commands.jobs,
  reshard: commands.reshard,
};
const command = Object.hasOwn(COMMANDS, name ?? "") ? COMMANDS[name] : undefined;
if (!name) usageError("no command given");
if (!command) usageError(`unknown command "${name}"`);
// Without a scheme, fetch would read "localhost:8791" as a URL of scheme
// "localhost:" and the failure would look like a server that is down; and
// guessing http:// could send a production staff token in the clear.
if (!/^https?:\/\/[^/]/i.test(options.url))
  usageError(`--url must start with http:// or https://, got "${options.url}" (e.g. http://${options.url})`);
for (const numeric of ["older-than-days", "days-back", "user-id", "to"]) {
  if (options[numeric] !== undefined && !/^[1-9]\d*$/.test(options[numeric]))
    usageError(`--${numeric} must be a positive integer, got "${options[numeric]}"`);
}

const out = {
  line: (text) => process.stdout.write(`${text}\n`),
  json: (value) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
};
try {
  await command(createClient({ url: options.url, token: options.token }), options, out, ...rest);
} catch (error) {
  if (error instanceof commands.UsageError) usageError(error.message);
  if (error instanceof FeedApiError) {
    const { line, code } = failure(error);
    console.error(`error: ${line}`);
    process.exit(code);
  }
  console.error(`error: ${error.message}`);
  process.exit(1);
}
