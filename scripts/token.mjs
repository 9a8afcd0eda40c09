#!/usr/bin/env node
// Prints a development JWT signed with JWT_SECRET from .dev.vars.
//   npm run token -- --user 1            a user token
//   npm run token -- --staff             a staff token (internal and admin endpoints)
//   npm run token -- --user 7 --staff --ttl 600
import { parseArgs } from "node:util";
import { signToken } from "./lib/project.mjs";

const { values } = parseArgs({
  options: {
    user: { type: "string" },
    staff: { type: "boolean", default: false },
    ttl: { type: "string", default: "86400" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help || (!values.user && !values.staff)) {
  console.error("usage: npm run token -- --user <id> [--staff] [--ttl <seconds>]\n       npm run token -- --staff");
  process.exit(values.help ? 0 : 2);
}
const userId = values.user ?? "999999";
if (!/^[1-9]\d{0,14}$/.test(userId)) {
  console.error(`--user must be a positive integer, got "${userId}"`);
  process.exit(2);
}
process.stdout.write(`${signToken({ userId, staff: values.staff, ttlSeconds: Number(values.ttl) })}\n`);
