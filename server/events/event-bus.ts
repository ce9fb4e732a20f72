/**
 * Typed in-process event bus. Every listener is wrapped: a throw or rejection is logged and the
 * other listeners still run, so one faulty consumer never takes the server down.
 */
import type { Logger } from "../logger.js";

export class EventBus<Events extends { [K in keyof Events]: unknown }> {
  private readonly listeners = new Map<keyof Events, Set<(payload: never) => unknown>>();

  constructor(private readonly logger: Logger) {}

  on<K extends keyof Events>(event: K, listener: (payload: Events[K]) => unknown): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as (payload: never) => unknown);
    return () => set.delete(listener as (payload: never) => unknown);
  }

  emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of set) {
      try {
        const result = (listener as (p: Events[K]) => unknown)(payload);
        if (result instanceof Promise) {
          result.catch((err: unknown) => this.logger.error({ err, event }, "event listener failed"));
        }
      } catch (err) {
        this.logger.error({ err, event }, "event listener failed");
      }
    }
  }

  /** Like emit, but builds the payload only when someone listens (hot paths with costly payloads). */
  emitLazy<K extends keyof Events>(event: K, build: () => Events[K]): void {
    if (this.listenerCount(event) > 0) this.emit(event, build());
  }

  listenerCount(event: keyof Events): number {
    return this.listeners.get(event)?.size ?? 0;
  }
}
