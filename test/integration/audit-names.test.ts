/**
 * The audit log as people read it, on a real server: each row names its target (a device's
 * name, an admin's email, a role, a token, a fleet command), looked up once per page; a failed
 * sign-in's actor is the email tried; substring filters in any case, with LIKE's wildcards
 * taken literally; and the CSV export of the filtered log, parsed as RFC 4180.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUDIT_ACTIONS } from "../../server/admins/audit-log.js";
import { TARGET_KIND_BY_ACTION } from "../../server/admins/audit-targets.js";
import { createAdmin, TEST_PASSWORD } from "../helpers/admins.js";
import { enrollCredentials, uniqueSerial } from "../helpers/devices.js";
import { csvObjects } from "../helpers/rfc4180.js";
import { recordStatements } from "../helpers/statements.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

interface AuditItem {
  id: string;
  actor: { id: string; email: string } | null;
  actorEmail: string | null;
  action: string;
  target: string | null;
  targetKind: string | null;
  targetName: string | null;
  params: Record<string, unknown>;
  outcome: string;
  errorCode: string | null;
}
type Page = { items: AuditItem[]; nextCursor: string | null };

let t: TestServer;
let deviceId: string;
let deviceName: string;

beforeAll(async () => {
  t = await startTestServer();
  deviceId = (await enrollCredentials(t, uniqueSerial("NAMES"))).deviceId;
  deviceName = (await t.api.get<{ name: string }>(`/devices/${deviceId}`)).body.name;
});
afterAll(async () => t?.cleanup());

async function newest(query: string): Promise<AuditItem> {
  const res = await t.api.get<Page>(`/audit?limit=1&${query}`);
  expect(res.status).toBe(200);
  const item = res.body.items[0];
  if (!item) throw new Error(`no audit row for ${query}`);
  return item;
}

/** The export's text, read the way a browser or a script downloads it. */
async function exportCsv(query: string): Promise<{ status: number; type: string | null; text: string }> {
  const response = await fetch(`${t.server.httpUrl}/api/v1/audit/export.csv${query}`, {
    headers: { authorization: `Bearer ${t.api.token}` },
  });
  return { status: response.status, type: response.headers.get("content-type"), text: await response.text() };
}

describe("audit log names and filters", () => {
  it("gives every action a target kind", () => {
    expect(Object.keys(TARGET_KIND_BY_ACTION).sort()).toEqual([...AUDIT_ACTIONS].sort());
  });

  it("names each kind of target, the same in the list and in the live event", async () => {
    const announced: AuditItem[] = [];
    const off = t.server.services.events.on("audit.appended", ({ item }) => {
      announced.push(item as AuditItem);
    });
    const command = await t.api.post<{ id: string }>(`/devices/${deviceId}/commands`, { type: "reboot" });
    off();
    expect(command.status).toBe(202);
    const issued = await newest("action=command.issue");
    expect(issued).toMatchObject({ target: deviceId, targetKind: "device", targetName: deviceName });
    expect(announced.find((i) => i.id === issued.id)).toEqual(issued);
    await t.api.post(`/commands/${command.body.id}/cancel`);
    expect(await newest("action=command.cancel")).toMatchObject({
      target: command.body.id,
      targetKind: "command",
      targetName: `reboot on ${deviceName}`,
    });

    const batch = await t.api.post<{ id: string }>("/batches", {
      target: { deviceIds: [deviceId] },
      command: { type: "lock" },
    });
    expect(batch.status).toBe(202);
    expect(await newest("action=batch.create")).toMatchObject({
      target: batch.body.id,
      targetKind: "batch",
      targetName: "lock to 1 device",
    });

    const admin = await createAdmin(t, { rights: ["devices:read"] });
    expect(await newest("action=admin.create")).toMatchObject({
      target: admin.id,
      targetKind: "admin",
      targetName: admin.email,
    });

    const role = await t.api.post<{ id: string }>("/roles", { name: "Night shift", rights: [] });
    await t.api.patch(`/roles/${role.body.id}`, { name: "Day shift" });
    // The name now, not the one the row was written with.
    expect((await newest(`target=${role.body.id}&action=role.create`)).targetName).toBe("Day shift");
    await t.api.delete(`/roles/${role.body.id}`);
    // Gone: the name its deletion recorded.
    expect(await newest("action=role.delete")).toMatchObject({ targetKind: "role", targetName: "Day shift" });

    const token = await t.api.post<{ id: string }>("/tokens", { name: "inventory sync", rights: [] });
    expect(await newest("action=token.create")).toMatchObject({
      target: token.body.id,
      targetKind: "api_token",
      targetName: "inventory sync",
    });
    const enrollment = await t.api.post<{ id: string }>("/enrollment-tokens", {
      maxUses: 1,
      expiresInSeconds: 600,
      name: "Berlin office",
    });
    expect(await newest("action=enrollment_token.create")).toMatchObject({
      target: enrollment.body.id,
      targetKind: "enrollment_token",
      targetName: "Berlin office",
    });

    await t.api.put("/settings/clock-drift", { thresholdMs: 5000 });
    expect(await newest("action=settings.clock_drift.update")).toMatchObject({
      targetKind: "setting",
      targetName: "Clock drift threshold",
    });
  });

  it("looks the names of a whole page up in one statement", async () => {
    const recorder = recordStatements(t.server.store.db);
    try {
      const res = await t.api.get<Page>("/audit?limit=100");
      expect(new Set(res.body.items.map((i) => i.targetKind)).size).toBeGreaterThanOrEqual(6);
      const lookups = recorder.statements.filter(({ sql }) => /\bas "?kind"?/i.test(sql));
      expect(lookups).toHaveLength(1);
    } finally {
      recorder.stop();
    }
  });

  it("keeps the email a failed sign-in tried as its actor's email, with no actor", async () => {
    await t.api.withToken(null).post("/auth/login", { email: "Mallory@Example.test", password: "wrong" });
    const failed = await newest("action=auth.login&outcome=failure");
    expect(failed).toMatchObject({ actor: null, actorEmail: "Mallory@Example.test", target: null });
    const admin = await createAdmin(t, { rights: [] });
    await t.api.withToken(null).post("/auth/login", { email: admin.email, password: TEST_PASSWORD });
    expect(await newest("action=auth.login&outcome=success")).toMatchObject({
      actor: { id: admin.id, email: admin.email },
      actorEmail: admin.email,
    });
    const byEmail = await t.api.get<Page>("/audit?actorContains=MALLORY");
    expect(byEmail.body.items.map((i) => i.actorEmail)).toEqual(["Mallory@Example.test"]);
  });

  it("filters by parts of the actor, the action and the target, in any case, wildcards literal", async () => {
    const underscored = await createAdmin(t, { rights: ["enrollment:manage"] }, "under_score@example.test");
    await underscored.api.post("/enrollment-tokens", { maxUses: 1, expiresInSeconds: 600 });
    // `_` is LIKE's any-character: unescaped, "r_s" would match "under_score" and much else.
    const part = await t.api.get<Page>("/audit?actorContains=R_S&limit=500");
    expect(new Set(part.body.items.map((i) => i.actorEmail))).toEqual(new Set(["under_score@example.test"]));
    expect((await t.api.get<Page>("/audit?actorContains=%25")).body.items).toEqual([]);
    expect((await t.api.get<Page>("/audit?actorContains=r%25s")).body.items).toEqual([]);

    const actions = await t.api.get<Page>("/audit?actionContains=LOGIN&limit=500");
    expect(actions.body.items.length).toBeGreaterThan(0);
    expect(actions.body.items.every((i) => i.action.includes("login"))).toBe(true);
    // The exact filter stays exact.
    expect((await t.api.get<Page>("/audit?action=login")).body.items).toEqual([]);

    const byName = await t.api.get<Page>(
      `/audit?targetContains=${encodeURIComponent(deviceName.toUpperCase())}&limit=500`,
    );
    expect(new Set(byName.body.items.map((i) => i.target))).toEqual(new Set([deviceId]));
    const byId = await t.api.get<Page>(`/audit?targetContains=${deviceId.slice(2, 10)}&limit=500`);
    expect(byId.body.items.map((i) => i.target)).toContain(deviceId);
    const byEmail = await t.api.get<Page>("/audit?targetContains=UNDER_SCORE&action=admin.create");
    expect(byEmail.body.items.map((i) => i.targetName)).toEqual(["under_score@example.test"]);
  });

  it("exports the filtered log as CSV, every page of it", async () => {
    // More rows than one page of the export reads at a time.
    const creator = await createAdmin(t, { rights: ["enrollment:manage"] });
    const tricky = '=HYPERLINK("x"), "quoted"\r\nline';
    for (let i = 0; i < 520; i++) {
      await creator.api.post("/enrollment-tokens", {
        maxUses: 1,
        expiresInSeconds: 600,
        name: i === 0 ? tricky : `batch ${i}`,
      });
    }
    const listed: AuditItem[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: Page } = await t.api.get<Page>(
        `/audit?actor=${creator.id}&limit=500${cursor ? `&cursor=${cursor}` : ""}`,
      );
      listed.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);

    const csv = await exportCsv(`?actor=${creator.id}`);
    expect(csv.status).toBe(200);
    expect(csv.type).toMatch(/^text\/csv/);
    const { header, rows } = csvObjects(csv.text);
    expect(header).toEqual([
      "time",
      "actor",
      "action",
      "target",
      "target_name",
      "outcome",
      "error_code",
      "source_address",
      "params",
    ]);
    expect(rows).toHaveLength(listed.length);
    expect(rows.length).toBeGreaterThan(520);
    expect(rows.map((r) => r.target)).toEqual(listed.map((i) => i.target ?? ""));
    const first = rows.find((r) => r.target_name?.includes("HYPERLINK"))!;
    expect(first).toMatchObject({
      actor: creator.email,
      action: "enrollment_token.create",
      target_name: `'${tricky}`,
      outcome: "success",
      error_code: "",
      source_address: "127.0.0.1",
    });
    expect(JSON.parse(first.params ?? "")).toMatchObject({ maxUses: 1, name: tricky });

    const failures = csvObjects((await exportCsv("?action=auth.login&outcome=failure")).text).rows;
    expect(failures[0]).toMatchObject({ actor: "Mallory@Example.test", error_code: "invalid_credentials" });
    const bad = await exportCsv("?since=yesterday");
    expect(bad.status).toBe(400);
  });
});
