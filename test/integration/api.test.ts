/**
 * The management API on a real server (its store, embedded broker) without agents:
 * authentication, validation, enrollment and the deny list.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiClient, startTestServer, type TestServer } from "../helpers/test-server.js";

type ErrorBody = { error: { code: string; message: string; details?: Record<string, unknown> } };
type Credentials = { deviceId: string; secret: string; mqttUrl: string; name: string };

let t: TestServer;
let api: ApiClient;

beforeAll(async () => {
  t = await startTestServer();
  api = t.api;
});
afterAll(async () => t.cleanup());

async function enrollByToken(serial: string): Promise<Credentials> {
  const token = await api.post<{ token: string }>("/enrollment-tokens", {
    maxUses: 1,
    expiresInSeconds: 600,
  });
  const res = await api.post<Credentials>("/enrollment/enroll", {
    token: token.body.token,
    serial,
    model: "Portal+",
    agentVersion: "1.0.0",
  });
  expect(res.status).toBe(201);
  return res.body;
}

describe("health and documentation", () => {
  it("answers /healthz without credentials", async () => {
    const res = await api.withToken(null).request<{ status: string }>("GET", "/healthz");
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("ok");
  });

  it("serves an OpenAPI document generated from the route schemas, and a docs page", async () => {
    const doc = await api.request<{ paths: Record<string, unknown> }>("GET", "/api/openapi.json");
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(["/api/v1/devices", "/api/v1/devices/{id}/commands", "/api/v1/batches"]),
    );
    const page = await api.request<string>("GET", "/api/docs/");
    expect(page.status).toBe(200);
    expect(String(page.body)).toContain("<html");
  });
});

describe("admin authentication", () => {
  it("refuses a missing token with 401", async () => {
    const res = await api.withToken(null).get<ErrorBody>("/devices");
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("unauthorized");
  });

  it("refuses a wrong token with 401 and creates nothing", async () => {
    const res = await api.withToken("pat_wrong").post<ErrorBody>("/enrollment-tokens", {
      maxUses: 1,
      expiresInSeconds: 600,
    });
    expect(res.status).toBe(401);
    const rows = await t.server.store.db
      .selectFrom("enrollment_tokens")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirst();
    expect(rows?.n ?? 0).toBe(0);
  });
});

describe("enrollment by token", () => {
  it("honours the use count", async () => {
    const token = await api.post<{ token: string; maxUses: number }>("/enrollment-tokens", {
      maxUses: 2,
      expiresInSeconds: 600,
    });
    expect(token.status).toBe(201);
    const body = (serial: string) => ({
      token: token.body.token,
      serial,
      model: "Portal Go",
      agentVersion: "1.0.0",
    });
    expect((await api.withToken(null).post("/enrollment/enroll", body("TOK-1"))).status).toBe(201);
    expect((await api.withToken(null).post("/enrollment/enroll", body("TOK-2"))).status).toBe(201);
    const third = await api.withToken(null).post<ErrorBody>("/enrollment/enroll", body("TOK-3"));
    expect(third.status).toBe(401);
    expect(third.body.error.code).toBe("invalid_enrollment_token");
    expect(third.body.error.message).toContain("used 2 of 2");
  });

  it("refuses an expired token", async () => {
    const token = await api.post<{ id: string; token: string }>("/enrollment-tokens", {
      maxUses: 5,
      expiresInSeconds: 60,
    });
    // Move the expiry into the past rather than waiting a minute.
    await t.server.store.db
      .updateTable("enrollment_tokens")
      .set({ expires_at: Date.now() - 1 })
      .where("id", "=", token.body.id)
      .execute();
    const res = await api.post<ErrorBody>("/enrollment/enroll", {
      token: token.body.token,
      serial: "TOK-EXPIRED",
      model: "Portal",
      agentVersion: "1.0.0",
    });
    expect(res.status).toBe(401);
    expect(res.body.error.message).toContain("expired");
  });

  it("gives each device its own credential, stored only as a hash", async () => {
    const a = await enrollByToken("HASH-A");
    const b = await enrollByToken("HASH-B");
    expect(a.secret).not.toBe(b.secret);
    expect(a.mqttUrl).toBe(t.server.mqttUrl);
    const stored = await t.server.store.db
      .selectFrom("device_credentials")
      .select("secret_hash")
      .where("device_id", "in", [a.deviceId, b.deviceId])
      .execute();
    expect(stored).toHaveLength(2);
    for (const row of stored) {
      expect(row.secret_hash).toMatch(/^[0-9a-f]{64}$/);
      expect([a.secret, b.secret]).not.toContain(row.secret_hash);
    }
  });
});

describe("enrollment by device code", () => {
  it("goes from a code on screen to credentials once an admin claims it", async () => {
    const device = api.withToken(null);
    const start = await device.post<{ deviceCode: string; userCode: string; expiresInSeconds: number }>(
      "/enrollment/device-codes",
      { serial: "CODE-1", model: "Portal TV", agentVersion: "1.0.0" },
    );
    expect(start.status).toBe(201);
    expect(start.body.userCode).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
    expect(start.body.expiresInSeconds).toBe(600);

    const pending = await device.post<{ status: string }>("/enrollment/device-codes/poll", {
      deviceCode: start.body.deviceCode,
    });
    expect(pending.body).toEqual({ status: "pending" });

    // An admin types it in lower case without the dash.
    const typed = start.body.userCode.replace("-", "").toLowerCase();
    const claim = await api.post<{ deviceId: string; serial: string }>("/enrollment/claims", { code: typed });
    expect(claim.status).toBe(201);
    expect(claim.body.serial).toBe("CODE-1");

    await new Promise((r) => setTimeout(r, 120)); // the test server's poll interval is 0.1 s
    const approved = await device.post<{ status: string } & Credentials>("/enrollment/device-codes/poll", {
      deviceCode: start.body.deviceCode,
    });
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe("approved");
    expect(approved.body.deviceId).toBe(claim.body.deviceId);
    expect(approved.body.secret.length).toBeGreaterThan(40);

    // The credential is handed out once.
    await new Promise((r) => setTimeout(r, 120));
    const again = await device.post<ErrorBody>("/enrollment/device-codes/poll", {
      deviceCode: start.body.deviceCode,
    });
    expect(again.status).toBe(404);

    const view = await api.get<{ status: string; serial: string }>(`/devices/${claim.body.deviceId}`);
    expect(view.body).toMatchObject({ status: "active", serial: "CODE-1" });
  });

  it("tells a device that polls too fast to slow down", async () => {
    const device = api.withToken(null);
    const start = await device.post<{ deviceCode: string }>("/enrollment/device-codes", {
      serial: "CODE-FAST",
      model: "Portal",
      agentVersion: "1.0.0",
    });
    await device.post("/enrollment/device-codes/poll", { deviceCode: start.body.deviceCode });
    const fast = await device.post<ErrorBody>("/enrollment/device-codes/poll", {
      deviceCode: start.body.deviceCode,
    });
    expect(fast.status).toBe(429);
    expect(fast.body.error.code).toBe("slow_down");
  });

  it("refuses unknown and expired codes clearly", async () => {
    const unknown = await api.post<ErrorBody>("/enrollment/claims", { code: "CDFG-HJKM" });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("device_code_not_found");
    const malformed = await api.post<ErrorBody>("/enrollment/claims", { code: "hello" });
    expect(malformed.status).toBe(404);

    const start = await api.withToken(null).post<{ userCode: string }>("/enrollment/device-codes", {
      serial: "CODE-OLD",
      model: "Portal",
      agentVersion: "1.0.0",
    });
    await t.server.store.db
      .updateTable("device_codes")
      .set({ expires_at: Date.now() - 1 })
      .where("user_code", "=", start.body.userCode)
      .execute();
    const expired = await api.post<ErrorBody>("/enrollment/claims", { code: start.body.userCode });
    expect(expired.status).toBe(410);
    expect(expired.body.error.code).toBe("device_code_expired");
  });
});

describe("bad input", () => {
  it("answers 404 for an unknown device, naming it", async () => {
    const res = await api.get<ErrorBody>("/devices/dev_nope");
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({
      code: "device_not_found",
      message: "device 'dev_nope' does not exist",
    });
    const cmd = await api.post<ErrorBody>("/devices/dev_nope/commands", { type: "lock" });
    expect(cmd.status).toBe(404);
  });

  it("answers 400 naming the field for invalid bodies", async () => {
    const device = await enrollByToken("BAD-INPUT-1");
    const cases: [unknown, string][] = [
      [{}, "type"],
      [{ type: "selfdestruct" }, "type"],
      [{ type: "rename" }, "name"],
      [{ type: "rename", name: "   " }, "name"],
      [{ type: "lock", ttlSeconds: 0 }, "ttlSeconds"],
      [{ type: "set_time" }, "timezone"],
    ];
    for (const [body, field] of cases) {
      const res = await api.post<ErrorBody>(`/devices/${device.deviceId}/commands`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe("validation_failed");
      expect(String(res.body.error.details?.field)).toContain(field);
    }
    const notJson = await api.request<ErrorBody>(
      "POST",
      `/api/v1/devices/${device.deviceId}/commands`,
      "{oops",
    );
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.code).toBeTypeOf("string");
  });

  it("refuses invalid time zones and NTP hosts with 400, for a device and globally", async () => {
    const device = await enrollByToken("BAD-TIME-1");
    const zone = await api.post<ErrorBody>(`/devices/${device.deviceId}/commands`, {
      type: "set_time",
      timezone: "Mars/Olympus_Mons",
      ntpServer: null,
    });
    expect(zone.status).toBe(400);
    expect(zone.body.error.code).toBe("invalid_timezone");
    const ntp = await api.put<ErrorBody>("/settings/time", { timezone: "auto", ntpServer: "http://evil/" });
    expect(ntp.status).toBe(400);
    expect(ntp.body.error.code).toBe("invalid_ntp_server");
    const settings = await api.get<{ timezone: string }>("/settings/time");
    expect(settings.body.timezone).toBe("auto");
  });

  it("keeps queued commands cancelable and refuses to cancel twice", async () => {
    const device = await enrollByToken("CANCEL-1");
    const cmd = await api.post<{ id: string; state: string }>(`/devices/${device.deviceId}/commands`, {
      type: "lock",
    });
    expect(cmd.status).toBe(202);
    expect(cmd.body.state).toBe("queued");
    const canceled = await api.post<{ state: string }>(`/commands/${cmd.body.id}/cancel`);
    expect(canceled.body.state).toBe("canceled");
    const again = await api.post<ErrorBody>(`/commands/${cmd.body.id}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("command_not_cancelable");
  });
});

describe("permanent deactivation", () => {
  it("denies the serial at once, for every way of enrolling, and refuses further commands", async () => {
    const device = await enrollByToken("DEACT-1");
    const pendingLock = await api.post<{ id: string }>(`/devices/${device.deviceId}/commands`, {
      type: "lock",
    });
    const res = await api.post<{ state: string }>(`/devices/${device.deviceId}/commands`, {
      type: "deactivate",
    });
    expect(res.status).toBe(202);

    const view = await api.get<{ status: string }>(`/devices/${device.deviceId}`);
    expect(view.body.status).toBe("deactivated");
    expect((await api.get<{ state: string }>(`/commands/${pendingLock.body.id}`)).body.state).toBe(
      "canceled",
    );

    const token = await api.post<{ token: string }>("/enrollment-tokens", {
      maxUses: 5,
      expiresInSeconds: 600,
    });
    const byToken = await api.post<ErrorBody>("/enrollment/enroll", {
      token: token.body.token,
      serial: "DEACT-1",
      model: "Portal",
      agentVersion: "1.0.0",
    });
    expect(byToken.status).toBe(403);
    expect(byToken.body.error.code).toBe("device_deactivated");
    const byCode = await api.post<ErrorBody>("/enrollment/device-codes", {
      serial: "DEACT-1",
      model: "Portal",
      agentVersion: "1.0.0",
    });
    expect(byCode.status).toBe(403);

    const lock = await api.post<ErrorBody>(`/devices/${device.deviceId}/commands`, { type: "lock" });
    expect(lock.status).toBe(409);
    expect(lock.body.error).toMatchObject({
      code: "device_not_managed",
      message: `device '${device.deviceId}' is deactivated`,
    });
  });
});

describe("device list", () => {
  it("filters, searches and pages with a total", async () => {
    for (const serial of ["LIST-A1", "LIST-A2", "LIST-A3"]) await enrollByToken(serial);
    const page1 = await api.get<{ items: { serial: string }[]; nextCursor: string | null; total: number }>(
      "/devices?q=LIST-A&limit=2",
    );
    expect(page1.body.total).toBe(3);
    expect(page1.body.items).toHaveLength(2);
    expect(page1.body.nextCursor).not.toBeNull();
    const page2 = await api.get<{ items: { serial: string }[]; nextCursor: string | null }>(
      `/devices?q=LIST-A&limit=2&cursor=${page1.body.nextCursor}`,
    );
    expect(page2.body.items).toHaveLength(1);
    expect(page2.body.nextCursor).toBeNull();
    const serials = [...page1.body.items, ...page2.body.items].map((d) => d.serial).sort();
    expect(serials).toEqual(["LIST-A1", "LIST-A2", "LIST-A3"]);
    const offline = await api.get<{ total: number }>("/devices?q=LIST-A&online=false&status=active");
    expect(offline.body.total).toBe(3);
    const bad = await api.get<ErrorBody>("/devices?status=exploded");
    expect(bad.status).toBe(400);
  });
});
