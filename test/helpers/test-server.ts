/**
 * Starts the real server (embedded aedes, a temp data dir) on 127.0.0.1 with port 0, and gives
 * tests a small API client with the bootstrap admin token. The store is the SQLite file in the
 * data dir, or with `PMDM_TEST_STORE=postgres` a PostgreSQL database of its own (see
 * `test/helpers/test-store.ts`).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadServerConfig, type ServerConfig } from "../../server/config.js";
import { createLogger, type Logger } from "../../server/logger.js";
import { type RunningServer, startServer } from "../../server/server.js";
import { databaseUrlFor, dropDatabaseOf, onPostgres } from "./test-store.js";

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
}

export class ApiClient {
  /** `fetchImpl`: e.g. undici's fetch with a dispatcher that trusts a test CA. */
  constructor(
    readonly baseUrl: string,
    readonly token: string | null,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  withToken(token: string | null): ApiClient {
    return new ApiClient(this.baseUrl, token, this.fetchImpl);
  }

  async request<T = unknown>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const response = await this.fetchImpl(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // Non-JSON bodies (the docs page) are returned as text.
    }
    return { status: response.status, body: parsed as T };
  }

  get<T = unknown>(path: string) {
    return this.request<T>("GET", `/api/v1${path}`);
  }
  post<T = unknown>(path: string, body?: unknown) {
    return this.request<T>("POST", `/api/v1${path}`, body ?? {});
  }
  put<T = unknown>(path: string, body: unknown) {
    return this.request<T>("PUT", `/api/v1${path}`, body);
  }
  patch<T = unknown>(path: string, body: unknown) {
    return this.request<T>("PATCH", `/api/v1${path}`, body);
  }
  delete<T = unknown>(path: string) {
    return this.request<T>("DELETE", `/api/v1${path}`);
  }
}

export interface TestServer {
  server: RunningServer;
  api: ApiClient;
  dataDir: string;
  config: ServerConfig;
  /** Stops the server; the data dir (and its PostgreSQL database) stays for a restart until `cleanup`. */
  stop(): Promise<void>;
  /** Stops the server and removes its data dir and its PostgreSQL database. */
  cleanup(): Promise<void>;
}

/** Per-address enrollment limits high enough that no test fleet reaches them. */
export const UNLIMITED_ENROLLMENT = {
  enrollRatePerMinute: 1_000_000,
  deviceCodeRatePerMinute: 1_000_000,
  deviceCodePollRatePerMinute: 1_000_000,
} as const;

export async function makeDataDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "pmdm-test-"));
}

/** Removes a data dir of {@link makeDataDir} with its PostgreSQL database, once no server runs on it. */
export async function removeDataDir(dir: string): Promise<void> {
  await dropDatabaseOf(dir);
  await rm(dir, { recursive: true, force: true });
}

/**
 * `clock`: the server's clock, for tests that move time forward. `logger`: the server's logger,
 * for tests that read what it logs (default: one at the configured level, on stdout).
 */
export async function startTestServer(
  overrides: Partial<Record<keyof ServerConfig, unknown>> = {},
  dataDir?: string,
  clock: () => number = Date.now,
  logger?: Logger,
): Promise<TestServer> {
  const dir = dataDir ?? (await makeDataDir());
  const config = loadServerConfig(
    {
      dataDir: dir,
      host: "127.0.0.1",
      httpPort: 0,
      mqttPort: 0,
      logLevel: process.env.PMDM_TEST_LOG_LEVEL ?? "silent",
      deviceCodePollIntervalSeconds: 0.1,
      mqttConnectTimeoutMs: 2000,
      databaseUrl: await databaseUrlFor(dir),
      // Fleets of test devices enroll from 127.0.0.1 at once; the rate-limit tests set their own.
      ...UNLIMITED_ENROLLMENT,
      ...overrides,
    },
    {},
  );
  const server = await startServer(config, logger ?? createLogger(config.logLevel), clock);
  if (onPostgres && server.store.dialect !== "postgres") {
    await server.close();
    throw new Error("PMDM_TEST_STORE=postgres, but the server opened its SQLite file");
  }
  const { readFile } = await import("node:fs/promises");
  const token = (await readFile(server.adminTokenFile, "utf8")).trim();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await server.close();
  };
  return {
    server,
    api: new ApiClient(server.httpUrl, token),
    dataDir: dir,
    config,
    stop,
    async cleanup() {
      await stop();
      await removeDataDir(dir);
    },
  };
}
