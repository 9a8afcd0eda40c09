import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { changeItems, type ItemAction } from "../feed/item-actions";
import type { AppEnv } from "../http/app-env";
import { bearerAuth, jsonBody, jsonResponse, userBodyCall } from "../http/route-parts";
import { bodyErrorResponses, errorResponses } from "../schemas/common";
import {
  ArchiveBodySchema,
  ItemActionResponseSchema,
  ItemIdsBodySchema,
  MarkReadBodySchema,
  MarkSeenBodySchema,
} from "../schemas/feed";
import { itemSelectionFrom } from "../wire/feed";

const FEED_PATH = "/api/events/activity-feed";

interface ActionDefinition {
  readonly action: ItemAction;
  readonly path: string;
  readonly summary: string;
  readonly message: (updated: number) => string;
}

interface BulkActionDefinition extends ActionDefinition {
  readonly body: typeof MarkReadBodySchema;
}

/** Actions that take ids or `mark_all` (with bounds). */
const BULK_ACTIONS = [
  {
    action: "read",
    path: "mark-read",
    body: MarkReadBodySchema,
    summary: "Mark some or all of the caller's items as read (and seen)",
    message: (n: number) => `Marked ${n} items as read`,
  },
  {
    action: "seen",
    path: "mark-seen",
    body: MarkSeenBodySchema,
    summary: "Mark some or all of the caller's items as seen (the inbox was opened)",
    message: (n: number) => `Marked ${n} items as seen`,
  },
  {
    action: "archive",
    path: "archive",
    body: ArchiveBodySchema,
    summary: "Archive some or all of the caller's items: they leave the inbox and its counts",
    message: (n: number) => `Archived ${n} items`,
  },
] as const satisfies readonly BulkActionDefinition[];

/** Actions that undo one of the above for particular items, by id only. */
const ID_ACTIONS = [
  {
    action: "unread",
    path: "mark-unread",
    summary: "Mark some of the caller's items as unread again (seen stays)",
    message: (n: number) => `Marked ${n} items as unread`,
  },
  {
    action: "unarchive",
    path: "unarchive",
    summary: "Bring some archived items back to the inbox",
    message: (n: number) => `Unarchived ${n} items`,
  },
] as const satisfies readonly ActionDefinition[];

const DESCRIPTION =
  "Only the caller's items whose state changes are counted; other users' ids, unknown ids and items already in that state are ignored.";

function actionRoute(definition: ActionDefinition, description: string) {
  return {
    method: "post" as const,
    path: `${FEED_PATH}/${definition.path}`,
    tags: ["Feed"],
    summary: definition.summary,
    description,
    security: bearerAuth,
    middleware: userBodyCall(),
    responses: {
      200: jsonResponse("How many items changed", ItemActionResponseSchema),
      ...errorResponses,
      ...bodyErrorResponses,
    },
  };
}

export function registerItemActionRoutes(app: OpenAPIHono<AppEnv>) {
  for (const definition of BULK_ACTIONS) {
    const description = `${DESCRIPTION} \`mark_all\` acts on the inbox (archived items are out of it), optionally bounded by \`activity_type\` and \`before\`.`;
    app.openapi(
      createRoute({ ...actionRoute(definition, description), request: jsonBody(definition.body) }),
      async (c) => {
        const selection = itemSelectionFrom(c.req.valid("json"));
        const { updated } = await changeItems(
          c.env,
          c.var.config,
          c.var.principal.userId,
          definition.action,
          selection,
          Date.now(),
        );
        return c.json({ message: definition.message(updated), updated_count: updated }, 200);
      },
    );
  }
  for (const definition of ID_ACTIONS) {
    app.openapi(
      createRoute({ ...actionRoute(definition, DESCRIPTION), request: jsonBody(ItemIdsBodySchema) }),
      async (c) => {
        const selection = { itemIds: c.req.valid("json").activity_ids };
        const { updated } = await changeItems(
          c.env,
          c.var.config,
          c.var.principal.userId,
          definition.action,
          selection,
          Date.now(),
        );
        return c.json({ message: definition.message(updated), updated_count: updated }, 200);
      },
    );
  }
}
