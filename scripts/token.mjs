#!/usr/bin/env node
// Prints a development JWT signed with JWT_SECRET from .dev.vars.
//   npm run token -- --user 1            a user token
//   npm run token -- --staff             a staff token (internal and admin endpoints)
//   npm run token -- --user 7 --staff --ttl 600
import { exitWithUsage, parseScriptArgs, signToken } from "./lib/project.mjs";

const USAGE = `usage: npm run -s token -- --user <id> [--staff] [--ttl <seconds>]
       npm run -s token -- --staff [--ttl <seconds>]

  --user <id>      the user id (sub), a positive integer
  --staff          a staff token (is_staff: true); without --user, user 999999
  --ttl <seconds>  lifetime, a whole number of seconds from 1 to 31536000 (default 86400)`;

const usageError = (message) => exitWithUsage(`token: ${message}`, USAGE);

const { values } = parseScriptArgs({
  usage: USAGE,
  prefix: "token: ",
  options: {
    user: { type: "string" },
    staff: { type: "boolean", default: false },
    ttl: { type: "string", default: "86400" },
  },
});
if (values.user === undefined && !values.staff) usageError("give --user <id>, --staff, or both");
const userId = values.user ?? "999999";
if (!/^[1-9]\d{0,14}$/.test(userId)) usageError(`--user must be a positive integer, got "${userId}"`);
// A year at most: longer-lived tokens are not something to hand around, even locally.
if (!/^[1-9]\d{0,7}$/.test(values.ttl) || Number(values.ttl) > 31_536_000)
  usageError(`--ttl must be a whole number of seconds from 1 to 31536000, got "${values.ttl}"`);
process.stdout.write(`${signToken({ userId, staff: values.staff, ttlSeconds: Number(values.ttl) })}\n`);
