// The demo page of <activity-feed-inbox> (/inbox/): a token from `#token=<jwt>` (the link npm run dev
// prints) or the paste field, kept for this tab only; targets "open" by saying what they are.
import type { FeedItem } from "../../../src/client";

const STORAGE_KEY = "activity-feed-demo-token";
const inbox = document.querySelector("activity-feed-inbox")!;
const signIn = document.querySelector<HTMLFormElement>("#sign-in")!;
const signedIn = document.querySelector<HTMLElement>("#signed-in")!;
const opened = document.querySelector<HTMLElement>("#opened")!;

const fromFragment = new URLSearchParams(location.hash.slice(1)).get("token");
if (fromFragment) {
  sessionStorage.setItem(STORAGE_KEY, fromFragment);
  // Out of the address bar (and of what a screenshot or a shared link shows).
  history.replaceState(null, "", location.pathname + location.search);
}

function show(token: string | null) {
  signIn.hidden = token !== null;
  signedIn.hidden = token === null;
  inbox.hidden = token === null;
  if (token) inbox.setAttribute("token", token);
  else inbox.removeAttribute("token");
}

inbox.resolveTarget = (item: FeedItem) =>
  item.target_type && item.target_id !== null ? `#open=${item.target_type}/${item.target_id}` : null;
addEventListener("hashchange", () => {
  const target = new URLSearchParams(location.hash.slice(1)).get("open");
  opened.textContent = target ? `Opened ${target}` : "";
});

signIn.addEventListener("submit", (event) => {
  event.preventDefault();
  const token = document.querySelector<HTMLTextAreaElement>("#token")!.value.trim();
  sessionStorage.setItem(STORAGE_KEY, token);
  show(token);
});
document.querySelector("#sign-out")!.addEventListener("click", () => {
  sessionStorage.removeItem(STORAGE_KEY);
  show(null);
});

show(sessionStorage.getItem(STORAGE_KEY));
