import { describe, expect, it } from "vitest";
import { InvocationBudget } from "../../src/queue/budget";
import { INVOCATION_D1_BUDGET, INVOCATION_KV_BUDGET } from "../../src/queue/limits";

const MINUTE_OF_WALL_TIME = 60_000;

describe("InvocationBudget", () => {
  it("by default allows the invocation's KV and D1 budgets, and not one operation more", () => {
    const budget = new InvocationBudget();
    expect(budget.fits({ kv: INVOCATION_KV_BUDGET, d1: INVOCATION_D1_BUDGET })).toBe(true);
    expect(budget.fits({ kv: INVOCATION_KV_BUDGET + 1, d1: 0 })).toBe(false);
    expect(budget.fits({ kv: 0, d1: INVOCATION_D1_BUDGET + 1 })).toBe(false);
  });

  it("take spends a cost that fits, up to exactly what remains", () => {
    const budget = new InvocationBudget(10, 5, MINUTE_OF_WALL_TIME);
    expect(budget.take({ kv: 6, d1: 2 })).toBe(true);
    expect(budget.fits({ kv: 5, d1: 0 })).toBe(false);
    expect(budget.fits({ kv: 0, d1: 4 })).toBe(false);
    expect(budget.take({ kv: 4, d1: 3 })).toBe(true);
    expect(budget.fits({ kv: 0, d1: 0 })).toBe(true);
    expect(budget.fits({ kv: 1, d1: 0 })).toBe(false);
  });

  it("a cost that does not fit is refused whole: neither part is spent", () => {
    const budget = new InvocationBudget(10, 5, MINUTE_OF_WALL_TIME);
    expect(budget.take({ kv: 4, d1: 6 })).toBe(false);
    expect(budget.take({ kv: 11, d1: 1 })).toBe(false);
    expect(budget.take({ kv: 10, d1: 5 })).toBe(true);
  });

  it("refund gives back what a reservation did not use; a negative refund charges an overrun", () => {
    const budget = new InvocationBudget(10, 5, MINUTE_OF_WALL_TIME);
    budget.take({ kv: 10, d1: 5 });
    budget.refund({ kv: 3, d1: 1 });
    expect(budget.fits({ kv: 3, d1: 1 })).toBe(true);
    expect(budget.fits({ kv: 4, d1: 0 })).toBe(false);
    budget.refund({ kv: -2, d1: 0 });
    expect(budget.fits({ kv: 1, d1: 1 })).toBe(true);
    expect(budget.fits({ kv: 2, d1: 0 })).toBe(false);
  });

  it("takeUpTo grants as many KV operations as remain, never a negative number, and leaves D1 alone", () => {
    const budget = new InvocationBudget(10, 5, MINUTE_OF_WALL_TIME);
    expect(budget.takeUpTo(4)).toBe(4);
    expect(budget.takeUpTo(100)).toBe(6);
    expect(budget.takeUpTo(1)).toBe(0);
    expect(budget.takeUpTo(-3)).toBe(0);
    expect(budget.fits({ kv: 0, d1: 5 })).toBe(true);
    budget.refund({ kv: -5, d1: 0 });
    expect(budget.takeUpTo(1)).toBe(0);
  });

  it("once its wall time has passed nothing fits, however small", async () => {
    const budget = new InvocationBudget(10, 5, 1);
    expect(budget.take({ kv: 1, d1: 1 })).toBe(true);
    // workerd's clock moves only across I/O, such as a timer.
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(budget.fits({ kv: 0, d1: 0 })).toBe(false);
    expect(budget.take({ kv: 1, d1: 0 })).toBe(false);
  });
});
