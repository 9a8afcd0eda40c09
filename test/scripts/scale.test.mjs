// scripts/scale.mjs: the scale table of docs/scale.md, from the bench's measured results.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, runScript } from "./run-script.mjs";

describe("npm run scale", () => {
  it("sizes every tier from the measured inputs: more users never need fewer shards or cost less", async () => {
    const { code, stdout } = await runScript("scale.mjs", ["--json"]);
    expect(code).toBe(0);
    const { measured, tiers } = JSON.parse(stdout);
    expect(tiers.map((tier) => tier.users)).toEqual([1e5, 1e6, 1e7, 1e8]);
    expect(measured.bytesPerItem).toBeGreaterThan(100);
    for (const [index, tier] of tiers.entries()) {
      expect(tier.shards).toBe(Math.max(1, tier.shardsForStorage, tier.shardsForWrites));
      // Half of D1's 10 GB per shard holds what the tier keeps.
      expect(tier.storedGb).toBeLessThanOrEqual(tier.shards * 5);
      if (index > 0) {
        expect(tier.shards).toBeGreaterThanOrEqual(tiers[index - 1].shards);
        expect(tier.total).toBeGreaterThan(tiers[index - 1].total);
      }
    }
  });

  it("docs/scale.md shows the table the script prints now", async () => {
    const { stdout } = await runScript("scale.mjs");
    const doc = readFileSync(path.join(ROOT, "docs/scale.md"), "utf8");
    const totals = stdout.match(/\*\*\$[\d,.]+\*\*/g);
    expect(totals).toHaveLength(4);
    for (const total of totals) expect(doc).toContain(total);
  });
});
