import type { ZodType } from "zod";
import { requireStaff, requireUser } from "../auth/authenticate";
import { limitBody, requireJson } from "./guards";

/**
 * The recurring parts of route definitions: who may call, what the body is,
 * what comes back. Each route then states only what is its own.
 */

export const bearerAuth = [{ bearerAuth: [] }];

/** Middleware per kind of caller; fresh arrays, as createRoute wants mutable ones. */
export const userCall = () => [requireUser];
export const userBodyCall = () => [requireUser, limitBody, requireJson];
export const staffCall = () => [requireUser, requireStaff];
export const staffBodyCall = () => [requireUser, requireStaff, limitBody, requireJson];

export const jsonBody = <S extends ZodType>(schema: S) => ({
  body: { required: true, content: { "application/json": { schema } } },
});

export const jsonResponse = <S extends ZodType>(description: string, schema: S) => ({
  description,
  content: { "application/json": { schema } },
});
