import {
  type ActivityType,
  createFeedClient,
  type FeedClient,
  type FeedItem,
  type FeedPage,
  type LiveConnection,
} from "../../src/client";
import { ACTIVITY_TYPES } from "../../src/feed/activity-types";
import styles from "./inbox.css";
import { applyUpdate, belongsIn, type ListView, withoutIds } from "./list-changes";
import { relativeAge } from "./relative-age";
import { ENGLISH, type InboxStrings } from "./strings";

/**
 * <activity-feed-inbox>: a bell with the badge and a panel with the user's
 * feed, live (README "Embed the inbox"). Framework-free; talks to the API
 * through the typed client (src/client).
 *
 * Attributes: base-url (default: where this script was loaded from), token,
 * badge ("unread" | "unseen"), page-size, locale, open.
 * Properties: getToken, resolveTarget(item) → URL, strings, client.
 * Event: "activity-feed-open" (detail: { item, url }), cancelable: an app
 * that routes by itself cancels it and navigates.
 */

const BELL =
  '<svg viewBox="0 0 24 24" fill="currentColor" aria-hidden="true"><path d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6v-5a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z"/></svg>';
const ARCHIVE =
  '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><rect x="3" y="4" width="18" height="4" rx="1"/><path d="M5 8v11a1 1 0 0 0 1 1h12a1 1 0 0 0 1-1V8M10 12h4"/></svg>';

const TEMPLATE = `
<button part="bell" class="bell" type="button" aria-expanded="false" aria-controls="panel">
  ${BELL}<span part="badge" class="badge" aria-hidden="true" hidden></span>
</button>
<section part="panel" class="panel" id="panel" aria-labelledby="heading" hidden>
  <div class="head">
    <h2 id="heading" data-text="title"></h2>
    <button type="button" class="mark-all" data-text="markAllRead"></button>
  </div>
  <div class="controls">
    <div class="toggle" role="group" data-label="show">
      <button type="button" class="show-unread" aria-pressed="true" data-text="showUnread"></button>
      <button type="button" class="show-all" aria-pressed="false" data-text="showAll"></button>
    </div>
    <label><span class="visually-hidden" data-text="typeFilter"></span><select class="type"></select></label>
  </div>
  <div class="scroll">
    <ul class="list" role="list" aria-labelledby="heading"></ul>
    <p class="state" role="status"></p>
    <div class="footer">
      <button type="button" class="retry" data-text="retry" hidden></button>
      <button type="button" class="more" data-text="loadMore" hidden></button>
    </div>
    <div class="sentinel"></div>
  </div>
</section>
<div class="visually-hidden announcer" aria-live="polite"></div>`;

/** Newest first, as the API lists them (created_at, then id). */
const newerFirst = (a: FeedItem, b: FeedItem) => b.created_at.localeCompare(a.created_at) || b.id - a.id;

type LoadState = "idle" | "loading" | "ready" | "failed";

export class ActivityFeedInbox extends HTMLElement {
  static readonly observedAttributes = ["base-url", "token", "badge", "page-size", "locale", "open"];

  /** Asked before every request: return a fresh token. Takes precedence over the token attribute. */
  getToken: (() => string | Promise<string>) | undefined;
  /** Where an item leads (its target's page); items without one only get marked read. */
  resolveTarget: ((item: FeedItem) => string | null | undefined) | undefined;

  #strings: InboxStrings = ENGLISH;
  #stringsVersion = 0;
  #hostClient: FeedClient | undefined;
  #client: FeedClient | undefined;
  #live: LiveConnection | undefined;
  #view: ListView = { unreadOnly: true, activityType: undefined };
  #items: FeedItem[] = [];
  #pages: AsyncGenerator<FeedPage, void> | undefined;
  #hasMore = false;
  #state: LoadState = "idle";
  #loadingMore = false;
  #generation = 0;
  /** When the list was asked for (or a live item shown since): "mark all read" reaches no further. */
  #loadedAt = 0;
  #counts = { unread_count: 0, unseen_count: 0 };
  #rows = new Map<number, HTMLLIElement>();
  #activeId: number | undefined;
  #ageTimer: ReturnType<typeof setInterval> | undefined;
  #observer: IntersectionObserver | undefined;
  #reconnectQueued = false;

  readonly #root: ShadowRoot;
  readonly #bell: HTMLButtonElement;
  readonly #badge: HTMLElement;
  readonly #panel: HTMLElement;
  readonly #list: HTMLUListElement;
  readonly #status: HTMLElement;
  readonly #more: HTMLButtonElement;
  readonly #retry: HTMLButtonElement;
  readonly #markAll: HTMLButtonElement;
  readonly #type: HTMLSelectElement;
  readonly #announcer: HTMLElement;

  constructor() {
    super();
    this.#root = this.attachShadow({ mode: "open" });
    this.#root.innerHTML = `<style>${styles}</style>${TEMPLATE}`;
    const find = <T extends Element>(selector: string) => this.#root.querySelector(selector) as T;
    this.#bell = find(".bell");
    this.#badge = find(".badge");
    this.#panel = find(".panel");
    this.#list = find(".list");
    this.#status = find(".state");
    this.#more = find(".more");
    this.#retry = find(".retry");
    this.#markAll = find(".mark-all");
    this.#type = find(".type");
    this.#announcer = find(".announcer");

    this.#bell.addEventListener("click", () => this.toggleAttribute("open"));
    this.#markAll.addEventListener("click", () => void this.#markAllRead());
    find(".show-unread").addEventListener("click", () => this.#setView({ unreadOnly: true }));
    find(".show-all").addEventListener("click", () => this.#setView({ unreadOnly: false }));
    this.#type.addEventListener("change", () => this.#setView({ activityType: this.#type.value || undefined }));
    this.#more.addEventListener("click", () => void this.#loadMore());
    this.#retry.addEventListener("click", () => void this.#reload());
    this.#list.addEventListener("click", (event) => this.#onListClick(event));
    this.#list.addEventListener("keydown", (event) => this.#onListKey(event));
    this.#list.addEventListener("focusin", (event) => {
      const row = (event.target as Element).closest<HTMLLIElement>(".item");
      if (row) this.#setActive(Number(row.dataset.id));
    });
    this.#panel.addEventListener("keydown", (event) => {
      if (event.key !== "Escape") return;
      this.removeAttribute("open");
      this.#bell.focus();
    });
    this.#renderStrings();
  }

  /** Words shown; a partial table overrides the English one (src: web/inbox/strings.ts). */
  get strings(): InboxStrings {
    return this.#strings;
  }
  set strings(overrides: Partial<InboxStrings>) {
    this.#strings = { ...ENGLISH, ...overrides };
    this.#stringsVersion += 1;
    this.#renderStrings();
    this.#renderList();
  }

  /** A client of the host's own (e.g. with its fetch); otherwise one is made from base-url and the token. */
  get client(): FeedClient | undefined {
    return this.#client;
  }
  set client(client: FeedClient | undefined) {
    this.#hostClient = client;
    this.#queueReconnect();
  }

  connectedCallback() {
    this.#observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting) && this.#hasMore) void this.#loadMore();
      },
      { root: this.#root.querySelector(".scroll"), rootMargin: "200px" },
    );
    this.#observer.observe(this.#root.querySelector(".sentinel")!);
    this.#ageTimer = setInterval(() => this.#renderAges(), 60_000);
    document.addEventListener("pointerdown", this.#onOutsidePointer);
    // A property set before the element was defined lands on the instance: take it through the setter.
    for (const name of ["getToken", "resolveTarget", "strings", "client"] as const) this.#upgradeProperty(name);
    this.#queueReconnect();
  }

  disconnectedCallback() {
    this.#live?.close();
    this.#live = undefined;
    this.#observer?.disconnect();
    clearInterval(this.#ageTimer);
    document.removeEventListener("pointerdown", this.#onOutsidePointer);
  }

  attributeChangedCallback(name: string, previous: string | null, value: string | null) {
    if (previous === value) return;
    if (name === "open") return this.#setOpen(value !== null);
    if (name === "badge") return this.#renderBadge();
    if (name === "locale") return this.#renderAges();
    this.#queueReconnect();
  }

  #upgradeProperty(name: "getToken" | "resolveTarget" | "strings" | "client") {
    if (!Object.hasOwn(this, name)) return;
    const value = (this as Record<string, unknown>)[name];
    delete (this as Record<string, unknown>)[name];
    (this as Record<string, unknown>)[name] = value;
  }

  /** Re-creates the client and the live connection once, after a burst of attribute and property changes. */
  #queueReconnect() {
    if (this.#reconnectQueued) return;
    this.#reconnectQueued = true;
    queueMicrotask(() => {
      this.#reconnectQueued = false;
      if (this.isConnected) this.#connect();
    });
  }

  #connect() {
    this.#live?.close();
    this.#live = undefined;
    const token = this.getAttribute("token") ?? undefined;
    const baseUrl = this.getAttribute("base-url") ?? new URL(import.meta.url).origin;
    this.#client =
      this.#hostClient ??
      (this.getToken || token
        ? createFeedClient({ baseUrl, ...(this.getToken ? { getToken: this.getToken } : { token }) })
        : undefined);
    this.#items = [];
    this.#pages = undefined;
    this.#state = "idle";
    this.#renderList();
    const client = this.#client;
    if (!client) return;
    void client.unreadCount().then(
      (counts) => this.#setCounts(counts),
      () => undefined,
    );
    this.#live = client.live({
      onCounts: (counts) => this.#setCounts(counts),
      onItem: (item) => this.#onLiveItem(item),
      onUpdate: (update) => {
        if (this.#state !== "ready") return;
        const { items, reload } = applyUpdate(this.#view, this.#items, update);
        this.#items = items;
        if (reload) void this.#reload();
        else this.#renderList();
      },
      onDelete: (ids) => {
        this.#items = withoutIds(this.#items, ids);
        this.#renderList();
      },
      onReset: () => {
        void client.unreadCount().then(
          (counts) => this.#setCounts(counts),
          () => undefined,
        );
        if (this.#state !== "idle") void this.#reload();
      },
    });
    if (this.hasAttribute("open")) void this.#openPanel();
  }

  #setOpen(open: boolean) {
    this.#panel.hidden = !open;
    this.#bell.setAttribute("aria-expanded", String(open));
    if (open) void this.#openPanel();
  }

  readonly #onOutsidePointer = (event: PointerEvent) => {
    if (this.hasAttribute("open") && !event.composedPath().includes(this)) this.removeAttribute("open");
  };

  /** Opening the panel shows the list, and so sees what it shows: the badge of unseen items clears. */
  async #openPanel() {
    if (!this.#client) return;
    if (this.#state === "idle" || this.#state === "failed") await this.#reload();
    if (this.#state === "ready" && this.#counts.unseen_count > 0 && this.hasAttribute("open")) {
      const before = new Date(this.#loadedAt);
      try {
        await this.#client.markSeen({ all: true, before });
        this.#items = this.#items.map((item) =>
          Date.parse(item.created_at) <= before.getTime() ? { ...item, is_seen: true } : item,
        );
      } catch {
        // The badge stays as it is; the next opening tries again.
      }
    }
  }

  #setView(change: Partial<ListView>) {
    this.#view = { ...this.#view, ...change };
    for (const [selector, pressed] of [
      [".show-unread", this.#view.unreadOnly],
      [".show-all", !this.#view.unreadOnly],
    ] as const)
      this.#root.querySelector(selector)!.setAttribute("aria-pressed", String(pressed));
    void this.#reload();
  }

  async #reload() {
    const client = this.#client;
    if (!client) return;
    const generation = ++this.#generation;
    this.#loadedAt = Date.now();
    this.#pages = client.pages({
      page_size: Number(this.getAttribute("page-size") ?? 20) || 20,
      ...(this.#view.unreadOnly ? { is_read: false } : {}),
      ...(this.#view.activityType ? { activity_type: this.#view.activityType as ActivityType } : {}),
    });
    this.#items = [];
    this.#hasMore = false;
    this.#state = "loading";
    this.#renderList();
    await this.#nextPage(generation);
  }

  async #loadMore() {
    if (this.#state !== "ready" || this.#loadingMore || !this.#hasMore) return;
    this.#loadingMore = true;
    this.#renderList();
    await this.#nextPage(this.#generation);
    this.#loadingMore = false;
    this.#renderList();
  }

  async #nextPage(generation: number) {
    try {
      const result = await this.#pages!.next();
      if (generation !== this.#generation) return;
      const page = result.done ? undefined : result.value;
      const shown = new Set(this.#items.map((item) => item.id));
      // A live item may already be there; a page never repeats one by itself.
      this.#items = [...this.#items, ...(page?.results ?? []).filter((item) => !shown.has(item.id))];
      this.#hasMore = Boolean(page?.next);
      this.#state = "ready";
    } catch {
      if (generation !== this.#generation) return;
      this.#state = this.#items.length > 0 ? "ready" : "failed";
    }
    this.#renderList();
  }

  #onLiveItem(item: FeedItem) {
    this.#loadedAt = Math.max(this.#loadedAt, Date.now(), Date.parse(item.created_at));
    this.#announce(this.#strings.announceNew(item.title));
    if (this.#state !== "ready" || !belongsIn(this.#view, item)) return;
    if (this.#items.some((shown) => shown.id === item.id)) return;
    this.#items = [...this.#items, item].sort(newerFirst);
    this.#renderList();
  }

  #announce(text: string) {
    // A fresh node per announcement: screen readers say a change, not a repeat.
    this.#announcer.replaceChildren(Object.assign(document.createElement("p"), { textContent: text }));
  }

  async #markAllRead() {
    const client = this.#client;
    if (!client) return;
    const before = this.#loadedAt;
    this.#items = this.#items.map((item) =>
      Date.parse(item.created_at) <= before ? { ...item, is_read: true, is_seen: true } : item,
    );
    this.#renderList();
    try {
      await client.markRead({ all: true, before: new Date(before) });
    } catch {
      void this.#reload();
    }
  }

  #itemOf(element: Element | null): FeedItem | undefined {
    const row = element?.closest<HTMLLIElement>(".item");
    return row ? this.#items.find((item) => item.id === Number(row.dataset.id)) : undefined;
  }

  #onListClick(event: MouseEvent) {
    const target = event.target as Element;
    const item = this.#itemOf(target);
    if (!item) return;
    if (target.closest(".archive")) return void this.#archive(item);
    if (!target.closest(".open")) return;
    const url = this.resolveTarget?.(item) ?? undefined;
    const opening = new CustomEvent("activity-feed-open", {
      detail: { item, url },
      bubbles: true,
      composed: true,
      cancelable: true,
    });
    if (!this.dispatchEvent(opening)) event.preventDefault();
    if (!item.is_read) {
      this.#items = this.#items.map((shown) =>
        shown.id === item.id ? { ...shown, is_read: true, is_seen: true } : shown,
      );
      this.#renderList();
      // keepalive: the click may be navigating away from this page.
      void this.#client?.markRead([item.id], { keepalive: true }).catch(() => this.#reload());
    }
  }

  async #archive(item: FeedItem) {
    const index = this.#items.findIndex((shown) => shown.id === item.id);
    const focusNext = this.#root.activeElement !== null && this.#list.contains(this.#root.activeElement);
    this.#items = this.#items.filter((shown) => shown.id !== item.id);
    const neighbour = this.#items[Math.min(index, this.#items.length - 1)];
    this.#activeId = neighbour?.id;
    this.#renderList();
    if (focusNext)
      (neighbour ? this.#rows.get(neighbour.id)?.querySelector<HTMLElement>(".open") : this.#bell)?.focus();
    try {
      await this.#client?.archive([item.id]);
    } catch {
      void this.#reload();
    }
  }

  /** Arrow keys, Home and End move between items; Delete archives the focused one. */
  #onListKey(event: KeyboardEvent) {
    const item = this.#itemOf(event.target as Element);
    if (!item) return;
    const index = this.#items.findIndex((shown) => shown.id === item.id);
    const moves: Record<string, number> = {
      ArrowDown: index + 1,
      ArrowUp: index - 1,
      Home: 0,
      End: this.#items.length - 1,
    };
    if (event.key === "Delete") {
      event.preventDefault();
      return void this.#archive(item);
    }
    const to = moves[event.key];
    if (to === undefined) return;
    event.preventDefault();
    const next = this.#items[Math.max(0, Math.min(this.#items.length - 1, to))];
    if (!next) return;
    this.#setActive(next.id);
    this.#rows.get(next.id)?.querySelector<HTMLElement>(".open")?.focus();
    if (event.key === "ArrowDown" && to >= this.#items.length - 1) void this.#loadMore();
  }

  /** One item is in the tab order at a time (roving tabindex): Tab leaves the list, arrows move in it. */
  #setActive(id: number | undefined) {
    this.#activeId = id;
    for (const [rowId, row] of this.#rows)
      for (const control of row.querySelectorAll<HTMLElement>(".open, .archive"))
        control.tabIndex = rowId === id ? 0 : -1;
  }

  #setCounts(counts: { unread_count: number; unseen_count: number }) {
    this.#counts = { unread_count: counts.unread_count, unseen_count: counts.unseen_count };
    this.#renderBadge();
  }

  #renderBadge() {
    const kind = this.getAttribute("badge") === "unseen" ? "unseen" : "unread";
    const count = kind === "unseen" ? this.#counts.unseen_count : this.#counts.unread_count;
    this.#badge.hidden = count === 0;
    this.#badge.textContent = count > 99 ? "99+" : String(count);
    this.#bell.setAttribute("aria-label", this.#strings.bellLabel(count, kind));
    this.#markAll.disabled = this.#counts.unread_count === 0;
  }

  #renderStrings() {
    for (const element of this.#root.querySelectorAll<HTMLElement>("[data-text]"))
      element.textContent = this.#strings[element.dataset.text as "title"];
    for (const element of this.#root.querySelectorAll<HTMLElement>("[data-label]"))
      element.setAttribute("aria-label", this.#strings[element.dataset.label as "show"]);
    const selected = this.#type.value;
    this.#type.replaceChildren(
      new Option(this.#strings.allTypes, ""),
      ...Object.entries(ACTIVITY_TYPES).map(
        ([name, type]) => new Option(this.#strings.activityTypes[name as ActivityType] ?? type.display, name),
      ),
    );
    this.#type.value = selected;
    this.#renderBadge();
  }

  #typeName(item: FeedItem) {
    return this.#strings.activityTypes[item.activity_type as ActivityType] ?? item.activity_type_display;
  }

  #renderList() {
    const strings = this.#strings;
    const state =
      this.#state === "loading"
        ? strings.loading
        : this.#state === "failed"
          ? strings.failed
          : this.#state === "ready" && this.#items.length === 0
            ? this.#view.unreadOnly
              ? strings.emptyUnread
              : strings.emptyAll
            : "";
    this.#status.textContent = state;
    this.#status.hidden = state === "";
    this.#retry.hidden = this.#state !== "failed";
    this.#more.hidden = !this.#hasMore || this.#state !== "ready";
    this.#more.disabled = this.#loadingMore;
    this.#more.textContent = this.#loadingMore ? strings.loading : strings.loadMore;

    // Rows are kept by id, so focus and images survive an update.
    const wanted = new Set(this.#items.map((item) => item.id));
    for (const [id, row] of this.#rows)
      if (!wanted.has(id)) {
        row.remove();
        this.#rows.delete(id);
      }
    let previous: HTMLLIElement | null = null;
    for (const item of this.#items) {
      const row = this.#renderRow(item);
      const expected: ChildNode | null = previous ? previous.nextSibling : this.#list.firstChild;
      if (row !== expected) this.#list.insertBefore(row, expected);
      previous = row;
    }
    if (this.#activeId === undefined || !wanted.has(this.#activeId)) this.#activeId = this.#items[0]?.id;
    this.#setActive(this.#activeId);
  }

  #renderRow(item: FeedItem): HTMLLIElement {
    const url = this.resolveTarget?.(item) ?? undefined;
    let row = this.#rows.get(item.id);
    const key = JSON.stringify([item, url, this.#stringsVersion]);
    if (row && row.dataset.key === key) return row;
    const fresh = !row;
    row ??= document.createElement("li");
    row.dataset.key = key;
    row.dataset.id = String(item.id);
    row.className = `item${item.is_read ? "" : " unread"}`;
    row.setAttribute("part", item.is_read ? "item" : "item unread");
    const open = document.createElement(url ? "a" : "button");
    open.className = "open";
    if (url) open.setAttribute("href", url);
    else open.setAttribute("type", "button");
    const visual = item.target_thumbnail
      ? Object.assign(document.createElement("img"), {
          className: "thumb",
          src: item.target_thumbnail,
          alt: "",
          loading: "lazy",
        })
      : Object.assign(document.createElement("span"), {
          className: "avatar",
          textContent: this.#typeName(item).charAt(0),
        });
    if (!item.target_thumbnail) visual.setAttribute("aria-hidden", "true");
    const text = document.createElement("span");
    text.className = "text";
    const title = this.#span("title", item.title);
    const description =
      item.description && item.description !== item.title ? this.#span("description", item.description) : null;
    const meta = document.createElement("span");
    meta.className = "meta";
    const time = document.createElement("time");
    time.dateTime = item.created_at;
    time.title = new Date(item.created_at).toLocaleString(this.#locale());
    time.textContent = this.#age(item);
    meta.append(`${this.#typeName(item)} · `, time);
    text.append(title, ...(description ? [description] : []), meta);
    open.append(visual, text);
    if (!item.is_read) {
      const dot = document.createElement("span");
      dot.className = "dot";
      dot.append(this.#span("visually-hidden", this.#strings.unreadMarker, false));
      open.append(dot);
    }
    const archive = document.createElement("button");
    archive.type = "button";
    archive.className = "archive";
    archive.setAttribute("aria-label", this.#strings.archive(item.title));
    archive.title = this.#strings.archive(item.title);
    archive.innerHTML = ARCHIVE;
    const hadFocus = !fresh && row.contains(this.#root.activeElement);
    const focusedArchive = hadFocus && this.#root.activeElement?.classList.contains("archive");
    row.replaceChildren(open, archive);
    if (fresh) this.#rows.set(item.id, row);
    if (hadFocus) (focusedArchive ? archive : open).focus();
    return row;
  }

  /** A text of the feed: its direction is its own (an Arabic title in an English page reads right to left). */
  #span(className: string, text: string, auto = true) {
    const span = document.createElement("span");
    span.className = className;
    if (auto) span.dir = "auto";
    span.textContent = text;
    return span;
  }

  #locale() {
    return this.getAttribute("locale") ?? (document.documentElement.lang || undefined);
  }

  #age(item: FeedItem) {
    return relativeAge(Date.parse(item.created_at), Date.now(), this.#locale(), this.#strings.justNow);
  }

  #renderAges() {
    for (const item of this.#items) {
      const time = this.#rows.get(item.id)?.querySelector("time");
      if (time) time.textContent = this.#age(item);
    }
  }
}

if (!customElements.get("activity-feed-inbox")) customElements.define("activity-feed-inbox", ActivityFeedInbox);

declare global {
  interface HTMLElementTagNameMap {
    "activity-feed-inbox": ActivityFeedInbox;
  }
}

// The page may want the client too (its own calls, or a client for the element's `client`).
export { createFeedClient, FeedApiError } from "../../src/client";
