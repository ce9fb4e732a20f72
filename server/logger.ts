import { type Logger, pino } from "pino";

export type { Logger };

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

/** JSON lines on stdout; pipe through `pino-pretty` for a human view. */
export function createLogger(level: LogLevel, name = "portal-mdm"): Logger {
  return pino({ name, level });
}
