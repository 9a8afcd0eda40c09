#!/usr/bin/env node
// Loads demo data through the service's own API: a few users with items of
// every type over the last 90 days, some of them read. Idempotent: every event
// carries a fixed event_id, so running it again creates nothing new.
//   npm run seed                      against http://localhost:8787
//   npm run seed -- --url http://...  against another local server
import { parseArgs } from "node:util";
import { signToken } from "./lib/project.mjs";

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

// Users 1–10 land on every one of the 4 default shards.
export function demoEvents(userIds = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], now = Date.now()) {
  const events = [];
  for (const userId of userIds) {
    const random = generator(userId * 7919);
    let sequence = 0;
    const at = (daysAgo) => new Date(now - daysAgo * DAY - Math.floor(random() * DAY)).toISOString();
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

export async function seedDemo(baseUrl, { log = console.log } = {}) {
  const events = demoEvents();
  const response = await fetch(`${baseUrl}/api/internal/events/`, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${signToken({ userId: 999_999, staff: true })}`,
      "Content-Type": "application/json",
    },
    body: JSON.stringify({ events }),
  });
  if (!response.ok) throw new Error(`seeding failed: ${response.status} ${await response.text()}`);
  const { created_count: created, results } = await response.json();

  // Mark the older half of each user's new items as read, so both states show.
  const byUser = new Map();
  for (const item of results) byUser.set(item.user_id, [...(byUser.get(item.user_id) ?? []), item]);
  let markedRead = 0;
  for (const [userId, items] of byUser) {
    const older = items.sort((a, b) => a.created_at.localeCompare(b.created_at)).slice(0, Math.floor(items.length / 2));
    if (older.length === 0) continue;
    const marked = await fetch(`${baseUrl}/api/events/activity-feed/mark-read/`, {
      method: "POST",
      headers: { Authorization: `Bearer ${signToken({ userId })}`, "Content-Type": "application/json" },
      body: JSON.stringify({ activity_ids: older.map((item) => item.id) }),
    });
    if (!marked.ok) throw new Error(`marking demo items read failed: ${marked.status} ${await marked.text()}`);
    markedRead += (await marked.json()).updated_count;
  }
  log(
    `Demo data: ${created} items created for users ${[...byUser.keys()].join(", ") || "(already seeded)"}, ${markedRead} marked read.`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { url: { type: "string", default: "http://localhost:8787" } } });
  await seedDemo(values.url.replace(/\/$/, ""));
}
