/** The rate-limited refusal log, with an injected clock and scheduler and a pino logger writing to an array. */
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { RefusalLog } from "../../../server/refusal-log.js";

interface Line {
  level: number;
  msg: string;
  refusal?: string;
  suppressed?: number;
  reason?: string;
}

const INFO = 30;
const WARN = 40;

function recorded(linesPerMinute = 3) {
  const lines: Line[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line)) });
  let nowMs = 1_000_000;
  const scheduled: { run: () => void; delayMs: number; canceled: boolean }[] = [];
  const log = new RefusalLog(logger, {
    linesPerMinute,
    clock: () => nowMs,
    schedule: (run, delayMs) => {
      const entry = { run, delayMs, canceled: false };
      scheduled.push(entry);
      return { cancel: () => (entry.canceled = true) };
    },
  });
  return {
    lines,
    log,
    scheduled,
    advance: (ms: number) => (nowMs += ms),
  };
}

describe("RefusalLog", () => {
  it("logs N lines per kind in a minute, then one summary of the rest when the minute is over", () => {
    const { lines, log, scheduled, advance } = recorded(3);
    for (let i = 0; i < 10; i++) {
      log.refused("http_unauthorized", { reason: `r${i}` }, "HTTP request refused");
      advance(1000);
    }
    expect(lines.map((l) => l.reason)).toEqual(["r0", "r1", "r2"]);
    expect(lines.every((l) => l.level === INFO && l.refusal === "http_unauthorized")).toBe(true);
    // One timer for the whole minute, due when the minute that began with r0 ends.
    expect(scheduled).toHaveLength(1);
    expect(scheduled[0]!.delayMs).toBe(60_000 - 3000);

    advance(50_000);
    scheduled[0]!.run();
    expect(lines).toHaveLength(4);
    expect(lines[3]).toMatchObject({
      level: INFO,
      refusal: "http_unauthorized",
      suppressed: 7,
      msg: "7 more refusals of kind http_unauthorized suppressed in the last minute",
    });

    // A new minute starts afresh.
    log.refused("http_unauthorized", { reason: "again" }, "HTTP request refused");
    expect(lines.at(-1)).toMatchObject({ reason: "again" });
  });

  it("counts each kind on its own", () => {
    const { lines, log } = recorded(2);
    for (let i = 0; i < 5; i++) {
      log.refused("mqtt_connect", {}, "MQTT connection refused");
      log.refused("mqtt_subscribe", {}, "MQTT subscription refused");
    }
    expect(lines.filter((l) => l.refusal === "mqtt_connect")).toHaveLength(2);
    expect(lines.filter((l) => l.refusal === "mqtt_subscribe")).toHaveLength(2);
  });

  it("writes the summary before the next refusal of a later minute when no timer ran", () => {
    const { lines, log, scheduled, advance } = recorded(1);
    log.refused("http_forbidden", { reason: "first" }, "HTTP request refused");
    log.refused("http_forbidden", { reason: "second" }, "HTTP request refused");
    advance(60_000);
    log.refused("http_forbidden", { reason: "third" }, "HTTP request refused");
    expect(lines.map((l) => l.msg)).toEqual([
      "HTTP request refused",
      "1 more refusals of kind http_forbidden suppressed in the last minute",
      "HTTP request refused",
    ]);
    expect(scheduled[0]!.canceled).toBe(true);
  });

  it("writes no summary when nothing was suppressed, and schedules nothing", () => {
    const { lines, log, scheduled, advance } = recorded(3);
    log.refused("mqtt_publish", {}, "MQTT publish refused");
    advance(61_000);
    log.flush();
    log.close();
    expect(lines).toHaveLength(1);
    expect(scheduled).toHaveLength(0);
  });

  it("logs the publish budget at warn, summary included, and writes pending summaries on close", () => {
    const { lines, log, scheduled } = recorded(1);
    log.refused("mqtt_publish_rate", { reason: "over budget" }, "MQTT client disconnected");
    log.refused("mqtt_publish_rate", { reason: "over budget" }, "MQTT client disconnected");
    log.close();
    expect(lines.map((l) => [l.level, l.suppressed])).toEqual([
      [WARN, undefined],
      [WARN, 1],
    ]);
    expect(scheduled[0]!.canceled).toBe(true);
  });

  it("keeps a flood of 100 000 refusals to N lines and one summary per minute", () => {
    const { lines, log, advance } = recorded(10);
    for (let i = 0; i < 100_000; i++) {
      log.refused("http_rate_limited", {}, "HTTP request refused");
      if (i % 1000 === 999) advance(1000);
    }
    log.close();
    // 100 s of refusals: two minutes, each with 10 lines and one summary.
    expect(lines).toHaveLength(22);
    expect(lines.filter((l) => l.suppressed !== undefined).reduce((n, l) => n + l.suppressed!, 0)).toBe(
      100_000 - 20,
    );
  });
});
