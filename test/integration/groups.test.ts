/**
 * Dynamic groups through the API with real agents: saved filters created, listed with counts
 * that follow the devices, read, renamed, refiltered and deleted; the device list and its CSV
 * export narrowed to a group; fleet commands and label changes targeted at a group, resolved
 * when they run and recorded with the group's name and filter; bad requests refused; every
 * change audited and announced on the event stream.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import type { SimulatedDevice } from "../../agent/simulated-device.js";
import type { BatchView } from "../../server/commands/batch-service.js";
import type { DeviceView } from "../../server/devices/device.js";
import { MAX_GROUPS } from "../../server/devices/device-groups.js";
import { dialectOf } from "../../server/store/dialect.js";
import { DeviceGroupRepository } from "../../server/store/repositories/device-group-repository.js";
import {
  createEnrollmentToken,
  startDevice,
  uniqueSerial,
  waitForBatch,
  waitUntil,
} from "../helpers/devices.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}
interface Group {
  id: string;
  name: string;
  filter: Record<string, unknown>;
  devices: number;
  createdAt: string;
  updatedAt: string;
}
interface StreamedEvent {
  type: string;
  data: Record<string, unknown>;
}
interface AuditItem {
  action: string;
  outcome: string;
  target: string | null;
  targetKind: string | null;
  targetName: string | null;
  errorCode?: string | null;
  params: Record<string, unknown>;
}

let t: TestServer;
let fleet: (SimulatedDevice & { deviceId: string })[] = [];
let stream: WebSocket;
const streamed: StreamedEvent[] = [];

beforeAll(async () => {
  t = await startTestServer();
  const token = await createEnrollmentToken(t, 4);
  fleet = await Promise.all(
    Array.from({ length: 4 }, (_, i) =>
      startDevice(t, {
        enrollmentToken: token,
        serial: uniqueSerial(`GRP-${i}`),
        model: i === 3 ? "Portal Go" : "Portal",
      }),
    ),
  );
  stream = new WebSocket(`${t.server.httpUrl.replace("http", "ws")}/api/v1/events`, {
    headers: { authorization: `Bearer ${t.api.token}` },
  });
  stream.on("message", (data) => streamed.push(JSON.parse(String(data)) as StreamedEvent));
  await new Promise<void>((resolve, reject) => {
    stream.once("open", () => resolve());
    stream.once("error", reject);
  });
  await waitUntil(t, () => streamed.some((e) => e.type === "hello"), "the event stream said hello");
});
afterAll(async () => {
  stream?.close();
  await Promise.all(fleet.map((d) => d.stop({ abrupt: true })));
  await t.cleanup();
});

const ids = (devices: { id: string }[]) => devices.map((d) => d.id).sort();
const fleetIds = (...indexes: number[]) => indexes.map((i) => fleet[i]!.deviceId).sort();
const labelDevices = (indexes: number[], change: { add?: string[]; remove?: string[] }) =>
  t.api.post("/devices/labels", { target: { deviceIds: indexes.map((i) => fleet[i]!.deviceId) }, ...change });
const getGroup = (id: string) => t.api.get<Group & ErrorBody>(`/groups/${id}`);
const listDevices = (query: string) =>
  t.api.get<{ items: DeviceView[]; total: number } & ErrorBody>(`/devices?${query}`);

/** Waits for a streamed event of `type` about the group `id`. */
async function streamedAbout(type: string, id: string): Promise<Group> {
  const about = () => streamed.find((e) => e.type === type && (e.data.group as Group).id === id);
  for (let waited = 0; !about() && waited < 10_000; waited += 25) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  expect(about(), `${type} for ${id} on the event stream`).toBeDefined();
  return about()!.data.group as Group;
}

async function auditOf(action: string): Promise<AuditItem[]> {
  return (await t.api.get<{ items: AuditItem[] }>(`/audit?action=${action}`)).body.items;
}

let lobby: Group;

describe("dynamic groups", () => {
  it("saves a filter as a group whose count follows the devices: a label added moves a device in", async () => {
    const created = await t.api.post<Group & ErrorBody>("/groups", {
      name: "  Lobby screens ",
      filter: { label: "lobby", model: "Portal" },
    });
    expect(created.status).toBe(201);
    lobby = created.body;
    expect(lobby).toMatchObject({
      name: "Lobby screens",
      filter: { label: "lobby", model: "Portal" },
      devices: 0,
    });
    expect(lobby.id).toMatch(/^grp_/);
    expect((await streamedAbout("group.created", lobby.id)).name).toBe("Lobby screens");

    expect((await labelDevices([0, 1, 3], { add: ["lobby"] })).status).toBe(200);
    // Device 3 carries the label but is another model: not in the group.
    expect((await getGroup(lobby.id)).body.devices).toBe(2);
    expect((await labelDevices([2], { add: ["lobby"] })).status).toBe(200);
    expect((await getGroup(lobby.id)).body.devices).toBe(3);
    expect((await labelDevices([0], { remove: ["lobby"] })).status).toBe(200);

    const offline = await t.api.post<Group>("/groups", { name: "Offline", filter: { online: false } });
    expect(offline.status).toBe(201);
    const list = await t.api.get<{ items: Group[]; total: number }>("/groups");
    expect(list.status).toBe(200);
    expect(list.body.total).toBe(2);
    expect(list.body.items.map((g) => [g.name, g.devices])).toEqual([
      ["Lobby screens", 2],
      ["Offline", 0],
    ]);
    expect((await getGroup(lobby.id)).body).toMatchObject({
      id: lobby.id,
      name: "Lobby screens",
      devices: 2,
    });
  });

  it("lists a group's devices, narrowed further by other filters, and exports them as CSV", async () => {
    const members = await listDevices(`group=${lobby.id}`);
    expect(members.status).toBe(200);
    expect(members.body.total).toBe(2);
    expect(ids(members.body.items)).toEqual(fleetIds(1, 2));
    const one = await listDevices(`group=${lobby.id}&q=${fleet[2]!.serial}`);
    expect(ids(one.body.items)).toEqual(fleetIds(2));
    // A filter the group sets already: with the group's value it changes nothing, with another it is refused.
    expect((await listDevices(`group=${lobby.id}&model=Portal`)).body.total).toBe(2);
    const clash = await listDevices(`group=${lobby.id}&model=Portal%20Go`);
    expect(clash.status).toBe(400);
    expect(clash.body.error).toMatchObject({ code: "validation_failed", details: { field: "model" } });
    const unknown = await listDevices("group=grp_nothing");
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("group_not_found");

    const csv = await t.api.request<string>("GET", `/api/v1/devices/export.csv?group=${lobby.id}`);
    expect(csv.status).toBe(200);
    const lines = csv.body.trim().split(/\r?\n/);
    expect(lines).toHaveLength(3);
    expect(
      lines
        .slice(1)
        .map((l) => l.split(",")[0])
        .sort(),
    ).toEqual(fleetIds(1, 2));
  });

  it("sends a fleet command to exactly the group's devices, run by their agents, and records the group", async () => {
    const res = await t.api.post<BatchView>("/batches", {
      target: { group: lobby.id },
      command: { type: "lock" },
    });
    expect(res.status).toBe(202);
    expect(res.body.total).toBe(2);
    expect(res.body.target).toEqual({ group: lobby.id, name: "Lobby screens", filter: lobby.filter });
    const done = await waitForBatch(t, res.body.id);
    expect(done.counts.succeeded).toBe(2);

    const rows = await t.server.store.db
      .selectFrom("commands")
      .select(["id", "device_id"])
      .where("batch_id", "=", res.body.id)
      .execute();
    expect(rows.map((r) => r.device_id).sort()).toEqual(fleetIds(1, 2));
    for (const row of rows) {
      const device = fleet.find((d) => d.deviceId === row.device_id)!;
      expect(device.executionCount(row.id)).toBe(1);
    }
    for (const outside of [fleet[0]!, fleet[3]!]) {
      expect(outside.executions.filter((e) => e.type === "lock")).toEqual([]);
    }
    const stored = await t.server.store.db
      .selectFrom("batches")
      .select("target_json")
      .where("id", "=", res.body.id)
      .executeTakeFirstOrThrow();
    expect(JSON.parse(stored.target_json)).toEqual({
      target: { group: lobby.id, name: "Lobby screens", filter: { label: "lobby", model: "Portal" } },
      skipped: 0,
    });
    const audit = (await auditOf("batch.create"))[0]!;
    expect(audit.params).toMatchObject({ target: { group: lobby.id }, total: 2 });
  });

  it("changes the labels of a group's devices as the group is when the change runs", async () => {
    const res = await t.api.post<{ targeted: number; changed: number }>("/devices/labels", {
      target: { group: lobby.id },
      add: ["checked"],
    });
    expect(res.body).toEqual({ targeted: 2, changed: 2 });
    const checked = await listDevices("label=checked");
    expect(ids(checked.body.items)).toEqual(fleetIds(1, 2));
  });

  it("renames a group and gives it a new filter, which changes its devices; audits and announces it", async () => {
    const renamed = await t.api.patch<Group>(`/groups/${lobby.id}`, { name: "Lobby displays" });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: "Lobby displays", filter: lobby.filter, devices: 2 });
    const refiltered = await t.api.patch<Group>(`/groups/${lobby.id}`, { filter: { label: "lobby" } });
    expect(refiltered.body).toMatchObject({ name: "Lobby displays", filter: { label: "lobby" }, devices: 3 });
    expect(ids((await listDevices(`group=${lobby.id}`)).body.items)).toEqual(fleetIds(1, 2, 3));
    await waitUntil(
      t,
      () =>
        streamed.some(
          (e) => e.type === "group.updated" && (e.data.group as Group).filter.model === undefined,
        ),
      "the new filter on the event stream",
    );
    const updated = streamed.filter((e) => e.type === "group.updated").map((e) => e.data.group as Group);
    expect(updated.at(-1)).toMatchObject({ id: lobby.id, name: "Lobby displays", devices: 3 });

    const audit = await auditOf("group.update");
    expect(audit[0]).toMatchObject({
      outcome: "success",
      target: lobby.id,
      targetKind: "group",
      targetName: "Lobby displays",
      params: { filter: { label: "lobby" }, before: { name: "Lobby displays", filter: lobby.filter } },
    });
    expect(audit[1]).toMatchObject({ params: { name: "Lobby displays", before: { name: "Lobby screens" } } });
  });

  it("refuses a name taken in another case, an unknown group, an empty filter and a bad filter field", async () => {
    const taken = await t.api.post<ErrorBody>("/groups", {
      name: "lobby DISPLAYS",
      filter: { online: true },
    });
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe("group_name_taken");
    expect(taken.body.error.details).toMatchObject({ groupId: lobby.id });
    const offline = (await t.api.get<{ items: Group[] }>("/groups")).body.items.find(
      (g) => g.name === "Offline",
    )!;
    const renameTaken = await t.api.patch<ErrorBody>(`/groups/${offline.id}`, { name: "LOBBY displays" });
    expect(renameTaken.status).toBe(409);
    expect(renameTaken.body.error.code).toBe("group_name_taken");
    expect((await getGroup(offline.id)).body.name).toBe("Offline");

    for (const [method, path, body] of [
      ["GET", "/groups/grp_nothing", undefined],
      ["PATCH", "/groups/grp_nothing", { name: "x" }],
      ["DELETE", "/groups/grp_nothing", undefined],
      ["POST", "/batches", { target: { group: "grp_nothing" }, command: { type: "lock" } }],
      ["POST", "/devices/labels", { target: { group: "grp_nothing" }, add: ["x"] }],
    ] as const) {
      const res = await t.api.request<ErrorBody>(method, `/api/v1${path}`, body);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error.code).toBe("group_not_found");
    }

    const empty = await t.api.post<ErrorBody>("/groups", { name: "Everything", filter: {} });
    expect(empty.status).toBe(400);
    expect(empty.body.error).toMatchObject({ code: "validation_failed", details: { field: "filter" } });
    const emptied = await t.api.patch<ErrorBody>(`/groups/${offline.id}`, { filter: {} });
    expect(emptied.status).toBe(400);
    const badField = await t.api.post<ErrorBody>("/groups", { name: "Colour", filter: { colour: "red" } });
    expect(badField.status).toBe(400);
    expect(badField.body.error.code).toBe("validation_failed");
    const badValue = await t.api.post<ErrorBody>("/groups", { name: "Bad", filter: { online: "sometimes" } });
    expect(badValue.status).toBe(400);
    const blank = await t.api.post<ErrorBody>("/groups", { name: "   ", filter: { online: true } });
    expect(blank.status).toBe(400);
    expect(blank.body.error.details).toMatchObject({ field: "name" });

    const names = (await t.api.get<{ items: Group[] }>("/groups")).body.items.map((g) => g.name);
    expect(names).toEqual(["Lobby displays", "Offline"]);
    const failures = (await auditOf("group.create")).filter((a) => a.outcome === "failure");
    expect(failures.map((a) => a.errorCode)).toContain("group_name_taken");
  });

  it("deletes a group: gone from the list, audited with its name and filter, announced; its fleet commands keep it", async () => {
    const before = (await t.api.get<{ items: BatchView[] }>("/batches")).body.items.find(
      (b) => (b.target as { group?: string }).group === lobby.id,
    )!;
    const deleted = await t.api.request("DELETE", `/api/v1/groups/${lobby.id}`);
    expect(deleted.status).toBe(204);
    expect((await getGroup(lobby.id)).status).toBe(404);
    expect((await t.api.get<{ items: Group[] }>("/groups")).body.items.map((g) => g.name)).toEqual([
      "Offline",
    ]);
    expect((await streamedAbout("group.deleted", lobby.id)).name).toBe("Lobby displays");
    const audit = (await auditOf("group.delete"))[0]!;
    expect(audit).toMatchObject({
      outcome: "success",
      target: lobby.id,
      targetKind: "group",
      targetName: "Lobby displays",
      params: { name: "Lobby displays", filter: { label: "lobby" } },
    });
    const batch = (await t.api.get<BatchView>(`/batches/${before.id}`)).body;
    expect(batch.target).toEqual({
      group: lobby.id,
      name: "Lobby screens",
      filter: { label: "lobby", model: "Portal" },
    });
    const created = (await auditOf("group.create")).find((a) => a.target === lobby.id)!;
    expect(created).toMatchObject({ targetKind: "group", params: { name: "  Lobby screens " } });
  });

  it(`keeps at most ${MAX_GROUPS} groups, and lists that many with their counts`, async () => {
    const { store } = t.server;
    const repository = new DeviceGroupRepository(dialectOf(store.dialect));
    const existing = await repository.count(store.db);
    await store.unit(async (tx) => {
      for (let i = existing; i < MAX_GROUPS; i++) {
        await repository.insert(tx, {
          id: `grp_fill_${String(i).padStart(4, "0")}`,
          name: `Filler ${i}`,
          filter: { notSeenForDays: 1 + (i % 30) },
          createdAtMs: 1,
          updatedAtMs: 1,
        });
      }
    });
    const refused = await t.api.post<ErrorBody>("/groups", {
      name: "One too many",
      filter: { online: true },
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: "too_many_groups", details: { max: MAX_GROUPS } });
    const list = await t.api.get<{ items: Group[]; total: number }>("/groups");
    expect(list.body.total).toBe(MAX_GROUPS);
    expect(list.body.items.every((g) => g.devices === 0)).toBe(true);
    expect(await repository.count(store.db)).toBe(MAX_GROUPS);
  });
});
