// <activity-feed-inbox> on its demo page (/inbox/), in headless Chromium, against the real Worker
// under wrangler dev with the demo data: what it shows is checked against the API, and what it does
// is checked through the API. Each test takes a demo user of its own. INBOX_SCREENSHOTS=1 (npm run
// screenshots) also writes the README's screenshots to docs/.
import path from "node:path";
import { createFeedClient, createStaffClient } from "activity-feed/client";
import sharp from "sharp";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { signToken } from "../../scripts/lib/project.mjs";
import { ROOT } from "../scripts/run-script.mjs";
import { startWorker } from "../scripts/worker-server.mjs";
import { launchChromium } from "./chromium.mjs";

let server;
let browser;
const contexts = [];

beforeAll(async () => {
  [server, browser] = await Promise.all([startWorker({ name: "browser" }), launchChromium()]);
}, 180_000);

afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close();
});

afterAll(async () => {
  await browser?.close();
  server?.stop();
});

const feedOf = (userId) => createFeedClient({ baseUrl: server.base, token: signToken({ userId }) });
const staff = () => createStaffClient({ baseUrl: server.base, token: signToken({ userId: 999_999, staff: true }) });

/** Where the tests' thumbnails live: the browser's requests there are answered here, never sent. */
const IMAGES = "https://images.example.org/";
const thumbnail = sharp({ create: { width: 96, height: 96, channels: 3, background: "#c2703d" } })
  .png()
  .toBuffer();

/** The demo page signed in as the user (the link npm run dev prints), the bell's badge shown. */
async function openPage(userId, { width = 1280, height = 800, beforeLoad } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, locale: "en-US", timezoneId: "UTC" });
  contexts.push(context);
  const page = await context.newPage();
  await page.route(`${IMAGES}**`, async (route) => route.fulfill({ contentType: "image/png", body: await thumbnail }));
  const errors = [];
  page.on("pageerror", (error) => errors.push(error));
  await beforeLoad?.(page);
  await page.goto(`${server.base}/inbox/#token=${signToken({ userId })}`);
  await page.locator("activity-feed-inbox .bell").waitFor();
  return { page, errors };
}

async function openPanel(page) {
  await page.locator("activity-feed-inbox .bell").click();
  await page.locator("activity-feed-inbox .state").waitFor({ state: "hidden" });
}

const titles = (page) => page.locator("activity-feed-inbox .item .title").allTextContents();

/** The element inside the inbox's shadow root that has focus, as a selector-ish description. */
const focused = (page) =>
  page.evaluate(() => {
    const active = document.querySelector("activity-feed-inbox").shadowRoot.activeElement;
    if (!active) return null;
    const row = active.closest(".item");
    return {
      className: active.className,
      rowId: row ? Number(row.dataset.id) : null,
      outline: getComputedStyle(active).outlineStyle,
    };
  });

describe("the inbox", () => {
  it("badges the unread count and lists the unread items as the API does; opening it marks them seen", async () => {
    const feed = feedOf(2);
    const { unread_count } = await feed.unreadCount();
    expect(unread_count).toBeGreaterThan(0);
    const { page, errors } = await openPage(2);
    await expect.poll(() => page.locator("activity-feed-inbox .badge").textContent()).toBe(String(unread_count));
    const bell = page.locator("activity-feed-inbox .bell");
    expect(await bell.getAttribute("aria-label")).toBe(`Notifications, ${unread_count} unread`);

    await openPanel(page);
    expect(await bell.getAttribute("aria-expanded")).toBe("true");
    const expected = (await feed.list({ is_read: false, page_size: 20 })).results.map((item) => item.title);
    expect(await titles(page)).toEqual(expected);
    expect(await page.locator("activity-feed-inbox .item.unread").count()).toBe(expected.length);
    await expect.poll(async () => (await feed.unreadCount()).unseen_count).toBe(0);

    // "All" lists read items too, and a type narrows the list.
    await page.locator("activity-feed-inbox .show-all").click();
    await expect.poll(() => page.locator("activity-feed-inbox .item:not(.unread)").count()).toBeGreaterThan(0);
    await page.locator("activity-feed-inbox select").selectOption("milestone");
    await expect
      .poll(async () => titles(page))
      .toEqual((await feed.list({ activity_type: "milestone" })).results.map((item) => item.title));
    expect(errors).toEqual([]);
  });

  it("scrolls on to the next page by cursor", async () => {
    const feed = feedOf(7);
    const all = [];
    for await (const page of feed.pages({ page_size: 100 })) all.push(...page.results.map((item) => item.title));
    expect(all.length).toBeGreaterThan(20);
    const { page } = await openPage(7, { height: 700 });
    await openPanel(page);
    await page.locator("activity-feed-inbox .show-all").click();
    await expect.poll(async () => (await titles(page)).length).toBe(20);
    await page.locator("activity-feed-inbox .item").last().scrollIntoViewIfNeeded();
    await expect.poll(async () => titles(page)).toEqual(all);
  });

  it("clicking an item marks it read and opens its target through the page's resolver", async () => {
    const feed = feedOf(3);
    const before = await feed.unreadCount();
    const { page } = await openPage(3);
    await openPanel(page);
    const item = (await feed.list({ is_read: false })).results.find((unread) => unread.target_type !== null);
    const row = page.locator(`activity-feed-inbox .item[data-id="${item.id}"]`);
    await row.locator(".open").click();
    await expect.poll(() => page.locator("#opened").textContent()).toBe(`Opened ${item.target_type}/${item.target_id}`);
    await expect
      .poll(async () => (await feed.list({ is_read: false })).results.map((unread) => unread.id))
      .not.toContain(item.id);
    expect((await feed.unreadCount()).unread_count).toBe(before.unread_count - 1);
    await expect
      .poll(() => page.locator("activity-feed-inbox .badge").textContent())
      .toBe(String(before.unread_count - 1));
    // Read, and still listed: it does not vanish under the pointer.
    expect(await row.getAttribute("class")).toBe("item");
  });

  it("Mark all read sends the time the list was loaded: an item that arrived later stays unread", async () => {
    // No live channel here (a network that refuses WebSockets): the new item is not shown.
    const { page } = await openPage(4, { beforeLoad: (page) => page.routeWebSocket(/\/live\//, (ws) => ws.close()) });
    await openPanel(page);
    const { results } = await staff().ingest({
      user_id: 4,
      activity_type: "fast_start",
      event_id: "browser-after-load",
      data: { fast_id: 2, fast_name: "Nativity Fast" },
    });
    await page.locator("activity-feed-inbox .mark-all").click();
    const feed = feedOf(4);
    await expect
      .poll(async () => (await feed.list({ is_read: false })).results.map((item) => item.id))
      .toEqual([results[0].id]);
    expect(await page.locator("activity-feed-inbox .item.unread").count()).toBe(0);
  });

  it("an item created through the internal endpoint appears live, is announced, and reads in its own direction", async () => {
    const feed = feedOf(5);
    const { page } = await openPage(5);
    await openPanel(page);
    const before = await feed.unreadCount();
    const title = "بدأ صوم الميلاد";
    await staff().ingest({
      user_id: 5,
      activity_type: "event",
      event_id: "browser-live-rtl",
      title,
      description: "صوم مبارك للجميع",
      data: { title },
      target_thumbnail: `${IMAGES}nativity.png`,
    });
    await expect.poll(async () => (await titles(page))[0]).toBe(title);
    const first = page.locator("activity-feed-inbox .item").first();
    const image = first.locator("img.thumb");
    expect(await image.getAttribute("src")).toBe(`${IMAGES}nativity.png`);
    await expect.poll(() => image.evaluate((element) => element.naturalWidth)).toBe(96);
    expect(await first.locator(".title").evaluate((element) => element.matches(":dir(rtl)"))).toBe(true);
    expect(await first.locator("time").textContent()).toBe("just now");
    expect(await page.locator("activity-feed-inbox .announcer").textContent()).toBe(`New notification: ${title}`);
    await expect
      .poll(() => page.locator("activity-feed-inbox .badge").textContent())
      .toBe(String(before.unread_count + 1));
  });

  it("works from the keyboard: bell, arrows between items, Enter reads, Delete archives, Escape closes", async () => {
    const feed = feedOf(6);
    const { page } = await openPage(6);
    await page.keyboard.press("Tab");
    expect(await focused(page)).toMatchObject({ className: "bell" });
    expect((await focused(page)).outline).not.toBe("none");
    await page.keyboard.press("Enter");
    await page.locator("activity-feed-inbox .state").waitFor({ state: "hidden" });
    const ids = (await feed.list({ is_read: false, page_size: 3 })).results.map((item) => item.id);

    // Tab walks the controls into the list, where one item at a time is in the tab order.
    for (let presses = 0; presses < 8 && (await focused(page))?.className !== "open"; presses++)
      await page.keyboard.press("Tab");
    expect(await focused(page)).toMatchObject({ className: "open", rowId: ids[0] });
    expect((await focused(page)).outline).not.toBe("none");
    await page.keyboard.press("ArrowDown");
    expect(await focused(page)).toMatchObject({ className: "open", rowId: ids[1] });

    await page.keyboard.press("Enter");
    await expect.poll(async () => (await feed.list({ is_read: false, page_size: 3 })).results[1].id).toBe(ids[2]);
    await page.keyboard.press("Delete");
    await expect
      .poll(async () => (await feed.list({ archived: "only" })).results.map((item) => item.id))
      .toEqual([ids[1]]);
    expect(await focused(page)).toMatchObject({ className: "open", rowId: ids[2] });

    await page.keyboard.press("Escape");
    expect(await page.locator("activity-feed-inbox .bell").getAttribute("aria-expanded")).toBe("false");
    expect(await focused(page)).toMatchObject({ className: "bell" });
  });

  it("fits a 360 px wide screen", async () => {
    const { page } = await openPage(8, { width: 360, height: 740 });
    await openPanel(page);
    const panel = await page.locator("activity-feed-inbox .panel").boundingBox();
    expect(panel.x).toBeGreaterThanOrEqual(0);
    expect(panel.x + panel.width).toBeLessThanOrEqual(360);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    for (const control of [".mark-all", ".show-all", "select", ".item .archive"]) {
      const box = await page.locator(`activity-feed-inbox ${control}`).first().boundingBox();
      expect(box.x + box.width, control).toBeLessThanOrEqual(360);
    }
  });
});

describe("screenshots", () => {
  it("of the demo page, on a desktop and at 360 px", async () => {
    const write = process.env.INBOX_SCREENSHOTS === "1";
    // What the demo data lacks: a thumbnail, and a title in a right-to-left script.
    await staff().ingest([
      {
        user_id: 1,
        activity_type: "fast_start",
        event_id: "screenshot-nativity",
        data: { fast_id: 2, fast_name: "Nativity Fast" },
        target_thumbnail: `${IMAGES}nativity.png`,
      },
      {
        user_id: 1,
        activity_type: "event",
        event_id: "screenshot-rtl",
        title: "بدأ صوم الميلاد",
        description: "صوم مبارك للجميع",
        data: { title: "بدأ صوم الميلاد" },
      },
    ]);
    for (const [name, size] of [
      ["inbox-desktop.png", { width: 1100, height: 720 }],
      ["inbox-360.png", { width: 360, height: 740 }],
    ]) {
      const { page } = await openPage(1, size);
      await openPanel(page);
      const shot = await page.screenshot(write ? { path: path.join(ROOT, "docs", name) } : {});
      expect(shot.length).toBeGreaterThan(10_000);
    }
  });
});
