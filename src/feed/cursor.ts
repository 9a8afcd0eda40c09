import type { Keyset } from "../db/feed-queries";

/**
 * Opaque pagination cursors: a position in the (created_at, id) order and the
 * direction to read from it, base64url-encoded. Clients must not build them;
 * they only follow `next` / `previous`.
 */
export interface Cursor extends Keyset {
  readonly direction: "older" | "newer";
}

export function encodeCursor(cursor: Cursor): string {
  const raw = `${cursor.direction === "older" ? "o" : "n"}.${cursor.createdAt}.${cursor.localId}`;
  return btoa(raw).replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "");
}

/** `undefined` when the text is not a cursor this service issued. */
export function decodeCursor(text: string): Cursor | undefined {
  let raw: string;
  try {
    raw = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  } catch {
    return undefined;
  }
  const match = /^([on])\.(\d{1,16})\.(\d{1,16})$/.exec(raw);
  if (!match) return undefined;
  const createdAt = Number(match[2]);
  const localId = Number(match[3]);
  if (!Number.isSafeInteger(createdAt) || !Number.isSafeInteger(localId)) return undefined;
  return { direction: match[1] === "o" ? "older" : "newer", createdAt, localId };
}
