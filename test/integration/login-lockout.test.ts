/**
 * A stranger who knows an admin's email cannot lock the admin out. The real server runs with
 * an injected clock; clients sit on different loopback addresses (127.x.y.z), which the server
 * reads from the socket, so several "machines" can sign in.
 */
import { pino } from "pino";
import { Agent, fetch as undiciFetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashSecret } from "../../server/ids.js";
import { createAdmin, login, TEST_PASSWORD } from "../helpers/admins.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

const LOGIN_DEVICE_COOKIE = "pmdm_login_device";
const BROWSER_ADDRESS = "127.0.0.1";

interface SignInAnswer {
  status: number;
  retryAfterSeconds: number | null;
  errorCode: string | null;
  message: string | null;
  /** The login-device cookie set by the answer: its value and attributes. */
  loginDevice: { value: string; attributes: string } | null;
}

let t: TestServer;
let nowMs = Date.now();
const warnings: Array<Record<string, unknown>> = [];
const agents = new Map<string, Agent>();

beforeAll(async () => {
  const logger = pino({ level: "warn" }, { write: (line: string) => warnings.push(JSON.parse(line)) });
  t = await startTestServer({}, undefined, () => nowMs, logger);
});
afterAll(async () => {
  await t.cleanup();
  await Promise.all([...agents.values()].map((agent) => agent.close()));
});

function from(address: string): Agent {
  let agent = agents.get(address);
  if (!agent) {
    agent = new Agent({ localAddress: address });
    agents.set(address, agent);
  }
  return agent;
}

async function signIn(
  address: string,
  email: string,
  password: string,
  loginDeviceToken?: string,
): Promise<SignInAnswer> {
  const response = await undiciFetch(`${t.server.httpUrl}/api/v1/auth/login`, {
    method: "POST",
    dispatcher: from(address),
    headers: {
      "content-type": "application/json",
      ...(loginDeviceToken ? { cookie: `${LOGIN_DEVICE_COOKIE}=${loginDeviceToken}` } : {}),
    },
    body: JSON.stringify({ email, password }),
  });
  const body = (await response.json()) as { error?: { code: string; message: string } };
  const cookie = response.headers.getSetCookie().find((c) => c.startsWith(`${LOGIN_DEVICE_COOKIE}=`));
  const [pair, ...attributes] = cookie?.split("; ") ?? [];
  const retryAfter = response.headers.get("retry-after");
  return {
    status: response.status,
    retryAfterSeconds: retryAfter === null ? null : Number(retryAfter),
    errorCode: body.error?.code ?? null,
    message: body.error?.message ?? null,
    loginDevice: pair
      ? { value: pair.slice(LOGIN_DEVICE_COOKIE.length + 1), attributes: attributes.join("; ") }
      : null,
  };
}

async function loginDeviceRows(adminId: string): Promise<string[]> {
  const rows = await t.server.store.db
    .selectFrom("admin_login_devices")
    .select("token_hash")
    .where("admin_id", "=", adminId)
    .execute();
  return rows.map((r) => r.token_hash);
}

/** The browser the admin signed in with before: it keeps the login-device cookie. */
async function signInFromBrowser(email: string, password = TEST_PASSWORD): Promise<string> {
  const answer = await signIn(BROWSER_ADDRESS, email, password);
  expect(answer.status).toBe(200);
  expect(answer.loginDevice).not.toBeNull();
  return answer.loginDevice!.value;
}

describe("a stranger's wrong passwords", () => {
  it("never lock the admin out: their browser signs in at once, elsewhere they wait at most a minute", async () => {
    const admin = await createAdmin(t, { rights: ["devices:read"] });
    const first = await signIn(BROWSER_ADDRESS, admin.email, TEST_PASSWORD);
    expect(first.status).toBe(200);
    expect(first.loginDevice!.attributes.split("; ").sort()).toEqual([
      "HttpOnly",
      `Max-Age=${180 * 86_400}`,
      "Path=/api/v1/auth",
      "SameSite=Strict",
    ]);
    const browserCookie = first.loginDevice!.value;
    expect(await loginDeviceRows(admin.id)).toContain(hashSecret(browserCookie));

    // 50 wrong passwords from ten addresses: 30 as fast as it can, then 20 more, each after
    // waiting as long as it was told.
    const strangers = Array.from({ length: 10 }, (_, i) => `127.0.0.${10 + i}`);
    const answers: SignInAnswer[] = [];
    for (let i = 0; i < 50; i++) {
      const answer = await signIn(strangers[i % strangers.length]!, admin.email, `not the password ${i}`);
      answers.push(answer);
      if (answer.status === 429 && i >= 30) nowMs += answer.retryAfterSeconds! * 1000;
    }
    const refused = answers.filter((a) => a.status === 429);
    expect(answers.filter((a) => a.status === 401)).toHaveLength(20);
    expect(refused).toHaveLength(30);
    for (const answer of refused) {
      expect(answer.errorCode).toBe("too_many_attempts");
      expect(answer.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(answer.retryAfterSeconds).toBeLessThanOrEqual(60);
    }
    // The delays it waited grew, doubling, up to the cap.
    expect(answers.slice(30).flatMap((a) => (a.status === 429 ? [a.retryAfterSeconds] : []))).toEqual([
      1, 2, 4, 8, 16, 32, 60, 60, 60, 60,
    ]);

    // Right after the stranger's last failure, the admin's own browser signs in at once.
    const fromBrowser = await signIn(BROWSER_ADDRESS, admin.email, TEST_PASSWORD, browserCookie);
    expect(fromBrowser.status).toBe(200);
    expect(fromBrowser.loginDevice?.value).toBe(browserCookie);

    // From a machine that never signed in, the admin waits the delay, no longer.
    const fresh = await signIn("127.0.0.99", admin.email, TEST_PASSWORD);
    expect(fresh.status).toBe(429);
    expect(fresh.retryAfterSeconds).toBe(60);
    expect(fresh.message).toContain("a browser that signed in to this account before is not affected");
    nowMs += fresh.retryAfterSeconds! * 1000;
    expect((await signIn("127.0.0.99", admin.email, TEST_PASSWORD)).status).toBe(200);
  });

  it("raise one alert, a warn line and an audit row, not one per attempt", async () => {
    const admin = await createAdmin(t, { rights: ["devices:read"] });
    for (let i = 0; i < 30; i++) await signIn(`127.0.1.${10 + (i % 5)}`, admin.email, "not the password");
    const alerts = warnings.filter((w) => w.adminId === admin.id);
    expect(alerts).toEqual([
      expect.objectContaining({ level: 40, email: admin.email, failures: 10, addresses: 5 }),
    ]);
    const audit = await t.api.get<{ items: Array<{ target: string; params: unknown; errorCode: string }> }>(
      `/audit?action=auth.login_throttled&target=${admin.id}`,
    );
    expect(audit.body.items).toEqual([
      expect.objectContaining({
        target: admin.id,
        params: { email: admin.email, failures: 10, addresses: 5 },
        errorCode: "too_many_attempts",
      }),
    ]);
    // The refused attempts left no login rows; the ten checked ones did.
    const logins = await t.api.get<{ items: unknown[] }>(
      `/audit?action=auth.login&target=${admin.id}&limit=100`,
    );
    expect(logins.body.items).toHaveLength(1 + 10);
  });
});

describe("a trusted browser", () => {
  it("is trusted no more after five wrong passwords of its own", async () => {
    const admin = await createAdmin(t, { rights: ["devices:read"] });
    const browserCookie = await signInFromBrowser(admin.email);
    for (let i = 0; i < 10; i++) {
      expect((await signIn(`127.0.2.${i}`, admin.email, "not the password")).status).toBe(401);
    }
    // The account now makes unknown clients wait; the browser is not held back, for five failures.
    for (let i = 0; i < 5; i++) {
      expect((await signIn(BROWSER_ADDRESS, admin.email, "typo typo typo", browserCookie)).status).toBe(401);
    }
    expect(await loginDeviceRows(admin.id)).not.toContain(hashSecret(browserCookie));
    const distrusted = await signIn(BROWSER_ADDRESS, admin.email, TEST_PASSWORD, browserCookie);
    expect(distrusted.status).toBe(429);
    nowMs += distrusted.retryAfterSeconds! * 1000;
    const again = await signIn(BROWSER_ADDRESS, admin.email, TEST_PASSWORD, browserCookie);
    expect(again.status).toBe(200);
    expect(again.loginDevice!.value).not.toBe(browserCookie);
  });

  it("is forgotten when someone else resets the password or deactivates the account", async () => {
    const admin = await createAdmin(t, { rights: ["devices:read"] });
    await signInFromBrowser(admin.email);
    expect(await loginDeviceRows(admin.id)).not.toHaveLength(0);
    expect(
      (await t.api.post(`/admins/${admin.id}/password`, { password: "a temporary password" })).status,
    ).toBe(204);
    expect(await loginDeviceRows(admin.id)).toEqual([]);

    await signInFromBrowser(admin.email, "a temporary password");
    expect(await loginDeviceRows(admin.id)).not.toHaveLength(0);
    expect((await t.api.patch(`/admins/${admin.id}`, { active: false })).status).toBe(200);
    expect(await loginDeviceRows(admin.id)).toEqual([]);
  });

  it("is one of at most 50 per admin: the least recently used is forgotten first", async () => {
    const admin = await createAdmin(t, { rights: ["devices:read"] });
    await t.server.store.unit(async (tx) => {
      for (let i = 0; i < 60; i++) {
        await tx
          .insertInto("admin_login_devices")
          .values({
            token_hash: `old-${i}`,
            admin_id: admin.id,
            created_at: nowMs - 100_000,
            last_used_at: nowMs - 100_000 + i,
            expires_at: nowMs + 86_400_000,
          })
          .execute();
      }
    });
    const browserCookie = await signInFromBrowser(admin.email);
    const rows = await loginDeviceRows(admin.id);
    expect(rows).toHaveLength(50);
    expect(rows).toContain(hashSecret(browserCookie));
    expect(rows).toContain("old-59");
    expect(rows).not.toContain("old-10");
  });

  it("expires, and expired rows are pruned", async () => {
    const admin = await createAdmin(t, { rights: ["devices:read"] });
    const browserCookie = await signInFromBrowser(admin.email);
    const otherCookie = await signInFromBrowser(admin.email);
    await t.server.store.db
      .updateTable("admin_login_devices")
      .set({ expires_at: nowMs - 1 })
      .where("token_hash", "=", hashSecret(browserCookie))
      .execute();
    expect(await t.server.services.sessions.prune()).toBeGreaterThanOrEqual(1);
    const rows = await loginDeviceRows(admin.id);
    expect(rows).not.toContain(hashSecret(browserCookie));
    expect(rows).toContain(hashSecret(otherCookie));
  });
});

describe("the current-password check of POST /auth/password", () => {
  async function changePassword(token: string, currentPassword: string, address = BROWSER_ADDRESS) {
    const response = await undiciFetch(`${t.server.httpUrl}/api/v1/auth/password`, {
      method: "POST",
      dispatcher: from(address),
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ currentPassword, newPassword: "a brand new password" }),
    });
    return { status: response.status, retryAfter: response.headers.get("retry-after") };
  }

  it("is not held back by a stranger's failures on the account", async () => {
    const admin = await createAdmin(t, { rights: ["devices:read"] });
    for (let i = 0; i < 12; i++) await signIn(`127.0.3.${i}`, admin.email, "not the password");
    expect((await changePassword(admin.sessionToken, TEST_PASSWORD)).status).toBe(204);
  });

  it("is limited per session whatever the address, and one session's failures do not stop another", async () => {
    const admin = await createAdmin(t, { rights: ["devices:read"] });
    const otherSession = await login(t, admin.email);
    for (let i = 0; i < 5; i++) {
      expect((await changePassword(admin.sessionToken, "not the password", `127.0.4.${i}`)).status).toBe(403);
    }
    const limited = await changePassword(admin.sessionToken, TEST_PASSWORD, "127.0.4.99");
    expect(limited.status).toBe(429);
    expect(Number(limited.retryAfter)).toBeGreaterThan(0);
    expect((await changePassword(otherSession.token, TEST_PASSWORD, "127.0.4.98")).status).toBe(204);
  });
});
