#!/usr/bin/env node
// Loads the demo data through the service's own API: users 1-10 with items of
// every type, the older half of them read. Everything is fixed (ids, times,
// which items are read), so the README's examples print the same everywhere.
//   npm run seed                      against the running npm run dev (or FEED_URL)
//   npm run seed -- --url http://...  against another server
import { createFeedClient, createStaffClient, FeedApiError } from "activity-feed/client";
import { failure } from "./cli/api.mjs";
import { localServiceUrl, parseScriptArgs, signToken } from "./lib/project.mjs";

// Users 1–10 land on every one of the 4 default shards.
export const DEMO_USERS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

/**
 * Demo items are dated before this fixed instant, not before the day they are
 * loaded: then created_at and age_display (a date, past five weeks) print the
 * same on every machine, and the reminders, past their 30 days, stay
 * cleanup's example.
 */
export const DEMO_ANCHOR = Date.parse("2026-10-01T00:00:00Z");

const FASTS = [
  { fast_id: 1, fast_name: "Great Lent Fast" },
  { fast_id: 2, fast_name: "Nativity Fast" },
  { fast_id: 3, fast_name: "Apostles Fast" },
];
const DAY = 86_400_000;

/** A fixed pseudo-random sequence, so every machine gets the same demo feed. */
function generator(seed) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/** Every demo event, with fixed event ids and times within the 90 days before DEMO_ANCHOR. */
export function demoEvents(userIds = DEMO_USERS) {
  const events = [];
  for (const userId of userIds) {
    const random = generator(userId * 7919);
    let sequence = 0;
    const at = (daysAgo) => new Date(DEMO_ANCHOR - daysAgo * DAY - Math.floor(random() * 86_400) * 1000).toISOString();
    const add = (activity_type, daysAgo, data, extra = {}) =>
      events.push({
        user_id: userId,
        activity_type,
        occurred_at: at(daysAgo),
        data,
        event_id: `demo-${userId}-${++sequence}`,
        ...extra,
      });
    for (const fast of FASTS) {
      const joinedDaysAgo = 30 + Math.floor(random() * 55);
      add("fast_join", joinedDaysAgo, fast);
      add("fast_start", joinedDaysAgo - 2, fast);
      add("fast_reminder", joinedDaysAgo + 1, { ...fast, reminder_type: "fast_reminder" });
      for (let week = 0; week < 3; week++) {
        const devotional = {
          ...fast,
          devotional_id: fast.fast_id * 100 + week,
          video_title: `Week ${week + 1}: Prayer and fasting`,
        };
        add("devotional_available", joinedDaysAgo - 3 - week * 7, devotional);
        add("devotional_reminder", joinedDaysAgo - 4 - week * 7, devotional);
      }
      add("milestone", Math.floor(random() * 20), { ...fast, milestone: 100 });
    }
    add("fast_leave", 5 + Math.floor(random() * 10), FASTS[2]);
    add(
      "event",
      Math.floor(random() * 3),
      { title: "Welcome to your activity feed" },
      { title: "Welcome to your activity feed", description: "Everything about your fasts, in one place." },
    );
  }
  return events;
}

/** "1, 2, 3" for a list of user ids. */
const listed = (userIds) => userIds.join(", ");

/**
 * Loads the demo data for every demo user who has no items yet, and leaves
 * the others alone: seeding again (after retention, restores or the README's
 * examples) changes nothing, and never brings back what retention removed.
 */
export async function seedDemo(baseUrl, { log = console.log } = {}) {
  const asUser = (userId) => createFeedClient({ baseUrl, token: signToken({ userId, ttlSeconds: 600 }) });
  const staff = createStaffClient({ baseUrl, token: signToken({ userId: 999_999, staff: true, ttlSeconds: 600 }) });

  const loaded = [];
  for (const userId of DEMO_USERS) {
    const summary = await asUser(userId).summary();
    if (summary.total_items > 0) loaded.push(userId);
  }
  const fresh = DEMO_USERS.filter((userId) => !loaded.includes(userId));
  if (fresh.length === 0) {
    log(`Demo data already loaded (users ${listed(loaded)} have items); nothing to do.`);
    return;
  }

  const { created_count: created, results } = await staff.ingest(demoEvents(fresh));
  // The older half of each user's items is read, so both states show.
  let markedRead = 0;
  for (const userId of fresh) {
    const items = results
      .filter((item) => item.user_id === userId)
      .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id - b.id);
    const older = items.slice(0, Math.floor(items.length / 2)).map((item) => item.id);
    if (older.length === 0) continue;
    markedRead += (await asUser(userId).markRead(older)).updated_count;
  }
  log(
    `Demo data: ${created} items created for users ${listed(fresh)}, ${markedRead} marked read.` +
      (loaded.length > 0 ? ` Users ${listed(loaded)} already had items and were left alone.` : ""),
  );
}

const USAGE = `usage: npm run seed [-- --url URL]

Loads the demo data (users 1-10) into a running service, through its API.
Users who already have items are left alone, so running it again changes nothing.

  --url URL   the service (default FEED_URL, else the running npm run dev, else http://localhost:8787)`;

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseScriptArgs({
    usage: USAGE,
    prefix: "seed: ",
    options: { url: { type: "string", default: process.env.FEED_URL ?? localServiceUrl() } },
  });
  try {
    await seedDemo(values.url.replace(/\/$/, ""));
  } catch (error) {
    if (!(error instanceof FeedApiError)) throw error;
    // Exit codes as the operator CLI's: 1 the service refused, 3 unreachable.
    const { line, code } = failure(error);
    console.error(`seed: ${line}`);
    process.exit(code);
  }
}
