import { createMiddleware } from "hono/factory";
import { verify } from "hono/jwt";
import type { AppEnv, Principal } from "../http/app-env";
import { detail } from "../http/error-responses";

const BEARER = /^Bearer\s+(\S+)\s*$/i;
const CHALLENGE = { "WWW-Authenticate": 'Bearer realm="api"' };

/** `sub` may be a number or a digit string; anything else is not a user. */
function userIdFromSubject(subject: unknown): number | undefined {
  const value = typeof subject === "string" && /^\d{1,15}$/.test(subject) ? Number(subject) : subject;
  return typeof value === "number" && Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

/** The HMAC key, imported once per secret rather than on every request. */
const keys = new Map<string, Promise<CryptoKey>>();
function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "verify",
    ]);
    keys.set(secret, key);
  }
  return key;
}

/** What a token says: who calls, or why it is refused (the 401's detail). */
export type TokenCheck = { principal: Principal } | { refused: string };

const EXPIRED = "Token has expired.";
const NOT_VALID = "Given token not valid: bad signature, no 'exp', or no user id in 'sub'.";

export async function checkToken(token: string, secret: string, nowSeconds: number): Promise<TokenCheck> {
  let payload: Record<string, unknown>;
  try {
    // verify() checks the HS256 signature and the nbf / iat claims. Expiry is
    // checked below, once the signature is known good: hono checks `exp`
    // first, which would call a forged token merely expired.
    payload = (await verify(token, await hmacKey(secret), { alg: "HS256", exp: false })) as Record<string, unknown>;
  } catch {
    return { refused: NOT_VALID };
  }
  // A token without an expiry would be valid forever; the issuers always set one.
  if (typeof payload.exp !== "number" || !Number.isFinite(payload.exp)) return { refused: NOT_VALID };
  if (payload.exp <= nowSeconds) return { refused: EXPIRED };
  const userId = userIdFromSubject(payload.sub);
  return userId === undefined ? { refused: NOT_VALID } : { principal: { userId, isStaff: payload.is_staff === true } };
}

/** Requires `Authorization: Bearer <JWT>`; sets the request's principal. */
export const requireUser = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header("Authorization");
  if (!header) return detail(c, 401, "Authentication credentials were not provided.", CHALLENGE);
  const token = BEARER.exec(header)?.[1];
  if (!token) return detail(c, 401, "Authorization header must be 'Bearer <token>'.", CHALLENGE);
  const check = await checkToken(token, c.var.config.jwtSecret, Math.floor(Date.now() / 1000));
  if ("refused" in check) return detail(c, 401, check.refused, CHALLENGE);
  c.set("principal", check.principal);
  await next();
});

/** Staff only (admin and internal callers): `is_staff: true` in the token. */
export const requireStaff = createMiddleware<AppEnv>(async (c, next) => {
  if (!c.var.principal?.isStaff) return detail(c, 403, "You do not have permission to perform this action.");
  await next();
});

/**
 * The live channel's callers: a bearer token (native clients), or, for
 * browsers, which cannot set headers on a WebSocket, `?ticket=` from POST
 * live/ticket/. A ticket names its user; the user's channel checks it is one
 * it issued, unused and fresh, before anything is opened.
 */
export const requireUserOrTicket = createMiddleware<AppEnv>(async (c, next) => {
  const ticket = c.req.query("ticket");
  if (ticket === undefined || c.req.header("Authorization")) return requireUser(c, next);
  const match = /^(\d{1,15})\.([0-9a-f]{36})$/.exec(ticket);
  const userId = match ? Number(match[1]) : 0;
  if (!match || !Number.isSafeInteger(userId) || userId <= 0)
    return detail(c, 401, "Invalid or expired ticket.", CHALLENGE);
  c.set("principal", { userId, isStaff: false });
  c.set("ticket", match[2]!);
  await next();
});
