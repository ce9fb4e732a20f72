/**
 * `npm run admin`: the server-side command, run as its own process against the data dir of a
 * running server (the same SQLite file, opened a second time). The running server takes its
 * changes up: the admin's event streams close, audit rows reach live audit streams.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import type { AuditItem } from "../../server/admins/audit-log.js";
import { createAdmin } from "../helpers/admins.js";
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
    const count = async () =>
      (
        await t.server.store.db
          .selectFrom("admins")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .executeTakeFirst()
      )?.n;
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

interface Stream {
  ws: WebSocket;
  audit: AuditItem[];
  closed: Promise<number>;
}

/** An event stream, open (hello received), collecting the audit rows it is sent. */
async function openStream(secret: string): Promise<Stream> {
  const ws = new WebSocket(`${t.server.httpUrl.replace("http", "ws")}/api/v1/events`, {
    headers: { authorization: `Bearer ${secret}` },
  });
  const audit: AuditItem[] = [];
  const closed = new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
  await new Promise((resolve, reject) => {
    ws.once("message", resolve);
    ws.once("unexpected-response", (_req, res) => reject(new Error(`stream refused: ${res.statusCode}`)));
  });
  ws.on("message", (data) => {
    const event = JSON.parse(String(data)) as { type: string; data: { item: AuditItem } };
    if (event.type === "audit.appended") audit.push(event.data.item);
  });
  return { ws, audit, closed };
}

/**
 * The server looks for other processes' commits twice a second; this bound only turns a
 * server that never notices into a clear failure (well before the streams' own one-minute
 * re-check could close them).
 */
const NOTICE_BOUND_MS = 15_000;

function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`the server did not notice: ${what}`)), NOTICE_BOUND_MS);
  });
  return Promise.race([promise, bound]).finally(() => clearTimeout(timer));
}

/** Waits for the stream to be sent an audit row that `matches`. */
function auditRow(stream: Stream, matches: (item: AuditItem) => boolean, what: string): Promise<AuditItem> {
  const found = new Promise<AuditItem>((resolve, reject) => {
    const check = () => {
      const item = stream.audit.find(matches);
      if (!item) return;
      stream.ws.off("message", check);
      resolve(item);
    };
    stream.ws.on("message", check);
    stream.ws.once("close", (code) => reject(new Error(`stream closed (${code}) before ${what}`)));
    check();
  });
  return within(found, what);
}

describe("npm run admin, with the server running", () => {
  it("reset-password closes the admin's open event stream with 4401 and ends the session", async () => {
    const target = await createAdmin(t, { rights: ["devices:read"] });
    const stream = await openStream(target.sessionToken);
    const res = await admin(["reset-password", "--email", target.email]);
    expect(res.stderr).toBe("");
    expect(res.stdout).toContain("1 session(s) ended");
    expect(await within(stream.closed, "the stream of the reset admin")).toBe(4401);
    expect((await target.api.get("/devices")).status).toBe(401);
  });

  it("a system admin's stream shows the command's audit rows live, each once", async () => {
    const auditStream = await openStream(t.api.token!);
    const target = await createAdmin(t, { rights: ["devices:read"] });
    // A row of the server's own just before the command's: the bus carried it, and it must
    // not come again when the server reads what the command appended after it.
    expect((await t.api.put("/settings/time", { timezone: "Europe/Paris", ntpServer: null })).status).toBe(
      200,
    );
    const own = await auditRow(auditStream, (i) => i.action === "settings.time.update", "the server's row");

    expect((await admin(["reset-password", "--email", target.email])).code).toBe(0);
    const passwordSet = await auditRow(
      auditStream,
      (i) => i.action === "admin.password_set" && i.target === target.id,
      "admin.password_set",
    );
    expect(passwordSet).toMatchObject({
      actor: null,
      target: target.id,
      sourceAddress: "server-cli",
      params: { email: target.email, via: "server-cli" },
    });

    const created = await admin(
      ["create", "--email", "live@example.com", "--name", "Live", "--password-stdin"],
      "live password 1234\n",
    );
    expect(created.code).toBe(0);
    const creation = await auditRow(
      auditStream,
      (i) => i.action === "admin.create" && i.params.email === "live@example.com",
      "admin.create",
    );
    expect(creation).toMatchObject({ actor: null, sourceAddress: "server-cli" });

    const ids = auditStream.audit.map((i) => i.id);
    expect(ids.filter((id) => id === own.id)).toHaveLength(1);
    expect(new Set(ids).size).toBe(ids.length);
    expect(Number(creation.id)).toBeGreaterThan(Number(passwordSet.id));
    expect(Number(passwordSet.id)).toBeGreaterThan(Number(own.id));
    auditStream.ws.close();
  });
});
