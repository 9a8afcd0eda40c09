import { SELF } from "cloudflare:test";
import { createFeedClient, type FeedClientOptions, type LiveSocket } from "../../src/client";
import { BASE, tokenFor } from "./http";

/** Opens the live channel through the Worker's entry point, as a browser's WebSocket would reach it. */
export async function openWorkerSocket(url: string): Promise<LiveSocket> {
  const response = await SELF.fetch(url.replace(/^ws/, "http"), { headers: { Upgrade: "websocket" } });
  if (response.status !== 101 || !response.webSocket) throw new Error(`no upgrade: ${response.status}`);
  response.webSocket.accept();
  return response.webSocket;
}

/** The typed client of a user, talking to the Worker through SELF. */
export async function clientFor(userId: number, options: Partial<FeedClientOptions> = {}) {
  return createFeedClient({
    baseUrl: BASE,
    token: await tokenFor(userId),
    fetch: (input, init) => SELF.fetch(input, init),
    openSocket: openWorkerSocket,
    ...options,
  });
}
