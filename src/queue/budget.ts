import { INVOCATION_D1_BUDGET, INVOCATION_KV_BUDGET, INVOCATION_TIME_BUDGET_MS } from "./limits";

export interface Cost {
  readonly kv: number;
  readonly d1: number;
}

/**
 * What one invocation may still spend. The consumer admits messages while
 * their worst-case cost fits and hands the rest back to the queue, so a batch
 * of heavy messages never breaks the per-invocation limits
 * (src/queue/limits.ts); what a chunk did not use is given back.
 */
export class InvocationBudget {
  private kv: number;
  private d1: number;
  private readonly deadline: number;

  constructor(kvOperations = INVOCATION_KV_BUDGET, d1Queries = INVOCATION_D1_BUDGET, wallTimeMs = INVOCATION_TIME_BUDGET_MS) {
    this.kv = kvOperations;
    this.d1 = d1Queries;
    this.deadline = Date.now() + wallTimeMs;
  }

  fits(cost: Cost): boolean {
    return cost.kv <= this.kv && cost.d1 <= this.d1 && Date.now() <= this.deadline;
  }

  /** Takes the cost if it fits (and time remains); says whether it did. */
  take(cost: Cost): boolean {
    if (!this.fits(cost)) return false;
    this.kv -= cost.kv;
    this.d1 -= cost.d1;
    return true;
  }

  refund(cost: Cost): void {
    this.kv += Math.max(0, cost.kv);
    this.d1 += Math.max(0, cost.d1);
  }
}
