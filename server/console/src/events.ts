/**
 * The live event stream (/api/v1/events) with automatic reconnects. Pages subscribe by event
 * type; after a reconnect every `resync` listener reloads, since events sent while the stream
 * was down are gone.
 */
import type { ServerEvent } from "./types";

export type StreamState = "connecting" | "live" | "reconnecting" | "stopped";
type Listener = (event: ServerEvent) => void;

const MIN_RETRY_MS = 500;
const MAX_RETRY_MS = 10_000;

export class EventStream {
  state: StreamState = "stopped";
  private socket: WebSocket | null = null;
  private retryMs = MIN_RETRY_MS;
  private retryTimer: number | undefined;
  private everOpened = false;
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly stateListeners = new Set<(state: StreamState) => void>();
  private readonly resyncListeners = new Set<() => void>();

  /** Called when a connection ends or cannot be made: the credential may have ended (logout
   * elsewhere, revocation), which only the API can tell. */
  onDrop: (() => void) | null = null;

  constructor(private readonly token: () => string | null) {}

  start(): void {
    if (this.state !== "stopped") return;
    this.connect();
  }

  stop(): void {
    window.clearTimeout(this.retryTimer);
    const socket = this.socket;
    this.socket = null;
    socket?.close();
    this.everOpened = false;
    this.setState("stopped");
  }

  on(type: string, listener: Listener): () => void {
    let set = this.listeners.get(type);
    if (!set) {
      set = new Set();
      this.listeners.set(type, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  onState(listener: (state: StreamState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** Called after the stream comes back from a drop. */
  onResync(listener: () => void): () => void {
    this.resyncListeners.add(listener);
    return () => this.resyncListeners.delete(listener);
  }

  private connect(): void {
    this.setState(this.everOpened ? "reconnecting" : "connecting");
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const token = this.token();
    const url = `${scheme}://${location.host}/api/v1/events${token ? `?access_token=${encodeURIComponent(token)}` : ""}`;
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.retryMs = MIN_RETRY_MS;
      const wasDown = this.everOpened;
      this.everOpened = true;
      this.setState("live");
      if (wasDown) for (const listener of this.resyncListeners) listener();
    };
    socket.onmessage = (message) => {
      let event: ServerEvent;
      try {
        event = JSON.parse(String(message.data)) as ServerEvent;
      } catch {
        return;
      }
      for (const listener of this.listeners.get(event.type) ?? []) {
        try {
          listener(event);
        } catch (err) {
          console.error("event listener failed", event.type, err);
        }
      }
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.onDrop?.();
      this.setState("reconnecting");
      this.retryTimer = window.setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
    };
  }

  private setState(state: StreamState): void {
    if (this.state === state) return;
    this.state = state;
    for (const listener of this.stateListeners) listener(state);
  }
}
