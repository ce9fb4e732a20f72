/**
 * Fuzzed requests across every route of the API, with a system admin's token: random and
 * mutated JSON bodies (wrong types, huge numbers, deep nesting, `__proto__` and `constructor`
 * keys), invalid UTF-8, wrong content types, odd path parameters and query strings. No answer
 * is ever a 500, every error has the catalogue's shape `{error: {code, message}}`, and the
 * server keeps serving. `PMDM_HTTP_FUZZ_RUNS` sets the number of requests (default 2000).
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

const RUNS = Number(process.env.PMDM_HTTP_FUZZ_RUNS ?? 2000);
const SEED = Number(process.env.PMDM_HTTP_FUZZ_SEED ?? 20261123);

let t: TestServer;

interface Route {
  method: string;
  /** OpenAPI form: `/api/v1/devices/{id}`. */
  path: string;
}

let routes: Route[] = [];
/** Ids that exist, so that some requests reach past the lookup. */
const knownIds: string[] = [];

/** A valid body per route (method and path), the seed that mutations start from. */
const VALID_BODIES: Record<string, unknown> = {
  "POST /api/v1/devices/{id}/commands": { type: "rename", name: "Lobby", ttlSeconds: 600 },
  "POST /api/v1/batches": { target: { deviceIds: [] }, command: { type: "lock" } },
  "PUT /api/v1/settings/time": { timezone: "Europe/Paris", ntpServer: "pool.ntp.org:123" },
  "PUT /api/v1/settings/clock-drift": { thresholdMs: 1500 },
  "POST /api/v1/enrollment-tokens": { maxUses: 3, expiresInSeconds: 600 },
  "POST /api/v1/enrollment/claims": { code: "ABCD-EFGH" },
  "POST /api/v1/enrollment/enroll": { token: "pet_x", serial: "S1", model: "Portal", agentVersion: "1.0.0" },
  "POST /api/v1/enrollment/device-codes": { serial: "S2", model: "Portal", agentVersion: "1.0.0" },
  "POST /api/v1/enrollment/device-codes/poll": { deviceCode: "pdc_x" },
  "POST /api/v1/auth/login": { email: "nobody@example.test", password: "not the password" },
  "POST /api/v1/auth/password": { currentPassword: "not the password", newPassword: "a long new password" },
  "POST /api/v1/admins": { email: "fuzz@example.test", name: "Fuzz", roleId: "system_admin" },
  "PATCH /api/v1/admins/{id}": { name: "Renamed" },
  "POST /api/v1/admins/{id}/password": { password: "temporary pass 1" },
  "POST /api/v1/roles": { name: "fuzzed", rights: ["devices:read"] },
  "PATCH /api/v1/roles/{id}": { rights: [] },
  "POST /api/v1/tokens": { name: "fuzzed", rights: [], ttlDays: 1 },
};

const QUERY_KEYS = [
  "limit",
  "cursor",
  "sort",
  "order",
  "online",
  "status",
  "model",
  "q",
  "locked",
  "clockDrift",
  "actor",
  "action",
  "target",
  "outcome",
  "since",
  "until",
];

// ---- generators -----------------------------------------------------------------------------

const hugeNumber = fc.constantFrom(
  "1e400",
  "-1e400",
  "9007199254740993",
  "-9007199254740993",
  "1e308",
  "0.0000000000000000000001",
  "-0",
  "123456789012345678901234567890",
);

/** JSON text with a value that JSON.stringify cannot produce, spliced in as text. */
const oddJsonText = fc.oneof(
  hugeNumber.map((n) => `{"maxUses":${n},"expiresInSeconds":${n},"thresholdMs":${n},"limit":${n}}`),
  fc.integer({ min: 100, max: 20_000 }).map((depth) => `${"[".repeat(depth)}${"]".repeat(depth)}`),
  fc.integer({ min: 100, max: 20_000 }).map((depth) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`),
  fc.constantFrom(
    '{"__proto__":{"admin":true},"type":"lock"}',
    '{"constructor":{"prototype":{"polluted":true}},"name":"x"}',
    '{"type":"lock","__proto__":null}',
    '{"rights":["__proto__"],"name":"constructor"}',
    '{"target":{"deviceIds":{"__proto__":[]}},"command":{"type":"lock"}}',
    '{"a":1,"a":2}',
    "null",
    "[]",
    '""',
    "0",
    "true",
    "{",
    '{"name":"\\ud800"}',
    '{"name":"\\u0000"}',
    "",
  ),
);

/** Replaces, removes or adds fields of a valid body with arbitrary JSON. */
function mutated(valid: unknown): fc.Arbitrary<unknown> {
  const keys = typeof valid === "object" && valid !== null ? Object.keys(valid) : [];
  if (keys.length === 0) return fc.jsonValue({ maxDepth: 3 });
  return fc
    .record({
      replace: fc.dictionary(fc.constantFrom(...keys), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 3 }),
      remove: fc.subarray(keys),
      add: fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 2 }),
    })
    .map(({ replace, remove, add }) => {
      const body: Record<string, unknown> = { ...(valid as Record<string, unknown>), ...add, ...replace };
      for (const key of remove) delete body[key];
      return body;
    });
}

interface Body {
  bytes: Uint8Array | null;
  contentType: string | null;
}

const textBody = (text: string): Uint8Array => new TextEncoder().encode(text);

function bodyFor(route: Route): fc.Arbitrary<Body> {
  const valid = VALID_BODIES[`${route.method} ${route.path}`];
  const json = (contentType: fc.Arbitrary<string | null>) => (text: fc.Arbitrary<string>) =>
    fc.record({ bytes: text.map(textBody), contentType });
  const jsonType = fc.constantFrom("application/json", "application/json; charset=utf-8");
  return fc.oneof(
    { weight: 4, arbitrary: json(jsonType)(mutated(valid ?? {}).map((b) => JSON.stringify(b))) },
    { weight: 2, arbitrary: json(jsonType)(fc.jsonValue({ maxDepth: 4 }).map((b) => JSON.stringify(b))) },
    { weight: 2, arbitrary: json(jsonType)(oddJsonText) },
    {
      weight: 1,
      // Invalid UTF-8: lone continuation bytes, overlong forms, a truncated sequence.
      arbitrary: fc.record({
        bytes: fc
          .uint8Array({ minLength: 1, maxLength: 64 })
          .map(
            (raw) =>
              new Uint8Array([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0xff, ...raw, 0x22, 0x7d]),
          ),
        contentType: jsonType,
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        bytes: fc.option(
          fc
            .constantFrom(valid ?? {}, "a=1&b=2", "<xml/>")
            .map((b) => textBody(typeof b === "string" ? b : JSON.stringify(b))),
          { nil: null },
        ),
        contentType: fc.constantFrom(
          null,
          "text/plain",
          "application/x-www-form-urlencoded",
          "multipart/form-data; boundary=x",
          "application/xml",
          "application/json; charset=latin1",
          "application/jsonx",
          "",
        ),
      }),
    },
  );
}

/** Built once the ids exist. */
const pathParam = () =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...knownIds) },
    { weight: 3, arbitrary: fc.string({ minLength: 1, maxLength: 40 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom("..", "%", "%00", "system_admin", "0", "-1", "x".repeat(5000), "🙂", "a/b"),
    },
  );

const queryString = fc
  .array(
    fc.tuple(
      fc.oneof(fc.constantFrom(...QUERY_KEYS), fc.string({ maxLength: 8 })),
      fc.oneof(
        fc.string({ maxLength: 30 }),
        hugeNumber,
        fc.constantFrom("true", "false", "-1", "0", "", "asc", "desc", "name", "2026-13-45", "null"),
      ),
    ),
    { maxLength: 4 },
  )
  .map((pairs) => (pairs.length ? `?${new URLSearchParams(pairs).toString()}` : ""));

// ---- the run --------------------------------------------------------------------------------

async function send(route: Route, param: string, query: string, body: Body) {
  const path = route.path.replace(/\{[^}]+\}/g, () => encodeURIComponent(param));
  const headers: Record<string, string> = { authorization: `Bearer ${t.api.token}` };
  if (body.contentType !== null) headers["content-type"] = body.contentType;
  const withBody = route.method !== "GET" && route.method !== "DELETE" ? body.bytes : null;
  const response = await fetch(`${t.server.httpUrl}${path}${query}`, {
    method: route.method,
    headers,
    body: withBody ?? undefined,
  });
  const text = await response.text();
  return { status: response.status, text };
}

beforeAll(async () => {
  t = await startTestServer();
  const doc = await t.api.request<{ paths: Record<string, Record<string, unknown>> }>(
    "GET",
    "/api/openapi.json",
  );
  routes = Object.entries(doc.body.paths)
    .filter(([path]) => path.startsWith("/api/v1/"))
    .flatMap(([path, methods]) =>
      Object.keys(methods)
        .filter((m) => m !== "head")
        .map((m) => ({ method: m.toUpperCase(), path })),
    );
  const token = await t.api.post<{ token: string }>("/enrollment-tokens", {
    maxUses: 2,
    expiresInSeconds: 600,
  });
  for (const serial of ["FUZZ-1", "FUZZ-2"]) {
    const enrolled = await t.api.post<{ deviceId: string }>("/enrollment/enroll", {
      token: token.body.token,
      serial,
      model: "Portal",
      agentVersion: "1.0.0",
    });
    knownIds.push(enrolled.body.deviceId);
  }
  const command = await t.api.post<{ id: string }>(`/devices/${knownIds[0]}/commands`, { type: "lock" });
  const batch = await t.api.post<{ id: string }>("/batches", {
    target: { deviceIds: [knownIds[1]] },
    command: { type: "lock" },
  });
  const role = await t.api.post<{ id: string }>("/roles", { name: "fuzz target", rights: [] });
  const admin = await t.api.post<{ id: string }>("/admins", {
    email: "target@example.test",
    name: "Target",
    roleId: role.body.id,
  });
  // Not the token the run uses: revoking that one would only turn the rest into 401s.
  const other = await t.api.post<{ id: string }>("/tokens", { name: "fuzz target", rights: [] });
  knownIds.push(command.body.id, batch.body.id, role.body.id, admin.body.id, other.body.id);
});
afterAll(async () => t.cleanup());

describe("fuzzed HTTP requests", () => {
  it(`${RUNS} requests across every route: never a 500, always the error catalogue's shape`, async () => {
    expect(routes.length).toBeGreaterThanOrEqual(40);
    const request = fc
      .constantFrom(...routes)
      .chain((route) => fc.tuple(fc.constant(route), pathParam(), queryString, bodyFor(route)));
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(request, async ([route, param, query, body]) => {
        const { status, text } = await send(route, param, query, body);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        expect(status, `${route.method} ${route.path} → ${text.slice(0, 300)}`).toBeLessThan(500);
        if (status >= 400) {
          const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
          expect(typeof parsed.error?.code, text.slice(0, 300)).toBe("string");
          expect(typeof parsed.error?.message, text.slice(0, 300)).toBe("string");
        }
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    // Some requests got through validation and did something, or the run proved little.
    expect([...statuses.keys()].some((s) => s < 300)).toBe(true);
    expect((await t.api.get("/devices")).status).toBe(200);
    expect((await t.api.request("GET", "/healthz")).status).toBe(200);
    // Nothing leaked onto Object.prototype.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  }, 300_000);
});
