/**
 * An open event stream lives no longer than the credential it was opened with: it closes with
 * 4401 when the session reaches its end or the token its expiry, when the token is revoked and
 * when the admin is deactivated. The server runs on a clock the tests move forward, so a 12 h
 * session ends without waiting 12 h.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { SESSION_TTL_MS } from "../../server/admins/sessions.js";
import { createAdmin } from "../helpers/admins.js";
import { type ApiClient, startTestServer, type TestServer } from "../helpers/test-server.js";

type ServerEvent = { type: string; data: Record<string, unknown> };

let t: TestServer;
/** How far the server's clock runs ahead of the real one. */
let clockAheadMs = 0;
const clock = () => Date.now() + clockAheadMs;

beforeAll(async () => {
  t = await startTestServer({}, undefined, clock);
});
afterAll(async () => t.cleanup());

const CLOSE_ACCESS_ENDED = 4401;

interface Stream {
  ws: WebSocket;
  seen: ServerEvent[];
  /** The close code, once the server closes the stream. */
  closed: Promise<number>;
}

/** Opens a stream and waits for its hello. */
async function openStream(headers: Record<string, string>): Promise<Stream> {
  const ws = new WebSocket(`${t.server.httpUrl.replace("http", "ws")}/api/v1/events`, { headers });
  const seen: ServerEvent[] = [];
  const closed = new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
  const hello = new Promise<ServerEvent>((resolve, reject) => {
    ws.once("message", (data) => resolve(JSON.parse(String(data)) as ServerEvent));
    ws.once("unexpected-response", (_req, res) => reject(new Error(`stream refused: ${res.statusCode}`)));
  });
  expect((await hello).type).toBe("hello");
  ws.on("message", (data) => seen.push(JSON.parse(String(data)) as ServerEvent));
  return { ws, seen, closed };
}

/** The HTTP status a new stream with these headers gets (101 when it opens). */
function upgradeStatus(headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${t.server.httpUrl.replace("http", "ws")}/api/v1/events`, { headers });
    ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
    ws.on("open", () => {
      ws.close();
      resolve(101);
    });
  });
}

const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

let timezoneTurn = 0;
/** Changes the global time settings: an event every stream with devices:read gets. */
async function announceSomething(): Promise<string> {
  timezoneTurn++;
  const timezone = timezoneTurn % 2 === 0 ? "Europe/Berlin" : "America/New_York";
  const res = await t.api.put("/settings/time", { timezone, ntpServer: null });
  expect(res.status).toBe(200);
  return timezone;
}

const sawTimezone = (stream: Stream, timezone: string) =>
  stream.seen.some(
    (e) => e.type === "settings.time.updated" && (e.data.time as { timezone: string }).timezone === timezone,
  );

/** Waits until `stream` has seen the time settings change to `timezone`; fails if it closes first. */
function untilSeen(stream: Stream, timezone: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (error?: Error) => {
      stream.ws.off("message", onMessage);
      stream.ws.off("close", onClose);
      if (error) reject(error);
      else resolve();
    };
    // Runs after the listener that fills `seen`, which was added first.
    const onMessage = () => {
      if (sawTimezone(stream, timezone)) settle();
    };
    const onClose = (code: number) => settle(new Error(`stream closed (${code}) before ${timezone}`));
    stream.ws.on("message", onMessage);
    stream.ws.on("close", onClose);
    if (sawTimezone(stream, timezone)) settle();
    else if (stream.ws.readyState === WebSocket.CLOSED) onClose(-1);
  });
}

/** Makes every open stream re-check its credential now, as the server does once a minute. */
const recheckStreams = () => t.server.services.events.emit("access.changed", { reason: "re-check" });

interface Credential {
  headers: Record<string, string>;
  api: ApiClient;
  endsAtMs: number;
}

const credentialKinds: { kind: string; make: () => Promise<Credential> }[] = [
  {
    kind: "session (bearer)",
    make: async () => {
      const admin = await createAdmin(t, { rights: ["devices:read"] });
      return { headers: bearer(admin.sessionToken), api: admin.api, endsAtMs: clock() + SESSION_TTL_MS };
    },
  },
  {
    kind: "session (console cookie)",
    make: async () => {
      const admin = await createAdmin(t, { rights: ["devices:read"] });
      return {
        headers: { cookie: `pmdm_session=${admin.sessionToken}`, origin: t.server.httpUrl },
        api: admin.api,
        endsAtMs: clock() + SESSION_TTL_MS,
      };
    },
  },
  {
    kind: "API token with an expiry",
    make: async () => {
      const admin = await createAdmin(t, { rights: ["devices:read"] });
      const endsAtMs = clock() + 3600_000;
      const created = await admin.api.post<{ token: string }>("/tokens", {
        name: "expiring",
        rights: ["devices:read"],
        expiresAt: new Date(endsAtMs).toISOString(),
      });
      expect(created.status).toBe(201);
      return { headers: bearer(created.body.token), api: t.api.withToken(created.body.token), endsAtMs };
    },
  },
];

describe("a stream of a credential that expires", () => {
  it("streams until the token's expiry, then closes with 4401 and the token opens no new one", async () => {
    const admin = await createAdmin(t, { rights: ["devices:read"] });
    const created = await admin.api.post<{ token: string; expiresAt: string }>("/tokens", {
      name: "short-lived",
      rights: ["devices:read"],
      expiresAt: new Date(clock() + 3000).toISOString(),
    });
    expect(created.status).toBe(201);
    const stream = await openStream(bearer(created.body.token));
    await untilSeen(stream, await announceSomething());

    expect(await stream.closed).toBe(CLOSE_ACCESS_ENDED);
    const received = stream.seen.length;
    await announceSomething();
    expect(stream.seen).toHaveLength(received);
    expect((await t.api.withToken(created.body.token).get("/devices")).status).toBe(401);
    expect(await upgradeStatus(bearer(created.body.token))).toBe(401);
  }, 20_000);

  describe.each(credentialKinds)("$kind", ({ make }) => {
    it("closes with 4401 when the server's clock reaches the end", async () => {
      const credential = await make();
      const stream = await openStream(credential.headers);
      // The server's clock jumps to just before the end; its timer for this stream was set
      // against the old time and the re-check sets it again.
      clockAheadMs += credential.endsAtMs - 1500 - clock();
      recheckStreams();
      expect(await stream.closed).toBe(CLOSE_ACCESS_ENDED);
      expect((await credential.api.get("/devices")).status).toBe(401);
    }, 20_000);

    it("delivers nothing once the server's clock has passed the end, even before any re-check", async () => {
      const credential = await make();
      const stream = await openStream(credential.headers);
      const everlasting = await openStream(bearer(t.api.token!));
      clockAheadMs += credential.endsAtMs + 1000 - clock();
      const timezone = await announceSomething();
      await untilSeen(everlasting, timezone);
      expect(await stream.closed).toBe(CLOSE_ACCESS_ENDED);
      expect(sawTimezone(stream, timezone)).toBe(false);
      everlasting.ws.close();
    }, 20_000);
  });

  it("a token that expires in 200 days streams on (longer than one timer can wait)", async () => {
    const admin = await createAdmin(t, { rights: ["devices:read"] });
    const created = await admin.api.post<{ token: string }>("/tokens", {
      name: "long-lived",
      rights: ["devices:read"],
      ttlDays: 200,
    });
    const stream = await openStream(bearer(created.body.token));
    await untilSeen(stream, await announceSomething());
    recheckStreams();
    await untilSeen(stream, await announceSomething());
    expect(stream.ws.readyState).toBe(WebSocket.OPEN);
    stream.ws.close();
  });

  it("a token without expiry keeps its stream however far the clock moves", async () => {
    const stream = await openStream(bearer(t.api.token!));
    clockAheadMs += 400 * 86_400_000;
    recheckStreams();
    await untilSeen(stream, await announceSomething());
    expect(stream.ws.readyState).toBe(WebSocket.OPEN);
    stream.ws.close();
  });
});

describe("a stream whose credential is withdrawn", () => {
  it("closes with 4401 when its token is revoked", async () => {
    const admin = await createAdmin(t, { rights: ["devices:read"] });
    const created = await admin.api.post<{ id: string; token: string }>("/tokens", {
      name: "to revoke",
      rights: ["devices:read"],
    });
    const stream = await openStream(bearer(created.body.token));
    expect((await admin.api.delete(`/tokens/${created.body.id}`)).status).toBe(204);
    expect(await stream.closed).toBe(CLOSE_ACCESS_ENDED);
  });

  it("closes every stream of a deactivated admin, session and token alike", async () => {
    const admin = await createAdmin(t, { rights: ["devices:read"] });
    const created = await admin.api.post<{ token: string }>("/tokens", {
      name: "script",
      rights: ["devices:read"],
    });
    const bySession = await openStream(bearer(admin.sessionToken));
    const byCookie = await openStream({ cookie: `pmdm_session=${admin.sessionToken}` });
    const byToken = await openStream(bearer(created.body.token));
    expect((await t.api.patch(`/admins/${admin.id}`, { active: false })).status).toBe(200);
    expect(await bySession.closed).toBe(CLOSE_ACCESS_ENDED);
    expect(await byCookie.closed).toBe(CLOSE_ACCESS_ENDED);
    expect(await byToken.closed).toBe(CLOSE_ACCESS_ENDED);
  });
});
