import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { requireUserOrTicket } from "../auth/authenticate";
import { readInboxCounts } from "../feed/summary";
import type { AppEnv } from "../http/app-env";
import { detail } from "../http/error-responses";
import { bearerAuth, jsonResponse, userCall } from "../http/route-parts";
import { channelName, type FeedChannelRpc, TICKET_TTL_MS } from "../live/changes";
import { authErrorResponses, ErrorDetailSchema } from "../schemas/common";
import { LiveMessageSchema, LiveTicketSchema } from "../schemas/live";

const LIVE_PATH = "/api/events/activity-feed/live";

const ticketRoute = createRoute({
  method: "post",
  path: `${LIVE_PATH}/ticket`,
  tags: ["Live"],
  summary: "A single-use ticket that opens the caller's live channel from a browser",
  security: bearerAuth,
  middleware: userCall(),
  responses: { 200: jsonResponse("Ticket", LiveTicketSchema), ...authErrorResponses },
});

const connectRoute = createRoute({
  method: "get",
  path: LIVE_PATH,
  tags: ["Live"],
  summary:
    "The caller's live channel: a WebSocket (Upgrade: websocket) or Server-Sent Events (Accept: text/event-stream)",
  description:
    "Messages are JSON with a per-user, increasing `seq`: `hello` first, then `item.created`, `items.updated`, `items.deleted` and `reset` " +
    "(docs/live.md). `since` resumes after a seq (SSE: also `Last-Event-ID`). Authenticate with a bearer token or `?ticket=`.",
  security: [...bearerAuth, {}],
  middleware: [requireUserOrTicket],
  request: {
    query: z.object({
      ticket: z.string().optional().openapi({ description: "From POST live/ticket/, for browsers" }),
      since: z.string().optional().openapi({ description: "Resume after this seq" }),
    }),
  },
  responses: {
    101: { description: "WebSocket opened" },
    200: {
      description: "Server-Sent Events: `event:` the message's type, `id:` its seq, `data:` the message",
      content: { "text/event-stream": { schema: LiveMessageSchema } },
    },
    426: jsonResponse("Neither a WebSocket upgrade nor an event stream was asked for", ErrorDetailSchema),
    ...authErrorResponses,
  },
});

function channelOf(env: AppEnv["Bindings"], userId: number) {
  return env.FEED_CHANNEL.get(env.FEED_CHANNEL.idFromName(channelName(userId)));
}

export function registerLiveRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(ticketRoute, async (c) => {
    const { userId } = c.var.principal;
    const secret = await (channelOf(c.env, userId) as unknown as FeedChannelRpc).issueTicket(userId);
    return c.json({ ticket: `${userId}.${secret}`, expires_in: TICKET_TTL_MS / 1000 }, 200);
  });

  app.openapi(connectRoute, async (c) => {
    const websocket = c.req.header("Upgrade")?.toLowerCase() === "websocket";
    const stream = (c.req.header("Accept") ?? "").includes("text/event-stream");
    if (!websocket && !stream) {
      return detail(
        c,
        426,
        "Open this path as a WebSocket (Upgrade: websocket) or as Server-Sent Events (Accept: text/event-stream).",
        { Upgrade: "websocket" },
      ) as never;
    }
    const { userId } = c.var.principal;
    // The channel trusts these headers: they are set here, never passed through from the caller.
    const headers = new Headers({
      "X-Feed-User": String(userId),
      "X-Feed-Counts": JSON.stringify(await readInboxCounts(c.env, userId)),
    });
    for (const name of ["Upgrade", "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Last-Event-ID"]) {
      const value = c.req.header(name);
      if (value !== undefined) headers.set(name, value);
    }
    const ticket = c.get("ticket");
    if (ticket) headers.set("X-Feed-Ticket", ticket);
    const url = new URL(c.req.url);
    const since = url.searchParams.get("since");
    const target = new URL("https://channel/connect");
    if (since !== null) target.searchParams.set("since", since);
    return (await channelOf(c.env, userId).fetch(target, { headers })) as never;
  });
}
