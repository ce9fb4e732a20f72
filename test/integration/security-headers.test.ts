/**
 * Security headers on every kind of answer: the console page (and a deep link), a hashed asset,
 * API JSON, error JSON (401, 404, a malformed URL the router refuses before any hook), the docs
 * page and its files, /healthz and the OpenAPI document. The console's policy is as strict as
 * it can be; the docs page has its own. HSTS only with TLS (certificates made with openssl).
 */
import { readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent, fetch as undiciFetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONSOLE_DIST } from "../../server/console/paths.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";
import { makeTestCertificates } from "../helpers/tls-certs.js";

type Headers = Record<string, string | undefined>;

const asset = readdirSync(join(CONSOLE_DIST, "assets")).find((name) => name.endsWith(".js"));

/** Every kind of answer the server gives: [what, path, bearer token?, expected status]. */
function answers(token: string): [string, string, string | null, number][] {
  return [
    ["console page", "/", null, 200],
    ["console deep link", "/devices/dev_123", null, 200],
    ["console asset", `/assets/${asset}`, null, 200],
    ["missing asset", "/assets/missing-0000.js", null, 404],
    ["API JSON", "/api/v1/devices", token, 200],
    ["error JSON (401)", "/api/v1/devices", null, 401],
    ["error JSON (404)", "/api/v1/no-such-route", token, 404],
    ["docs page", "/api/docs", null, 200],
    ["docs file", "/api/docs/static/swagger-ui.css", null, 200],
    ["docs JSON", "/api/docs/json", null, 200],
    ["OpenAPI document", "/api/openapi.json", null, 200],
    ["health", "/healthz", null, 200],
  ];
}

/** GET with node:http, which sends a path as it is (fetch would normalize a malformed one). */
function rawGet(baseUrl: string, path: string): Promise<{ status: number; headers: Headers }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port, path, method: "GET" }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers as Headers }));
    });
    req.on("error", reject);
    req.end();
  });
}

function directives(csp: string | undefined): Map<string, string[]> {
  const byName = new Map<string, string[]>();
  for (const part of (csp ?? "").split(";")) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) byName.set(name, values);
  }
  return byName;
}

function expectCommonHeaders(headers: Headers, what: string): void {
  expect(headers["content-security-policy"], what).toMatch(/frame-ancestors 'none'/);
  expect(headers["x-content-type-options"], what).toBe("nosniff");
  expect(headers["referrer-policy"], what).toBe("same-origin");
  expect(headers["x-frame-options"], what).toBe("DENY");
}

describe("security headers without TLS", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  it("are on every kind of answer, and HSTS is not", async () => {
    for (const [what, path, token, status] of answers(t.api.token!)) {
      const res = await fetch(`${t.server.httpUrl}${path}`, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
      await res.arrayBuffer();
      expect(res.status, what).toBe(status);
      const headers = Object.fromEntries(res.headers);
      expectCommonHeaders(headers, what);
      expect(headers["strict-transport-security"], what).toBeUndefined();
    }
  });

  it("are on the router's own refusal of a malformed URL", async () => {
    const res = await rawGet(t.server.httpUrl, "/api/v1/devices/%zz");
    expect(res.status).toBe(400);
    expectCommonHeaders(res.headers, "malformed URL");
    expect(res.headers["content-security-policy"]).toMatch(/default-src 'none'/);
  });

  it("give the console a policy with no inline script or style and the events WebSocket of its host", async () => {
    const res = await fetch(`${t.server.httpUrl}/`);
    const policy = directives(res.headers.get("content-security-policy") ?? undefined);
    const host = new URL(t.server.httpUrl).host;
    expect(policy.get("default-src")).toEqual(["'none'"]);
    expect(policy.get("script-src")).toEqual(["'self'"]);
    expect(policy.get("script-src-attr")).toEqual(["'none'"]);
    expect(policy.get("style-src")).toEqual(["'self'"]);
    expect(policy.get("img-src")).toEqual(["'self'", "data:"]);
    expect(policy.get("connect-src")).toEqual(["'self'", `ws://${host}`]);
    expect(policy.get("base-uri")).toEqual(["'none'"]);
    expect(policy.get("frame-ancestors")).toEqual(["'none'"]);
    // Over plain HTTP, upgrading requests to https would break them all.
    expect(policy.has("upgrade-insecure-requests")).toBe(false);
  });

  it("name no WebSocket host from a Host header that does not look like one", async () => {
    const res = await new Promise<Headers>((resolve, reject) => {
      const { hostname, port } = new URL(t.server.httpUrl);
      const req = httpRequest(
        { hostname, port, path: "/", headers: { host: "evil.test; script-src *" } },
        (answer) => {
          answer.resume();
          answer.on("end", () => resolve(answer.headers as Headers));
        },
      );
      req.on("error", reject);
      req.end();
    });
    expect(directives(res["content-security-policy"]).get("connect-src")).toEqual(["'self'"]);
    expect(directives(res["content-security-policy"]).get("script-src")).toEqual(["'self'"]);
  });

  it("give the docs page its own policy: swagger-ui's logo style by hash, no unsafe-inline", async () => {
    const res = await fetch(`${t.server.httpUrl}/api/docs`);
    const policy = directives(res.headers.get("content-security-policy") ?? undefined);
    expect(policy.get("script-src")).toEqual(["'self'"]);
    expect(policy.get("style-src")).toEqual(["'self'", expect.stringMatching(/^'sha256-[A-Za-z0-9+/]+=*'$/)]);
    expect(policy.get("connect-src")).toEqual(["'self'"]);
    expect(policy.get("frame-ancestors")).toEqual(["'none'"]);
    expect(res.headers.get("content-security-policy")).not.toContain("unsafe");
  });
});

describe("security headers with TLS", () => {
  let certDir = "";
  let t: TestServer;
  let trusting: Agent;
  beforeAll(async () => {
    certDir = await mkdtemp(join(tmpdir(), "pmdm-headers-tls-"));
    const certs = await makeTestCertificates(certDir);
    trusting = new Agent({ connect: { ca: certs.ca } });
    t = await startTestServer({ tlsCertFile: certs.certFile, tlsKeyFile: certs.keyFile, mqttTlsPort: 0 });
  });
  afterAll(async () => {
    await t?.cleanup();
    await trusting?.close();
    if (certDir) await rm(certDir, { recursive: true, force: true });
  });

  it("add HSTS to every kind of answer, and upgrade-insecure-requests and wss: to the policies", async () => {
    for (const [what, path, token, status] of answers(t.api.token!)) {
      const res = await undiciFetch(`${t.server.httpUrl}${path}`, {
        dispatcher: trusting,
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
      await res.arrayBuffer();
      expect(res.status, what).toBe(status);
      const headers = Object.fromEntries(res.headers);
      expectCommonHeaders(headers, what);
      expect(headers["strict-transport-security"], what).toBe("max-age=31536000");
      expect(directives(headers["content-security-policy"]).has("upgrade-insecure-requests"), what).toBe(
        true,
      );
    }
    const page = await undiciFetch(`${t.server.httpUrl}/`, { dispatcher: trusting });
    const host = new URL(t.server.httpUrl).host;
    expect(directives(page.headers.get("content-security-policy") ?? undefined).get("connect-src")).toEqual([
      "'self'",
      `wss://${host}`,
    ]);
  });
});
