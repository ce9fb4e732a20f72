/**
 * The console and the API docs work under the server's Content-Security-Policy, in Debian's
 * Chromium: an admin signs in, the devices page shows the live event stream connected, and
 * swagger-ui renders the API and opens an operation. Every `securitypolicyviolation` event and
 * every console error is collected, and there must be none.
 */
import type { ConsoleMessage, Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { useConsoleFixture } from "../helpers/console-fixture.js";
import type { TestServer } from "../helpers/test-server.js";

const ADMIN = { email: "casey@example.com", name: "Casey Policy", password: "quiet-Harbor-lantern-7" };

/** Runs in every page before its own scripts: the violations the page's policy reports. */
const RECORD_VIOLATIONS = `
  window.__cspViolations = [];
  document.addEventListener("securitypolicyviolation", (event) => {
    window.__cspViolations.push({
      directive: event.effectiveDirective,
      blocked: event.blockedURI,
      source: event.sourceFile + ":" + event.lineNumber,
    });
  });
`;

/**
 * Chromium reports every answer of 400 or more as a console error. The console asks who is
 * signed in before anyone is (401): that is the API working, not the page failing.
 */
const EXPECTED_NETWORK_ERROR = /^Failed to load resource: the server responded with a status of 401/;

let t: TestServer;
let page: Page;
const consoleErrors: string[] = [];

const fixture = useConsoleFixture("csp");

beforeAll(async () => {
  ({ server: t, page } = await fixture.open());
  await page.addInitScript(RECORD_VIOLATIONS);
  page.on("console", (message: ConsoleMessage) => {
    if (message.type() === "error" && !EXPECTED_NETWORK_ERROR.test(message.text())) {
      consoleErrors.push(`${page.url()}: ${message.text()}`);
    }
  });
  page.on("pageerror", (err) => consoleErrors.push(`${page.url()}: ${err.message}`));
});

const url = (path: string) => `${t.server.httpUrl}${path}`;
const violations = () => page.evaluate("window.__cspViolations") as Promise<unknown[]>;

describe("the Content-Security-Policy in Chromium", () => {
  it("lets the console sign in and connect its live event stream", async () => {
    const created = await t.api.post("/admins", {
      ...ADMIN,
      roleId: "system_admin",
      mustResetPassword: false,
    });
    expect(created.status).toBe(201);
    const eventStreams: string[] = [];
    page.on("websocket", (socket) => eventStreams.push(socket.url()));

    const answer = await page.goto(url("/"));
    expect(answer?.headers()["content-security-policy"]).toContain("frame-ancestors 'none'");
    await page.getByRole("heading", { name: "Sign in to the console" }).waitFor();
    await page.getByLabel("Email").fill(ADMIN.email);
    await page.getByLabel("Password").fill(ADMIN.password);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.getByRole("heading", { name: "Devices", level: 1 }).waitFor();
    const connection = page.locator('.connection[data-state="live"]');
    await connection.waitFor();
    expect(await connection.textContent()).toContain("Live");
    expect(eventStreams.some((address) => new URL(address).pathname === "/api/v1/events")).toBe(true);

    expect(await violations()).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });

  it("lets swagger-ui render the API docs and open an operation", async () => {
    const answer = await page.goto(url("/api/docs"));
    expect(answer?.headers()["content-security-policy"]).toContain("frame-ancestors 'none'");
    await page.locator(".swagger-ui .info .title").filter({ hasText: "portal-mdm API" }).waitFor();
    const operation = page.locator(".opblock").first();
    await operation.locator(".opblock-summary").click();
    await operation.locator(".opblock-body").waitFor();
    expect(await page.locator(".opblock").count()).toBeGreaterThan(20);

    expect(await violations()).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});
