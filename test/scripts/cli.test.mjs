import { describe, expect, it } from "vitest";
import { FeedApiError } from "../../scripts/cli/api.mjs";
import { countsTable, table } from "../../scripts/cli/format.mjs";
import { freePort, runScript } from "./run-script.mjs";

const feed = (args, env) => runScript("cli/main.mjs", args, { env });

describe("npm run feed: usage", () => {
  it.each([
    ["an unknown command", ["frobnicate"], 'unknown command "frobnicate"'],
    ["a name Object has", ["toString"], 'unknown command "toString"'],
    ["no command", [], "no command given"],
    ["an unknown flag", ["stats", "--colour"], "Unknown option '--colour'"],
    [
      "--url without a scheme",
      ["stats", "--url", "localhost:8791"],
      '--url must start with http:// or https://, got "localhost:8791"',
    ],
    ["a non-numeric --user-id", ["stats", "--user-id", "abc"], '--user-id must be a positive integer, got "abc"'],
    ["restore without a target", ["restore"], "restore needs an archive key or a run id"],
    ["reshard without --to", ["reshard"], "reshard needs --to N"],
    ["a non-numeric --to", ["reshard", "--to", "five"], '--to must be a positive integer, got "five"'],
  ])("%s says so, shows the usage and exits 2", async (_name, args, reason) => {
    const { code, stdout, stderr } = await feed(args);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr.split("\n")[0]).toContain(reason);
    expect(stderr).toContain("usage: npm run feed -- <command>");
  });

  it("--help prints the usage on stdout and exits 0", async () => {
    const { code, stdout } = await feed(["--help"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^usage: npm run feed/);
  });

  it("an unreachable service exits 3 with one line naming the URL", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const { code, stderr } = await feed(["stats", "--url", url]);
    expect(code).toBe(3);
    expect(stderr).toBe(`error: cannot reach ${url} (ECONNREFUSED); is the service running? (npm run dev)\n`);
  });
});

describe("npm run feed: output", () => {
  it("a refusal prints the API's messages, not its raw JSON", () => {
    expect(new FeedApiError(400, { activity_type: ['"nope" is not a valid choice.'] }).message).toBe(
      'HTTP 400: activity_type: "nope" is not a valid choice.',
    );
    expect(new FeedApiError(400, { non_field_errors: ["Bad."], days_back: ["A.", "B."] }).message).toBe(
      "HTTP 400: Bad.; days_back: A. B.",
    );
    expect(new FeedApiError(409, { detail: "Retention job x is still running." }).message).toBe(
      "HTTP 409: Retention job x is still running.",
    );
  });

  it("tables carry no trailing spaces", () => {
    const text = table(
      [
        { key: "a", note: "" },
        { key: "longer", note: "x" },
      ],
      [
        { title: "key", value: (row) => row.key },
        { title: "note", value: (row) => row.note },
      ],
    );
    for (const line of text.split("\n")) expect(line).toBe(line.trimEnd());
    expect(countsTable({ fast_join: 3 }, "activity_type")).toBe(
      "activity_type  items\n-------------  -----\nfast_join          3",
    );
  });
});
