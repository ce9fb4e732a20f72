/**
 * When a schedule runs: a cron expression of five fields (minute, hour, day of month, month,
 * day of week) read in an IANA zone, on croner. Local times that a daylight saving change skips
 * run at the first minute after the gap; those it repeats run once.
 */
import { Cron } from "croner";
import { MdmError } from "../errors.js";

/** The field count accepted: minutes are the finest step a schedule takes. */
const CRON_FIELDS = 5;

function parsed(expression: string, timezone: string): Cron {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== CRON_FIELDS) {
    throw new MdmError(
      "invalid_cron",
      `'${expression}' is not a cron expression of 5 fields (minute hour day-of-month month day-of-week), e.g. '0 3 * * 0'`,
      { field: "cron" },
    );
  }
  try {
    // No function: the object only computes times, it never starts a timer.
    return new Cron(fields.join(" "), { timezone, mode: "5-part" });
  } catch (err) {
    throw new MdmError("invalid_cron", `'${expression}': ${(err as Error).message}`, { field: "cron" });
  }
}

/** The expression, checked and with single spaces; refused with `invalid_cron`. */
export function normalizeCron(expression: string, timezone: string): string {
  parsed(expression, timezone);
  return expression.trim().split(/\s+/).join(" ");
}

/** The first time the expression names strictly after `afterMs`; null when it names none. */
export function nextOccurrence(expression: string, timezone: string, afterMs: number): number | null {
  const next = parsed(expression, timezone).nextRun(new Date(afterMs));
  return next ? next.getTime() : null;
}
