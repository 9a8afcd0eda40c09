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

  constructor(
    kvOperations = INVOCATION_KV_BUDGET,
    d1Queries = INVOCATION_D1_BUDGET,
    wallTimeMs = INVOCATION_TIME_BUDGET_MS,
  ) {
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

  /** Takes up to `kv` operations, as many as remain; says how many it took. */
  takeUpTo(kv: number): number {
    const granted = Math.max(0, Math.min(kv, this.kv));
    this.kv -= granted;
    return granted;
  }

  /** Gives back what a reservation did not use; a negative amount charges an overrun. */
  refund(cost: Cost): void {
    this.kv += cost.kv;
    this.d1 += cost.d1;
  }
}
