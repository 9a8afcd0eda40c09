import { writeUnread } from "../cache/unread-cache";
import type { Config } from "../config";
import { markItemsRead } from "../db/read-state";
import type { Env } from "../env";
import { fromPublicId } from "../shards/ids";
import { shardsOf } from "../shards/router";

export type MarkReadRequest = { readonly markAll: true } | { readonly itemIds: readonly number[] };

/**
 * Marks the caller's own unread items as read. Ids that are not the caller's
 * (another user's, another shard's, unknown) or already read are ignored and
 * not counted, as in the original.
 */
export async function markRead(env: Env, config: Config, userId: number, request: MarkReadRequest, now: number) {
  const shard = shardsOf(env).forUser(userId);
  let target: Parameters<typeof markItemsRead>[2];
  if ("markAll" in request) {
    target = { all: true };
  } else {
    const localIds = new Set<number>();
    for (const id of request.itemIds) {
      const ref = fromPublicId(id);
      if (ref && ref.shardIndex === shard.index) localIds.add(ref.localId);
    }
    if (localIds.size === 0) return { updated: 0 };
    target = { localIds: [...localIds] };
  }
  const { updated, unread } = await markItemsRead(shard, userId, target, now);
  // Written even when nothing changed: a retry after a failure between the D1
  // commit and this write must still leave the cache right.
  await writeUnread(env, config, new Map([[userId, unread]]));
  return { updated };
}
