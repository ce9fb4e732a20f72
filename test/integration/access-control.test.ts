/**
 * Every route × (no credential, a credential with every right but the one needed, a
 * credential with only that right): 401, 403 and success, and a refused request changes
 * nothing in the store (every table compared before and after) and announces nothing on the
 * event bus. Each admin action that succeeds leaves its audit row. The table must cover every
 * route the server has.
 */
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import type { SimulatedDevice } from "../../agent/simulated-device.js";
import { RIGHTS, type Right } from "../../server/admins/rights.js";
import { createAdmin, createRole, login, TEST_PASSWORD, type TestAdmin } from "../helpers/admins.js";
import { startDevice, uniqueSerial, waitForBatch, waitUntil } from "../helpers/devices.js";
import { eventually } from "../helpers/poll.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

type Need = Right | "signed-in" | "public";

interface Attempt {
  path: string;
  body?: unknown;
  /** For routes that end the caller's own session or change its password: a fresh one. */
  token?: string;
}

interface Row {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** The route as the OpenAPI document names it. */
  route: string;
  need: Need;
  ok: number;
  /** The audit action a success must leave. */
  audit?: string;
  /** Builds a fresh target for this row (runs before the snapshot). */
  prepare: (who: TestAdmin) => Promise<Attempt>;
  label?: string;
}

let t: TestServer;
/** Per right: an admin holding only it, and one holding every right but it. */
const only = new Map<Right, TestAdmin>();
const allBut = new Map<Right, TestAdmin>();
let signedIn: TestAdmin;
let emptyRoleId: string;
let counter = 0;

const unique = (prefix: string) => `${prefix}-${process.pid}-${++counter}`;

async function enrollDevice(): Promise<string> {
  const token = await t.api.post<{ token: string }>("/enrollment-tokens", {
    maxUses: 1,
    expiresInSeconds: 600,
  });
  const res = await t.api.post<{ deviceId: string }>("/enrollment/enroll", {
    token: token.body.token,
    serial: unique("ACL"),
    model: "Portal",
    agentVersion: "1.0.0",
  });
  return res.body.deviceId;
}

async function createGroup(): Promise<string> {
  const res = await t.api.post<{ id: string }>("/groups", {
    name: unique("group"),
    filter: { model: "Portal" },
  });
  return res.body.id;
}

async function createSite(): Promise<string> {
  const res = await t.api.post<{ id: string }>("/sites", { name: unique("site") });
  return res.body.id;
}

async function issue(type: string): Promise<string> {
  const res = await t.api.post<{ id: string }>(`/devices/${await enrollDevice()}/commands`, { type });
  return res.body.id;
}

async function batchOf(type: string): Promise<string> {
  const res = await t.api.post<{ id: string }>("/batches", {
    target: { deviceIds: [await enrollDevice()] },
    command: { type },
  });
  return res.body.id;
}

/** Agents started for rows that need a connected device; stopped at the end. */
const agents: SimulatedDevice[] = [];

/**
 * A connected device that has applied its desired config and whose reports are stored: sending
 * the config again changes nothing (the agent ignores a version it runs), so nothing moves
 * while a row compares the store before and after.
 */
async function settledOnlineDevice(): Promise<string> {
  const device = await startDevice(t, { serial: unique("ONLINE") });
  agents.push(device);
  await waitUntil(
    t,
    async () => {
      const d = (
        await t.api.get<{ desired: { version: number }; reported: { appliedConfigVersion: number } | null }>(
          `/devices/${device.deviceId}`,
        )
      ).body;
      return d.reported !== null && d.reported.appliedConfigVersion >= d.desired.version;
    },
    "the device applied its config",
  );
  await t.server.services.devices.drainWrites();
  return device.deviceId;
}

/**
 * A fleet command of `type` that failed on its one device, which is offline again by now: a
 * retry only queues (nothing arrives later to change the store).
 */
async function failedBatchOf(type: string): Promise<string> {
  const device = await startDevice(t, { serial: uniqueSerial("FAILING"), failureRate: 1 });
  agents.push(device);
  const res = await t.api.post<{ id: string }>("/batches", {
    target: { deviceIds: [device.deviceId] },
    command: { type },
  });
  await waitForBatch(t, res.body.id);
  await device.stop();
  await waitUntil(t, () => !t.server.gateway.isOnline(device.deviceId), "the device went offline");
  await t.server.services.devices.drainWrites();
  return res.body.id;
}

async function freshAdminId(): Promise<string> {
  const res = await t.api.post<{ id: string }>("/admins", {
    email: `${unique("target")}@example.test`,
    name: "Target",
    roleId: emptyRoleId,
    password: TEST_PASSWORD,
  });
  return res.body.id;
}

async function deviceCode(): Promise<{ deviceCode: string; userCode: string }> {
  const res = await t.api
    .withToken(null)
    .post<{ deviceCode: string; userCode: string }>("/enrollment/device-codes", {
      serial: unique("CODE"),
      model: "Portal",
      agentVersion: "1.0.0",
    });
  return res.body;
}

const fixed = (path: string, body?: unknown) => async (): Promise<Attempt> => ({ path, body });

const commandRow = (type: string, need: Right, extra: Record<string, unknown> = {}): Row => ({
  method: "POST",
  route: "/api/v1/devices/{id}/commands",
  label: type,
  need,
  ok: 202,
  audit: "command.issue",
  prepare: async () => ({ path: `/devices/${await enrollDevice()}/commands`, body: { type, ...extra } }),
});

const cancelRow = (type: string, need: Right): Row => ({
  method: "POST",
  route: "/api/v1/commands/{id}/cancel",
  label: type,
  need,
  ok: 200,
  audit: "command.cancel",
  prepare: async () => ({ path: `/commands/${await issue(type)}/cancel` }),
});

const batchRow = (type: string, need: Right): Row => ({
  method: "POST",
  route: "/api/v1/batches",
  label: type,
  need,
  ok: 202,
  audit: "batch.create",
  prepare: async () => ({
    path: "/batches",
    body: { target: { deviceIds: [await enrollDevice()] }, command: { type } },
  }),
});

async function createSchedule(type: string): Promise<string> {
  const res = await t.api.post<{ id: string }>("/schedules", {
    name: unique("schedule"),
    command: { type },
    target: { deviceIds: [await enrollDevice()] },
    cron: "0 3 * * 0",
    timezone: "Europe/Berlin",
  });
  return res.body.id;
}

/** A schedule's routes need the right of its command's type. */
const scheduleRows = (type: string, need: Right): Row[] => [
  {
    method: "POST",
    route: "/api/v1/schedules",
    label: type,
    need,
    ok: 201,
    audit: "schedule.create",
    prepare: async () => ({
      path: "/schedules",
      body: {
        name: unique("schedule"),
        command: { type },
        target: { deviceIds: [await enrollDevice()] },
        cron: "0 3 * * 0",
        timezone: "Europe/Berlin",
      },
    }),
  },
  {
    method: "PATCH",
    route: "/api/v1/schedules/{id}",
    label: type,
    need,
    ok: 200,
    audit: "schedule.update",
    prepare: async () => ({ path: `/schedules/${await createSchedule(type)}`, body: { cron: "0 4 * * 0" } }),
  },
  {
    method: "POST",
    route: "/api/v1/schedules/{id}/pause",
    label: type,
    need,
    ok: 200,
    audit: "schedule.pause",
    prepare: async () => ({ path: `/schedules/${await createSchedule(type)}/pause` }),
  },
  {
    method: "POST",
    route: "/api/v1/schedules/{id}/resume",
    label: type,
    need,
    ok: 200,
    audit: "schedule.resume",
    prepare: async () => ({ path: `/schedules/${await createSchedule(type)}/resume` }),
  },
  {
    method: "DELETE",
    route: "/api/v1/schedules/{id}",
    label: type,
    need,
    ok: 204,
    audit: "schedule.delete",
    prepare: async () => ({ path: `/schedules/${await createSchedule(type)}` }),
  },
];

/**
 * A rollout of `type` over devices that never connect: its phase's commands stay queued, so
 * nothing moves while a row compares the store. With `approval`, it waits for one already.
 */
async function createRollout(type: string, approval = false): Promise<string> {
  const deviceIds = approval ? [await enrollDevice(), await enrollDevice()] : [await enrollDevice()];
  const res = await t.api.post<{ id: string }>("/rollouts", {
    name: unique("rollout"),
    command: { type },
    target: { deviceIds },
    phases: approval ? [{ size: { count: 1 }, gate: { approval: true } }, {}] : [{}],
  });
  return res.body.id;
}

/** A rollout of `type` that failed on its one device, which is offline again: a retry only queues. */
async function failedRolloutOf(type: string): Promise<string> {
  const device = await startDevice(t, { serial: uniqueSerial("ROLL-FAILING"), failureRate: 1 });
  agents.push(device);
  const res = await t.api.post<{ id: string }>("/rollouts", {
    name: unique("rollout"),
    command: { type },
    target: { deviceIds: [device.deviceId] },
    phases: [{}],
  });
  // One step at a time, each finished before the row goes on.
  await eventually("the rollout completed", async () => {
    await t.server.services.rollouts.runDue();
    const view = await t.api.get<{ state: string }>(`/rollouts/${res.body.id}`);
    return view.body.state === "completed" ? true : undefined;
  });
  await device.stop();
  await waitUntil(t, () => !t.server.gateway.isOnline(device.deviceId), "the device went offline");
  await t.server.services.devices.drainWrites();
  return res.body.id;
}

const rolloutRows = (type: string, need: Right): Row[] => [
  {
    method: "POST",
    route: "/api/v1/rollouts",
    label: type,
    need,
    ok: 201,
    audit: "rollout.create",
    prepare: async () => ({
      path: "/rollouts",
      body: {
        name: unique("rollout"),
        command: { type },
        target: { deviceIds: [await enrollDevice()] },
        phases: [{}],
      },
    }),
  },
  {
    method: "POST",
    route: "/api/v1/rollouts/{id}/pause",
    label: type,
    need,
    ok: 200,
    audit: "rollout.pause",
    prepare: async () => ({ path: `/rollouts/${await createRollout(type)}/pause` }),
  },
  {
    method: "POST",
    route: "/api/v1/rollouts/{id}/resume",
    label: type,
    need,
    ok: 200,
    audit: "rollout.resume",
    prepare: async () => {
      const id = await createRollout(type);
      await t.api.post(`/rollouts/${id}/pause`);
      return { path: `/rollouts/${id}/resume` };
    },
  },
  {
    method: "POST",
    route: "/api/v1/rollouts/{id}/approve",
    label: type,
    need,
    ok: 200,
    audit: "rollout.approve",
    prepare: async () => ({ path: `/rollouts/${await createRollout(type, true)}/approve` }),
  },
  {
    method: "POST",
    route: "/api/v1/rollouts/{id}/cancel",
    label: type,
    need,
    ok: 200,
    audit: "rollout.cancel",
    prepare: async () => ({ path: `/rollouts/${await createRollout(type)}/cancel` }),
  },
  {
    method: "POST",
    route: "/api/v1/rollouts/{id}/retry",
    label: type,
    need,
    ok: 201,
    audit: "rollout.retry",
    prepare: async () => ({ path: `/rollouts/${await failedRolloutOf(type)}/retry` }),
  },
];

const ROWS: Row[] = [
  // devices and commands
  { method: "GET", route: "/api/v1/devices", need: "devices:read", ok: 200, prepare: fixed("/devices") },
  { method: "GET", route: "/api/v1/labels", need: "devices:read", ok: 200, prepare: fixed("/labels") },
  {
    method: "POST",
    route: "/api/v1/devices/labels",
    need: "devices:organize",
    ok: 200,
    audit: "device.labels.change",
    prepare: async () => ({
      path: "/devices/labels",
      body: { target: { deviceIds: [await enrollDevice()] }, add: ["access"] },
    }),
  },
  // dynamic groups
  { method: "GET", route: "/api/v1/groups", need: "devices:read", ok: 200, prepare: fixed("/groups") },
  {
    method: "GET",
    route: "/api/v1/groups/{id}",
    need: "devices:read",
    ok: 200,
    prepare: async () => ({ path: `/groups/${await createGroup()}` }),
  },
  {
    method: "POST",
    route: "/api/v1/groups",
    need: "devices:organize",
    ok: 201,
    audit: "group.create",
    prepare: async () => ({ path: "/groups", body: { name: unique("group"), filter: { online: false } } }),
  },
  {
    method: "PATCH",
    route: "/api/v1/groups/{id}",
    need: "devices:organize",
    ok: 200,
    audit: "group.update",
    prepare: async () => ({ path: `/groups/${await createGroup()}`, body: { filter: { online: true } } }),
  },
  {
    method: "DELETE",
    route: "/api/v1/groups/{id}",
    need: "devices:organize",
    ok: 204,
    audit: "group.delete",
    prepare: async () => ({ path: `/groups/${await createGroup()}` }),
  },
  // sites
  { method: "GET", route: "/api/v1/sites", need: "devices:read", ok: 200, prepare: fixed("/sites") },
  {
    method: "GET",
    route: "/api/v1/sites/{id}",
    need: "devices:read",
    ok: 200,
    prepare: async () => ({ path: `/sites/${await createSite()}` }),
  },
  {
    method: "GET",
    route: "/api/v1/sites/{id}/time/pending",
    need: "devices:read",
    ok: 200,
    prepare: async () => ({ path: `/sites/${await createSite()}/time/pending` }),
  },
  {
    method: "POST",
    route: "/api/v1/sites",
    need: "settings:manage",
    ok: 201,
    audit: "site.create",
    prepare: async () => ({
      path: "/sites",
      body: { name: unique("site"), time: { timezone: "Europe/Berlin", ntpServer: null } },
    }),
  },
  {
    method: "PATCH",
    route: "/api/v1/sites/{id}",
    need: "settings:manage",
    ok: 200,
    audit: "site.update",
    prepare: async () => ({ path: `/sites/${await createSite()}`, body: { time: null } }),
  },
  {
    method: "DELETE",
    route: "/api/v1/sites/{id}",
    need: "settings:manage",
    ok: 200,
    audit: "site.delete",
    prepare: async () => ({ path: `/sites/${await createSite()}` }),
  },
  {
    method: "POST",
    route: "/api/v1/sites/{id}/devices",
    need: "devices:organize",
    ok: 200,
    audit: "site.assign",
    prepare: async () => ({
      path: `/sites/${await createSite()}/devices`,
      body: { target: { deviceIds: [await enrollDevice()] } },
    }),
  },
  {
    method: "POST",
    route: "/api/v1/sites/none/devices",
    need: "devices:organize",
    ok: 200,
    audit: "site.assign",
    prepare: async () => ({
      path: "/sites/none/devices",
      body: { target: { deviceIds: [await enrollDevice()] } },
    }),
  },
  {
    method: "GET",
    route: "/api/v1/devices/counts",
    need: "devices:read",
    ok: 200,
    prepare: fixed("/devices/counts"),
  },
  {
    method: "GET",
    route: "/api/v1/devices/export.csv",
    need: "devices:read",
    ok: 200,
    prepare: fixed("/devices/export.csv?status=active&sort=name"),
  },
  {
    method: "POST",
    route: "/api/v1/devices/{id}/config/resend",
    need: "devices:command",
    ok: 202,
    audit: "device.config_resend",
    prepare: async () => ({ path: `/devices/${await settledOnlineDevice()}/config/resend` }),
  },
  {
    method: "GET",
    route: "/api/v1/devices/{id}",
    need: "devices:read",
    ok: 200,
    prepare: async () => ({ path: `/devices/${await enrollDevice()}` }),
  },
  {
    method: "GET",
    route: "/api/v1/devices/{id}/state-history",
    need: "devices:read",
    ok: 200,
    prepare: async () => ({ path: `/devices/${await enrollDevice()}/state-history` }),
  },
  {
    method: "GET",
    route: "/api/v1/devices/{id}/commands",
    need: "devices:read",
    ok: 200,
    prepare: async () => ({ path: `/devices/${await enrollDevice()}/commands` }),
  },
  commandRow("lock", "devices:command"),
  commandRow("reboot", "devices:command"),
  commandRow("rename", "devices:command", { name: "Lobby" }),
  commandRow("set_time", "devices:command", { timezone: "Europe/Paris", ntpServer: null }),
  commandRow("refresh_state", "devices:command"),
  commandRow("factory_reset", "devices:wipe"),
  commandRow("stop_managing", "devices:unenroll"),
  commandRow("deactivate", "devices:deactivate"),
  {
    method: "POST",
    route: "/api/v1/devices/{id}/remove",
    need: "devices:unenroll",
    ok: 200,
    audit: "device.remove",
    prepare: async () => ({ path: `/devices/${await enrollDevice()}/remove` }),
  },
  {
    method: "POST",
    route: "/api/v1/devices/{id}/revoke-credential",
    need: "devices:unenroll",
    ok: 200,
    audit: "device.revoke_credential",
    prepare: async () => ({ path: `/devices/${await enrollDevice()}/revoke-credential` }),
  },
  {
    method: "GET",
    route: "/api/v1/commands/{id}",
    need: "devices:read",
    ok: 200,
    prepare: async () => ({ path: `/commands/${await issue("lock")}` }),
  },
  cancelRow("lock", "devices:command"),
  cancelRow("factory_reset", "devices:wipe"),
  cancelRow("stop_managing", "devices:unenroll"),
  batchRow("reboot", "devices:command"),
  batchRow("factory_reset", "devices:wipe"),
  batchRow("deactivate", "devices:deactivate"),
  // schedules
  { method: "GET", route: "/api/v1/schedules", need: "devices:read", ok: 200, prepare: fixed("/schedules") },
  {
    method: "GET",
    route: "/api/v1/schedules/{id}",
    need: "devices:read",
    ok: 200,
    prepare: async () => ({ path: `/schedules/${await createSchedule("reboot")}` }),
  },
  {
    method: "GET",
    route: "/api/v1/schedules/{id}/runs",
    need: "devices:read",
    ok: 200,
    prepare: async () => ({ path: `/schedules/${await createSchedule("reboot")}/runs` }),
  },
  ...scheduleRows("reboot", "devices:command"),
  ...scheduleRows("factory_reset", "devices:wipe"),
  { method: "GET", route: "/api/v1/batches", need: "devices:read", ok: 200, prepare: fixed("/batches") },
  {
    method: "POST",
    route: "/api/v1/batches/{id}/retry",
    need: "devices:command",
    ok: 202,
    audit: "batch.retry",
    prepare: async () => ({ path: `/batches/${await failedBatchOf("lock")}/retry` }),
  },
  {
    method: "POST",
    route: "/api/v1/batches/{id}/retry",
    label: "factory_reset",
    need: "devices:wipe",
    ok: 202,
    audit: "batch.retry",
    prepare: async () => ({ path: `/batches/${await failedBatchOf("factory_reset")}/retry` }),
  },
  {
    method: "GET",
    route: "/api/v1/batches/{id}",
    need: "devices:read",
    ok: 200,
    prepare: async () => ({ path: `/batches/${await batchOf("lock")}` }),
  },
  {
    method: "GET",
    route: "/api/v1/batches/{id}/commands",
    need: "devices:read",
    ok: 200,
    prepare: async () => ({ path: `/batches/${await batchOf("lock")}/commands?state=failed` }),
  },
  {
    method: "POST",
    route: "/api/v1/batches/{id}/cancel",
    need: "devices:command",
    ok: 200,
    audit: "batch.cancel",
    prepare: async () => ({ path: `/batches/${await batchOf("lock")}/cancel` }),
  },
  {
    method: "POST",
    route: "/api/v1/batches/{id}/cancel",
    label: "factory_reset",
    need: "devices:wipe",
    ok: 200,
    audit: "batch.cancel",
    prepare: async () => ({ path: `/batches/${await batchOf("factory_reset")}/cancel` }),
  },
  // staged rollouts
  { method: "GET", route: "/api/v1/rollouts", need: "devices:read", ok: 200, prepare: fixed("/rollouts") },
  {
    method: "GET",
    route: "/api/v1/rollouts/{id}",
    need: "devices:read",
    ok: 200,
    prepare: async () => ({ path: `/rollouts/${await createRollout("lock")}` }),
  },
  ...rolloutRows("lock", "devices:command"),
  ...rolloutRows("factory_reset", "devices:wipe"),
  // settings
  {
    method: "GET",
    route: "/api/v1/settings/time",
    need: "devices:read",
    ok: 200,
    prepare: fixed("/settings/time"),
  },
  {
    method: "GET",
    route: "/api/v1/settings/timezones",
    need: "devices:read",
    ok: 200,
    prepare: fixed("/settings/timezones"),
  },
  {
    method: "GET",
    route: "/api/v1/settings/time/pending",
    need: "devices:read",
    ok: 200,
    prepare: fixed("/settings/time/pending"),
  },
  {
    method: "GET",
    route: "/api/v1/settings/clock-drift",
    need: "devices:read",
    ok: 200,
    prepare: fixed("/settings/clock-drift"),
  },
  {
    method: "PUT",
    route: "/api/v1/settings/clock-drift",
    need: "settings:manage",
    ok: 200,
    audit: "settings.clock_drift.update",
    prepare: fixed("/settings/clock-drift", { thresholdMs: 1500 }),
  },
  {
    method: "PUT",
    route: "/api/v1/settings/time",
    need: "settings:manage",
    ok: 200,
    audit: "settings.time.update",
    prepare: fixed("/settings/time", { timezone: "Europe/Paris", ntpServer: null }),
  },
  // enrollment
  {
    method: "POST",
    route: "/api/v1/enrollment-tokens",
    need: "enrollment:manage",
    ok: 201,
    audit: "enrollment_token.create",
    prepare: fixed("/enrollment-tokens", { maxUses: 1, expiresInSeconds: 600 }),
  },
  {
    method: "GET",
    route: "/api/v1/enrollment-tokens",
    need: "enrollment:manage",
    ok: 200,
    prepare: fixed("/enrollment-tokens"),
  },
  {
    method: "POST",
    route: "/api/v1/enrollment-tokens/{id}/revoke",
    need: "enrollment:manage",
    ok: 200,
    audit: "enrollment_token.revoke",
    prepare: async () => {
      const token = await t.api.post<{ id: string }>("/enrollment-tokens", {
        maxUses: 1,
        expiresInSeconds: 600,
      });
      return { path: `/enrollment-tokens/${token.body.id}/revoke` };
    },
  },
  {
    method: "POST",
    route: "/api/v1/enrollment/claims",
    need: "enrollment:manage",
    ok: 201,
    audit: "enrollment.claim",
    prepare: async () => ({ path: "/enrollment/claims", body: { code: (await deviceCode()).userCode } }),
  },
  {
    method: "POST",
    route: "/api/v1/enrollment/enroll",
    need: "public",
    ok: 201,
    prepare: async () => {
      const token = await t.api.post<{ token: string }>("/enrollment-tokens", {
        maxUses: 1,
        expiresInSeconds: 600,
      });
      return {
        path: "/enrollment/enroll",
        body: { token: token.body.token, serial: unique("PUB"), model: "Portal", agentVersion: "1.0.0" },
      };
    },
  },
  {
    method: "POST",
    route: "/api/v1/enrollment/device-codes",
    need: "public",
    ok: 201,
    prepare: async () => ({
      path: "/enrollment/device-codes",
      body: { serial: unique("PUB"), model: "Portal", agentVersion: "1.0.0" },
    }),
  },
  {
    method: "POST",
    route: "/api/v1/enrollment/device-codes/poll",
    need: "public",
    ok: 200,
    prepare: async () => ({
      path: "/enrollment/device-codes/poll",
      body: { deviceCode: (await deviceCode()).deviceCode },
    }),
  },
  // auth
  {
    method: "POST",
    route: "/api/v1/auth/login",
    need: "public",
    ok: 200,
    audit: "auth.login",
    prepare: async (who) => ({ path: "/auth/login", body: { email: who.email, password: TEST_PASSWORD } }),
  },
  { method: "GET", route: "/api/v1/auth/me", need: "signed-in", ok: 200, prepare: fixed("/auth/me") },
  {
    method: "POST",
    route: "/api/v1/auth/logout",
    need: "signed-in",
    ok: 204,
    audit: "auth.logout",
    prepare: async (who) => ({ path: "/auth/logout", token: (await login(t, who.email)).token }),
  },
  {
    method: "POST",
    route: "/api/v1/auth/logout-all",
    need: "signed-in",
    ok: 200,
    audit: "auth.logout_all",
    prepare: async () => {
      const admin = await createAdmin(t, { roleId: emptyRoleId });
      return { path: "/auth/logout-all", token: admin.sessionToken };
    },
  },
  {
    method: "POST",
    route: "/api/v1/auth/password",
    need: "signed-in",
    ok: 204,
    audit: "auth.password_change",
    prepare: async () => {
      const admin = await createAdmin(t, { roleId: emptyRoleId });
      return {
        path: "/auth/password",
        token: admin.sessionToken,
        body: { currentPassword: TEST_PASSWORD, newPassword: "another good password" },
      };
    },
  },
  // admins
  { method: "GET", route: "/api/v1/admins", need: "admins:manage", ok: 200, prepare: fixed("/admins") },
  {
    method: "POST",
    route: "/api/v1/admins",
    need: "admins:manage",
    ok: 201,
    audit: "admin.create",
    prepare: async () => ({
      path: "/admins",
      body: { email: `${unique("new")}@example.test`, name: "New", roleId: emptyRoleId },
    }),
  },
  {
    method: "GET",
    route: "/api/v1/admins/{id}",
    need: "admins:manage",
    ok: 200,
    prepare: async () => ({ path: `/admins/${await freshAdminId()}` }),
  },
  {
    method: "PATCH",
    route: "/api/v1/admins/{id}",
    need: "admins:manage",
    ok: 200,
    audit: "admin.update",
    prepare: async () => ({
      path: `/admins/${await freshAdminId()}`,
      body: { name: "Renamed", active: false },
    }),
  },
  {
    method: "POST",
    route: "/api/v1/admins/{id}/password",
    need: "admins:manage",
    ok: 204,
    audit: "admin.password_set",
    prepare: async () => ({
      path: `/admins/${await freshAdminId()}/password`,
      body: { password: "temporary pass 1" },
    }),
  },
  // roles
  { method: "GET", route: "/api/v1/roles", need: "signed-in", ok: 200, prepare: fixed("/roles") },
  {
    method: "GET",
    route: "/api/v1/roles/{id}",
    need: "signed-in",
    ok: 200,
    prepare: fixed("/roles/system_admin"),
  },
  {
    method: "POST",
    route: "/api/v1/roles",
    need: "roles:manage",
    ok: 201,
    audit: "role.create",
    prepare: fixed("/roles", { name: "help desk (no rights yet)", rights: [] }),
  },
  {
    method: "PATCH",
    route: "/api/v1/roles/{id}",
    need: "roles:manage",
    ok: 200,
    audit: "role.update",
    prepare: async () => ({ path: `/roles/${await createRole(t, [])}`, body: { rights: ["roles:manage"] } }),
  },
  {
    method: "DELETE",
    route: "/api/v1/roles/{id}",
    need: "roles:manage",
    ok: 204,
    audit: "role.delete",
    prepare: async () => ({ path: `/roles/${await createRole(t, [])}` }),
  },
  // personal tokens
  { method: "GET", route: "/api/v1/tokens", need: "signed-in", ok: 200, prepare: fixed("/tokens") },
  {
    method: "POST",
    route: "/api/v1/tokens",
    need: "signed-in",
    ok: 201,
    audit: "token.create",
    prepare: fixed("/tokens", { name: "script", rights: [] }),
  },
  {
    method: "DELETE",
    route: "/api/v1/tokens/{id}",
    need: "signed-in",
    ok: 204,
    audit: "token.revoke",
    prepare: async (who) => {
      const created = await who.api.post<{ id: string }>("/tokens", { name: "to revoke", rights: [] });
      return { path: `/tokens/${created.body.id}` };
    },
  },
  // audit
  { method: "GET", route: "/api/v1/audit", need: "audit:read", ok: 200, prepare: fixed("/audit") },
  {
    method: "GET",
    route: "/api/v1/audit/export.csv",
    need: "audit:read",
    ok: 200,
    prepare: fixed("/audit/export.csv?outcome=failure"),
  },
];

/**
 * Every row of every table in the order the store keeps them (SQLite's rowid, PostgreSQL's
 * ctid, which a rewritten row changes too), so any write shows.
 */
const LIVENESS_TABLES = new Set(["server_nodes", "job_leases"]);

async function snapshot(): Promise<string> {
  const db = t.server.store.db;
  const onSqlite = t.server.store.dialect === "sqlite";
  const tables = onSqlite
    ? sql<{ name: string }>`SELECT name FROM sqlite_master
        WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`
    : sql<{ name: string }>`SELECT tablename AS name FROM pg_tables
        WHERE schemaname = current_schema() ORDER BY tablename`;
  const dump: Record<string, unknown[]> = {};
  for (const { name } of (await tables.execute(db)).rows) {
    // The node's heartbeat and its jobs' leases move on their own timers, whatever a request does.
    if (LIVENESS_TABLES.has(name)) continue;
    const order = sql.raw(onSqlite ? "rowid" : "ctid");
    dump[name] = (await sql`SELECT * FROM ${sql.table(name)} ORDER BY ${order}`.execute(db)).rows;
  }
  return JSON.stringify(dump);
}

async function call(method: string, attempt: Attempt, token: string | null) {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (attempt.body !== undefined || method !== "GET") headers["content-type"] = "application/json";
  const response = await fetch(`${t.server.httpUrl}/api/v1${attempt.path}`, {
    method,
    headers,
    body: method === "GET" ? undefined : JSON.stringify(attempt.body ?? {}),
  });
  const text = await response.text();
  // Exports answer CSV; only JSON answers carry an error code to read.
  const json = response.headers.get("content-type")?.startsWith("application/json") === true;
  return {
    status: response.status,
    body: text && json ? (JSON.parse(text) as { error?: { code: string } }) : null,
  };
}

/** Every event the server announced since the last call. */
const announced: string[] = [];
function takeAnnounced(): string[] {
  return announced.splice(0);
}

/** Records the name of every event the bus announces; the events still go out as before. */
function recordAnnouncements(): void {
  const bus = t.server.services.events as unknown as Record<
    "emit" | "emitLazy",
    (event: string, payload: unknown) => void
  >;
  for (const method of ["emit", "emitLazy"] as const) {
    const original = bus[method].bind(bus);
    bus[method] = (event, payload) => {
      announced.push(event);
      original(event, payload);
    };
  }
}

async function lastAuditSeq(): Promise<number> {
  const newest = await t.server.store.db
    .selectFrom("audit_log")
    .select((eb) => eb.fn.max("seq").as("seq"))
    .executeTakeFirst();
  return newest?.seq ?? 0;
}

beforeAll(async () => {
  t = await startTestServer();
  emptyRoleId = await createRole(t, [], "no rights");
  for (const right of RIGHTS) {
    only.set(right, await createAdmin(t, { rights: [right] }));
    allBut.set(right, await createAdmin(t, { rights: RIGHTS.filter((r) => r !== right) }));
  }
  signedIn = await createAdmin(t, { roleId: emptyRoleId });
  recordAnnouncements();
});
afterAll(async () => {
  await Promise.all(agents.map((d) => d.stop({ abrupt: true })));
  await t.cleanup();
});

describe("access control", () => {
  it("has a row for every route of the API", async () => {
    const doc = await t.api.request<{ paths: Record<string, Record<string, unknown>> }>(
      "GET",
      "/api/openapi.json",
    );
    const served = Object.entries(doc.body.paths)
      .filter(([path]) => path.startsWith("/api/v1/"))
      .flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`))
      .filter((r) => !r.startsWith("HEAD "));
    const covered = new Set(ROWS.map((r) => `${r.method} ${r.route}`));
    expect(served.filter((r) => !covered.has(r))).toEqual([]);
    expect([...covered].filter((r) => !served.includes(r))).toEqual([]);
  });

  for (const row of ROWS) {
    const name = `${row.method} ${row.route}${row.label ? ` (${row.label})` : ""} needs ${row.need}`;
    it(name, async () => {
      const who = row.need === "public" || row.need === "signed-in" ? signedIn : only.get(row.need)!;
      const attempt = await row.prepare(who);
      const before = await snapshot();
      takeAnnounced();

      if (row.need !== "public") {
        const anonymous = await call(row.method, attempt, null);
        expect(anonymous.status, "no credential").toBe(401);
        expect(anonymous.body?.error?.code).toBe("unauthorized");
        expect(await snapshot(), "no credential changed the store").toBe(before);
        expect(takeAnnounced(), "no credential announced something").toEqual([]);
      }
      if (row.need !== "public" && row.need !== "signed-in") {
        const wrong = await call(row.method, attempt, allBut.get(row.need)!.sessionToken);
        expect(wrong.status, "every right but the one needed").toBe(403);
        expect(wrong.body?.error?.code).toBe("forbidden");
        expect(await snapshot(), "a missing right changed the store").toBe(before);
        expect(takeAnnounced(), "a missing right announced something").toEqual([]);
      }

      const auditFrom = await lastAuditSeq();
      const token = row.need === "public" ? null : (attempt.token ?? who.sessionToken);
      const allowed = await call(row.method, attempt, token);
      expect(allowed.status, JSON.stringify(allowed.body)).toBe(row.ok);
      if (row.audit) {
        const rows = await t.server.store.db
          .selectFrom("audit_log")
          .selectAll()
          .where("seq", ">", auditFrom)
          .where("action", "=", row.audit)
          .execute();
        expect(rows, `audit row ${row.audit}`).toHaveLength(1);
        expect(rows[0]).toMatchObject({ outcome: "success", source_address: "127.0.0.1" });
        if (row.need !== "public" && !attempt.token) expect(rows[0]!.actor_id).toBe(who.id);
        if (row.need === "public") expect(rows[0]!.actor_id).toBe(who.id);
      }
    });
  }
});

describe("events stream", () => {
  const url = () => `${t.server.httpUrl.replace("http", "ws")}/api/v1/events`;
  const status = (headers: Record<string, string>) =>
    new Promise<number>((resolve) => {
      const ws = new WebSocket(url(), { headers });
      ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.on("open", () => {
        ws.close();
        resolve(101);
      });
    });

  it("needs devices:read, by bearer token or session cookie", async () => {
    expect(await status({})).toBe(401);
    expect(await status({ authorization: `Bearer ${allBut.get("devices:read")!.sessionToken}` })).toBe(403);
    expect(await status({ authorization: `Bearer ${only.get("devices:read")!.sessionToken}` })).toBe(101);
    expect(await status({ cookie: `pmdm_session=${only.get("devices:read")!.sessionToken}` })).toBe(101);
    const host = new URL(t.server.httpUrl).host;
    expect(
      await status({
        cookie: `pmdm_session=${only.get("devices:read")!.sessionToken}`,
        origin: "http://evil.example",
      }),
    ).toBe(403);
    expect(
      await status({
        cookie: `pmdm_session=${only.get("devices:read")!.sessionToken}`,
        origin: `http://${host}`,
      }),
    ).toBe(101);
  });

  it("sends audit rows only to holders of audit:read", async () => {
    const reader = await createAdmin(t, { rights: ["devices:read"] });
    const auditor = await createAdmin(t, { rights: ["devices:read", "audit:read"] });
    const open = async (token: string) => {
      const ws = new WebSocket(url(), { headers: { authorization: `Bearer ${token}` } });
      const seen: { type: string; data: Record<string, unknown> }[] = [];
      ws.on("message", (data) => seen.push(JSON.parse(String(data))));
      await new Promise((resolve) => ws.once("message", resolve));
      return { ws, seen };
    };
    const a = await open(reader.sessionToken);
    const b = await open(auditor.sessionToken);
    await t.api.post("/enrollment-tokens", { maxUses: 1, expiresInSeconds: 600 });
    await t.api.put("/settings/time", { timezone: "Europe/Berlin", ntpServer: null });
    const until = (s: { type: string }[], type: string) =>
      new Promise<void>((resolve, reject) => {
        const started = Date.now();
        const poll = () => {
          if (s.some((e) => e.type === type)) resolve();
          else if (Date.now() - started > 10_000) reject(new Error(`no ${type}`));
          else setTimeout(poll, 20);
        };
        poll();
      });
    await until(a.seen, "settings.time.updated");
    await until(b.seen, "settings.time.updated");
    const auditedActions = (s: { type: string; data: Record<string, unknown> }[]) =>
      s.filter((e) => e.type === "audit.appended").map((e) => (e.data.item as { action: string }).action);
    expect(auditedActions(a.seen)).toEqual([]);
    expect(auditedActions(b.seen)).toContain("enrollment_token.create");
    a.ws.close();
    b.ws.close();
  });
});
