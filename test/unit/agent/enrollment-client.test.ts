import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  EnrollmentClient,
  EnrollmentRefusedError,
  enrollWithDeviceCode,
} from "../../../agent/enrollment/enrollment-client.js";

type Reply = { status: number; body: unknown };
let server: Server | undefined;

/** A real HTTP server on 127.0.0.1 answering each poll from a script. */
async function scriptedServer(
  polls: Reply[],
): Promise<{ url: string; codes: number; pollTimesMs: number[] }> {
  const stats = { url: "", codes: 0, pollTimesMs: [] as number[] };
  server = createServer((req, res) => {
    let reply: Reply;
    if (req.url === "/api/v1/enrollment/device-codes") {
      stats.codes++;
      reply = {
        status: 201,
        body: {
          deviceCode: `dc${stats.codes}`,
          userCode: "CDFG-HJKM",
          expiresInSeconds: 600,
          intervalSeconds: 0.01,
        },
      };
    } else {
      stats.pollTimesMs.push(Date.now());
      reply = polls.shift() ?? { status: 500, body: {} };
    }
    res.writeHead(reply.status, { "content-type": "application/json" });
    res.end(JSON.stringify(reply.body));
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", () => resolve()));
  stats.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return stats;
}

afterEach(async () => {
  await new Promise((r) => server?.close(r));
  server = undefined;
});

const device = { serial: "S1", model: "Portal", agentVersion: "1.0.0" };
const error = (status: number, code: string): Reply => ({ status, body: { error: { code, message: code } } });
const approved: Reply = {
  status: 200,
  body: { status: "approved", deviceId: "dev_1", secret: "pds_x", mqttUrl: "mqtt://h:1", name: "Portal" },
};

describe("device-code enrollment", () => {
  it("polls while pending and returns the credential once approved", async () => {
    const s = await scriptedServer([{ status: 200, body: { status: "pending" } }, approved]);
    const shown: string[] = [];
    const grant = await enrollWithDeviceCode(new EnrollmentClient(s.url), device, {
      showCode: (g) => shown.push(g.userCode),
    });
    expect(grant).toEqual({ deviceId: "dev_1", secret: "pds_x", mqttUrl: "mqtt://h:1", name: "Portal" });
    expect(shown).toEqual(["CDFG-HJKM"]);
  });

  it("slows down by 5 s when told to (RFC 8628 §3.5)", async () => {
    const s = await scriptedServer([error(429, "slow_down"), approved]);
    const started = Date.now();
    await enrollWithDeviceCode(new EnrollmentClient(s.url), device, { showCode: () => {} });
    const gap = s.pollTimesMs[1]! - s.pollTimesMs[0]!;
    expect(gap).toBeGreaterThanOrEqual(5000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(5000);
  }, 15_000);

  it("asks for a new code when the old one expires", async () => {
    const s = await scriptedServer([error(410, "device_code_expired"), approved]);
    const shown: string[] = [];
    await enrollWithDeviceCode(new EnrollmentClient(s.url), device, {
      showCode: (g) => shown.push(g.deviceCode),
    });
    expect(shown).toEqual(["dc1", "dc2"]);
  });

  it("stops for good when the server refuses the device", async () => {
    const s = await scriptedServer([error(403, "device_deactivated")]);
    const attempt = enrollWithDeviceCode(new EnrollmentClient(s.url), device, { showCode: () => {} });
    await expect(attempt).rejects.toBeInstanceOf(EnrollmentRefusedError);
    await expect(attempt).rejects.toMatchObject({ code: "device_deactivated", httpStatus: 403 });
  });
});
