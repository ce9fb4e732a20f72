/**
 * The console's HTTP client. A signed-in admin is carried by the session cookie the server
 * sets at login; an API token (kept for this tab only) is sent as a bearer token instead.
 * Errors become ApiError with the server's stable `code`.
 */
import { ServerClock } from "./server-clock";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

const TOKEN_KEY = "pmdm.apiToken";

export class Api {
  /** Called when the server no longer knows who we are (401). */
  onUnauthorized: (() => void) | null = null;
  /** The server's time, from the Date header of every answer. */
  readonly serverClock = new ServerClock();

  get token(): string | null {
    return sessionStorage.getItem(TOKEN_KEY);
  }

  set token(value: string | null) {
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
  }

  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    options: { quiet401?: boolean } = {},
  ): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    const token = this.token;
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    let response: Response;
    const sentAtMs = Date.now();
    try {
      response = await fetch(`/api/v1${path}`, {
        method,
        headers,
        credentials: "same-origin",
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(0, "network", "The server cannot be reached. Check the connection and try again.");
    }
    this.serverClock.observeDateHeader(response.headers.get("date"), sentAtMs, Date.now());
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    if (!response.ok) {
      const error = (
        parsed as { error?: { code?: string; message?: string; details?: Record<string, unknown> } }
      )?.error;
      const err = new ApiError(
        response.status,
        error?.code ?? `http_${response.status}`,
        error?.message ?? `${method} ${path} failed with ${response.status}`,
        error?.details,
      );
      if (response.status === 401 && !options.quiet401) this.onUnauthorized?.();
      throw err;
    }
    return parsed as T;
  }

  get<T>(path: string, options?: { quiet401?: boolean }): Promise<T> {
    return this.request<T>("GET", path, undefined, options);
  }
  post<T>(path: string, body: unknown = {}, options?: { quiet401?: boolean }): Promise<T> {
    return this.request<T>("POST", path, body, options);
  }
  put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>("PUT", path, body);
  }
  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>("PATCH", path, body);
  }
  delete<T>(path: string): Promise<T> {
    return this.request<T>("DELETE", path);
  }
}

/** `?a=1&b=x` from the defined values of an object. */
export function query(params: Record<string, string | number | boolean | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === "") continue;
    search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  return err instanceof Error ? err.message : String(err);
}
