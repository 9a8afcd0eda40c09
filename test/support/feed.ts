import { expect } from "vitest";
import { asUser, BASE, ingest } from "./http";

/** Helpers of the feed listing tests: seeding titled items, listing, following links. */

export const FEED = "/api/events/activity-feed/";

export interface Item {
  id: number;
  activity_type: string;
  title: string;
  created_at: string;
  [field: string]: unknown;
}

export interface Page {
  count: number;
  next: string | null;
  previous: string | null;
  results: Item[];
}

export type Spec = { type: string; at: string; read?: boolean; data?: Record<string, unknown> };

/**
 * Creates one item per spec (each titled with its key, so results can be told
 * apart) and marks the `read` ones read. Returns key → public id.
 */
export async function seed(user: number, specs: Record<string, Spec>): Promise<Record<string, number>> {
  const keys = Object.keys(specs);
  const created = await ingest(
    keys.map((key) => ({
      user_id: user,
      activity_type: specs[key]!.type,
      occurred_at: specs[key]!.at,
      title: key,
      data: specs[key]!.data ?? {},
    })),
  );
  expect(created.created_count).toBe(keys.length);
  const ids: Record<string, number> = {};
  for (const result of created.results as { id: number; title: string }[]) ids[result.title] = result.id;
  const toRead = keys.filter((key) => specs[key]!.read).map((key) => ids[key]!);
  if (toRead.length > 0) {
    const marked = await asUser(user, "POST", `${FEED}mark-read/`, { activity_ids: toRead });
    expect(marked.body.updated_count).toBe(toRead.length);
  }
  return ids;
}

export async function list(user: number, query: Record<string, string> | string = {}): Promise<Page> {
  const search = typeof query === "string" ? query : new URLSearchParams(query).toString();
  const response = await asUser<Page>(user, "GET", `${FEED}${search ? `?${search}` : ""}`);
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body;
}

/** Follows an absolute next/previous link. */
export async function follow(user: number, link: string): Promise<Page> {
  const url = new URL(link);
  expect(url.origin).toBe(BASE);
  const response = await asUser<Page>(user, "GET", `${url.pathname}${url.search}`);
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body;
}

export const ids = (page: Page) => page.results.map((item) => item.id);

/** Newest first: created_at, then id (ids of one user share a shard, so they order like local ids). */
export const newestFirst = (a: Item, b: Item) => Date.parse(b.created_at) - Date.parse(a.created_at) || b.id - a.id;

/** Replaces the activity types the user mutes (PUT preferences). */
export async function mute(user: number, ...types: string[]): Promise<void> {
  const response = await asUser(user, "PUT", `${FEED}preferences/`, { muted_types: types });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
}
