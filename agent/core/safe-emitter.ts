import { EventEmitter } from "node:events";

type Listener<T> = (payload: T) => void;

/**
 * A typed event emitter whose listeners cannot hurt the emitter: each one is called on its
 * own, and a throw is reported to `onListenerError` instead of unwinding into the agent's
 * work (a host's faulty listener must never stop a command halfway).
 */
export class SafeEmitter<Events extends object> {
  private readonly emitter = new EventEmitter();

  constructor(private readonly onListenerError: (event: string, err: unknown) => void) {
    // Hosts and tests legitimately attach many short-lived waiters to one emitter.
    this.emitter.setMaxListeners(1000);
  }

  on<K extends keyof Events & string>(event: K, listener: Listener<Events[K]>): this {
    this.emitter.on(event, listener);
    return this;
  }

  once<K extends keyof Events & string>(event: K, listener: Listener<Events[K]>): this {
    this.emitter.once(event, listener);
    return this;
  }

  off<K extends keyof Events & string>(event: K, listener: Listener<Events[K]>): this {
    this.emitter.off(event, listener);
    return this;
  }

  listenerCount<K extends keyof Events & string>(event: K): number {
    return this.emitter.listenerCount(event);
  }

  protected emit<K extends keyof Events & string>(event: K, payload: Events[K]): void {
    // Raw listeners include `once` wrappers, which remove themselves when called.
    for (const listener of this.emitter.rawListeners(event) as Listener<Events[K]>[]) {
      try {
        listener(payload);
      } catch (err) {
        this.onListenerError(event, err);
      }
    }
  }
}
