import { FEED_ITEM_COLUMNS } from "../db/schema";

/**
 * The archive format: one feed_items row per line, every column under its
 * database name, values exactly as stored (is_read 0/1, times in epoch ms,
 * data as its JSON text), gzip-compressed. Restoring a line gives back the
 * identical row.
 */

export const ARCHIVE_COLUMNS = FEED_ITEM_COLUMNS;

/**
 * The schema version archives are written with, and the columns each version's
 * lines hold: version 1 predates the inbox states (restore gives those rows
 * the states they had then: seen, not archived).
 */
export const ARCHIVE_SCHEMA_VERSION = 2;
const COLUMNS_BY_VERSION: Record<number, readonly string[]> = {
  1: ARCHIVE_COLUMNS.slice(0, ARCHIVE_COLUMNS.indexOf("dedupe_key") + 1),
  2: ARCHIVE_COLUMNS,
};

export function archiveColumns(schemaVersion: number): readonly string[] {
  const columns = COLUMNS_BY_VERSION[schemaVersion];
  if (!columns) throw new Error(`archive schema version ${schemaVersion} is newer than this deployment knows`);
  return columns;
}

export type ArchivedRow = Partial<Record<(typeof ARCHIVE_COLUMNS)[number], string | number | null>>;

/** Lines are built by SQLite (json_object over ARCHIVE_COLUMNS, src/db/retention-queries.ts). */
export function encodeNdjson(lines: readonly string[]): string {
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}

export function decodeNdjson(text: string, columns: readonly string[] = ARCHIVE_COLUMNS): ArchivedRow[] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line, index) => {
      const row = JSON.parse(line) as ArchivedRow;
      for (const column of columns) {
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
