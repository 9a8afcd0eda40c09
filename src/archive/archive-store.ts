import { isoTime, utcDay } from "../platform/time";
import {
  ARCHIVE_COLUMNS,
  ARCHIVE_SCHEMA_VERSION,
  type ArchivedRow,
  archiveColumns,
  decodeNdjson,
  encodeNdjson,
  gunzip,
  gzip,
  sha256Hex,
} from "./ndjson";

/**
 * Archive objects in R2. Key layout:
 *
 *   archives/<run id>/shard-<n>/<step>_<first day>_<last day>.ndjson.gz
 *   archives/<run id>/shard-<n>/<step>_<first day>_<last day>.manifest.json
 *
 * The run comes first so one prefix lists a run; the step number makes the key
 * of a chunk deterministic, so a chunk that is written again after a crash
 * overwrites its own object instead of adding a second copy. The object's
 * custom metadata repeats the manifest, so listing needs no extra reads.
 */

export const ARCHIVE_PREFIX = "archives/";
const OBJECT_SUFFIX = ".ndjson.gz";
const MANIFEST_SUFFIX = ".manifest.json";

export interface ArchiveManifest {
  key: string;
  format: "ndjson+gzip";
  schema_version: number;
  columns: readonly string[];
  shard: number;
  run_id: string;
  step: number;
  rows: number;
  bytes: number;
  sha256: string;
  first_created_at: string;
  last_created_at: string;
  archived_at: string;
}

export function archiveKey(runId: string, shard: number, step: number, times: readonly number[]): string {
  return `${ARCHIVE_PREFIX}${runId}/shard-${shard}/${String(step).padStart(6, "0")}_${utcDay(Math.min(...times))}_${utcDay(Math.max(...times))}${OBJECT_SUFFIX}`;
}

/**
 * Writes one chunk and its manifest. R2 checks the SHA-256 we send against
 * what it stored (the put fails otherwise), and the stored size is compared
 * too, so when this returns the rows are safely archived.
 */
export async function writeArchive(
  bucket: R2Bucket,
  runId: string,
  shard: number,
  step: number,
  rows: readonly { readonly line: string; readonly createdAt: number }[],
  now: number,
): Promise<ArchiveManifest> {
  const times = rows.map((row) => row.createdAt);
  const key = archiveKey(runId, shard, step, times);
  const body = await gzip(encodeNdjson(rows.map((row) => row.line)));
  const sha256 = await sha256Hex(body);
  const manifest: ArchiveManifest = {
    key,
    format: "ndjson+gzip",
    schema_version: ARCHIVE_SCHEMA_VERSION,
    columns: ARCHIVE_COLUMNS,
    shard,
    run_id: runId,
    step,
    rows: rows.length,
    bytes: body.byteLength,
    sha256,
    first_created_at: isoTime(Math.min(...times)),
    last_created_at: isoTime(Math.max(...times)),
    archived_at: isoTime(now),
  };
  const stored = await bucket.put(key, body, {
    sha256,
    httpMetadata: { contentType: "application/x-ndjson", contentEncoding: "gzip" },
    customMetadata: { manifest: JSON.stringify({ ...manifest, columns: undefined }) },
  });
  if (!stored || stored.size !== body.byteLength) throw new Error(`archive ${key} was not stored whole`);
  await bucket.put(`${key.slice(0, -OBJECT_SUFFIX.length)}${MANIFEST_SUFFIX}`, JSON.stringify(manifest, null, 2), {
    httpMetadata: { contentType: "application/json" },
  });
  return manifest;
}

export interface ArchiveListing {
  archives: Omit<ArchiveManifest, "columns">[];
  cursor: string | null;
}

export async function listArchives(
  bucket: R2Bucket,
  prefix = ARCHIVE_PREFIX,
  cursor?: string,
  limit = 1000,
): Promise<ArchiveListing> {
  const listing = await bucket.list({ prefix, limit, include: ["customMetadata"], ...(cursor ? { cursor } : {}) });
  const archives = listing.objects
    .filter((object) => object.key.endsWith(OBJECT_SUFFIX) && object.customMetadata?.manifest)
    .map((object) => JSON.parse(object.customMetadata!.manifest!) as Omit<ArchiveManifest, "columns">);
  return { archives, cursor: listing.truncated ? listing.cursor : null };
}

/** Reads an archive back, checking it against its manifest's checksum. */
export async function readArchive(
  bucket: R2Bucket,
  key: string,
): Promise<{ manifest: ArchiveManifest; rows: ArchivedRow[] } | undefined> {
  const objectKey = key.endsWith(MANIFEST_SUFFIX) ? `${key.slice(0, -MANIFEST_SUFFIX.length)}${OBJECT_SUFFIX}` : key;
  const object = await bucket.get(objectKey);
  if (!object) return undefined;
  const manifest = JSON.parse(object.customMetadata?.manifest ?? "null") as ArchiveManifest | null;
  if (!manifest) throw new Error(`${objectKey} is not an archive (no manifest)`);
  const body = new Uint8Array(await object.arrayBuffer());
  if ((await sha256Hex(body)) !== manifest.sha256) throw new Error(`${objectKey} does not match its checksum`);
  const columns = archiveColumns(manifest.schema_version);
  const rows = decodeNdjson(await gunzip(body), columns);
  if (rows.length !== manifest.rows)
    throw new Error(`${objectKey} holds ${rows.length} rows, its manifest says ${manifest.rows}`);
  return { manifest: { ...manifest, columns }, rows };
}
