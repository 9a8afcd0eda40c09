import type { Keyset } from "../db/feed-queries";
import { MAX_SHARDS, toPublicId } from "../shards/ids";

/**
 * Opaque pagination cursors: a position in the (created_at, id) order and the
 * direction to read from it, base64url-encoded. Clients must not build them;
 * they only follow `next` / `previous`.
 *
 * A cursor names its boundary item by its local id on the shard that issued
 * it, that shard, and the item's public id: on the same shard the local id is
 * the position; after a reshard moved the user, the public id finds the copy
 * (README, "Adding shards"). Cursors issued before reshards existed carry the
 * local id alone: they were issued on the user's first shard.
 */
export interface Cursor {
  readonly direction: "older" | "newer";
  readonly createdAt: number;
  /** The boundary item's local id on the issuing shard. */
  readonly localId: number;
  /** The issuing shard and the item's public id; absent in cursors from before reshards. */
  readonly issuedOn?: { readonly shard: number; readonly itemId: number };
}

const toBase64Url = (raw: string) => btoa(raw).replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "");

export function encodeCursor(cursor: Cursor): string {
  const issued = cursor.issuedOn ? `.${cursor.issuedOn.shard}.${cursor.issuedOn.itemId}` : "";
  return toBase64Url(`${cursor.direction === "older" ? "o" : "n"}.${cursor.createdAt}.${cursor.localId}${issued}`);
}

/** `undefined` when the text is not a cursor this service issued. */
export function decodeCursor(text: string): Cursor | undefined {
  let raw: string;
  try {
    raw = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  } catch {
    return undefined;
  }
  const match = /^([on])\.(\d{1,16})\.(\d{1,16})(?:\.(\d{1,4})\.(\d{1,16}))?$/.exec(raw);
  if (!match) return undefined;
  const numbers = [match[2], match[3], match[4], match[5]].map((part) =>
    part === undefined ? undefined : Number(part),
  );
  if (!numbers.every((value) => value === undefined || Number.isSafeInteger(value))) return undefined;
  const [createdAt, localId, shard, itemId] = numbers as [number, number, number | undefined, number | undefined];
  const direction = match[1] === "o" ? "older" : "newer";
  if (shard === undefined || itemId === undefined) return { direction, createdAt, localId };
  if (shard >= MAX_SHARDS) return undefined;
  return { direction, createdAt, localId, issuedOn: { shard, itemId } };
}

/**
 * Where a cursor points among the user's items on `shardIndex`: its local id
 * when that shard issued it, else the public id of its boundary item (moved
 * here since). `firstShard` is where cursors from before reshards were issued.
 */
export function keysetOn(cursor: Cursor, shardIndex: number, firstShard: number): Keyset {
  const issuedOn = cursor.issuedOn?.shard ?? firstShard;
  if (issuedOn === shardIndex) return { createdAt: cursor.createdAt, localId: cursor.localId };
  return { createdAt: cursor.createdAt, itemId: cursor.issuedOn?.itemId ?? toPublicId(issuedOn, cursor.localId) };
}
