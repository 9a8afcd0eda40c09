import { SELF } from "cloudflare:test";
import { BASE, tokenFor } from "./http";

/** A client of the live channel, through the Worker's own entry point. */

// biome-ignore lint/suspicious/noExplicitAny: messages are read field by field
export type LiveMessage = { type: string; seq: number; [field: string]: any };

export interface Channel {
  readonly messages: LiveMessage[];
  /** Resolves with the first message after `from` (index) of this type. */
  next(type: string, from?: number): Promise<LiveMessage>;
  close(): void;
}

const LIVE = `${BASE}/api/events/activity-feed/live/`;

/** Polls `find` until it answers something, or fails naming `what`. */
export async function waitFor<T>(find: () => T | undefined, what: string, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function channelOf(messages: LiveMessage[], close: () => void): Channel {
  return {
    messages,
    next: (type, from = 0) =>
      waitFor(() => messages.slice(from).find((message) => message.type === type), `a ${type} message`),
    close,
  };
}

/** Opens a WebSocket to the user's channel (bearer token, or a ticket). */
export async function openSocket(
  userId: number,
  options: { since?: number; ticket?: string; token?: string } = {},
): Promise<Channel> {
  const url = new URL(LIVE);
  if (options.since !== undefined) url.searchParams.set("since", String(options.since));
  const headers: Record<string, string> = { Upgrade: "websocket" };
  if (options.ticket) url.searchParams.set("ticket", options.ticket);
  else headers.Authorization = `Bearer ${options.token ?? (await tokenFor(userId))}`;
  const response = await SELF.fetch(url, { headers });
  if (response.status !== 101 || !response.webSocket) {
    throw new Error(`no upgrade: ${response.status} ${await response.text()}`);
  }
  const socket = response.webSocket;
  const messages: LiveMessage[] = [];
  socket.accept();
  socket.addEventListener("message", (event) => messages.push(JSON.parse(String(event.data)) as LiveMessage));
  await waitFor(() => (messages.length > 0 ? true : undefined), "hello");
  return channelOf(messages, () => socket.close(1000, "done"));
}

/** Opens the channel as Server-Sent Events; each event's `id` is kept as `eventId`. */
export async function openStream(userId: number, headers: Record<string, string> = {}): Promise<Channel> {
  const response = await SELF.fetch(LIVE, {
    headers: { Accept: "text/event-stream", Authorization: `Bearer ${await tokenFor(userId)}`, ...headers },
  });
  if (response.status !== 200) throw new Error(`no stream: ${response.status} ${await response.text()}`);
  const messages: LiveMessage[] = [];
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let open = true;
  void (async () => {
    while (open) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const fields = Object.fromEntries(
          block
            .split("\n")
            .filter((line) => !line.startsWith(":") && line.includes(": "))
            .map((line) => [line.slice(0, line.indexOf(": ")), line.slice(line.indexOf(": ") + 2)]),
        );
        if (fields.data)
          messages.push({ ...(JSON.parse(fields.data) as LiveMessage), eventId: fields.id, event: fields.event });
      }
    }
  })();
  await waitFor(() => (messages.length > 0 ? true : undefined), "hello");
  return channelOf(messages, () => {
    open = false;
    void reader.cancel();
  });
}

/** The raw answer to opening the channel, for refusals. */
export function tryOpen(query = "", headers: Record<string, string> = { Upgrade: "websocket" }) {
  return SELF.fetch(`${LIVE}${query}`, { headers });
}
