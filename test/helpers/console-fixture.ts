/**
 * What every console e2e file stands on: a test server, a system admin to sign in as, Debian's
 * Chromium with a fresh profile, and one teardown for all of it and the file's simulated
 * devices. {@link useConsoleFixture} registers the file's hooks around it: the teardown after
 * the last test, and a screenshot of the page when a test fails.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeEach, expect } from "vitest";
import type { SimulatedDevice } from "../../agent/simulated-device.js";
import type { ServerConfig } from "../../server/config.js";
import { launchBrowser, screenshotWhenFailed, signIn, type TestBrowser } from "./browser.js";
import { startTestServer, type TestServer } from "./test-server.js";

/** An admin of the system admin role, who need not choose a new password. */
export interface ConsoleAdmin {
  email: string;
  name: string;
  password: string;
}

export interface ConsoleFixtureOptions {
  /** Overrides of the test server's config. */
  config?: Partial<Record<keyof ServerConfig, unknown>>;
  /** The server's clock, for files that move time forward. */
  clock?: () => number;
  /** Created through the API before the browser starts; `signIn()` signs in as it. */
  admin?: ConsoleAdmin;
  /** Stopped abruptly at teardown; read then, so the file may add to it until the end. */
  devices?: readonly SimulatedDevice[];
  /** At teardown once the browser and devices are stopped, before the server's data dir goes. */
  beforeCleanup?: () => Promise<unknown> | undefined;
}

export interface ConsoleFixture {
  server: TestServer;
  /** The console's origin, `http://127.0.0.1:<port>`. */
  baseUrl: string;
  /** `path` on the console's origin. */
  url(path: string): string;
  /** The bootstrap admin's API token, which `server.api` sends. */
  adminToken: string;
  admin: ConsoleAdmin | undefined;
  browser: TestBrowser;
  page: Page;
  /** Signs the page in as `admin` on the sign-in page and waits for the devices page. */
  signIn(): Promise<void>;
  /** Closes the browser, stops the devices, and stops the server and removes its data. */
  teardown(): Promise<void>;
}

export async function createConsoleAdmin(t: TestServer, admin: ConsoleAdmin): Promise<void> {
  const created = await t.api.post("/admins", {
    email: admin.email,
    name: admin.name,
    roleId: "system_admin",
    password: admin.password,
    mustResetPassword: false,
  });
  expect(created.status).toBe(201);
}

/** Starts the server, creates the admin if asked, and launches the browser on its blank page. */
export async function consoleFixture(options: ConsoleFixtureOptions = {}): Promise<ConsoleFixture> {
  const server = await startTestServer(options.config, undefined, options.clock);
  let browser: TestBrowser | undefined;
  const teardown = async () => {
    try {
      await browser?.close();
      await Promise.all((options.devices ?? []).map((d) => d.stop({ abrupt: true })));
      await options.beforeCleanup?.();
    } finally {
      await server.cleanup();
    }
  };
  try {
    if (options.admin) await createConsoleAdmin(server, options.admin);
    browser = await launchBrowser();
  } catch (err) {
    await teardown();
    throw err;
  }
  const baseUrl = server.server.httpUrl;
  const { admin } = options;
  return {
    server,
    baseUrl,
    url: (path) => `${baseUrl}${path}`,
    adminToken: server.api.token!,
    admin,
    browser,
    page: browser.page,
    async signIn() {
      if (!admin) throw new Error("the console fixture has no admin to sign in as");
      await signIn(browser!.page, baseUrl, admin);
    },
    teardown,
  };
}

export interface ConsoleFixtureHooks {
  /** Inside `beforeAll`: opens the file's fixture, torn down after the file's last test. */
  open(options?: ConsoleFixtureOptions): Promise<ConsoleFixture>;
  /** The open fixture's {@link ConsoleFixture.signIn}. */
  signIn(): Promise<void>;
}

/**
 * At a file's top level: registers the teardown of the fixture that `open` opens, and a
 * screenshot `failed-<prefix>-<test>` of its page when a test fails (`failed-<test>` with an
 * empty prefix).
 */
export function useConsoleFixture(screenshotPrefix: string): ConsoleFixtureHooks {
  let fixture: ConsoleFixture | undefined;
  afterAll(() => fixture?.teardown());
  beforeEach((context) => screenshotWhenFailed(() => fixture?.browser, screenshotPrefix, context.task.name));
  return {
    async open(options) {
      fixture = await consoleFixture(options);
      return fixture;
    },
    async signIn() {
      if (!fixture) throw new Error("the console fixture is not open");
      await fixture.signIn();
    },
  };
}
