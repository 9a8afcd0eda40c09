// Every example in the README, run in order on fresh demo data, prints what the
// README says. The Worker runs under `wrangler dev` on a state of its own (not
// the checkout's .wrangler/state) and a free port; the scripts run as `npm run`
// runs them; curl commands are sent with fetch.
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JOB_ID, matchesPrinted, parseShell, readmeExamples } from "./readme-examples.mjs";
import { ROOT, runScript } from "./run-script.mjs";
import { startWorker } from "./worker-server.mjs";

const README_BASE = "http://localhost:8787";
const examples = readmeExamples(readFileSync(path.join(ROOT, "README.md"), "utf8"));

let base;
let server;

beforeAll(async () => {
  server = await startWorker({ name: "readme" });
  base = server.base;
}, 180_000);

afterAll(() => server?.stop());

/** Shell variables the examples set (`TOKEN=$(...)`), and README run ids mapped to this run's. */
const variables = {};
const runIds = new Map();

const localise = (text) => {
  let result = text.replaceAll(README_BASE, base);
  for (const [printed, actual] of runIds) result = result.replaceAll(printed, actual);
  return result;
};

async function expand(word) {
  let text = "";
  for (const part of word) {
    if (part.literal !== undefined) text += part.literal;
    else if (part.variable !== undefined) text += variables[part.variable] ?? "";
    else text += (await run(parseShell(part.subcommand)[0].words)).stdout.trim();
  }
  return localise(text);
}

/** curl as the README uses it: -X, -H, -d and a URL. */
async function curl(args) {
  const init = { method: "GET", headers: {} };
  let url;
  for (let index = 0; index < args.length; index++) {
    const arg = args[index];
    if (arg === "-X") init.method = args[++index];
    else if (arg === "-H") {
      const [name, ...value] = args[++index].split(":");
      init.headers[name.trim()] = value.join(":").trim();
    } else if (arg === "-d") {
      init.body = args[++index];
      if (init.method === "GET") init.method = "POST";
    } else if (arg.startsWith("-")) throw new Error(`curl option ${arg} is not understood by the README test`);
    else url = arg;
  }
  const response = await fetch(url, init);
  return { status: response.status, stdout: (await response.text()).replaceAll(base, README_BASE) };
}

const SCRIPTS = [
  [["npm", "run", "feed", "--"], "cli/main.mjs"],
  [["npx", "activity-feed"], "cli/main.mjs"],
  [["npm", "run", "-s", "token", "--"], "token.mjs"],
  [["npm", "run", "seed", "--"], "seed-demo.mjs"],
  [["npm", "run", "seed"], "seed-demo.mjs"],
];
/** Set-up commands the README shows but a test does not run (this test is `npm test`). */
const SET_UP = /^npm (install|test|run (dev|bench|test))\b/;

/** Runs one README command: `{ status?, stdout }`, or undefined for a set-up command. */
async function run(words) {
  const args = [];
  for (const word of words) args.push(await expand(word));
  const assignment = /^([A-Z_]+)=(.*)$/s.exec(args[0]);
  if (assignment) {
    variables[assignment[1]] = assignment[2];
    return { stdout: "" };
  }
  if (SET_UP.test(args.join(" "))) return undefined;
  if (args[0] === "curl") return curl(args.slice(1));
  for (const [prefix, script] of SCRIPTS) {
    if (prefix.every((word, index) => args[index] === word)) {
      const result = await runScript(script, args.slice(prefix.length), { env: { FEED_URL: base } });
      if (result.code !== 0) throw new Error(`${args.join(" ")} exited ${result.code}: ${result.stderr}`);
      return { stdout: result.stdout.replaceAll(base, README_BASE) };
    }
  }
  throw new Error(`the README test does not know how to run: ${args.join(" ")}`);
}

/** Compares printed text line by line; a run id in the README matches any and is remembered. */
function expectPrintedText(expected, actual) {
  const pattern = expected
    .split(JOB_ID)
    .map((piece) => piece.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join(`(${JOB_ID.source})`);
  const printed = actual.replace(/\n$/, "");
  const match = new RegExp(`^${pattern}$`).exec(printed);
  expect(printed).toBe(match ? printed : expected);
  for (const [index, printed] of (expected.match(JOB_ID) ?? []).entries()) runIds.set(printed, match[index + 1]);
}

/** A command as the README writes it, for the test's name. */
const commandText = (words) =>
  words
    .map((word) => word.map((part) => part.literal ?? `$${part.variable ?? `(${part.subcommand})`}`).join(""))
    .join(" ");

describe("the README's admin endpoints", () => {
  it("are grouped in tables as /openapi.json tags them", async () => {
    const doc = await (await fetch(`${base}/openapi.json`)).json();
    const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("### Admin endpoints"), readme.indexOf("### Other"));
    const grouped = [];
    for (const table of section.split(/\n\n(?=\| )/).filter((part) => part.startsWith("| "))) {
      const tag = /^\| (\w+)/.exec(table)[1];
      for (const [, method, route] of table.matchAll(/`(GET|POST) (\/[^`?\s[]+)/g)) {
        const operation = doc.paths[route.replace(/\/$/, "")]?.[method.toLowerCase()];
        expect(operation?.tags, `${method} ${route}`).toEqual([tag]);
        grouped.push(`${method} ${route}`);
      }
    }
    expect(grouped.length).toBeGreaterThanOrEqual(10);
  });
});

describe("the README's examples", () => {
  it("were found", () => {
    expect(examples.filter((example) => example.expected).length).toBeGreaterThanOrEqual(10);
  });

  for (const example of examples) {
    it(`README.md:${example.line}: ${commandText(example.command).slice(0, 100)}`, async () => {
      const result = await run(example.command);
      if (!result) return;
      // An example that fails is broken even where the README prints no answer.
      if (example.expected?.status === undefined && result.status !== undefined)
        expect(result.status).toBeLessThan(400);
      if (!example.expected) return;
      if (example.expected.status !== undefined) expect(result.status).toBe(example.expected.status);
      if (example.expected.text !== undefined) return expectPrintedText(example.expected.text, result.stdout);
      const actual = JSON.parse(result.stdout);
      if (!matchesPrinted(example.expected.json, actual)) expect(actual).toEqual(example.expected.json);
    });
  }
});
