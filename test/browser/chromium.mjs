// Headless Chromium for the browser tests: Debian's package (apt-get install -y chromium; .ci/run
// installs it), driven by playwright-core, which downloads no browser of its own. Playwright starts
// it on a fresh, empty profile every time.
import { existsSync } from "node:fs";
import { chromium } from "playwright-core";

const CANDIDATES = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"];

// No sandbox (the tests run as root), no GPU, and none of Chromium's own calls home: this machine's
// network is closed, and they would fail by the dozen.
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export function launchChromium() {
  const executablePath = CANDIDATES.find((candidate) => candidate && existsSync(candidate));
  if (!executablePath)
    throw new Error(
      "No Chromium for the browser tests: install Debian's (apt-get install -y chromium; .ci/run does), or set CHROMIUM_PATH.",
    );
  return chromium.launch({ executablePath, headless: true, args: FLAGS });
}
