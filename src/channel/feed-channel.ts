import { DurableObject } from "cloudflare:workers";
import type { InboxCounts } from "../db/badge-counts";
import { markGoneStatement, markLiveStatement } from "../db/live-presence";
import type { Env } from "../env";
import { type FeedChannelRpc, type LivePublication, TICKET_TTL_MS } from "../live/changes";
import { log } from "../platform/log";
import { DAY_MS, HOUR_MS } from "../platform/time";
import { writeForUser } from "../shards/router";
import { helloWire, liveMessageWire } from "../wire/live";

/**
 * One user's live channel (docs/live.md): numbers their changes, keeps the
 * last of them for resuming, and pushes them to their open WebSockets
 * (Hibernation API: an idle connection costs nothing, the object sleeps
 * between messages) and Server-Sent Events streams. The Worker authenticates
 * every connection before it reaches this object and names the user and the
 * inbox counts in `X-Feed-*` headers it sets itself.
 */

/** The log kept for resuming: the last 1,000 messages, none older than 7 days. */
export const LOG_MESSAGES = 1_000;
export const LOG_AGE_MS = 7 * DAY_MS;
/** Presence outlives a channel that stopped without closing for at most this long. */
const PRESENCE_MS = 2 * HOUR_MS;
const PRESENCE_REFRESH_MS = HOUR_MS;

interface Attachment {
  readonly userId: number;
  readonly connectedAt: number;
}

const encoder = new TextEncoder();
const sseEvent = (seq: number, type: string, body: string) =>
  encoder.encode(`id: ${seq}\nevent: ${type}\ndata: ${body}\n\n`);

export class FeedChannel extends DurableObject<Env> implements FeedChannelRpc {
  private readonly sql: SqlStorage;
  /** Open Server-Sent Events streams; they keep the object in memory while open. */
  private readonly streams = new Set<WritableStreamDefaultWriter<Uint8Array>>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS log (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, body TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS tickets (ticket TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);`);
    // Answered by the runtime without waking the object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('{"type":"ping"}', '{"type":"pong"}'));
  }

  private meta(key: string): number | undefined {
    const row = this.sql.exec<{ value: number }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0];
    return row?.value;
  }

  private setMeta(key: string, value: number) {
    this.sql.exec(
      "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = ?2",
      key,
      value,
    );
  }

  private get seq(): number {
    return this.meta("seq") ?? 0;
  }

  // -- RPC from the Worker ---------------------------------------------------

  async publish(publication: LivePublication): Promise<void> {
    this.setMeta("user", publication.userId);
    const now = Date.now();
    let seq = this.seq;
    for (const change of publication.changes) {
      seq += 1;
      const body = JSON.stringify(liveMessageWire(change, seq, publication.counts));
      this.sql.exec("INSERT INTO log (seq, at, body) VALUES (?, ?, ?)", seq, now, body);
      this.broadcast(seq, change.type, body);
    }
    this.setMeta("seq", seq);
    // What the channel was told last, to tell at a reconnect whether it missed anything.
    this.setMeta("version", Math.max(this.meta("version") ?? 0, publication.counts.version));
    this.sql.exec("DELETE FROM log WHERE seq <= ?1 OR at < ?2", seq - LOG_MESSAGES, now - LOG_AGE_MS);
  }

  async issueTicket(userId: number): Promise<string> {
    this.setMeta("user", userId);
    const now = Date.now();
    const ticket = [...crypto.getRandomValues(new Uint8Array(18))]
      .map((byte) => byte.toString(16).padStart(2, "0"))
      .join("");
    this.sql.exec("DELETE FROM tickets WHERE expires_at <= ?", now);
    this.sql.exec("INSERT INTO tickets (ticket, expires_at) VALUES (?, ?)", ticket, now + TICKET_TTL_MS);
    return ticket;
  }

  // -- Connections -----------------------------------------------------------

  override async fetch(request: Request): Promise<Response> {
    const userId = Number(request.headers.get("X-Feed-User"));
    const counts = JSON.parse(request.headers.get("X-Feed-Counts") ?? "null") as InboxCounts | null;
    if (!Number.isSafeInteger(userId) || userId <= 0 || !counts)
      return new Response("missing channel headers", { status: 400 });
    const ticket = request.headers.get("X-Feed-Ticket");
    if (ticket !== null && !this.redeem(ticket)) {
      return Response.json({ detail: "Invalid or expired ticket." }, { status: 401 });
    }
    this.setMeta("user", userId);
    const since = this.sinceOf(request);
    const opening = this.openingMessages(since, counts);
    const firstConnection = this.connectionCount() === 0;
    const response =
      request.headers.get("Upgrade")?.toLowerCase() === "websocket"
        ? this.acceptWebSocket(userId, opening)
        : this.openStream(opening);
    if (firstConnection) await this.markPresent(userId);
    return response;
  }

  private redeem(ticket: string): boolean {
    const now = Date.now();
    const found = this.sql
      .exec<{ expires_at: number }>("SELECT expires_at FROM tickets WHERE ticket = ?", ticket)
      .toArray()[0];
    this.sql.exec("DELETE FROM tickets WHERE ticket = ?1 OR expires_at <= ?2", ticket, now);
    return found !== undefined && found.expires_at > now;
  }

  private sinceOf(request: Request): number | undefined {
    const raw = new URL(request.url).searchParams.get("since") ?? request.headers.get("Last-Event-ID");
    return raw !== null && /^\d{1,15}$/.test(raw) ? Number(raw) : undefined;
  }

  /**
   * hello with the current seq, then what a resuming client missed: the
   * logged messages after `since`, or a reset when the log no longer holds
   * them, or when the inbox changed while the channel was not told (the
   * user was not connected, or a notification was lost).
   */
  private openingMessages(
    since: number | undefined,
    counts: InboxCounts,
  ): { seq: number; type: string; body: string }[] {
    const seq = this.seq;
    const hello = { seq, type: "hello", body: JSON.stringify(helloWire(seq, counts)) };
    const known = this.meta("version") ?? 0;
    this.setMeta("version", Math.max(known, counts.version));
    if (since === undefined) return [hello];
    const oldest =
      this.sql.exec<{ seq: number | null }>("SELECT min(seq) AS seq FROM log").toArray()[0]?.seq ?? seq + 1;
    const missedUntold = counts.version > known;
    if (since > seq || since < oldest - 1 || missedUntold) {
      const reset = { seq, type: "reset", body: JSON.stringify(liveMessageWire({ type: "reset" }, seq, counts)) };
      return [hello, reset];
    }
    const replay = this.sql
      .exec<{ seq: number; body: string }>("SELECT seq, body FROM log WHERE seq > ? ORDER BY seq", since)
      .toArray()
      .map((row) => ({ seq: row.seq, type: (JSON.parse(row.body) as { type: string }).type, body: row.body }));
    return [hello, ...replay];
  }

  private acceptWebSocket(userId: number, opening: { body: string }[]): Response {
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server);
    server.serializeAttachment({ userId, connectedAt: Date.now() } satisfies Attachment);
    for (const message of opening) server.send(message.body);
    return new Response(null, { status: 101, webSocket: client });
  }

  private openStream(opening: { seq: number; type: string; body: string }[]): Response {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    this.streams.add(writer);
    for (const message of opening)
      void writer.write(sseEvent(message.seq, message.type, message.body)).catch(() => this.streams.delete(writer));
    return new Response(readable, {
      headers: { "Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no" },
    });
  }

  private broadcast(seq: number, type: string, body: string) {
    for (const socket of this.ctx.getWebSockets()) {
      try {
        socket.send(body);
      } catch {
        // A socket closing right now: its close handler tidies up.
      }
    }
    for (const writer of this.streams) {
      writer.write(sseEvent(seq, type, body)).catch(() => this.streams.delete(writer));
    }
  }

  private connectionCount(): number {
    return this.ctx.getWebSockets().length + this.streams.size;
  }

  override async webSocketClose(socket: WebSocket, code: number, reason: string): Promise<void> {
    socket.close(code === 1005 ? 1000 : code, reason);
    if (this.ctx.getWebSockets().filter((open) => open !== socket).length + this.streams.size === 0)
      await this.markAbsent();
  }

  override async webSocketError(socket: WebSocket, error: unknown): Promise<void> {
    log.warn("live socket failed", { error });
    await this.webSocketClose(socket, 1011, "error");
  }

  /** Hourly while anything is connected: keeps presence fresh and finds SSE streams that went away. */
  override async alarm(): Promise<void> {
    for (const writer of this.streams)
      await writer.write(encoder.encode(": keepalive\n\n")).catch(() => this.streams.delete(writer));
    const userId = this.meta("user");
    if (userId === undefined) return;
    if (this.connectionCount() > 0) await this.markPresent(userId);
    else await this.markAbsent();
  }

  private async markPresent(userId: number) {
    const now = Date.now();
    try {
      await writeForUser(this.env, userId, (shard, fence) =>
        shard.d1.batch([...fence, markLiveStatement(shard, userId, now + PRESENCE_MS)]),
      );
    } catch (error) {
      log.warn("live presence not recorded; this user's changes will arrive on reconnect", { user_id: userId, error });
    }
    await this.ctx.storage.setAlarm(now + PRESENCE_REFRESH_MS);
  }

  private async markAbsent() {
    const userId = this.meta("user");
    await this.ctx.storage.deleteAlarm();
    if (userId === undefined) return;
    try {
      await writeForUser(this.env, userId, (shard, fence) =>
        shard.d1.batch([...fence, markGoneStatement(shard, userId)]),
      );
    } catch (error) {
      // The row expires by itself (PRESENCE_MS).
      log.warn("live presence not cleared", { user_id: userId, error });
    }
  }
}
