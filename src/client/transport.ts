import { FeedApiError } from "./errors";

/** How a client reaches the API; shared by the user client and the staff client. */
export interface TransportOptions {
  /** The service's origin (and path prefix, if any), e.g. `https://feed.example.org`. */
  readonly baseUrl: string;
  /** A fixed bearer token... */
  readonly token?: string;
  /** ...or a function asked before every request (refresh tokens there). */
  readonly getToken?: () => string | Promise<string>;
  /** Defaults to the global fetch; pass a service binding's or a test's. */
  readonly fetch?: (input: string, init?: RequestInit) => Promise<Response>;
}

export interface ApiResponse<T> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

export interface RequestOptions {
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** Answer 304 instead of throwing: the caller sent If-None-Match. */
  readonly notModified?: boolean;
  /** Let the request outlive the page (a click that navigates away). */
  readonly keepalive?: boolean;
}

export interface Transport {
  readonly baseUrl: string;
  request<T>(method: string, path: string, options?: RequestOptions): Promise<ApiResponse<T>>;
}

type QueryValue = string | number | boolean | Date | readonly string[] | undefined;

/**
 * `?a=1&b=x%2Cy` from parameters; lists comma-joined, dates as ISO. Built by
 * hand: React Native's URLSearchParams cannot set values.
 */
export function queryString(parameters: Readonly<Record<string, QueryValue>>): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(parameters)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(",") : value instanceof Date ? value.toISOString() : String(value);
    parts.push(`${encodeURIComponent(name)}=${encodeURIComponent(text)}`);
  }
  return parts.length === 0 ? "" : `?${parts.join("&")}`;
}

export function createTransport(options: TransportOptions): Transport {
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  // Called through globalThis: a detached `fetch` throws "Illegal invocation" in browsers.
  const send = options.fetch ?? ((input: string, init?: RequestInit) => globalThis.fetch(input, init));
  const bearer = async () => options.token ?? (options.getToken ? await options.getToken() : undefined);

  async function request<T>(method: string, path: string, request: RequestOptions = {}): Promise<ApiResponse<T>> {
    const token = await bearer();
    const headers: Record<string, string> = { Accept: "application/json", ...request.headers };
    if (token) headers.Authorization = `Bearer ${token}`;
    if (request.body !== undefined) headers["Content-Type"] = "application/json";
    let response: Response;
    try {
      response = await send(`${baseUrl}${path}`, {
        method,
        headers,
        ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
        ...(request.keepalive ? { keepalive: true } : {}),
      });
    } catch (error) {
      const code = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw new FeedApiError(0, `cannot reach ${baseUrl} (${code})`, { cause: error });
    }
    if (response.status === 304 && request.notModified)
      return { status: 304, body: undefined as T, headers: response.headers };
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text === "" ? undefined : JSON.parse(text);
    } catch {
      // not JSON: keep the text, so an error can show what came back
    }
    if (!response.ok) throw new FeedApiError(response.status, body);
    return { status: response.status, body: body as T, headers: response.headers };
  }

  return { baseUrl, request };
}
