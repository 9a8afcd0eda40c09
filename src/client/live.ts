import type { BadgeCounts, FeedItem, LiveMessage, LiveTicket, UnreadCount } from "./types";

/**
 * The live channel (docs/live.md) as a client follows it: a WebSocket opened
 * with a single-use ticket (browsers cannot send headers on one, nor can the
 * standard WebSocket of Workers and Node), reopened with backoff, resumed
 * with `since` so that nothing is missed, and, while sockets keep failing,
 * the badge polled with its ETag instead.
 */

/** What the client needs of a WebSocket: the standard one, React Native's and workerd's all have it. */
export interface LiveSocket {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
  addEventListener(type: "close" | "error", listener: (event: unknown) => void): void;
}

export type LiveStatus = "connecting" | "open" | "polling" | "closed";

type Message<T extends LiveMessage["type"]> = Extract<LiveMessage, { type: T }>;

export interface LiveHandlers {
  /** A new item (as the list shows it). */
  onItem?(item: FeedItem, message: Message<"item.created">): void;
  /** Items were read, unread, seen, archived or unarchived: by `ids`, or `all` within bounds. */
  onUpdate?(message: Message<"items.updated">): void;
  /** Retention deleted items. */
  onDelete?(ids: readonly number[], message: Message<"items.deleted">): void;
  /** The inbox's counts after every change, and the badge while polling. */
  onCounts?(counts: BadgeCounts): void;
  /** The channel cannot tell what changed (or, while polling, something did): refetch the list. */
  onReset?(): void;
  onStatus?(status: LiveStatus): void;
  /** A failure the connection recovers from by itself (it retries); for logs. */
  onError?(error: unknown): void;
}

export interface LiveOptions extends LiveHandlers {
  /** Resume after this seq (a message's `seq` from an earlier connection). */
  readonly since?: number;
  /** Opens a socket to `url`, resolving once it is open. Default: the global WebSocket. */
  readonly openSocket?: (url: string) => Promise<LiveSocket>;
  /** Reconnect delays: from `initialMs`, doubling up to `maxMs`, with jitter. */
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number };
  /** Consecutive sockets that fail before the badge is polled meanwhile (default 3). */
  readonly failuresBeforePolling?: number;
  /** How often the badge is polled while sockets fail (default 30 s). */
  readonly pollIntervalMs?: number;
  /** A ping this often; a socket silent since the last one is taken for dead (default 30 s). */
  readonly pingIntervalMs?: number;
}

export interface LiveConnection {
  readonly status: LiveStatus;
  /** The last seq received: pass it as `since` to resume elsewhere. */
  readonly seq: number | undefined;
  close(): void;
}

interface LiveWiring {
  readonly baseUrl: string;
  readonly ticket: () => Promise<LiveTicket>;
  readonly unreadCount: () => Promise<UnreadCount>;
}

/** Opens the standard WebSocket and resolves once it is open. */
export function openStandardSocket(url: string): Promise<LiveSocket> {
  const WebSocketClass = (globalThis as { WebSocket?: new (url: string) => WebSocket }).WebSocket;
  if (!WebSocketClass) return Promise.reject(new Error("no WebSocket in this environment"));
  return new Promise((resolve, reject) => {
    const socket = new WebSocketClass(url);
    socket.addEventListener("open", () => resolve(socket), { once: true });
    socket.addEventListener("error", () => reject(new Error(`WebSocket to ${url} failed`)), { once: true });
    socket.addEventListener("close", () => reject(new Error(`WebSocket to ${url} closed`)), { once: true });
  });
}

const LIVE_PATH = "/api/events/activity-feed/live/";

export function connectLive(options: LiveOptions & LiveWiring): LiveConnection {
  const openSocket = options.openSocket ?? openStandardSocket;
  const initialMs = options.backoff?.initialMs ?? 1_000;
  const maxMs = options.backoff?.maxMs ?? 30_000;
  const failuresBeforePolling = options.failuresBeforePolling ?? 3;
  const pollIntervalMs = options.pollIntervalMs ?? 30_000;
  const pingIntervalMs = options.pingIntervalMs ?? 30_000;
  const socketUrl = (ticket: string, since: number | undefined) =>
    `${options.baseUrl.replace(/^http/, "ws")}${LIVE_PATH}?ticket=${encodeURIComponent(ticket)}${since === undefined ? "" : `&since=${since}`}`;

  let status: LiveStatus = "connecting";
  let seq = options.since;
  let failures = 0;
  let socket: LiveSocket | undefined;
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  let pollTimer: ReturnType<typeof setTimeout> | undefined;
  let pingTimer: ReturnType<typeof setTimeout> | undefined;
  let lastPolled: UnreadCount | undefined;

  const setStatus = (next: LiveStatus) => {
    if (status === next) return;
    status = next;
    options.onStatus?.(next);
  };
  const report = (error: unknown) => options.onError?.(error);
  // Read through a function: TypeScript would keep a check's narrowing across an await.
  const closed = () => status === "closed";
  const stopTimer = (timer: ReturnType<typeof setTimeout> | undefined) => {
    if (timer !== undefined) clearTimeout(timer);
  };

  function receive(data: unknown) {
    let message: LiveMessage | { type: "pong" };
    try {
      message = JSON.parse(String(data)) as LiveMessage | { type: "pong" };
    } catch (error) {
      return report(error);
    }
    if (message.type === "pong") return;
    if (message.type === "hello") {
      // A resumed connection's missed messages follow the hello; a new one starts here.
      seq ??= message.seq;
      failures = 0;
      stopPolling();
      setStatus("open");
      return options.onCounts?.(message.counts);
    }
    if (message.type !== "reset" && seq !== undefined && message.seq <= seq) return; // already had it
    seq = message.seq;
    options.onCounts?.(message.counts);
    if (message.type === "item.created") options.onItem?.(message.item, message);
    else if (message.type === "items.updated") options.onUpdate?.(message);
    else if (message.type === "items.deleted") options.onDelete?.(message.ids, message);
    else if (message.type === "reset") options.onReset?.();
  }

  async function connect() {
    reconnectTimer = undefined;
    if (closed()) return;
    if (status !== "polling") setStatus("connecting");
    let opened: LiveSocket;
    try {
      const { ticket } = await options.ticket();
      opened = await openSocket(socketUrl(ticket, seq));
    } catch (error) {
      report(error);
      return dropped();
    }
    if (closed()) return opened.close(1000, "closed");
    socket = opened;
    let heard = true;
    let gone = false;
    const lost = () => {
      if (gone) return;
      gone = true;
      stopTimer(pingTimer);
      if (socket === opened) socket = undefined;
      dropped();
    };
    opened.addEventListener("message", (event) => {
      heard = true;
      receive(event.data);
    });
    opened.addEventListener("close", lost);
    opened.addEventListener("error", lost);
    const ping = () => {
      if (!heard) {
        opened.close(4000, "no answer to ping");
        return lost();
      }
      heard = false;
      try {
        opened.send('{"type":"ping"}');
      } catch {
        return lost();
      }
      pingTimer = setTimeout(ping, pingIntervalMs);
    };
    pingTimer = setTimeout(ping, pingIntervalMs);
  }

  /** A socket failed to open or went away: retry later, and poll meanwhile once sockets keep failing. */
  function dropped() {
    if (closed()) return;
    failures += 1;
    if (failures >= failuresBeforePolling) startPolling();
    else setStatus("connecting");
    const delay = Math.min(maxMs, initialMs * 2 ** (failures - 1));
    reconnectTimer = setTimeout(connect, delay * (0.5 + Math.random() / 2));
  }

  function startPolling() {
    if (status === "polling") return;
    setStatus("polling");
    const poll = async () => {
      try {
        const counts = await options.unreadCount();
        if (closed() || status !== "polling") return;
        const changed =
          lastPolled !== undefined &&
          (counts.unread_count !== lastPolled.unread_count || counts.unseen_count !== lastPolled.unseen_count);
        lastPolled = counts;
        options.onCounts?.(counts);
        if (changed) options.onReset?.();
      } catch (error) {
        report(error);
      }
      if (status === "polling") pollTimer = setTimeout(poll, pollIntervalMs);
    };
    void poll();
  }

  function stopPolling() {
    stopTimer(pollTimer);
    pollTimer = undefined;
    lastPolled = undefined;
  }

  void connect();
  return {
    get status() {
      return status;
    },
    get seq() {
      return seq;
    },
    close() {
      setStatus("closed");
      stopTimer(reconnectTimer);
      stopTimer(pingTimer);
      stopPolling();
      socket?.close(1000, "closed");
      socket = undefined;
    },
  };
}
