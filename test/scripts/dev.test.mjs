import net from "node:net";
import { describe, expect, it } from "vitest";
import { freePort, runScript } from "./run-script.mjs";

describe("npm run dev", () => {
  it("on a busy port says so and exits 1 before starting anything", async () => {
    const port = await freePort();
    const other = net.createServer();
    await new Promise((resolve) => other.listen(port, "127.0.0.1", resolve));
    try {
      const { code, stdout, stderr } = await runScript("dev.mjs", ["--port", String(port)]);
      expect(code).toBe(1);
      expect(stderr).toContain(`dev: port ${port} is already in use`);
      expect(stdout).not.toContain("Ready on");
      expect(stdout).not.toContain("Applying migrations");
    } finally {
      other.close();
    }
  });

  it.each([
    ["a port that is not a number", ["--port", "abc"], '--port must be a port number (1-65535), got "abc"'],
    ["a port out of range", ["--port", "70000"], 'got "70000"'],
    ["an unknown flag", ["--seed-twice"], "Unknown option '--seed-twice'"],
  ])("%s is a usage error (exit 2)", async (_name, args, reason) => {
    const { code, stderr } = await runScript("dev.mjs", args);
    expect(code).toBe(2);
    expect(stderr).toContain(reason);
    expect(stderr).toContain("usage: npm run dev");
  });
});
