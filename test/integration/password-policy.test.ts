/**
 * The password policy through the API and `npm run admin`: a commonly used password, one built
 * from the account's own email or name, and a repeated pattern are refused with 400
 * `weak_password`, a message naming the rule and the field; nothing is written.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAdmin, TEST_PASSWORD } from "../helpers/admins.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

const CLI = fileURLToPath(new URL("../../server/admin-cli.ts", import.meta.url));

interface WeakPassword {
  error: { code: string; message: string; details: { field: string; rule: string } };
}

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => t?.cleanup());

const adminCount = async () => (await t.api.get<{ items: unknown[] }>("/admins?limit=100")).body.items.length;

describe("the password policy over the API", () => {
  it("POST /admins refuses a commonly used password with 400 weak_password and the rule", async () => {
    const before = await adminCount();
    const res = await t.api.post<WeakPassword>("/admins", {
      email: "rory@example.com",
      name: "Rory",
      roleId: "system_admin",
      password: "password1234",
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      code: "weak_password",
      message: expect.stringMatching(/^password is .*a commonly used password/),
      details: { field: "password", rule: "common_password" },
    });
    expect(await adminCount()).toBe(before);
  });

  it("POST /admins refuses a password built from the new admin's own email and name", async () => {
    const res = await t.api.post<WeakPassword>("/admins", {
      email: "sasha.brennan@example.com",
      name: "Sasha Brennan",
      roleId: "system_admin",
      password: "Sasha.Brennan-2024",
    });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual({ field: "password", rule: "context_words" });
    expect(res.body.error.message).toMatch(/^password is built from/);
  });

  it("POST /auth/password refuses a commonly used password, and the old one still signs in", async () => {
    const admin = await createAdmin(t, { rights: ["devices:read"] });
    const res = await admin.api.post<WeakPassword>("/auth/password", {
      currentPassword: TEST_PASSWORD,
      newPassword: "password1234",
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      code: "weak_password",
      message: expect.stringMatching(/^newPassword is .*a commonly used password/),
      details: { field: "newPassword", rule: "common_password" },
    });
    const signIn = await t.api
      .withToken(null)
      .post("/auth/login", { email: admin.email, password: TEST_PASSWORD });
    expect(signIn.status).toBe(200);
  });

  it("POST /auth/password refuses a password built from one's own email", async () => {
    const admin = await createAdmin(t, { rights: ["devices:read"] }, "marguerite.olsen@example.test");
    const res = await admin.api.post<WeakPassword>("/auth/password", {
      currentPassword: TEST_PASSWORD,
      newPassword: "marguerite-olsen-99",
    });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual({ field: "newPassword", rule: "context_words" });
  });

  it("POST /admins/:id/password refuses a repeated pattern and the target's own name", async () => {
    const target = await createAdmin(t, { rights: ["devices:read"] }, "quentin@example.test");
    const repeated = await t.api.post<WeakPassword>(`/admins/${target.id}/password`, {
      password: "abcabcabcabcabc",
    });
    expect(repeated.status).toBe(400);
    expect(repeated.body.error).toMatchObject({
      code: "weak_password",
      message: expect.stringMatching(/^password repeats a pattern/),
      details: { field: "password", rule: "repeated_pattern" },
    });
    const named = await t.api.post<WeakPassword>(`/admins/${target.id}/password`, {
      password: "quentin!quentin?2",
    });
    expect(named.status).toBe(400);
    expect(named.body.error.details).toEqual({ field: "password", rule: "context_words" });
    // The target's session was not ended: nothing was set.
    expect((await target.api.get("/devices")).status).toBe(200);
  });
});

describe("the password policy in npm run admin", () => {
  it("refuses a weak --password-stdin and creates nothing", async () => {
    const res = await new Promise<{ code: number; stderr: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        [
          "--import",
          "tsx",
          CLI,
          "--data-dir",
          t.dataDir,
          // The server's store, wherever it is (empty: the data dir's SQLite file).
          "--database-url",
          t.config.databaseUrl,
          "create",
          "--email",
          "cli-weak@example.com",
          "--name",
          "Weak",
          "--password-stdin",
        ],
        (err, _stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
      );
      child.stdin?.end("password1234\n");
    });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/password is .*a commonly used password/);
    const admins = await t.api.get<{ items: { email: string }[] }>("/admins?limit=100");
    expect(admins.body.items.map((a) => a.email)).not.toContain("cli-weak@example.com");
  });
});
