/**
 * `GET /api/v1/events`: a WebSocket that streams server events as JSON lines
 * `{type, at, data}`. Authenticated like every admin route; a client that cannot keep up is
 * disconnected rather than buffered without bound.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer } from "ws";
import type { AdminTokens } from "../admins/admin-tokens.js";
import type { EventBus } from "../events/event-bus.js";
import type { ServerEvents } from "../events/server-events.js";
import type { Logger } from "../logger.js";
import { bearerToken } from "./auth.js";

export const EVENTS_PATH = "/api/v1/events";
const EVENT_NAMES: (keyof ServerEvents)[] = [
  "device.online",
  "device.offline",
  "device.state",
  "device.updated",
  "command.updated",
  "settings.time.updated",
];
/** A subscriber further behind than this is dropped; it reconnects and reloads. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

export class EventsSocket {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly events: EventBus<ServerEvents>,
    private readonly adminTokens: AdminTokens,
    private readonly logger: Logger,
  ) {}

  /** Listens on the bus only while someone is connected: with no console open, the hot
   * paths build no event payloads at all. */
  private subscribe(): void {
    if (this.unsubscribe.length > 0) return;
    for (const name of EVENT_NAMES) {
      this.unsubscribe.push(this.events.on(name, (data) => this.broadcast(name, data)));
    }
  }

  private unsubscribeWhenIdle(): void {
    if (this.wss.clients.size > 0) return;
    for (const off of this.unsubscribe.splice(0)) off();
  }

  private broadcast(type: string, data: unknown): void {
    if (this.wss.clients.size === 0) return;
    const line = JSON.stringify({ type, at: new Date().toISOString(), data });
    for (const client of this.wss.clients) {
      if (client.readyState !== WebSocket.OPEN) continue;
      if (client.bufferedAmount > MAX_BUFFERED_BYTES) {
        client.close(1013, "too slow; reconnect");
        continue;
      }
      client.send(line);
    }
  }

  async handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(request.url ?? "/", "http://localhost");
    const token = bearerToken(request.headers.authorization) ?? url.searchParams.get("access_token");
    const admin = token ? await this.adminTokens.authenticate(token) : null;
    if (!admin) {
      socket.end(
        "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n" +
          JSON.stringify({ error: { code: "unauthorized", message: "missing or invalid bearer token" } }),
      );
      return;
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => {
      this.subscribe();
      ws.on("close", () => this.unsubscribeWhenIdle());
      ws.on("error", (err) => this.logger.debug({ err }, "events socket error"));
      ws.send(JSON.stringify({ type: "hello", at: new Date().toISOString(), data: { admin: admin.name } }));
    });
  }

  async close(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    for (const client of this.wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
