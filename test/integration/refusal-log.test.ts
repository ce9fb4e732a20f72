/**
 * Refused requests in the process log at the default level (info): a request without a
 * credential (401), a credential without the right (403), a rate-limited sign-in (429), a
 * refused MQTT CONNECT, SUBSCRIBE and PUBLISH each give one line with the reason, the source address, the route or topic and the
 * credential kind, never the secret; a flood of 1 000 refusals gives a bounded number of lines.
 * The real server, with a pino logger writing into an array.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MqttClient } from "mqtt";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadServerConfig } from "../../server/config.js";
import { DEFAULT_REFUSAL_LINES_PER_MINUTE } from "../../server/refusal-log.js";
import { type RunningServer, startServer } from "../../server/server.js";
import { closed, connectMqtt, subscribeGranted } from "../helpers/mqtt-clients.js";
import { ApiClient } from "../helpers/test-server.js";

interface LogLine {
  level: number;
  msg: string;
  refusal?: string;
  reason?: string;
  sourceAddress?: string;
  route?: string;
  topic?: string;
  credential?: string;
  clientId?: string;
  status?: number;
  code?: string;
  suppressed?: number;
}

const INFO = 30;
const rawLines: string[] = [];
const lines = (): LogLine[] => rawLines.map((line) => JSON.parse(line) as LogLine);
const refusals = (kind: string) => lines().filter((line) => line.refusal === kind);

let dataDir = "";
let server: RunningServer;
let api: ApiClient;
const opened: MqttClient[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "pmdm-refusals-"));
  const config = loadServerConfig(
    { dataDir, host: "127.0.0.1", httpPort: 0, mqttPort: 0, mqttConnectTimeoutMs: 2000 },
    {},
  );
  const logger = pino({ level: "info" }, { write: (line: string) => rawLines.push(line) });
  server = await startServer(config, logger);
  api = new ApiClient(server.httpUrl, (await readFile(server.adminTokenFile, "utf8")).trim());
});

afterAll(async () => {
  for (const client of opened) client.end(true);
  await server?.close().catch(() => undefined);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** The lines of `kind` that `act` added. */
async function linesOf(kind: string, act: () => Promise<unknown>): Promise<LogLine[]> {
  const before = refusals(kind).length;
  await act();
  return refusals(kind).slice(before);
}

async function enrolledDevice(serial: string): Promise<{ deviceId: string; secret: string }> {
  const token = await api.post<{ token: string }>("/enrollment-tokens", {
    maxUses: 1,
    expiresInSeconds: 600,
  });
  const enrolled = await api.post<{ deviceId: string; secret: string }>("/enrollment/enroll", {
    token: token.body.token,
    serial: `${serial}-${process.pid}`,
    model: "Portal",
    agentVersion: "1.0.0",
  });
  expect(enrolled.status).toBe(201);
  return enrolled.body;
}

describe("refusals in the process log", () => {
  it("logs a request without a credential (401) once, at info, with route, address and credential kind", async () => {
    const logged = await linesOf("http_unauthorized", async () => {
      expect((await api.withToken(null).get("/devices?limit=5")).status).toBe(401);
    });
    expect(logged).toEqual([
      expect.objectContaining({
        level: INFO,
        status: 401,
        code: "unauthorized",
        route: "GET /api/v1/devices",
        sourceAddress: "127.0.0.1",
        credential: "none",
        reason: expect.stringMatching(/missing credential/),
      }),
    ]);
  });

  it("logs an invalid token (401) with its kind, never the token", async () => {
    const logged = await linesOf("http_unauthorized", async () => {
      expect((await api.withToken("pat_not-a-real-token-1234").get("/devices")).status).toBe(401);
    });
    expect(logged).toEqual([expect.objectContaining({ credential: "api_token", level: INFO })]);
    expect(rawLines.join("\n")).not.toContain("not-a-real-token");
  });

  it("logs a credential without the route's right (403) once, at info", async () => {
    const created = await api.post<{ token: string }>("/tokens", {
      name: "reader",
      rights: ["devices:read"],
    });
    expect(created.status).toBe(201);
    const reader = api.withToken(created.body.token);
    const logged = await linesOf("http_forbidden", async () => {
      expect((await reader.get("/admins")).status).toBe(403);
    });
    expect(logged).toEqual([
      expect.objectContaining({
        level: INFO,
        status: 403,
        code: "forbidden",
        route: "GET /api/v1/admins",
        sourceAddress: "127.0.0.1",
        credential: "api_token",
      }),
    ]);
    expect(rawLines.join("\n")).not.toContain(created.body.token);
  });

  it("logs a refused MQTT CONNECT once, at info, without the secret", async () => {
    const device = await enrolledDevice("REFUSED-CONNECT");
    const logged = await linesOf("mqtt_connect", async () => {
      await expect(
        connectMqtt(
          `mqtt://127.0.0.1:${server.mqttPort}`,
          { clientId: device.deviceId, username: device.deviceId, password: "wrong-secret-5678" },
          opened,
        ),
      ).rejects.toThrow(/Bad username or password/);
    });
    expect(logged).toEqual([
      expect.objectContaining({
        level: INFO,
        msg: "MQTT connection refused",
        clientId: device.deviceId,
        sourceAddress: "127.0.0.1",
        credential: "device_secret",
        reason: "wrong or revoked credential",
      }),
    ]);
    expect(rawLines.join("\n")).not.toContain("wrong-secret-5678");
    expect(rawLines.join("\n")).not.toContain(device.secret);
  });

  it("logs a refused SUBSCRIBE and a refused PUBLISH once each, at info, with the topic", async () => {
    const device = await enrolledDevice("REFUSED-TOPICS");
    const client = await connectMqtt(
      `mqtt://127.0.0.1:${server.mqttPort}`,
      { clientId: device.deviceId, username: device.deviceId, password: device.secret },
      opened,
    );
    const subscribed = await linesOf("mqtt_subscribe", async () => {
      expect(await subscribeGranted(client, "pmdm/v1/d/+/cmd")).toBe(128);
    });
    expect(subscribed).toEqual([
      expect.objectContaining({
        level: INFO,
        msg: "MQTT subscription refused",
        clientId: device.deviceId,
        topic: "pmdm/v1/d/+/cmd",
        sourceAddress: "127.0.0.1",
        credential: "device_secret",
      }),
    ]);
    const published = await linesOf("mqtt_publish", async () => {
      client.publish("pmdm/v1/d/someone-else/res", "x", { qos: 0 });
      // aedes closes the connection of a refused publish.
      await closed(client);
    });
    expect(published).toEqual([
      expect.objectContaining({
        level: INFO,
        msg: "MQTT publish refused",
        clientId: device.deviceId,
        topic: "pmdm/v1/d/someone-else/res",
        sourceAddress: "127.0.0.1",
        reason: expect.stringMatching(/may not publish/),
      }),
    ]);
    expect(rawLines.join("\n")).not.toContain(device.secret);
  });

  it("logs a rate-limited sign-in (429) at info, never the password tried", async () => {
    const logged = await linesOf("http_rate_limited", async () => {
      let status = 0;
      for (let attempt = 0; attempt < 30 && status !== 429; attempt++) {
        status = (
          await api
            .withToken(null)
            .post("/auth/login", { email: "admin@localhost", password: "not-it-9876-xyz" })
        ).status;
      }
      expect(status).toBe(429);
    });
    expect(logged).toEqual([
      expect.objectContaining({
        level: INFO,
        status: 429,
        code: "too_many_attempts",
        route: "POST /api/v1/auth/login",
        sourceAddress: "127.0.0.1",
        credential: "none",
      }),
    ]);
    expect(rawLines.join("\n")).not.toContain("not-it-9876-xyz");
  });

  it("keeps 1 000 refused requests to a bounded number of lines, then one summary", async () => {
    // Each refusal so far had its own line: fewer than a minute's lines were used.
    const earlier = refusals("http_unauthorized").length;
    const anonymous = api.withToken(null);
    for (let batch = 0; batch < 10; batch++) {
      const answers = await Promise.all(Array.from({ length: 100 }, () => anonymous.get("/devices")));
      expect(answers.every((answer) => answer.status === 401)).toBe(true);
    }
    // Closing writes the summary the minute would have ended with.
    await server.close();
    const all = refusals("http_unauthorized");
    const summaries = all.filter((line) => line.suppressed !== undefined);
    const suppressed = summaries.reduce((sum, line) => sum + line.suppressed!, 0);
    // Every refusal has its line or is counted in a summary...
    expect(all.length - summaries.length + suppressed).toBe(earlier + 1000);
    // ...and the lines are N and one summary per minute (this runs well within three).
    expect(all.length).toBeLessThanOrEqual(3 * (DEFAULT_REFUSAL_LINES_PER_MINUTE + 1));
    expect(all.at(-1)).toMatchObject({
      level: INFO,
      msg: expect.stringMatching(
        /^\d+ more refusals of kind http_unauthorized suppressed in the last minute$/,
      ),
    });
  });
});
