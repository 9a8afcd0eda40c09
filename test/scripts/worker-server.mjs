// The Worker under `wrangler dev` for the Node-side tests (the README's examples, the browser
// tests): a free port, a state of its own (not the checkout's .wrangler/state), migrations applied,
// the demo data loaded as `npm run dev` loads it. stop() ends wrangler and its workerd, and
// removes the state.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { devVars, QUIET_WRANGLER_ENV, WRANGLER_BIN, waitForHealth } from "../../scripts/lib/project.mjs";
import { migrateLocalShards } from "../../scripts/migrate-local.mjs";
import { freePort, ROOT, runScript } from "./run-script.mjs";

export async function startWorker({ name }) {
  const port = await freePort();
  const base = `http://localhost:${port}`;
  const state = mkdtempSync(path.join(os.tmpdir(), `activity-feed-${name}-`));
  migrateLocalShards({ persistTo: state });
  const server = spawn(
    process.execPath,
    [
      WRANGLER_BIN,
      "dev",
      "--port",
      String(port),
      "--persist-to",
      state,
      "--show-interactive-dev-session=false",
      // As npm run dev serves it (.dev.vars.example), whether or not .dev.vars exists yet: the
      // secret the token script signs with, and development (the inbox demo page is on).
      "--var",
      `JWT_SECRET:${devVars().JWT_SECRET}`,
      "--var",
      "ENVIRONMENT:development",
    ],
    { cwd: ROOT, detached: true, stdio: "ignore", env: { ...process.env, ...QUIET_WRANGLER_ENV } },
  );
  const stop = () => {
    try {
      process.kill(-server.pid, "SIGTERM");
    } catch {
      // already gone
    }
    rmSync(state, { recursive: true, force: true });
  };
  try {
    await waitForHealth(base, 90_000);
    const seeded = await runScript("seed-demo.mjs", [], { env: { FEED_URL: base } });
    if (seeded.code !== 0) throw new Error(`seeding failed: ${seeded.stderr}`);
  } catch (error) {
    stop();
    throw error;
  }
  return { base, stop };
}
