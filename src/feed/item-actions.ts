import { writeBadges } from "../cache/badge-cache";
import type { Config } from "../config";
import { changeItemStates, type StateChange, type StateTarget } from "../db/item-states";
import type { Env } from "../env";
import type { AllItems, LiveChange, StateChanges } from "../live/changes";
import { publishLive } from "../live/publish";
import { fromPublicId, publicIdOf } from "../shards/ids";
import { type Shard, type ShardRouter, shardsOf, writeForUser } from "../shards/router";
import type { ActivityType } from "./activity-types";

/** Which of the caller's items an action applies to. */
export type ItemSelection =
  | { readonly itemIds: readonly number[] }
  | {
      readonly all: true;
      readonly types?: readonly ActivityType[];
      /** Only items created at or before this instant (the time the client loaded its inbox). */
      readonly createdAtOrBefore?: number;
    };

export type ItemAction = StateChange;

/** What each action sets, as the live channel reports it (reading implies seeing). */
const CHANGED_STATES: Record<ItemAction, StateChanges> = {
  read: { isRead: true, isSeen: true },
  unread: { isRead: false },
  seen: { isSeen: true },
  archive: { isArchived: true },
  unarchive: { isArchived: false },
};

/** The rows a selection names on the user's shard; undefined when its ids name none there. */
function stateTarget(
  router: ShardRouter,
  userId: number,
  shard: Shard,
  selection: ItemSelection,
): StateTarget | undefined {
  if ("all" in selection) {
    return {
      all: true,
      ...(selection.types ? { types: selection.types } : {}),
      ...(selection.createdAtOrBefore !== undefined ? { createdAtOrBefore: selection.createdAtOrBefore } : {}),
    };
  }
  // An id names the shard its item was created on: this one (a local id), or
  // one the user lived on before a reshard moved them (a kept public id).
  const former = new Set(router.formerShardsOf(userId, shard));
  const localIds = new Set<number>();
  const publicIds = new Set<number>();
  for (const id of selection.itemIds) {
    const ref = fromPublicId(id);
    if (ref?.shardIndex === shard.index) localIds.add(ref.localId);
    else if (ref && former.has(ref.shardIndex)) publicIds.add(id);
  }
  if (localIds.size === 0 && publicIds.size === 0) return undefined;
  return { localIds: [...localIds], ...(publicIds.size > 0 ? { publicIds: [...publicIds] } : {}) };
}

const boundsOf = (selection: ItemSelection): AllItems =>
  "all" in selection
    ? {
        ...(selection.types ? { types: selection.types } : {}),
        ...(selection.createdAtOrBefore !== undefined ? { createdAtOrBefore: selection.createdAtOrBefore } : {}),
      }
    : {};

/**
 * Changes the state of the caller's own items. Ids that are not the caller's
 * (another user's, another shard's, unknown) or already in that state are
 * ignored and not counted, as the original's mark-read did. `all` is the
 * inbox: items not archived.
 */
export async function changeItems(
  env: Env,
  config: Config,
  userId: number,
  action: ItemAction,
  selection: ItemSelection,
  now: number,
): Promise<{ updated: number }> {
  const written = await writeForUser(env, userId, async (shard, fence) => {
    const target = stateTarget(await shardsOf(env), userId, shard, selection);
    return { shard, outcome: target && (await changeItemStates(shard, userId, action, target, now, fence)) };
  });
  const { shard, outcome } = written;
  if (!outcome) return { updated: 0 };
  // Written even when nothing changed: a retry after a failure between the D1
  // commit and this write must still leave the cache right.
  await writeBadges(env, config, new Map([[userId, outcome.counts]]));
  if (outcome.live && outcome.updated > 0) {
    const change: LiveChange = outcome.changed
      ? {
          type: "items.updated",
          ids: outcome.changed.map((row) => publicIdOf(shard.index, row)),
          changes: CHANGED_STATES[action],
        }
      : { type: "items.updated", all: boundsOf(selection), changes: CHANGED_STATES[action] };
    await publishLive(env, [{ userId, changes: [change], counts: outcome.counts }]);
  }
  return { updated: outcome.updated };
}
