import type { Context } from "hono";

/**
 * Conditional polling (clients that keep no live connection): list, summary
 * and the badge answer with a weak ETag of the user's items' version (or the
 * badge's own counts), and If-None-Match gets 304 without reading any item.
 * Weak: the answer's `age_display` labels are as of its first read.
 */

/** FNV-1a, to fold a query string into the tag. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(36);
}

export const etagOf = (...parts: (string | number)[]) => `W/"${parts.map(String).join("-")}"`;

/** A listing's tag: the version and what was asked (its filters and page). */
export const listingEtag = (version: number, search: string) => etagOf("l", version, fnv1a(search));

export function matchesIfNoneMatch(c: Context, etag: string): boolean {
  const header = c.req.header("If-None-Match");
  if (!header) return false;
  const bare = (tag: string) => tag.trim().replace(/^W\//, "");
  return header.split(",").some((tag) => tag.trim() === "*" || bare(tag) === bare(etag));
}

/** 304 with the tag and no body. */
export const notModified = (c: Context, etag: string, headers: Record<string, string> = {}) =>
  c.body(null, 304, { ETag: etag, ...headers });
