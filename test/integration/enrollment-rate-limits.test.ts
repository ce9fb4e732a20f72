/**
 * The public enrollment routes are limited per client address (429 with Retry-After), so one
 * address cannot flood the store; other addresses and signed-in admins are unaffected. Behind a
 * trusted reverse proxy the client is the one X-Forwarded-For names. Clients on other loopback
 * addresses (127.0.0.x) stand for other machines.
 */
import { Agent, fetch as undiciFetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEnrollmentToken, uniqueSerial } from "../helpers/devices.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

let t: TestServer;
let proxied: TestServer;
const agents: Agent[] = [];

const LIMITS = { enrollRatePerMinute: 4, deviceCodeRatePerMinute: 3, deviceCodePollRatePerMinute: 5 };

beforeAll(async () => {
  t = await startTestServer(LIMITS);
  proxied = await startTestServer({ ...LIMITS, trustProxy: "127.0.0.1" });
});
afterAll(async () => {
  await Promise.all(agents.map((a) => a.close()));
  await Promise.all([t.cleanup(), proxied.cleanup()]);
});

/** POSTs JSON from a given local address. */
function from(address: string) {
  const agent = new Agent({ localAddress: address });
  agents.push(agent);
  return async (server: TestServer, path: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await undiciFetch(`${server.server.httpUrl}/api/v1${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
      dispatcher: agent,
    });
    return {
      status: res.status,
      retryAfter: res.headers.get("retry-after"),
      body: (await res.json()) as unknown,
    };
  };
}

const device = () => ({ serial: uniqueSerial("RATE"), model: "Portal", agentVersion: "1.0.0" });

describe("device codes", () => {
  it("are limited per address, with Retry-After, and other addresses go on", async () => {
    const flooder = from("127.0.0.2");
    const statuses: number[] = [];
    let refusal: Awaited<ReturnType<typeof flooder>> | undefined;
    for (let i = 0; i < 10; i++) {
      const res = await flooder(t, "/enrollment/device-codes", device());
      statuses.push(res.status);
      if (res.status === 429) refusal ??= res;
    }
    expect(statuses.filter((s) => s === 201)).toHaveLength(LIMITS.deviceCodeRatePerMinute);
    expect(statuses.filter((s) => s === 429)).toHaveLength(10 - LIMITS.deviceCodeRatePerMinute);
    expect(Number(refusal?.retryAfter)).toBeGreaterThan(0);
    expect(Number(refusal?.retryAfter)).toBeLessThanOrEqual(60);
    expect(refusal?.body).toMatchObject({ error: { code: "rate_limited" } });
    expect((await from("127.0.0.3")(t, "/enrollment/device-codes", device())).status).toBe(201);
    // Admins are not counted with devices.
    expect((await t.api.post("/enrollment-tokens", { maxUses: 1, expiresInSeconds: 600 })).status).toBe(201);
  });

  it("polls are limited per address", async () => {
    const poller = from("127.0.0.4");
    const code = (await poller(t, "/enrollment/device-codes", device())).body as { deviceCode: string };
    const codes: string[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await poller(t, "/enrollment/device-codes/poll", { deviceCode: code.deviceCode });
      // Polling faster than the code's interval is also a 429, `slow_down` (RFC 8628).
      codes.push((res.body as { error?: { code: string } }).error?.code ?? String(res.status));
    }
    expect(codes.filter((c) => c === "rate_limited")).toHaveLength(8 - LIMITS.deviceCodePollRatePerMinute);
    expect(codes.slice(0, LIMITS.deviceCodePollRatePerMinute)).not.toContain("rate_limited");
  });
});

describe("token enrollment", () => {
  it("is limited per address whether the token is good or not", async () => {
    const client = from("127.0.0.5");
    const token = await createEnrollmentToken(t, 100);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await client(t, "/enrollment/enroll", { token: "pet_bad", ...device() })).status);
    for (let i = 0; i < 3; i++)
      statuses.push((await client(t, "/enrollment/enroll", { token, ...device() })).status);
    expect(statuses).toEqual([401, 401, 401, 201, 429, 429]);
  });
});

describe("behind a trusted proxy", () => {
  it("limits the address X-Forwarded-For names, not the proxy's", async () => {
    const proxy = from("127.0.0.1");
    const statuses = async (client: string, n: number) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        out.push(
          (await proxy(proxied, "/enrollment/device-codes", device(), { "x-forwarded-for": client })).status,
        );
      }
      return out;
    };
    expect(await statuses("198.51.100.7", 4)).toEqual([201, 201, 201, 429]);
    expect(await statuses("198.51.100.8", 1)).toEqual([201]);
  });

  it("is not trusted unless configured: the header is ignored", async () => {
    const client = from("127.0.0.6");
    const out: number[] = [];
    for (let i = 0; i < 4; i++) {
      out.push(
        (await client(t, "/enrollment/device-codes", device(), { "x-forwarded-for": `203.0.113.${i}` }))
          .status,
      );
    }
    expect(out).toEqual([201, 201, 201, 429]);
  });
});
