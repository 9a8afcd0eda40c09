import { describe, expect, it } from "vitest";
import { runScript } from "./run-script.mjs";

const claims = (token) => JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString());

describe("npm run token", () => {
  it("prints a user token whose exp is ttl whole seconds after iat", async () => {
    const { code, stdout } = await runScript("token.mjs", ["--user", "7", "--ttl", "600"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const payload = claims(stdout.trim());
    expect(payload).toMatchObject({ sub: "7" });
    expect(payload.exp - payload.iat).toBe(600);
    expect(payload.is_staff).toBeUndefined();
  });

  it("prints a staff token without --user", async () => {
    const { code, stdout } = await runScript("token.mjs", ["--staff"]);
    expect(code).toBe(0);
    expect(claims(stdout.trim())).toMatchObject({ sub: "999999", is_staff: true });
  });

  it("--help prints the usage on stdout and exits 0", async () => {
    const { code, stdout, stderr } = await runScript("token.mjs", ["--help"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^usage: npm run -s token/);
    expect(stderr).toBe("");
  });

  it.each([
    ["no arguments", [], "give --user <id>, --staff, or both"],
    [
      "a ttl that is not a number",
      ["--user", "1", "--ttl", "abc"],
      '--ttl must be a whole number of seconds from 1 to 31536000, got "abc"',
    ],
    ["a fractional ttl", ["--user", "1", "--ttl", "1.5"], 'got "1.5"'],
    ["a zero ttl", ["--user", "1", "--ttl", "0"], 'got "0"'],
    ["a negative ttl", ["--user", "1", "--ttl=-10"], 'got "-10"'],
    ["a ttl over a year", ["--user", "1", "--ttl", "31536001"], 'got "31536001"'],
    ["a user that is not a number", ["--user", "alice"], '--user must be a positive integer, got "alice"'],
    ["an unknown flag", ["--user", "1", "--admin"], "Unknown option '--admin'"],
    ["a ttl without a value", ["--user", "1", "--ttl"], "argument missing"],
  ])("%s is a usage error: exit 2, the reason and the usage on stderr, no stack trace", async (_name, args, reason) => {
    const { code, stdout, stderr } = await runScript("token.mjs", args);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain(reason);
    expect(stderr).toContain("usage: npm run -s token");
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
