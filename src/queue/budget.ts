import { INVOCATION_D1_BUDGET, INVOCATION_KV_BUDGET } from "./limits";

/**
 * What one invocation may still spend. The consumer admits messages while
 * their cost fits and hands the rest back to the queue, so a batch of heavy
 * messages never breaks the per-invocation limits (src/queue/limits.ts).
 */
export class InvocationBudget {
  private kv: number;
  private d1: number;

  constructor(kvOperations = INVOCATION_KV_BUDGET, d1Queries = INVOCATION_D1_BUDGET) {
    this.kv = kvOperations;
    this.d1 = d1Queries;
  }

  fits(cost: { kv: number; d1: number }): boolean {
    return cost.kv <= this.kv && cost.d1 <= this.d1;
  }

  /** Takes the cost if it fits; says whether it did. */
  take(cost: { kv: number; d1: number }): boolean {
    if (!this.fits(cost)) return false;
    this.kv -= cost.kv;
    this.d1 -= cost.d1;
    return true;
  }
}
