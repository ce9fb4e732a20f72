/**
 * Enrollment against a small real HTTP server on 127.0.0.1 that answers from a script. Waits
 * between polls go through an injected sleep, so the 5 s slow-down step is checked without
 * taking 5 s.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { enrollWithDeviceCode, enrollWithToken, type Sleep } from "../../../../agent/enrollment/enroll.js";
import {
  EnrollmentClient,
  EnrollmentRefusedError,
  EnrollmentUnavailableError,
} from "../../../../agent/enrollment/enrollment-client.js";

type Reply = { status: number; body: unknown; headers?: Record<string, string> } | "close";
interface Received {
  path: string;
  body: Record<string, unknown>;
}

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/** Answers each path from its own queue of replies; an empty queue answers 500. */
async function scriptedServer(
  script: Record<string, Reply[]>,
): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  server = createServer((req, res) => {
    let raw = "";
    req.on("data", (chunk: Buffer) => {
      raw += chunk.toString("utf8");
    });
    req.on("end", () => {
      const path = req.url ?? "";
      received.push({ path, body: JSON.parse(raw || "{}") as Record<string, unknown> });
      const reply = script[path]?.shift() ?? {
        status: 500,
        body: { error: { code: "internal", message: "" } },
      };
      if (reply === "close") {
        req.socket.destroy();
        return;
      }
      res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
      res.end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

const DEVICE = { serial: "S1", model: "Portal", agentVersion: "1.0.0" };
const GRANT = {
  deviceId: "dev_1",
  secret: "pds_x",
  mqttUrl: "mqtt://h:1883",
  mqttUrls: ["mqtt://h:1883", "mqtt://h2:1883"],
  name: "Portal 0001",
  signingKeys: {
    version: 1,
    keys: [{ keyId: "ed25519:0123456789abcdef", publicKey: Buffer.alloc(32, 7).toString("base64") }],
  },
};
const CODES = "/api/v1/enrollment/device-codes";
const POLL = "/api/v1/enrollment/device-codes/poll";
const ENROLL = "/api/v1/enrollment/enroll";

const error = (status: number, code: string): Reply => ({
  status,
  body: { error: { code, message: `${code}!` } },
});
const pending: Reply = { status: 200, body: { status: "pending" } };
const approved: Reply = { status: 200, body: { status: "approved", ...GRANT } };
const code = (n: number): Reply => ({
  status: 201,
  body: { deviceCode: `pdc_${n}`, userCode: `BCDF-GHJ${n}`, expiresInSeconds: 600, intervalSeconds: 2 },
});

/** Records each wait instead of waiting. */
function recordingSleep(): { sleep: Sleep; waitsMs: number[] } {
  const waitsMs: number[] = [];
  return {
    waitsMs,
    sleep: async (ms) => {
      waitsMs.push(ms);
    },
  };
}

describe("enrollment by token", () => {
  it("sends the token and the device, and returns the credential", async () => {
    const s = await scriptedServer({ [ENROLL]: [{ status: 201, body: GRANT }] });
    const grant = await new EnrollmentClient(s.url).enrollWithToken("pet_1", DEVICE);
    expect(grant).toEqual(GRANT);
    expect(s.received).toEqual([{ path: ENROLL, body: { token: "pet_1", ...DEVICE } }]);
  });

  it("does not take an answer without usable signing keys (there would be nothing to pin)", async () => {
    const shortKey = { keyId: "ed25519:x", publicKey: Buffer.alloc(31).toString("base64") };
    const unusable = [undefined, { version: 1, keys: [] }, { version: 1, keys: [shortKey] }];
    const s = await scriptedServer({
      [ENROLL]: unusable.map((signingKeys) => ({ status: 201, body: { ...GRANT, signingKeys } })),
    });
    const client = new EnrollmentClient(s.url);
    for (const _ of unusable) {
      await expect(client.enrollWithToken("pet_1", DEVICE)).rejects.toBeInstanceOf(
        EnrollmentUnavailableError,
      );
    }
  });

  it("takes mqttUrl as the only broker URL from a server that sends no mqttUrls", async () => {
    const { mqttUrls: _, ...fromOlderServer } = GRANT;
    const s = await scriptedServer({ [ENROLL]: [{ status: 201, body: fromOlderServer }] });
    const grant = await new EnrollmentClient(s.url).enrollWithToken("pet_1", DEVICE);
    expect(grant.mqttUrls).toEqual(["mqtt://h:1883"]);
  });

  it("does not take an answer whose broker URLs are not broker URLs", async () => {
    const bad = [
      { mqttUrls: [] },
      { mqttUrls: ["http://h:1883"] },
      { mqttUrls: "mqtt://h:1883" },
      { mqttUrls: ["mqtt://h:1883", "mqtt://h:1883"] },
      { mqttUrl: "file:///etc/passwd", mqttUrls: undefined },
    ];
    const s = await scriptedServer({
      [ENROLL]: bad.map((fields) => ({ status: 201, body: { ...GRANT, ...fields } })),
    });
    const client = new EnrollmentClient(s.url);
    for (const _ of bad) {
      await expect(client.enrollWithToken("pet_1", DEVICE)).rejects.toThrow(/no valid 'mqttUrls'/);
    }
  });

  it("turns an error body into EnrollmentRefusedError with the server's code", async () => {
    const s = await scriptedServer({ [ENROLL]: [error(401, "invalid_enrollment_token")] });
    const attempt = new EnrollmentClient(s.url).enrollWithToken("pet_1", DEVICE);
    await expect(attempt).rejects.toBeInstanceOf(EnrollmentRefusedError);
    await expect(attempt).rejects.toMatchObject({
      code: "invalid_enrollment_token",
      message: "invalid_enrollment_token!",
      httpStatus: 401,
    });
  });

  it("retries, with growing waits, while the server fails or cannot be reached", async () => {
    const s = await scriptedServer({
      [ENROLL]: [error(503, "unavailable"), "close", { status: 201, body: GRANT }],
    });
    const { sleep, waitsMs } = recordingSleep();
    const grant = await enrollWithToken(new EnrollmentClient(s.url), "pet_1", DEVICE, { sleep });
    expect(grant.deviceId).toBe("dev_1");
    expect(waitsMs).toEqual([1000, 2000]);
  });

  it("waits as long as a rate-limited answer's Retry-After says, when that is longer", async () => {
    const limited: Reply = {
      ...(error(429, "rate_limited") as { status: number; body: unknown }),
      headers: { "retry-after": "37" },
    };
    const s = await scriptedServer({
      [ENROLL]: [limited, error(503, "unavailable"), { status: 201, body: GRANT }],
    });
    const { sleep, waitsMs } = recordingSleep();
    await enrollWithToken(new EnrollmentClient(s.url), "pet_1", DEVICE, { sleep });
    expect(waitsMs).toEqual([37_000, 2000]);
  });

  it("does not retry a refusal", async () => {
    const s = await scriptedServer({ [ENROLL]: [error(403, "device_deactivated")] });
    const { sleep, waitsMs } = recordingSleep();
    await expect(enrollWithToken(new EnrollmentClient(s.url), "t", DEVICE, { sleep })).rejects.toMatchObject({
      code: "device_deactivated",
    });
    expect(waitsMs).toEqual([]);
  });

  it("reports an answer that is not the API's as unavailable, not as a refusal", async () => {
    const s = await scriptedServer({ [ENROLL]: [{ status: 201, body: { deviceId: 7 } }] });
    await expect(new EnrollmentClient(s.url).enrollWithToken("t", DEVICE)).rejects.toBeInstanceOf(
      EnrollmentUnavailableError,
    );
  });
});

describe("enrollment by device code", () => {
  it("shows the code, polls every interval while pending, and returns the credential once approved", async () => {
    const s = await scriptedServer({ [CODES]: [code(1)], [POLL]: [pending, pending, approved] });
    const { sleep, waitsMs } = recordingSleep();
    const shown: string[] = [];
    const grant = await enrollWithDeviceCode(
      new EnrollmentClient(s.url),
      DEVICE,
      (g) => shown.push(g.userCode),
      {
        sleep,
      },
    );
    expect(grant).toEqual(GRANT);
    expect(shown).toEqual(["BCDF-GHJ1"]);
    expect(waitsMs).toEqual([2000, 2000, 2000]);
    expect(s.received.map((r) => r.body)).toEqual([
      DEVICE,
      { deviceCode: "pdc_1" },
      { deviceCode: "pdc_1" },
      { deviceCode: "pdc_1" },
    ]);
  });

  it("adds 5 s to the interval on each slow_down (RFC 8628 §3.5)", async () => {
    const s = await scriptedServer({
      [CODES]: [code(1)],
      [POLL]: [error(429, "slow_down"), pending, error(429, "slow_down"), approved],
    });
    const { sleep, waitsMs } = recordingSleep();
    await enrollWithDeviceCode(new EnrollmentClient(s.url), DEVICE, () => {}, { sleep });
    expect(waitsMs).toEqual([2000, 7000, 7000, 12_000]);
  });

  it("keeps polling the same code after a rate-limited poll, waiting as told", async () => {
    const limited: Reply = {
      ...(error(429, "rate_limited") as { status: number; body: unknown }),
      headers: { "retry-after": "30" },
    };
    const s = await scriptedServer({ [CODES]: [code(1)], [POLL]: [limited, approved] });
    const { sleep, waitsMs } = recordingSleep();
    const grant = await enrollWithDeviceCode(new EnrollmentClient(s.url), DEVICE, () => {}, { sleep });
    expect(grant.deviceId).toBe("dev_1");
    // The interval, then the rest of the 30 s asked for, then the interval before the next poll.
    expect(waitsMs).toEqual([2000, 28_000, 2000]);
    expect(s.received.filter((r) => r.path === CODES)).toHaveLength(1);
  });

  it("asks for and shows a new code when the old one expired", async () => {
    const s = await scriptedServer({
      [CODES]: [code(1), code(2)],
      [POLL]: [error(410, "device_code_expired"), approved],
    });
    const shown: string[] = [];
    const { sleep } = recordingSleep();
    await enrollWithDeviceCode(new EnrollmentClient(s.url), DEVICE, (g) => shown.push(g.deviceCode), {
      sleep,
    });
    expect(shown).toEqual(["pdc_1", "pdc_2"]);
  });

  it("asks for a new code once the code's lifetime has passed on the device's clock", async () => {
    const s = await scriptedServer({ [CODES]: [code(1), code(2)], [POLL]: [pending, approved] });
    let nowMs = 0;
    const shown: string[] = [];
    const sleep: Sleep = async (ms) => {
      nowMs += ms * 200; // each wait lasts long enough that one poll uses up the 600 s
    };
    await enrollWithDeviceCode(new EnrollmentClient(s.url), DEVICE, (g) => shown.push(g.deviceCode), {
      sleep,
      now: () => nowMs,
    });
    expect(shown).toEqual(["pdc_1", "pdc_2"]);
  });

  it("keeps polling through a server outage", async () => {
    const s = await scriptedServer({
      [CODES]: [code(1)],
      [POLL]: [error(502, "bad_gateway"), "close", approved],
    });
    const { sleep } = recordingSleep();
    const grant = await enrollWithDeviceCode(new EnrollmentClient(s.url), DEVICE, () => {}, { sleep });
    expect(grant.deviceId).toBe("dev_1");
  });

  it("stops for good when the server refuses the device", async () => {
    const s = await scriptedServer({
      [CODES]: [code(1)],
      [POLL]: [pending, error(403, "device_deactivated")],
    });
    const { sleep } = recordingSleep();
    const attempt = enrollWithDeviceCode(new EnrollmentClient(s.url), DEVICE, () => {}, { sleep });
    await expect(attempt).rejects.toBeInstanceOf(EnrollmentRefusedError);
    await expect(attempt).rejects.toMatchObject({ code: "device_deactivated", httpStatus: 403 });
  });

  it("is refused before any code is shown for a deactivated serial", async () => {
    const s = await scriptedServer({ [CODES]: [error(403, "device_deactivated")] });
    const shown: string[] = [];
    await expect(
      enrollWithDeviceCode(new EnrollmentClient(s.url), DEVICE, (g) => shown.push(g.userCode)),
    ).rejects.toMatchObject({ code: "device_deactivated" });
    expect(shown).toEqual([]);
  });

  it("ends with the abort reason when the agent stops while waiting", async () => {
    const s = await scriptedServer({ [CODES]: [code(1)] });
    const abort = new AbortController();
    const attempt = enrollWithDeviceCode(
      new EnrollmentClient(s.url),
      DEVICE,
      () => abort.abort(new Error("stop")),
      {
        signal: abort.signal,
      },
    );
    await expect(attempt).rejects.toThrow("stop");
  });
});
