/**
 * Sites through the API with real agents: a site's date & time applied and reported by exactly
 * its devices, the precedence rule (the site's, else the global setting) in each device's
 * effective time, moving devices between sites, counts per site, enrollment into a token's
 * site, deletion, the event stream, the audit log and refusals.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SimulatedDevice } from "../../agent/simulated-device.js";
import type { DeviceView } from "../../server/devices/device.js";
import type { SiteView } from "../../server/sites/site-service.js";
import { createEnrollmentToken, startDevice, uniqueSerial } from "../helpers/devices.js";
import { eventually } from "../helpers/poll.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

interface ErrorBody {
  error: { code: string; message: string };
}

let t: TestServer;
let fleet: (SimulatedDevice & { deviceId: string })[] = [];
const extra: SimulatedDevice[] = [];

const BERLIN = { timezone: "Europe/Berlin", ntpServer: "ntp.berlin.test" };
const NEW_YORK = { timezone: "America/New_York", ntpServer: null };
const GLOBAL = { timezone: "Asia/Tokyo", ntpServer: null };

beforeAll(async () => {
  t = await startTestServer();
  expect((await t.api.put("/settings/time", GLOBAL)).status).toBe(200);
  const token = await createEnrollmentToken(t, 4);
  fleet = await Promise.all(
    Array.from({ length: 4 }, (_, i) =>
      startDevice(t, { enrollmentToken: token, serial: uniqueSerial(`SITE-${i}`) }),
    ),
  );
});
afterAll(async () => {
  await Promise.all([...fleet, ...extra].map((d) => d.stop({ abrupt: true })));
  await t.cleanup();
});

const device = async (id: string) => (await t.api.get<DeviceView>(`/devices/${id}`)).body;
const site = async (id: string) => (await t.api.get<SiteView>(`/sites/${id}`)).body;

/** The device runs this zone and NTP server, as it reported after applying its desired config. */
const runs = (id: string, time: { timezone: string; ntpServer: string | null }) =>
  eventually(`${id} to run ${time.timezone}`, async () => {
    const d = await device(id);
    const r = d.reported;
    return r &&
      r.appliedConfigVersion >= d.desired.version &&
      r.timezone === time.timezone &&
      r.ntpServer === time.ntpServer
      ? d
      : undefined;
  });

let berlinId = "";
let nycId = "";

describe("sites", () => {
  it("creates sites, with and without a date & time of their own; names are unique in any case", async () => {
    const berlin = await t.api.post<SiteView>("/sites", { name: " Berlin office ", time: BERLIN });
    expect(berlin.status).toBe(201);
    expect(berlin.body).toMatchObject({
      name: "Berlin office",
      time: BERLIN,
      effectiveTime: { ...BERLIN, source: "site" },
      devices: 0,
    });
    berlinId = berlin.body.id;
    const nyc = await t.api.post<SiteView>("/sites", { name: "NYC lobby" });
    expect(nyc.body).toMatchObject({ time: null, effectiveTime: { ...GLOBAL, source: "global" } });
    nycId = nyc.body.id;
    const clash = await t.api.post<ErrorBody>("/sites", { name: "berlin OFFICE" });
    expect(clash.status).toBe(409);
    expect(clash.body.error.code).toBe("site_name_taken");
    const badZone = await t.api.post<ErrorBody>("/sites", {
      name: "Mars",
      time: { timezone: "Mars/Olympus", ntpServer: null },
    });
    expect(badZone.status).toBe(400);
    expect(badZone.body.error.code).toBe("invalid_timezone");
    const list = await t.api.get<{ items: SiteView[] }>("/sites");
    expect(list.body.items.map((s) => s.name)).toEqual(["Berlin office", "NYC lobby"]);
  });

  it("moves devices into a site: exactly they run its date & time, reported by the agents", async () => {
    const [a, b, c, d] = fleet;
    const moved = await t.api.post<{ targeted: number; moved: number }>(`/sites/${berlinId}/devices`, {
      target: { deviceIds: [a!.deviceId, b!.deviceId] },
    });
    expect(moved.status).toBe(200);
    expect(moved.body).toEqual({ targeted: 2, moved: 2 });
    const inNyc = await t.api.post(`/sites/${nycId}/devices`, { target: { serials: [c!.serial] } });
    expect(inNyc.status).toBe(200);
    for (const x of [a!, b!]) {
      const seen = await runs(x.deviceId, BERLIN);
      expect(seen.site).toEqual({ id: berlinId, name: "Berlin office" });
      expect(seen.effectiveTime).toEqual({ ...BERLIN, source: "site" });
    }
    // A site without its own date & time, and no site: the global one.
    for (const x of [c!, d!]) {
      const seen = await runs(x.deviceId, GLOBAL);
      expect(seen.effectiveTime).toEqual({ ...GLOBAL, source: "global" });
    }
    expect((await device(d!.deviceId)).site).toBeNull();
    // A dynamic group as the target: its devices now, those already there staying.
    await t.api.post("/devices/labels", { target: { deviceIds: [a!.deviceId] }, add: ["berlin"] });
    const group = await t.api.post<{ id: string }>("/groups", {
      name: "Berlin screens",
      filter: { label: "berlin" },
    });
    expect(group.status).toBe(201);
    const again = await t.api.post<{ targeted: number; moved: number }>(`/sites/${berlinId}/devices`, {
      target: { group: group.body.id },
    });
    expect(again.body).toEqual({ targeted: 1, moved: 0 });
    await eventually("counts of the Berlin site", async () => {
      const s = await site(berlinId);
      return s.devices === 2 && s.applied === 2 && s.pending === 0 ? s : undefined;
    });
    const list = await t.api.get<{ items: DeviceView[]; total: number }>(`/devices?site=${berlinId}`);
    expect(list.body.items.map((x) => x.id).sort()).toEqual([a!.deviceId, b!.deviceId].sort());
    const none = await t.api.get<{ items: DeviceView[] }>("/devices?site=none");
    expect(none.body.items.map((x) => x.id)).toEqual([d!.deviceId]);
  });

  it("changing a site's date & time reaches exactly its devices; the global one does not reach them", async () => {
    const [a, b, c, d] = fleet;
    const before = await device(c!.deviceId);
    const changed = await t.api.patch<SiteView>(`/sites/${berlinId}`, { time: NEW_YORK });
    expect(changed.status).toBe(200);
    expect(changed.body.effectiveTime).toEqual({ ...NEW_YORK, source: "site" });
    await runs(a!.deviceId, NEW_YORK);
    await runs(b!.deviceId, NEW_YORK);
    expect((await device(c!.deviceId)).desired.version).toBe(before.desired.version);

    const globalAgain = { timezone: "Europe/Lisbon", ntpServer: "ntp.global.test" };
    const put = await t.api.put<{ applied: number; pending: number }>("/settings/time", globalAgain);
    expect(put.body.applied + put.body.pending).toBe(2); // the devices following it: c and d
    await runs(c!.deviceId, globalAgain);
    await runs(d!.deviceId, globalAgain);
    const stillSite = await device(a!.deviceId);
    expect(stillSite.effectiveTime).toEqual({ ...NEW_YORK, source: "site" });
    expect((await site(nycId)).effectiveTime).toEqual({ ...globalAgain, source: "global" });
    const global = await eventually("the global counts", async () => {
      const g = (await t.api.get<{ applied: number; pending: number }>("/settings/time")).body;
      return g.applied === 2 ? g : undefined;
    });
    expect(global.pending).toBe(0);
  });

  it("a site's date & time cleared: its devices follow the global setting, and say so", async () => {
    const [, , c] = fleet;
    await t.api.patch(`/sites/${nycId}`, { time: NEW_YORK });
    expect((await runs(c!.deviceId, NEW_YORK)).effectiveTime.source).toBe("site");
    const cleared = await t.api.patch<SiteView>(`/sites/${nycId}`, { time: null });
    expect(cleared.body.effectiveTime.source).toBe("global");
    const global = (await t.api.get<{ timezone: string; ntpServer: string | null }>("/settings/time")).body;
    const seen = await runs(c!.deviceId, { timezone: global.timezone, ntpServer: global.ntpServer });
    expect(seen.effectiveTime.source).toBe("global");
  });

  it("moving a device between sites re-applies; out of any site it follows the global setting", async () => {
    const [a] = fleet;
    await t.api.patch(`/sites/${nycId}`, { time: BERLIN });
    const toNyc = await t.api.post<{ moved: number }>(`/sites/${nycId}/devices`, {
      target: { deviceIds: [a!.deviceId] },
    });
    expect(toNyc.body.moved).toBe(1);
    const inNyc = await runs(a!.deviceId, BERLIN);
    expect(inNyc.site?.name).toBe("NYC lobby");
    const out = await t.api.post<{ moved: number }>("/sites/none/devices", {
      target: { deviceIds: [a!.deviceId] },
    });
    expect(out.body.moved).toBe(1);
    const global = (await t.api.get<{ timezone: string; ntpServer: string | null }>("/settings/time")).body;
    const outside = await runs(a!.deviceId, { timezone: global.timezone, ntpServer: global.ntpServer });
    expect(outside.site).toBeNull();
    expect(outside.effectiveTime.source).toBe("global");
  });

  it("shows a time settings command for one device as the device's own, until its site's setting changes", async () => {
    const [, b] = fleet;
    const own = { timezone: "Australia/Sydney", ntpServer: null };
    const cmd = await t.api.post<{ id: string }>(`/devices/${b!.deviceId}/commands`, {
      type: "set_time",
      ...own,
    });
    expect(cmd.status).toBe(202);
    const seen = await eventually("the device's own time", async () => {
      const d = await device(b!.deviceId);
      return d.effectiveTime.source === "device" ? d : undefined;
    });
    expect(seen.effectiveTime).toMatchObject(own);
    await eventually("Berlin counting it pending", async () => {
      const s = await site(berlinId);
      return s.pending === 1 ? s : undefined;
    });
    const pending = await t.api.get<{ items: DeviceView[] }>(`/sites/${berlinId}/time/pending`);
    expect(pending.body.items.map((d) => d.id)).toEqual([b!.deviceId]);
    await t.api.patch(`/sites/${berlinId}`, { time: BERLIN });
    const back = await runs(b!.deviceId, BERLIN);
    expect(back.effectiveTime.source).toBe("site");
  });

  it("enrolls a device into its token's site, running the site's date & time from the start", async () => {
    const token = await t.api.post<{ token: string; siteId: string | null }>("/enrollment-tokens", {
      maxUses: 1,
      expiresInSeconds: 600,
      siteId: berlinId,
    });
    expect(token.status).toBe(201);
    expect(token.body.siteId).toBe(berlinId);
    const fresh = await startDevice(t, {
      enrollmentToken: token.body.token,
      serial: uniqueSerial("SITE-NEW"),
    });
    extra.push(fresh);
    const seen = await runs(fresh.deviceId, BERLIN);
    expect(seen.site?.id).toBe(berlinId);
    const unknown = await t.api.post<ErrorBody>("/enrollment-tokens", {
      maxUses: 1,
      expiresInSeconds: 600,
      siteId: "site_nope",
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("site_not_found");
  });

  it("announces sites and moved devices on the event stream, and audits every change", async () => {
    const updates: SiteView[] = [];
    const offSite = t.server.services.events.on("site.updated", ({ site }) => updates.push(site));
    const moved: string[] = [];
    const offDevice = t.server.services.events.on("device.updated", ({ device }) => moved.push(device.id));
    try {
      await t.api.post(`/sites/${nycId}/devices`, { target: { deviceIds: [fleet[3]!.deviceId] } });
      await eventually("the site announced", async () =>
        updates.some((s) => s.id === nycId) ? true : undefined,
      );
    } finally {
      offSite();
      offDevice();
    }
    expect(moved).toContain(fleet[3]!.deviceId);
    const audit = await t.api.get<{
      items: { action: string; target: string | null; targetName?: string | null }[];
    }>("/audit?action=site.assign");
    expect(audit.body.items[0]).toMatchObject({ action: "site.assign", target: nycId });
    const created = await t.api.get<{
      items: { action: string; outcome: string; errorCode: string | null }[];
    }>("/audit?action=site.create");
    // Two sites, and the name clash and the unknown zone refused.
    expect(created.body.items.map((i) => i.errorCode ?? i.outcome).sort()).toEqual([
      "invalid_timezone",
      "site_name_taken",
      "success",
      "success",
    ]);
  });

  it("deletes a site: its devices follow the global date & time, its tokens enroll into none", async () => {
    const [, b] = fleet;
    const deleted = await t.api.delete<{ devicesMoved: number }>(`/sites/${berlinId}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body.devicesMoved).toBe(2); // b and the device the token enrolled
    const global = (await t.api.get<{ timezone: string; ntpServer: string | null }>("/settings/time")).body;
    const seen = await runs(b!.deviceId, { timezone: global.timezone, ntpServer: global.ntpServer });
    expect(seen.site).toBeNull();
    expect((await t.api.get<ErrorBody>(`/sites/${berlinId}`)).status).toBe(404);
    const moveIn = await t.api.post<ErrorBody>(`/sites/${berlinId}/devices`, { target: { all: true } });
    expect(moveIn.status).toBe(404);
    expect(moveIn.body.error.code).toBe("site_not_found");
  });
});
