import { FEED_ITEM_COLUMNS } from "../db/schema";

/**
 * The archive format: one feed_items row per line, every column under its
 * database name, values exactly as stored (is_read 0/1, times in epoch ms,
 * data as its JSON text), gzip-compressed. Restoring a line gives back the
 * identical row.
 */

export const ARCHIVE_COLUMNS = FEED_ITEM_COLUMNS;

export type ArchivedRow = Record<(typeof ARCHIVE_COLUMNS)[number], string | number | null>;

/** Lines are built by SQLite (json_object over ARCHIVE_COLUMNS, src/db/retention-queries.ts). */
export function encodeNdjson(lines: readonly string[]): string {
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}

export function decodeNdjson(text: string): ArchivedRow[] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line, index) => {
      const row = JSON.parse(line) as ArchivedRow;
      for (const column of ARCHIVE_COLUMNS) {
        if (!(column in row)) throw new Error(`archive line ${index + 1} has no ${column}`);
      }
      return row;
    });
}

async function pipeThrough(bytes: Uint8Array, transform: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const stream = new Blob([bytes]).stream().pipeThrough(transform);
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export const gzip = (text: string) => pipeThrough(new TextEncoder().encode(text), new CompressionStream("gzip"));
export const gunzip = async (bytes: Uint8Array) =>
  new TextDecoder().decode(await pipeThrough(bytes, new DecompressionStream("gzip")));

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}
