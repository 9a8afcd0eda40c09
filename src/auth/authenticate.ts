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

export async function principalFromToken(token: string, secret: string): Promise<Principal | undefined> {
  let payload: Record<string, unknown>;
  try {
    // verify() checks the HS256 signature and the exp / nbf / iat claims.
    payload = (await verify(token, await hmacKey(secret), "HS256")) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  // A token without an expiry would be valid forever; the issuers always set one.
  if (typeof payload.exp !== "number") return undefined;
  const userId = userIdFromSubject(payload.sub);
  return userId === undefined ? undefined : { userId, isStaff: payload.is_staff === true };
}

/** Requires `Authorization: Bearer <JWT>`; sets the request's principal. */
export const requireUser = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header("Authorization");
  if (!header) return detail(c, 401, "Authentication credentials were not provided.", CHALLENGE);
  const token = BEARER.exec(header)?.[1];
  if (!token) return detail(c, 401, "Authorization header must be 'Bearer <token>'.", CHALLENGE);
  const principal = await principalFromToken(token, c.var.config.jwtSecret);
  if (!principal)
    return detail(
      c,
      401,
      "Given token not valid: bad signature, expired, no 'exp', or no user id in 'sub'.",
      CHALLENGE,
    );
  c.set("principal", principal);
  await next();
});

/** Staff only (admin and internal callers): `is_staff: true` in the token. */
export const requireStaff = createMiddleware<AppEnv>(async (c, next) => {
  if (!c.var.principal?.isStaff) return detail(c, 403, "You do not have permission to perform this action.");
  await next();
});
