/**
 * What the console's devices pages ask of the API, against the real server with real agents:
 * the time zones a setting accepts (current names, old names, offsets), the tile counts in one
 * query, the filters on what devices report, the CSV export read a page at a time, a device's
 * config that did not apply (why, since when, sent again), and retrying a fleet command's
 * failures.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SimulatedDevice } from "../../agent/simulated-device.js";
import type { BatchView } from "../../server/commands/batch-service.js";
import {
  createEnrollmentToken,
  startDevice,
  uniqueSerial,
  waitForBatch,
  waitForCommand,
  waitUntil,
} from "../helpers/devices.js";
import { csvObjects, parseCsv } from "../helpers/rfc4180.js";
import { PARAMETER, recordStatements } from "../helpers/statements.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

const DAY_MS = 86_400_000;

interface ViewedDevice {
  id: string;
  name: string;
  status: string;
  desired: { version: number; timezone: string };
  desiredChangedAt?: string;
  reported: {
    appliedConfigVersion: number;
    timezone: string;
    configError?: { version: number; message: string } | null;
  } | null;
}
interface Zone {
  name: string;
  aliases: string[];
  city: string;
  utcOffset: string;
  standardOffset: string;
  daylightOffset: string | null;
}

let t: TestServer;
/** The server's clock runs this far ahead of the real one: a test moves it to age the fleet. */
let clockShiftMs = 0;
const devices: SimulatedDevice[] = [];

async function enrollOffline(count: number, prefix: string): Promise<string[]> {
  const token = await createEnrollmentToken(t, count);
  const ids: string[] = [];
  for (let i = 0; i < count; i += 50) {
    const wave = await Promise.all(
      Array.from({ length: Math.min(50, count - i) }, async () => {
        const res = await t.api.post<{ deviceId: string }>("/enrollment/enroll", {
          token,
          serial: uniqueSerial(prefix),
          model: "Portal",
          agentVersion: "1.0.0",
        });
        expect(res.status).toBe(201);
        return res.body.deviceId;
      }),
    );
    ids.push(...wave);
  }
  return ids;
}

async function online(options: Parameters<typeof startDevice>[1] = {}) {
  const device = await startDevice(t, options);
  devices.push(device);
  // Its first report stored: what the tests compare is settled.
  await waitUntil(
    t,
    async () => (await t.api.get<ViewedDevice>(`/devices/${device.deviceId}`)).body.reported !== null,
    "the device reported",
  );
  return device;
}

const view = async (id: string) => (await t.api.get<ViewedDevice>(`/devices/${id}`)).body;
const total = async (query: string) =>
  (await t.api.get<{ total: number }>(`/devices?${query}&limit=1`)).body.total;

beforeAll(async () => {
  t = await startTestServer({}, undefined, () => Date.now() + clockShiftMs);
});
afterAll(async () => {
  await Promise.all(devices.map((d) => d.stop({ abrupt: true })));
  await t?.cleanup();
});

describe("time zones", () => {
  it("are listed under their current names, with old names and UTC offsets", async () => {
    const res = await t.api.get<{ zones: Zone[] }>("/settings/timezones");
    expect(res.status).toBe(200);
    const byName = new Map(res.body.zones.map((z) => [z.name, z]));
    expect(byName.get("Asia/Kolkata")).toEqual({
      name: "Asia/Kolkata",
      aliases: ["Asia/Calcutta"],
      city: "Kolkata",
      utcOffset: "+05:30",
      standardOffset: "+05:30",
      daylightOffset: null,
    });
    expect(byName.get("Europe/Kyiv")?.aliases).toEqual(["Europe/Kiev"]);
    expect(byName.get("Asia/Yangon")?.aliases).toEqual(["Asia/Rangoon"]);
    expect(byName.get("Asia/Kathmandu")).toMatchObject({ aliases: ["Asia/Katmandu"], utcOffset: "+05:45" });
    expect(byName.get("Asia/Ho_Chi_Minh")).toMatchObject({ aliases: ["Asia/Saigon"], city: "Ho Chi Minh" });
    expect(byName.get("Europe/Paris")).toMatchObject({ standardOffset: "+01:00", daylightOffset: "+02:00" });
    expect(byName.get("UTC")?.aliases).toContain("Etc/UTC");
    // An old name is an alias, never a zone of its own.
    for (const old of ["Asia/Calcutta", "Europe/Kiev", "Asia/Rangoon", "Asia/Katmandu", "Asia/Saigon"]) {
      expect(byName.has(old), old).toBe(false);
    }
  });

  it("are accepted under current and old names alike, and stored under the current one", async () => {
    for (const [given, stored] of [
      ["Asia/Kolkata", "Asia/Kolkata"],
      ["asia/calcutta", "Asia/Kolkata"],
      ["Europe/Kiev", "Europe/Kyiv"],
      ["Asia/Ho_Chi_Minh", "Asia/Ho_Chi_Minh"],
      ["Etc/UTC", "UTC"],
    ]) {
      const res = await t.api.put<{ timezone: string }>("/settings/time", {
        timezone: given,
        ntpServer: null,
      });
      expect(res.status, given).toBe(200);
      expect(res.body.timezone, given).toBe(stored);
    }
    // An offset is no region: it does not follow daylight saving time.
    const offset = await t.api.put<{ error: { code: string } }>("/settings/time", {
      timezone: "Etc/GMT+5",
      ntpServer: null,
    });
    expect(offset.status).toBe(400);
    expect(offset.body.error.code).toBe("invalid_timezone");
    await t.api.put("/settings/time", { timezone: "auto", ntpServer: null });
  });
});

describe("the devices list", () => {
  let ghosts: string[] = [];
  let locked: SimulatedDevice & { deviceId: string };
  let drifting: SimulatedDevice & { deviceId: string };
  let beta: SimulatedDevice & { deviceId: string };

  beforeAll(async () => {
    ghosts = await enrollOffline(3, "GHOST");
    locked = await online({ serial: uniqueSerial("LOCKED") });
    drifting = await online({ serial: uniqueSerial("DRIFT"), clockOffsetMs: 5000 });
    beta = await online({ serial: uniqueSerial("BETA"), agentVersion: "2.0.0-beta.1" });
    const lock = await t.api.post<{ id: string }>(`/devices/${locked.deviceId}/commands`, { type: "lock" });
    expect((await waitForCommand(t, lock.body.id)).state).toBe("succeeded");
    // The result and the state report that follows it are stored by separate writers: the
    // tiles count what is stored, so wait for the locked state itself.
    await waitUntil(
      t,
      async () =>
        (await t.api.get<{ reported: { locked: boolean } | null }>(`/devices/${locked.deviceId}`)).body
          .reported?.locked === true,
      "the locked state stored",
    );
  });

  it("answers every tile's count in one request, as the filtered list counts them", async () => {
    const counts = (await t.api.get<Record<string, number>>("/devices/counts")).body;
    expect(counts).toEqual({
      total: await total("status=active"),
      online: await total("status=active&online=true"),
      offline: await total("status=active&online=false"),
      locked: await total("status=active&locked=true"),
      clockDrift: await total("status=active&clockDrift=true"),
      configPending: await total("status=active&configPending=true"),
    });
    expect(counts).toMatchObject({ online: 3, offline: 3, locked: 1, clockDrift: 1 });
    // Never reported: nothing applied.
    expect(counts.configPending).toBeGreaterThanOrEqual(ghosts.length);
  });

  it("filters by config applied, agent version, reported time zone under any name, and days unseen", async () => {
    const ids = async (query: string) =>
      (await t.api.get<{ items: { id: string }[] }>(`/devices?${query}&limit=100`)).body.items
        .map((d) => d.id)
        .sort();
    expect(await ids("configPending=true")).toEqual([...ghosts].sort());
    expect(await ids("configPending=false")).toEqual(
      [locked.deviceId, drifting.deviceId, beta.deviceId].sort(),
    );
    expect(await ids("agentVersion=2.0.0-beta.1")).toEqual([beta.deviceId]);

    await t.api.put("/settings/time", { timezone: "Asia/Kolkata", ntpServer: null });
    await waitUntil(
      t,
      async () => (await total("timezone=Asia/Kolkata")) === 3,
      "the online devices run the new zone",
    );
    // The old name finds the devices that report the current one.
    expect(await ids("timezone=Asia/Calcutta")).toEqual(await ids("timezone=Asia/Kolkata"));
    expect(await total("timezone=Europe/Paris")).toBe(0);

    // Never seen counts as not seen for any number of days; an online device is seen now.
    expect(await ids("notSeenForDays=1")).toEqual([...ghosts].sort());
    await beta.stop();
    await waitUntil(t, () => !t.server.gateway.isOnline(beta.deviceId), "offline");
    await t.server.services.devices.drainWrites();
    expect(await ids("notSeenForDays=1")).toEqual([...ghosts].sort());
    clockShiftMs = 2 * DAY_MS;
    try {
      expect(await ids("notSeenForDays=1")).toEqual([...ghosts, beta.deviceId].sort());
      expect(await ids("notSeenForDays=3")).toEqual([...ghosts].sort());
    } finally {
      clockShiftMs = 0;
    }
    // The same filters pick a fleet command's devices.
    const batch = await t.api.post<BatchView>("/batches", {
      target: { filter: { agentVersion: "2.0.0-beta.1", configPending: false } },
      command: { type: "refresh_state" },
    });
    expect(batch.status).toBe(202);
    expect(batch.body.total).toBe(1);
    const bad = await t.api.get<{ error: { code: string } }>("/devices?notSeenForDays=0");
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("validation_failed");
  });

  it("exports the devices matching the filters as CSV, read from the store a page at a time", async () => {
    const many = await enrollOffline(620, "CSV");
    const named = await online({ serial: uniqueSerial("CSVNAMED") });
    // Quotes, a comma, and what a spreadsheet would run as a formula.
    const hostile = '=HYPERLINK("http://x.example","open"), now';
    const rename = await t.api.post<{ id: string }>(`/devices/${named.deviceId}/commands`, {
      type: "rename",
      name: hostile,
    });
    expect((await waitForCommand(t, rename.body.id)).state).toBe("succeeded");
    // The rename moved its desired config on: applied too, so the export has nothing in flight.
    await waitUntil(
      t,
      async () => {
        const d = await view(named.deviceId);
        return d.reported !== null && d.reported.appliedConfigVersion >= d.desired.version;
      },
      "the renamed device applied its config",
    );
    await t.server.services.devices.drainWrites();
    const namedView = await view(named.deviceId);

    // Every statement the export runs on the devices table, passed through as it is.
    const recorder = recordStatements(t.server.store.db);
    let res: Response;
    let text: string;
    try {
      res = await fetch(`${t.server.httpUrl}/api/v1/devices/export.csv?q=CSV&sort=serial`, {
        headers: { authorization: `Bearer ${t.api.token}` },
      });
      text = await res.text();
    } finally {
      recorder.stop();
    }
    const pageOfDevices = new RegExp(String.raw`\bfrom "?devices"?\s.*\blimit ${PARAMETER}`, "is");
    const limits = recorder.statements
      .filter(({ sql }) => pageOfDevices.test(sql))
      .map(({ parameters }) => parameters.at(-1));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toMatch(
      /^attachment; filename="devices-\d{8}T\d{6}\.csv"$/,
    );
    const { header, rows } = csvObjects(text);
    expect(header).toEqual([
      "id",
      "name",
      "serial",
      "model",
      "status",
      "online",
      "last_seen_at",
      "locked",
      "timezone",
      "clock_offset_ms",
      "agent_version",
      "applied_config_version",
      "desired_config_version",
    ]);
    expect(rows).toHaveLength(many.length + 1);
    const serials = rows.map((r) => r.serial);
    expect(serials).toEqual([...serials].sort());
    // Pages of 500 (one more to know there is a next): never the fleet at once.
    expect(limits).toEqual([501, 501]);
    const exported = rows.find((r) => r.id === named.deviceId)!;
    expect(exported).toMatchObject({
      name: `'${hostile}`,
      status: "active",
      online: "true",
      locked: "false",
      timezone: namedView.reported?.timezone,
      clock_offset_ms: "0",
      applied_config_version: String(namedView.desired.version),
      desired_config_version: String(namedView.desired.version),
    });
    const neverSeen = rows.find((r) => r.id === many[0])!;
    expect(neverSeen).toMatchObject({ online: "false", last_seen_at: "", locked: "", timezone: "" });
    // Quoted as RFC 4180 says: the field in quotes, its quotes doubled.
    expect(text).toContain(`"'=HYPERLINK(""http://x.example"",""open""), now"`);

    const filtered = await fetch(`${t.server.httpUrl}/api/v1/devices/export.csv?q=NOMATCH`, {
      headers: { authorization: `Bearer ${t.api.token}` },
    });
    expect(parseCsv(await filtered.text())).toHaveLength(1);
    const refused = await fetch(`${t.server.httpUrl}/api/v1/devices/export.csv?online=maybe`, {
      headers: { authorization: `Bearer ${t.api.token}` },
    });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("validation_failed");
  });
});

describe("a desired config the device cannot apply", () => {
  it("is reported with why, shows since when, and is sent again on request", async () => {
    const stuck = await online({ serial: uniqueSerial("STUCK"), unsupportedTimezones: ["Asia/Tokyo"] });
    const saved = await t.api.put<{ updatedAt: string }>("/settings/time", {
      timezone: "Asia/Tokyo",
      ntpServer: null,
    });
    const desiredVersion = (await view(stuck.deviceId)).desired.version;
    await waitUntil(
      t,
      async () => (await view(stuck.deviceId)).reported?.configError?.version === desiredVersion,
      "the device reported why",
    );
    const before = await view(stuck.deviceId);
    expect(before.reported?.configError).toEqual({
      version: desiredVersion,
      message: "time zone 'Asia/Tokyo' is not installed on this device",
    });
    expect(before.reported?.appliedConfigVersion).toBeLessThan(desiredVersion);
    // The desired config took this version when the global setting changed.
    expect(before.desiredChangedAt).toBe(saved.body.updatedAt);

    // Sent again while the fault lasts: tried again, the same reason.
    const again = await t.api.post<{ version: number }>(`/devices/${stuck.deviceId}/config/resend`);
    expect(again.status).toBe(202);
    expect(again.body.version).toBe(desiredVersion);

    stuck.platform.unsupportedTimezones.clear();
    const applied = new Promise<void>((resolve) => stuck.once("configApplied", () => resolve()));
    expect((await t.api.post(`/devices/${stuck.deviceId}/config/resend`)).status).toBe(202);
    await applied;
    await waitUntil(
      t,
      async () => (await view(stuck.deviceId)).reported?.appliedConfigVersion === desiredVersion,
      "applied",
    );
    const after = await view(stuck.deviceId);
    expect(after.reported?.configError).toBeNull();
    expect(after.reported?.timezone).toBe("Asia/Tokyo");
    const audit = await t.api.get<{
      items: { action: string; target: string; outcome: string; params: unknown }[];
    }>(`/audit?action=device.config_resend&target=${stuck.deviceId}`);
    expect(audit.body.items).toHaveLength(2);
    expect(audit.body.items[0]).toMatchObject({ outcome: "success", params: { version: desiredVersion } });
  });

  it("cannot be sent to a device that is offline, not managed or unknown", async () => {
    const [offline] = await enrollOffline(1, "RESEND");
    const refused = await t.api.post<{ error: { code: string; message: string } }>(
      `/devices/${offline}/config/resend`,
    );
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("device_offline");
    expect(refused.body.error.message).toMatch(/is offline; it receives its desired config when it connects/);

    expect((await t.api.post(`/devices/${offline}/remove`)).status).toBe(200);
    const unmanaged = await t.api.post<{ error: { code: string } }>(`/devices/${offline}/config/resend`);
    expect(unmanaged.status).toBe(409);
    expect(unmanaged.body.error.code).toBe("device_not_managed");

    const unknown = await t.api.post<{ error: { code: string } }>("/devices/dev_nope/config/resend");
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("device_not_found");
  });
});

describe("retrying a fleet command", () => {
  it("sends the same command again to the devices where it failed, and only to them", async () => {
    let failing = true;
    const flaky = await Promise.all(
      [0, 1].map(() =>
        online({ serial: uniqueSerial("FLAKY"), failureRate: 0.5, random: () => (failing ? 0 : 0.99) }),
      ),
    );
    const healthy = await online({ serial: uniqueSerial("HEALTHY") });
    const target = { deviceIds: [...flaky.map((d) => d.deviceId), healthy.deviceId] };
    const first = await t.api.post<BatchView>("/batches", {
      target,
      command: { type: "rename", name: "Hall" },
    });
    expect(first.status).toBe(202);
    const done = await waitForBatch(t, first.body.id);
    expect(done.counts).toMatchObject({ failed: 2, succeeded: 1 });

    failing = false;
    const retry = await t.api.post<BatchView>(`/batches/${first.body.id}/retry`);
    expect(retry.status).toBe(202);
    expect(retry.body).toMatchObject({
      type: "rename",
      params: { name: "Hall" },
      total: 2,
      skipped: 0,
      target: { deviceIds: flaky.map((d) => d.deviceId).sort() },
    });
    const retried = await waitForBatch(t, retry.body.id);
    expect(retried.counts.succeeded).toBe(2);
    for (const d of flaky) expect(d.platform.name).toBe("Hall");

    // Nothing left to retry.
    const nothing = await t.api.post<{ error: { code: string } }>(`/batches/${retry.body.id}/retry`);
    expect(nothing.status).toBe(409);
    expect(nothing.body.error.code).toBe("batch_nothing_to_retry");
    const unknown = await t.api.post<{ error: { code: string } }>("/batches/bat_nope/retry");
    expect(unknown.status).toBe(404);
    const audit = await t.api.get<{ items: { target: string; params: { batchId?: string } }[] }>(
      "/audit?action=batch.retry&outcome=success",
    );
    expect(audit.body.items[0]).toMatchObject({ target: first.body.id, params: { batchId: retry.body.id } });
  });

  it("skips devices that are no longer managed", async () => {
    const [gone] = await enrollOffline(1, "EXPIRE");
    const batch = await t.api.post<BatchView>("/batches", {
      target: { deviceIds: [gone] },
      command: { type: "lock", ttlSeconds: 1 },
    });
    // The command expires undelivered (the server's clock moves past its TTL).
    clockShiftMs = 5000;
    try {
      await t.server.services.commands.sweepDeadlines();
    } finally {
      clockShiftMs = 0;
    }
    expect((await t.api.get<BatchView>(`/batches/${batch.body.id}`)).body.counts.expired).toBe(1);
    expect((await t.api.post(`/devices/${gone}/remove`)).status).toBe(200);
    const retry = await t.api.post<BatchView>(`/batches/${batch.body.id}/retry`);
    expect(retry.status).toBe(202);
    expect(retry.body).toMatchObject({ total: 0, skipped: 1 });
  });
});
