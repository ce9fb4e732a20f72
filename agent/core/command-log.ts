/**
 * Log lines about one command carry its id, type and seq. A pino child logger per command
 * would serialize those bindings for every command even when nothing is logged, which is
 * measurable across thousands of simulated devices; this adds them only to lines written.
 */
import type { Logger } from "pino";

type Level = "debug" | "info" | "warn" | "error";

export class CommandLog {
  constructor(
    private readonly log: Logger,
    private readonly fields: Readonly<Record<string, unknown>>,
  ) {}

  debug(objOrMsg: object | string, msg?: string): void {
    this.write("debug", objOrMsg, msg);
  }
  info(objOrMsg: object | string, msg?: string): void {
    this.write("info", objOrMsg, msg);
  }
  warn(objOrMsg: object | string, msg?: string): void {
    this.write("warn", objOrMsg, msg);
  }
  error(objOrMsg: object | string, msg?: string): void {
    this.write("error", objOrMsg, msg);
  }

  private write(level: Level, objOrMsg: object | string, msg?: string): void {
    if (!this.log.isLevelEnabled(level)) return;
    if (typeof objOrMsg === "string") this.log[level](this.fields, objOrMsg);
    else this.log[level]({ ...this.fields, ...objOrMsg }, msg);
  }
}
