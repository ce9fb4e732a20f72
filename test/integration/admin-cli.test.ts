/**
 * `npm run admin`: the server-side command, run as its own process against the data dir of a
 * running server (the same SQLite file, opened a second time).
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

const CLI = fileURLToPath(new URL("../../server/admin-cli.ts", import.meta.url));

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => t.cleanup());

function admin(args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ["--import", "tsx", CLI, "--data-dir", t.dataDir, ...args],
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(stdin ?? "");
  });
}

const login = (email: string, password: string) =>
  t.api
    .withToken(null)
    .post<{ token: string; admin: { mustResetPassword: boolean; role: { id: string } } }>("/auth/login", {
      email,
      password,
    });

describe("npm run admin", () => {
  it("creates a system admin with a chosen password, audited as server-cli", async () => {
    const res = await admin(
      ["create", "--email", "Ops@Example.com", "--name", "Ops", "--password-stdin"],
      "ops password 1234\n",
    );
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    expect(res.stdout).toContain("created ops@example.com");
    const signedIn = await login("ops@example.com", "ops password 1234");
    expect(signedIn.status).toBe(200);
    expect(signedIn.body.admin).toMatchObject({ mustResetPassword: false, role: { id: "system_admin" } });
    const audit = await t.api.get<{
      items: { actor: null; sourceAddress: string; params: Record<string, unknown> }[];
    }>("/audit?action=admin.create");
    expect(audit.body.items[0]).toMatchObject({
      actor: null,
      sourceAddress: "server-cli",
      params: { via: "server-cli" },
    });
  });

  it("resets a password to a one-time one and ends the admin's sessions", async () => {
    const before = await login("ops@example.com", "ops password 1234");
    const res = await admin(["reset-password", "--email", "ops@example.com"]);
    expect(res.code).toBe(0);
    // This session and the one the previous test opened.
    expect(res.stdout).toContain("2 session(s) ended");
    const password = /one-time password[^:]*: (\S+)/.exec(res.stdout)?.[1];
    expect(password).toMatch(/^\w{20}$/);
    expect((await t.api.withToken(before.body.token).get("/devices")).status).toBe(401);
    const after = await login("ops@example.com", password!);
    expect(after.status).toBe(200);
    expect(after.body.admin.mustResetPassword).toBe(true);
  });

  it("refuses bad input clearly and changes nothing", async () => {
    const count = async () => (await t.server.db.get<{ n: number }>("SELECT count(*) AS n FROM admins"))?.n;
    const before = await count();
    const badEmail = await admin(["create", "--email", "nope", "--name", "X"]);
    expect(badEmail.code).not.toBe(0);
    expect(badEmail.stderr).toContain("email must look like name@domain");
    const taken = await admin(["create", "--email", "ops@example.com", "--name", "X"]);
    expect(taken.stderr).toContain("exists");
    const short = await admin(
      ["create", "--email", "s@example.com", "--name", "S", "--password-stdin"],
      "short\n",
    );
    expect(short.stderr).toContain("password must be 12");
    const unknown = await admin(["reset-password", "--email", "ghost@example.com"]);
    expect(unknown.stderr).toContain("no admin with email 'ghost@example.com'");
    expect(await count()).toBe(before);
  });
});
