import { claimRequestKeyRow, storeRequestKeyAnswer, storeRequestKeyPartial } from "../db/request-keys";
import type { Env } from "../env";
import { log } from "../platform/log";
import { type Shard, shardsOf } from "../shards/router";

/**
 * Request-level idempotency for producers (the Idempotency-Key header, as
 * Stripe has it). A key is remembered for a day with a fingerprint of its body:
 * the same key with the same body is the same request (its stored answer is
 * replayed, or, if it has none yet, the request runs again as its first attempt
 * did), the same key with another body is refused. Events without an event_id
 * are named after the key, the body and their position, so a retry can only
 * recreate what the first attempt created; the README's API section describes
 * the contract.
 */

export const REQUEST_KEY_TTL_MS = 24 * 60 * 60 * 1000;

export type RequestKeyScope = "events" | "reminders";

/** A claimed key: what the request runs with. */
export interface OpenRequest {
  readonly state: "open";
  readonly shard: Shard;
  readonly ref: { readonly scope: string; readonly key: string; readonly fingerprint: string };
  /** The first attempt's time; every retry runs as of then. */
  readonly requestedAt: number;
  /** What an earlier attempt that answered 503 had done (as it stored it). */
  readonly partial: unknown;
  /** Names the events of this request (see eventIdAt). */
  readonly digest: string;
}

export type RequestKeyClaim =
  | OpenRequest
  | { readonly state: "replay"; readonly status: number; readonly body: unknown }
  | { readonly state: "conflict" };

const encoder = new TextEncoder();

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

const hex = (bytes: Uint8Array) => [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");

/** JSON with object keys sorted, so that key order and whitespace do not make a body "different". */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, inner]) => `${JSON.stringify(key)}:${canonicalJson(inner)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * Looks the key up on its shard, recording it if it is new: one D1 batch
 * (three statements) per request that carries a key.
 */
export async function claimRequestKey(
  env: Env,
  request: { scope: RequestKeyScope; callerId: number; key: string; body: unknown },
  now: number,
): Promise<RequestKeyClaim> {
  const scope = `${request.scope}:${request.callerId}`;
  const [fingerprint, keyHash] = await Promise.all([
    sha256(canonicalJson(request.body)).then(hex),
    sha256(`${scope}\n${request.key}`),
  ]);
  const shard = (await shardsOf(env)).forHash(new DataView(keyHash.buffer).getBigUint64(0));
  const row = await claimRequestKeyRow(shard, {
    scope,
    key: request.key,
    fingerprint,
    now,
    expiredBefore: now - REQUEST_KEY_TTL_MS,
  });
  if (row.fingerprint !== fingerprint) return { state: "conflict" };
  if (row.status !== null) return { state: "replay", status: row.status, body: JSON.parse(row.body ?? "null") };
  // The body is part of the events' names: were a key reused with another
  // body after it expired, that body's events would not pass for the first's.
  const digest = hex(await sha256(`${scope}\n${request.key}\n${fingerprint}`)).slice(0, 32);
  return {
    state: "open",
    shard,
    ref: { scope, key: request.key, fingerprint },
    requestedAt: row.requestedAt,
    partial: row.partial === null ? undefined : JSON.parse(row.partial),
    digest,
  };
}

/** The source id of the request's event at `position` that came without an event_id. */
export const eventIdAt = (request: OpenRequest, position: number) => `key:${request.digest}:${position}`;

/**
 * Remembers the answer to replay. The work is done by now, so a failure here
 * is logged, not answered: a retry then runs again and creates nothing twice.
 */
export async function rememberAnswer(request: OpenRequest, status: number, body: unknown): Promise<void> {
  try {
    await storeRequestKeyAnswer(request.shard, request.ref, status, JSON.stringify(body));
  } catch (error) {
    log.error("could not store an Idempotency-Key's answer", { scope: request.ref.scope, error });
  }
}

/** Remembers what a partly failed attempt did, for the answer of the retry that completes it. */
export async function rememberPartial(request: OpenRequest, partial: unknown): Promise<void> {
  try {
    await storeRequestKeyPartial(request.shard, request.ref, JSON.stringify(partial));
  } catch (error) {
    log.error("could not store a partly failed request's progress", { scope: request.ref.scope, error });
  }
}
