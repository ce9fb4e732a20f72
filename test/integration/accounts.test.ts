/**
 * Admin accounts on a real server: the first start's system admin, password logins with the
 * session cookie, logout, forced password resets, deactivation, personal API tokens, the
 * failed-login limit and the escalation rules.
 */
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { RIGHTS } from "../../server/admins/rights.js";
import { createAdmin, createRole, login, TEST_PASSWORD } from "../helpers/admins.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

type ErrorBody = { error: { code: string; message: string } };
type Me = {
  id: string;
  email: string;
  role: { id: string; name: string; builtIn: boolean };
  rights: string[];
  mustResetPassword: boolean;
  active: boolean;
};

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => t.cleanup());

async function rawLogin(email: string, password: string) {
  const response = await fetch(`${t.server.httpUrl}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  return { response, body: (await response.json()) as { token: string; admin: Me } & ErrorBody };
}

describe("first start", () => {
  it("creates a system admin with a one-time password and a system-admin token file", async () => {
    expect(t.server.createdAdmin?.email).toBe("admin@localhost");
    const file = (await readFile(t.server.adminTokenFile, "utf8")).trim();
    expect(file).toBe(t.server.createdAdminToken);
    const me = await t.api.get<Me>("/auth/me");
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ email: "admin@localhost", role: { id: "system_admin", builtIn: true } });
    expect(me.body.rights).toContain("admins:manage");

    // The printed password works once: the session it opens must change it before anything else.
    const { response, body } = await rawLogin("admin@localhost", t.server.createdAdmin!.password);
    expect(response.status).toBe(200);
    expect(body.admin.mustResetPassword).toBe(true);
    const session = t.api.withToken(body.token);
    const blocked = await session.get<ErrorBody>("/devices");
    expect(blocked.status).toBe(403);
    expect(blocked.body.error.code).toBe("password_reset_required");
    expect((await session.get<Me>("/auth/me")).status).toBe(200);
    const weak = await session.post<ErrorBody>("/auth/password", {
      currentPassword: t.server.createdAdmin!.password,
      newPassword: "short",
    });
    expect(weak.status).toBe(400);
    expect(weak.body.error.code).toBe("weak_password");
    const changed = await session.post("/auth/password", {
      currentPassword: t.server.createdAdmin!.password,
      newPassword: TEST_PASSWORD,
    });
    expect(changed.status).toBe(204);
    expect((await session.get("/devices")).status).toBe(200);
  });

  it("does not create another admin or token on a restart", async () => {
    await t.stop();
    t = await startTestServer({}, t.dataDir);
    expect(t.server.createdAdmin).toBeNull();
    expect(t.server.createdAdminToken).toBeNull();
    expect((await t.api.get("/auth/me")).status).toBe(200);
    const count = await t.server.store.db
      .selectFrom("admins")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirst();
    expect(count?.n).toBe(1);
  });
});

// Only a SQLite data dir can be from before accounts: the PostgreSQL schema begins with them.
describe("sessions", () => {
  it("signs in with a HttpOnly SameSite=Strict cookie that the API accepts, and logs out", async () => {
    const admin = await createAdmin(t, { rights: ["devices:read"] });
    const { response, body } = await rawLogin(admin.email.toUpperCase(), TEST_PASSWORD);
    expect(response.status).toBe(200);
    expect(body.admin).toMatchObject({ id: admin.id, rights: ["devices:read"], active: true });
    const cookie = response.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^pmdm_session=pms_[\w-]+;/);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    expect(cookie).toContain("Path=/");

    const pair = cookie.split(";")[0]!;
    const viaCookie = await fetch(`${t.server.httpUrl}/api/v1/devices`, { headers: { cookie: pair } });
    expect(viaCookie.status).toBe(200);

    const logout = await fetch(`${t.server.httpUrl}/api/v1/auth/logout`, {
      method: "POST",
      headers: { cookie: pair, "content-type": "application/json" },
      body: "{}",
    });
    expect(logout.status).toBe(204);
    expect(logout.headers.get("set-cookie")).toMatch(/^pmdm_session=;.*Max-Age=0/);
    const after = await fetch(`${t.server.httpUrl}/api/v1/devices`, { headers: { cookie: pair } });
    expect(after.status).toBe(401);
  });

  it("refuses a cookie-authenticated change from another origin", async () => {
    const admin = await createAdmin(t, { rights: ["enrollment:manage"] });
    const tokenCount = () =>
      t.server.store.db
        .selectFrom("enrollment_tokens")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirst();
    const before = await tokenCount();
    const res = await fetch(`${t.server.httpUrl}/api/v1/enrollment-tokens`, {
      method: "POST",
      headers: {
        cookie: `pmdm_session=${admin.sessionToken}`,
        origin: "https://evil.example",
        "content-type": "application/json",
      },
      body: JSON.stringify({ maxUses: 1, expiresInSeconds: 600 }),
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as ErrorBody).error.code).toBe("cross_site_request");
    const after = await tokenCount();
    expect(after?.n).toBe(before?.n);
  });

  it("takes a cookie-authenticated change only with a JSON body", async () => {
    const admin = await createAdmin(t, { rights: ["enrollment:manage"] });
    const send = (contentType: string) =>
      fetch(`${t.server.httpUrl}/api/v1/enrollment-tokens`, {
        method: "POST",
        headers: { cookie: `pmdm_session=${admin.sessionToken}`, "content-type": contentType },
        body: JSON.stringify({ maxUses: 1, expiresInSeconds: 600 }),
      });
    const asText = await send("text/plain");
    expect(asText.status).toBe(415);
    expect(((await asText.json()) as ErrorBody).error.code).toBe("unsupported_media_type");
    expect((await send("application/json; charset=utf-8")).status).toBe(201);
  });

  it("answers wrong credentials with 401 invalid_credentials, for unknown and known emails alike", async () => {
    const admin = await createAdmin(t, { rights: ["devices:read"] });
    for (const [email, password] of [
      [admin.email, "wrong password!"],
      ["nobody@example.test", TEST_PASSWORD],
    ] as const) {
      const { response, body } = await rawLogin(email, password);
      expect(response.status).toBe(401);
      expect(body.error.code).toBe("invalid_credentials");
      expect(response.headers.get("set-cookie")).toBeNull();
    }
  });

  it("logs out everywhere: every session of the admin ends, tokens stay", async () => {
    const admin = await createAdmin(t, { rights: ["devices:read"] });
    const second = await login(t, admin.email);
    const token = await admin.api.post<{ token: string }>("/tokens", {
      name: "ci",
      rights: ["devices:read"],
    });
    const res = await second.api.post<{ ended: number }>("/auth/logout-all");
    expect(res.status).toBe(200);
    expect(res.body.ended).toBe(2);
    expect((await admin.api.get("/devices")).status).toBe(401);
    expect((await second.api.get("/devices")).status).toBe(401);
    expect((await t.api.withToken(token.body.token).get("/devices")).status).toBe(200);
  });

  it("changing one's password ends the other sessions and needs the current password", async () => {
    const admin = await createAdmin(t, { rights: ["devices:read"] });
    const other = await login(t, admin.email);
    const wrong = await admin.api.post<ErrorBody>("/auth/password", {
      currentPassword: "not it at all",
      newPassword: "a brand new password",
    });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error.code).toBe("wrong_password");
    const ok = await admin.api.post("/auth/password", {
      currentPassword: TEST_PASSWORD,
      newPassword: "a brand new password",
    });
    expect(ok.status).toBe(204);
    expect((await admin.api.get("/devices")).status).toBe(200);
    expect((await other.api.get("/devices")).status).toBe(401);
    expect((await rawLogin(admin.email, TEST_PASSWORD)).response.status).toBe(401);
    expect((await rawLogin(admin.email, "a brand new password")).response.status).toBe(200);
  });

  it("forces a reset after an admin sets a temporary password", async () => {
    const admin = await createAdmin(t, { rights: ["devices:read"] });
    const set = await t.api.post(`/admins/${admin.id}/password`, { password: "temporary password 1" });
    expect(set.status).toBe(204);
    expect((await admin.api.get("/devices")).status).toBe(401);
    const session = await login(t, admin.email, "temporary password 1");
    const blocked = await session.api.get<ErrorBody>("/devices");
    expect(blocked.body.error.code).toBe("password_reset_required");
    const same = await session.api.post<ErrorBody>("/auth/password", {
      currentPassword: "temporary password 1",
      newPassword: "temporary password 1",
    });
    expect(same.status).toBe(400);
    await session.api.post("/auth/password", {
      currentPassword: "temporary password 1",
      newPassword: "my own password 22",
    });
    expect((await session.api.get("/devices")).status).toBe(200);
  });
});

describe("deactivation", () => {
  it("stops the admin's open session, API tokens and event stream at once", async () => {
    const admin = await createAdmin(t, { rights: ["devices:read"] });
    const token = await admin.api.post<{ token: string }>("/tokens", {
      name: "script",
      rights: ["devices:read"],
    });
    const tokenApi = t.api.withToken(token.body.token);
    expect((await tokenApi.get("/devices")).status).toBe(200);

    const ws = new WebSocket(`${t.server.httpUrl.replace("http", "ws")}/api/v1/events`, {
      headers: { authorization: `Bearer ${admin.sessionToken}` },
    });
    await new Promise((resolve) => ws.once("message", resolve));
    const closed = new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));

    const res = await t.api.patch<{ active: boolean }>(`/admins/${admin.id}`, { active: false });
    expect(res.status).toBe(200);
    expect(res.body.active).toBe(false);
    expect((await admin.api.get("/devices")).status).toBe(401);
    expect((await tokenApi.get("/devices")).status).toBe(401);
    expect(await closed).toBe(4401);

    const relogin = await rawLogin(admin.email, TEST_PASSWORD);
    expect(relogin.response.status).toBe(403);
    expect(relogin.body.error.code).toBe("account_deactivated");

    // Reactivating does not bring the old credentials back.
    await t.api.patch(`/admins/${admin.id}`, { active: true });
    expect((await admin.api.get("/devices")).status).toBe(401);
    expect((await tokenApi.get("/devices")).status).toBe(401);
    expect((await rawLogin(admin.email, TEST_PASSWORD)).response.status).toBe(200);
  });
});

describe("personal API tokens", () => {
  it("carry a subset of the holder's rights, are shown once and stored as SHA-256", async () => {
    const admin = await createAdmin(t, { rights: ["devices:read", "enrollment:manage"] });
    const created = await admin.api.post<{ id: string; token: string; rights: string[]; expiresAt: string }>(
      "/tokens",
      { name: "read only", rights: ["devices:read"], ttlDays: 7 },
    );
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^pat_/);
    expect(Date.parse(created.body.expiresAt) - Date.now()).toBeGreaterThan(6.9 * 86_400_000);
    const stored = await t.server.store.db
      .selectFrom("admin_tokens")
      .select("token_hash")
      .where("id", "=", created.body.id)
      .executeTakeFirst();
    expect(stored?.token_hash).toMatch(/^[0-9a-f]{64}$/);
    const list = await admin.api.get<{ items: Record<string, unknown>[] }>("/tokens");
    expect(list.body.items.map((i) => i.id)).toEqual([created.body.id]);
    expect(list.body.items[0]).not.toHaveProperty("token");

    const tokenApi = t.api.withToken(created.body.token);
    expect((await tokenApi.get("/devices")).status).toBe(200);
    const refused = await tokenApi.post<ErrorBody>("/enrollment-tokens", {
      maxUses: 1,
      expiresInSeconds: 600,
    });
    expect(refused.status).toBe(403);

    const me = await tokenApi.get<Me>("/auth/me");
    expect(me.body.rights).toEqual(["devices:read"]);

    const revoked = await admin.api.delete(`/tokens/${created.body.id}`);
    expect(revoked.status).toBe(204);
    expect((await tokenApi.get("/devices")).status).toBe(401);
  });

  it("cannot hold a right the holder lacks, and lose rights the holder's role loses", async () => {
    const roleId = await createRole(t, ["devices:read", "enrollment:manage"]);
    const admin = await createAdmin(t, { roleId });
    const tooMuch = await admin.api.post<ErrorBody>("/tokens", { name: "x", rights: ["devices:wipe"] });
    expect(tooMuch.status).toBe(403);
    expect(tooMuch.body.error.code).toBe("right_not_held");

    const created = await admin.api.post<{ token: string }>("/tokens", {
      name: "both",
      rights: ["devices:read", "enrollment:manage"],
    });
    const tokenApi = t.api.withToken(created.body.token);
    await t.api.patch(`/roles/${roleId}`, { rights: ["devices:read"] });
    expect((await tokenApi.get<Me>("/auth/me")).body.rights).toEqual(["devices:read"]);
    expect((await tokenApi.post("/enrollment-tokens", { maxUses: 1, expiresInSeconds: 600 })).status).toBe(
      403,
    );
  });

  it("stop working once expired, and refuse expiries in the past", async () => {
    const admin = await createAdmin(t, { rights: ["devices:read"] });
    const past = await admin.api.post<ErrorBody>("/tokens", {
      name: "old",
      rights: ["devices:read"],
      expiresAt: new Date(Date.now() - 1000).toISOString(),
    });
    expect(past.status).toBe(400);
    const created = await admin.api.post<{ id: string; token: string }>("/tokens", {
      name: "soon",
      rights: ["devices:read"],
      expiresAt: new Date(Date.now() + 3600_000).toISOString(),
    });
    await t.server.store.db
      .updateTable("admin_tokens")
      .set({ expires_at: Date.now() - 1 })
      .where("id", "=", created.body.id)
      .execute();
    expect((await t.api.withToken(created.body.token).get("/devices")).status).toBe(401);
  });
});

describe("failed-login limit", () => {
  it("answers 429 too_many_attempts with Retry-After after 5 failures for one account", async () => {
    const admin = await createAdmin(t, { rights: ["devices:read"] });
    for (let i = 0; i < 5; i++)
      expect((await rawLogin(admin.email, "wrong password!")).response.status).toBe(401);
    const limited = await rawLogin(admin.email, TEST_PASSWORD);
    expect(limited.response.status).toBe(429);
    expect(limited.body.error.code).toBe("too_many_attempts");
    expect(Number(limited.response.headers.get("retry-after"))).toBeGreaterThan(0);
    // Another account from the same address still signs in.
    const other = await createAdmin(t, { rights: ["devices:read"] });
    expect((await rawLogin(other.email, TEST_PASSWORD)).response.status).toBe(200);
  });

  it("limits one source address across accounts", async () => {
    const fresh = await startTestServer();
    try {
      const post = (email: string) =>
        fetch(`${fresh.server.httpUrl}/api/v1/auth/login`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ email, password: "guess guess guess" }),
        });
      for (let i = 0; i < 20; i++) expect((await post(`spray-${i}@example.test`)).status).toBe(401);
      const limited = await post("spray-21@example.test");
      expect(limited.status).toBe(429);
      expect(limited.headers.get("retry-after")).toMatch(/^\d+$/);
    } finally {
      await fresh.cleanup();
    }
  });
});

describe("escalation", () => {
  it("nobody grants a right they do not hold", async () => {
    const manager = await createAdmin(t, { rights: ["roles:manage", "admins:manage", "devices:read"] });
    const role = await manager.api.post<ErrorBody>("/roles", { name: "wipers", rights: ["devices:wipe"] });
    expect(role.status).toBe(403);
    expect(role.body.error.code).toBe("right_not_held");
    const toSystem = await manager.api.post<ErrorBody>("/admins", {
      email: "escalate@example.test",
      name: "E",
      roleId: "system_admin",
    });
    expect(toSystem.status).toBe(403);
    expect(toSystem.body.error.code).toBe("right_not_held");
    const count = await t.server.store.db
      .selectFrom("admins")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("email", "=", "escalate@example.test")
      .executeTakeFirst();
    expect(count?.n).toBe(0);
  });

  it("nobody edits their own role or changes their own role", async () => {
    const roleId = await createRole(t, ["roles:manage", "admins:manage"]);
    const admin = await createAdmin(t, { roleId });
    const edit = await admin.api.patch<ErrorBody>(`/roles/${roleId}`, { rights: ["roles:manage"] });
    expect(edit.status).toBe(403);
    expect(edit.body.error.code).toBe("own_access");
    const otherRole = await createRole(t, ["roles:manage"]);
    const switchRole = await admin.api.patch<ErrorBody>(`/admins/${admin.id}`, { roleId: otherRole });
    expect(switchRole.status).toBe(403);
    expect(switchRole.body.error.code).toBe("own_access");
    const role = await t.api.get<{ rights: string[] }>(`/roles/${roleId}`);
    expect(role.body.rights).toEqual(["admins:manage", "roles:manage"]);
  });

  it("an admin manager cannot take over an admin with more rights", async () => {
    const manager = await createAdmin(t, { rights: ["admins:manage"] });
    const system = await t.api.post<{ id: string }>("/admins", {
      email: `sys-${Date.now()}@example.test`,
      name: "Sys",
      roleId: "system_admin",
      password: TEST_PASSWORD,
    });
    const reset = await manager.api.post<ErrorBody>(`/admins/${system.body.id}/password`, {
      password: "i own you now 123",
    });
    expect(reset.status).toBe(403);
    expect(reset.body.error.code).toBe("target_outranks_you");
    const deactivate = await manager.api.patch<ErrorBody>(`/admins/${system.body.id}`, { active: false });
    expect(deactivate.status).toBe(403);
  });

  it("the last active system admin cannot be demoted or deactivated", async () => {
    const fresh = await startTestServer();
    try {
      const systemAdmin = (await fresh.api.get<Me>("/auth/me")).body;
      // A custom role with every right outranks a system admin, so only this rule stops it.
      const everything = await createRole(fresh, [...RIGHTS]);
      const actor = await createAdmin(fresh, { roleId: everything });
      const lesser = await createRole(fresh, ["devices:read"]);
      for (const change of [{ roleId: lesser }, { active: false }]) {
        const res = await actor.api.patch<ErrorBody>(`/admins/${systemAdmin.id}`, change);
        expect(res.status, JSON.stringify(change)).toBe(409);
        expect(res.body.error.code).toBe("last_system_admin");
      }
      // Its own session cannot do it either.
      const self = await fresh.api.patch<ErrorBody>(`/admins/${systemAdmin.id}`, { active: false });
      expect(self.body.error.code).toBe("own_access");
      // With a second system admin, the first may go.
      await fresh.api.patch(`/admins/${actor.id}`, { roleId: "system_admin" });
      expect((await actor.api.patch(`/admins/${systemAdmin.id}`, { roleId: lesser })).status).toBe(200);
      const left = await fresh.server.store.db
        .selectFrom("admins")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("role_id", "=", "system_admin")
        .where("active", "=", true)
        .executeTakeFirst();
      expect(left?.n).toBe(1);
    } finally {
      await fresh.cleanup();
    }
  });
});
