/**
 * The typed client of the activity feed API (`activity-feed/client`):
 * dependency-free, for browsers, React Native, Workers and Node. Shapes come
 * from the API's own zod schemas (./types.ts); README "Typed client".
 */
export { FeedApiError } from "./errors";
export { type ActionOptions, createFeedClient, type FeedClient, type FeedClientOptions } from "./feed-client";
export type { LiveConnection, LiveHandlers, LiveOptions, LiveSocket, LiveStatus } from "./live";
export { createStaffClient, type KeyedRequest, type StaffClient } from "./staff-client";
export type { TransportOptions } from "./transport";
export type * from "./types";
