/**
 * Keeps one healthy device busy while the fuzzer attacks the server: commands are issued to
 * it one after another through the API and each is timed from the request to its terminal
 * state on the server's event stream. If the server stalls, crashes or lets anyone disturb
 * the device, it shows here as a gap, a failure or a disconnect.
 */
import { WebSocket } from "ws";
import type { AdminClient } from "../admin-client.js";

const TERMINAL = new Set(["succeeded", "failed", "rejected", "expired", "canceled"]);

export interface CommandProbeReport {
  completed: number;
  /** Commands that ended in any terminal state other than succeeded. */
  notSucceeded: number;
  /** Commands that did not finish within the wait (stalls). */
  timedOut: number;
  /** Requests that failed (the API not answering). */
  requestErrors: number;
  latenciesMs: number[];
  /** When each command finished (performance.now()), to find the longest gap in the flow. */
  finishedAtMs: number[];
  commandIds: string[];
}

export class CommandProbe {
  readonly report: CommandProbeReport = {
    completed: 0,
    notSucceeded: 0,
    timedOut: 0,
    requestErrors: 0,
    latenciesMs: [],
    finishedAtMs: [],
    commandIds: [],
  };
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  private events: WebSocket | null = null;
  /** Terminal states seen on the stream, by command id, until a waiter takes them. */
  private readonly finished = new Map<string, string>();
  private readonly waiting = new Map<string, (state: string) => void>();

  constructor(
    private readonly admin: AdminClient,
    private readonly deviceId: string,
    private readonly options: { pauseMs?: number; waitMs?: number } = {},
  ) {}

  async start(): Promise<void> {
    const events = new WebSocket(`${this.admin.serverUrl.replace("http", "ws")}/api/v1/events`, {
      headers: { authorization: `Bearer ${this.admin.token}` },
    });
    this.events = events;
    await new Promise<void>((resolve, reject) => {
      events.once("message", () => resolve());
      events.once("error", reject);
    });
    this.listenTo(events);
    this.running = true;
    this.loop = this.run();
  }

  private listenTo(events: WebSocket): void {
    events.on("message", (data) => {
      const event = JSON.parse(String(data)) as {
        type: string;
        data: { command?: { id: string; state: string } };
      };
      const command = event.data.command;
      if (event.type !== "command.updated" || !command || !TERMINAL.has(command.state)) return;
      const waiter = this.waiting.get(command.id);
      if (waiter) waiter(command.state);
      else this.finished.set(command.id, command.state);
    });
  }

  /** Stops issuing after the command in flight; resolves with the report up to then. */
  async stop(): Promise<CommandProbeReport> {
    this.running = false;
    await this.loop;
    return structuredClone(this.report);
  }

  /** One command now (after `stop`): resolves with its terminal state. */
  async once(): Promise<string> {
    const requestErrors = this.report.requestErrors;
    const state = await this.issue();
    return state ?? (this.report.requestErrors > requestErrors ? "request failed" : "timed out");
  }

  close(): void {
    this.events?.close();
  }

  private async run(): Promise<void> {
    while (this.running) {
      await this.issue();
      await new Promise((resolve) => setTimeout(resolve, this.options.pauseMs ?? 20));
    }
  }

  private async issue(): Promise<string | null> {
    const startedMs = performance.now();
    let id: string;
    try {
      id = (
        await this.admin.request<{ id: string }>("POST", `/devices/${this.deviceId}/commands`, {
          type: "refresh_state",
        })
      ).id;
    } catch {
      this.report.requestErrors++;
      return null;
    }
    this.report.commandIds.push(id);
    const state = await new Promise<string | null>((resolve) => {
      const seen = this.finished.get(id);
      if (seen) return resolve(seen);
      const timer = setTimeout(() => resolve(null), this.options.waitMs ?? 30_000);
      this.waiting.set(id, (s) => {
        clearTimeout(timer);
        resolve(s);
      });
    });
    this.waiting.delete(id);
    this.finished.delete(id);
    if (state === null) {
      this.report.timedOut++;
      return null;
    }
    const finishedMs = performance.now();
    this.report.latenciesMs.push(finishedMs - startedMs);
    this.report.finishedAtMs.push(finishedMs);
    if (state === "succeeded") this.report.completed++;
    else this.report.notSucceeded++;
    return state;
  }
}
