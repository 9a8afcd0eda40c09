import { describe, expect, it } from "vitest";
import { freePort, runScript } from "./run-script.mjs";

describe("npm run seed", () => {
  it("without a server says so in one line and exits 3, with no stack trace", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const { code, stdout, stderr } = await runScript("seed-demo.mjs", ["--url", url]);
    expect(code).toBe(3);
    expect(stdout).toBe("");
    expect(stderr).toBe(`seed: cannot reach ${url} (ECONNREFUSED); is the service running? (npm run dev)\n`);
  });

  it("--help prints the usage, --url among it, and exits 0", async () => {
    const { code, stdout } = await runScript("seed-demo.mjs", ["--help"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^usage: npm run seed \[-- --url URL\]/);
  });

  it("an unknown flag is a usage error (exit 2)", async () => {
    const { code, stderr } = await runScript("seed-demo.mjs", ["--users", "3"]);
    expect(code).toBe(2);
    expect(stderr).toContain("Unknown option '--users'");
  });
});
