/**
 * The audit log on a real server: what a row holds, filters and pagination of
 * GET /api/v1/audit, failures and failed logins, no secrets in parameters, and append-only
 * storage.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAdmin, TEST_PASSWORD } from "../helpers/admins.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

type AuditItem = {
  id: string;
  at: string;
  actor: { id: string; email: string } | null;
  action: string;
  target: string | null;
  params: Record<string, unknown>;
  outcome: "success" | "failure";
  errorCode: string | null;
  sourceAddress: string | null;
};
type Page = { items: AuditItem[]; nextCursor: string | null };

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => t.cleanup());

describe("audit log", () => {
  it("starts with the first start's system admin", async () => {
    const page = await t.api.get<Page>("/audit?action=admin.bootstrap");
    expect(page.body.items).toHaveLength(1);
    expect(page.body.items[0]).toMatchObject({
      actor: null,
      params: { email: "admin@localhost", role: "system_admin" },
      outcome: "success",
      sourceAddress: "server",
    });
  });

  it("records who did what to what, from where and how it ended", async () => {
    const me = await t.api.get<{ id: string; email: string }>("/auth/me");
    const created = await t.api.post<{ id: string }>("/enrollment-tokens", {
      maxUses: 3,
      expiresInSeconds: 600,
    });
    const page = await t.api.get<Page>(`/audit?target=${created.body.id}`);
    expect(page.status).toBe(200);
    expect(page.body.items).toHaveLength(1);
    const item = page.body.items[0]!;
    expect(item).toMatchObject({
      actor: { id: me.body.id, email: me.body.email },
      action: "enrollment_token.create",
      target: created.body.id,
      params: { maxUses: 3, expiresInSeconds: 600 },
      outcome: "success",
      errorCode: null,
      sourceAddress: "127.0.0.1",
    });
    expect(Date.now() - Date.parse(item.at)).toBeLessThan(60_000);
  });

  it("records failed actions with their error code", async () => {
    const res = await t.api.post("/devices/dev_missing/commands", { type: "reboot" });
    expect(res.status).toBe(404);
    const page = await t.api.get<Page>("/audit?target=dev_missing&outcome=failure");
    expect(page.body.items[0]).toMatchObject({
      action: "command.issue",
      outcome: "failure",
      errorCode: "device_not_found",
      params: { type: "reboot" },
    });
  });

  it("records failed logins with the account they were for, and never a password", async () => {
    const admin = await createAdmin(t, { rights: ["devices:read"] });
    await t.api.withToken(null).post("/auth/login", { email: admin.email, password: "not the password" });
    await t.api
      .withToken(null)
      .post("/auth/login", { email: "ghost@example.test", password: "not the password" });
    const failures = await t.api.get<Page>("/audit?action=auth.login&outcome=failure");
    expect(failures.body.items.map((i) => [i.target, i.params.email, i.errorCode])).toEqual([
      [null, "ghost@example.test", "invalid_credentials"],
      [admin.id, admin.email, "invalid_credentials"],
    ]);
    const all = JSON.stringify((await t.api.get<Page>("/audit?limit=500")).body);
    expect(all).not.toContain("not the password");
    expect(all).not.toContain(TEST_PASSWORD);
    const token = await admin.api.post<{ token: string }>("/tokens", { name: "secret", rights: [] });
    expect(JSON.stringify((await t.api.get<Page>("/audit?action=token.create")).body)).not.toContain(
      token.body.token,
    );
  });

  it("filters by actor (id or email), action prefix and time, and pages newest first", async () => {
    const admin = await createAdmin(t, { rights: ["enrollment:manage", "audit:read"] });
    const since = new Date().toISOString();
    for (let i = 0; i < 5; i++) {
      await admin.api.post("/enrollment-tokens", { maxUses: i + 1, expiresInSeconds: 600 });
    }
    const byId = await admin.api.get<Page>(`/audit?actor=${admin.id}&action=enrollment_token.create`);
    const byEmail = await admin.api.get<Page>(`/audit?actor=${encodeURIComponent(admin.email)}`);
    expect(byId.body.items.map((i) => i.params.maxUses)).toEqual([5, 4, 3, 2, 1]);
    expect(byEmail.body.items.filter((i) => i.action === "enrollment_token.create")).toHaveLength(5);

    const pages: AuditItem[][] = [];
    let cursor: string | null = null;
    do {
      const res: { body: Page } = await admin.api.get<Page>(
        `/audit?actor=${admin.id}&since=${encodeURIComponent(since)}&limit=2${cursor ? `&cursor=${cursor}` : ""}`,
      );
      pages.push(res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    const ids = pages.flat().map((i) => Number(i.id));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));

    const prefix = await t.api.get<Page>("/audit?action=enrollment_token.*&limit=500");
    expect(prefix.body.items.length).toBeGreaterThanOrEqual(6);
    expect(new Set(prefix.body.items.map((i) => i.action))).toEqual(new Set(["enrollment_token.create"]));
    const future = await t.api.get<Page>(
      `/audit?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`,
    );
    expect(future.body.items).toEqual([]);
    const bad = await t.api.get<{ error: { code: string } }>("/audit?cursor=abc");
    expect(bad.status).toBe(400);
  });

  it("is append-only: no route changes a row, and the store refuses UPDATE and DELETE", async () => {
    const first = (await t.api.get<Page>("/audit?limit=1")).body.items[0]!;
    for (const method of ["PATCH", "PUT", "DELETE"]) {
      const res = await t.api.request(method, `/api/v1/audit/${first.id}`, {});
      expect(res.status).toBe(404);
    }
    expect((await t.api.request("DELETE", "/api/v1/audit")).status).toBe(404);
    await expect(t.server.store.unit((tx) => tx.deleteFrom("audit_log").execute())).rejects.toThrow(
      /append-only/,
    );
    await expect(
      t.server.store.unit((tx) =>
        tx.updateTable("audit_log").set({ outcome: "failure" }).where("seq", "=", Number(first.id)).execute(),
      ),
    ).rejects.toThrow(/append-only/);
    expect((await t.api.get<Page>("/audit?limit=1")).body.items[0]).toEqual(first);
  });
});
