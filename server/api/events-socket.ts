/**
 * `GET /api/v1/events`: a WebSocket that streams server events as JSON lines
 * `{type, at, data}`. It needs a credential holding devices:read (bearer token, `access_token`
 * query parameter, or the console's session cookie); audit events (`audit.appended`) go only
 * to credentials holding audit:read. When access changes (logout, revocation, deactivation,
 * role change) every open stream re-checks its credential and is closed if it no longer
 * qualifies. A stream also ends when its credential does: at the session's end or the token's
 * expiry, by the server's clock. A client that cannot keep up is disconnected rather than
 * buffered without bound.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer } from "ws";
import type { Authenticator } from "../admins/credentials.js";
import type { Principal } from "../admins/principal.js";
import type { Right } from "../admins/rights.js";
import type { EventBus } from "../events/event-bus.js";
import type { ServerEvents } from "../events/server-events.js";
import type { Logger } from "../logger.js";
import { presentedCredential, sameOrigin } from "./auth.js";

export const EVENTS_PATH = "/api/v1/events";
const EVENT_NAMES: (keyof ServerEvents)[] = [
  "device.online",
  "device.offline",
  "device.state",
  "device.updated",
  "device.clock_drift",
  "command.updated",
  "settings.time.updated",
  "group.created",
  "group.updated",
  "group.deleted",
  "site.updated",
  "site.deleted",
  "schedule.updated",
  "schedule.deleted",
  "rollout.updated",
  "audit.appended",
];
/** The right each event needs beyond devices:read. */
const EVENT_RIGHT: Partial<Record<keyof ServerEvents, Right>> = { "audit.appended": "audit:read" };
/** A subscriber further behind than this is dropped; it reconnects and reloads. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
/** Close code when the credential stops being valid (4000–4999 are for applications). */
const CLOSE_ACCESS_ENDED = 4401;
/**
 * Every open stream re-authenticates this often: a backstop for changes no event announced,
 * and for a clock that moved (the expiry timers run on real time, expiry is decided by the
 * server's clock).
 */
const RECHECK_INTERVAL_MS = 60_000;
/** setTimeout fires at once for longer delays (a 32-bit signed count); longer waits re-arm. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

interface Subscriber {
  secret: string;
  principal: Principal;
  /** Fires at the credential's expiry; null for a credential without one. */
  expiryTimer: NodeJS.Timeout | null;
}

export class EventsSocket {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  private readonly unsubscribe: (() => void)[] = [];
  private readonly subscribers = new Map<WebSocket, Subscriber>();
  private recheckTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly events: EventBus<ServerEvents>,
    private readonly authenticator: Authenticator,
    private readonly logger: Logger,
    private readonly clock: () => number,
    /** Told when the first stream opens and when the last one closes (other nodes relay events meanwhile). */
    private readonly demandChanged: (wanted: boolean) => void = () => {},
  ) {}

  /** Listens on the bus only while someone is connected: with no console open, the hot
   * paths build no event payloads at all. */
  private subscribe(): void {
    if (this.unsubscribe.length > 0) return;
    for (const name of EVENT_NAMES) {
      this.unsubscribe.push(this.events.on(name, (data) => this.broadcast(name, data)));
    }
    this.unsubscribe.push(this.events.on("access.changed", () => this.recheckAll()));
    this.recheckTimer = setInterval(() => {
      this.recheckAll().catch((err: unknown) => this.logger.error({ err }, "events stream re-check failed"));
    }, RECHECK_INTERVAL_MS);
    this.recheckTimer.unref();
    this.demandChanged(true);
  }

  private unsubscribeWhenIdle(): void {
    if (this.subscribers.size > 0) return;
    this.stopListening();
  }

  private stopListening(): void {
    if (this.unsubscribe.length > 0) this.demandChanged(false);
    for (const off of this.unsubscribe.splice(0)) off();
    if (this.recheckTimer) clearInterval(this.recheckTimer);
    this.recheckTimer = null;
  }

  /** Closes a stream whose credential no longer qualifies; nothing more is sent to it. */
  private endAccess(client: WebSocket): void {
    const subscriber = this.subscribers.get(client);
    if (subscriber?.expiryTimer) clearTimeout(subscriber.expiryTimer);
    this.subscribers.delete(client);
    client.close(CLOSE_ACCESS_ENDED, "credential no longer valid");
  }

  /**
   * Sets the stream's timer for its credential's expiry. The delay comes from the server's
   * clock; when the timer fires the clock decides again, so a clock that runs slower than
   * real time, or a delay longer than a timer can take, only re-arms it.
   */
  private armExpiry(client: WebSocket, subscriber: Subscriber): void {
    if (subscriber.expiryTimer) clearTimeout(subscriber.expiryTimer);
    subscriber.expiryTimer = null;
    const expiresAtMs = subscriber.principal.credential.expiresAtMs;
    if (expiresAtMs === null) return;
    const remainingMs = expiresAtMs - this.clock();
    if (remainingMs <= 0) {
      this.endAccess(client);
      this.unsubscribeWhenIdle();
      return;
    }
    subscriber.expiryTimer = setTimeout(
      () => {
        if (this.subscribers.get(client) === subscriber) this.armExpiry(client, subscriber);
      },
      Math.min(remainingMs, MAX_TIMER_DELAY_MS),
    );
    subscriber.expiryTimer.unref();
  }

  private broadcast(type: keyof ServerEvents, data: unknown): void {
    if (this.subscribers.size === 0) return;
    const needs = EVENT_RIGHT[type];
    // A clock that jumped past an expiry before the timer or a re-check noticed: such a
    // stream gets nothing more.
    const now = this.clock();
    let line: string | undefined;
    for (const [client, { principal }] of this.subscribers) {
      if (client.readyState !== WebSocket.OPEN) continue;
      if (expired(principal, now)) {
        this.endAccess(client);
        continue;
      }
      if (needs && !principal.rights.has(needs)) continue;
      if (client.bufferedAmount > MAX_BUFFERED_BYTES) {
        client.close(1013, "too slow; reconnect");
        continue;
      }
      line ??= JSON.stringify({ type, at: new Date().toISOString(), data });
      client.send(line);
    }
  }

  /** Re-authenticates every open stream; those whose credential no longer qualifies close. */
  private async recheckAll(): Promise<void> {
    for (const [client, subscriber] of [...this.subscribers]) {
      const principal = await this.authenticator.authenticate(subscriber.secret);
      if (!this.subscribers.has(client)) continue;
      if (!principal || refusal(principal)) {
        this.endAccess(client);
      } else {
        subscriber.principal = principal;
        this.armExpiry(client, subscriber);
      }
    }
    this.unsubscribeWhenIdle();
  }

  async handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(request.url ?? "/", "http://localhost");
    const queryToken = url.searchParams.get("access_token");
    const presented =
      presentedCredential(request.headers) ?? (queryToken ? { secret: queryToken, viaCookie: false } : null);
    const principal = presented ? await this.authenticator.authenticate(presented.secret) : null;
    if (!presented || !principal) {
      refuse(socket, 401, "Unauthorized", "unauthorized", "missing or invalid credential");
      return;
    }
    // Browsers send the session cookie with any page's WebSocket to this host; only our own
    // origin may use it.
    if (presented.viaCookie && !sameOrigin(request.headers)) {
      refuse(
        socket,
        403,
        "Forbidden",
        "cross_site_request",
        "the session cookie works only from this server's origin",
      );
      return;
    }
    const refused = refusal(principal);
    if (refused) {
      refuse(socket, 403, "Forbidden", refused.code, refused.message);
      return;
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => {
      const subscriber: Subscriber = { secret: presented.secret, principal, expiryTimer: null };
      this.subscribers.set(ws, subscriber);
      this.subscribe();
      ws.on("close", () => {
        if (subscriber.expiryTimer) clearTimeout(subscriber.expiryTimer);
        this.subscribers.delete(ws);
        this.unsubscribeWhenIdle();
      });
      ws.on("error", (err) => this.logger.debug({ err }, "events socket error"));
      ws.send(
        JSON.stringify({
          type: "hello",
          at: new Date().toISOString(),
          data: { admin: { id: principal.adminId, email: principal.email, name: principal.name } },
        }),
      );
      // After the hello: a credential that ran out during the upgrade gets its close.
      this.armExpiry(ws, subscriber);
    });
  }

  async close(): Promise<void> {
    this.stopListening();
    for (const { expiryTimer } of this.subscribers.values()) {
      if (expiryTimer) clearTimeout(expiryTimer);
    }
    for (const client of this.wss.clients) client.terminate();
    this.subscribers.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

function expired(principal: Principal, nowMs: number): boolean {
  const expiresAtMs = principal.credential.expiresAtMs;
  return expiresAtMs !== null && expiresAtMs <= nowMs;
}

/** Why this principal may not stream events, if it may not. */
function refusal(principal: Principal): { code: string; message: string } | null {
  if (principal.mustResetPassword && principal.credential.type === "session") {
    return { code: "password_reset_required", message: "change your password first" };
  }
  if (!principal.rights.has("devices:read")) {
    return { code: "forbidden", message: "the events stream needs the right 'devices:read'" };
  }
  return null;
}

function refuse(socket: Duplex, status: number, reason: string, code: string, message: string): void {
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n` +
      JSON.stringify({ error: { code, message } }),
  );
}
