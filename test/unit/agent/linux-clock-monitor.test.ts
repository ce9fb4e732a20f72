/**
 * The clock monitor of a real device: what it reports after measurements that work and fail,
 * which server it measures against, and that measurements never overlap or report a server
 * the device has left. The probe is a stand-in the test answers by hand; the NTP probe itself
 * is checked against sockets on 127.0.0.1 (and against chronyd in test/integration/time-sync).
 */
import { createSocket, type Socket } from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import { ClockMonitor } from "../../../agent/clock/clock-monitor.js";
import { ntpClockProbe } from "../../../agent/clock/ntp-probe.js";
import { silentLogger } from "./fakes.js";

/** A probe whose every call waits until the test answers it. */
class ManualProbe {
  readonly calls: { server: string; resolve: (offsetMs: number) => void; reject: (err: Error) => void }[] =
    [];
  inFlight = 0;
  maxInFlight = 0;

  readonly probe = (server: string): Promise<number> => {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    return new Promise<number>((resolve, reject) => {
      this.calls.push({ server, resolve, reject });
    }).finally(() => {
      this.inFlight--;
    });
  };

  /** Waits for the next call, then answers it. */
  async answer(result: number | Error): Promise<string> {
    const index = this.answered++;
    while (this.calls.length <= index) await new Promise((r) => setImmediate(r));
    const call = this.calls[index]!;
    if (result instanceof Error) call.reject(result);
    else call.resolve(result);
    return call.server;
  }

  private answered = 0;
}

let monitor: ClockMonitor | undefined;
afterEach(() => monitor?.stop());

function monitorWith(probe: ManualProbe, automaticServer: string | null = null, nowMs = 1_800_000_000_000) {
  monitor = new ClockMonitor({
    probe: probe.probe,
    // Far apart: in these tests only the start and server changes measure.
    schedule: "0 0 1 1 *",
    automaticServer,
    logger: silentLogger,
    clock: () => nowMs,
  });
  return monitor;
}

describe("ClockMonitor", () => {
  it("measures when started, reports the offset and the time of the sync, and says it changed", async () => {
    const probe = new ManualProbe();
    const clock = monitorWith(probe);
    clock.useServer("127.0.0.1:11123");
    let changes = 0;
    clock.start(() => changes++);
    expect(await probe.answer(-12.5)).toBe("127.0.0.1:11123");
    await clock.settled();
    expect(clock.reading).toEqual({
      clockOffsetMs: -12.5,
      lastTimeSyncAtMs: 1_800_000_000_000,
      timeSyncError: null,
    });
    expect(changes).toBe(1);
  });

  it("after a failure keeps the last good offset and sync time, with the error; a success clears it", async () => {
    const probe = new ManualProbe();
    const clock = monitorWith(probe);
    clock.useServer("time.example.com");
    clock.start(() => {});
    await probe.answer(40);
    await clock.settled();
    const measuring = clock.measure();
    await probe.answer(new Error("no usable answer from NTP server time.example.com"));
    await measuring;
    expect(clock.reading).toEqual({
      clockOffsetMs: 40,
      lastTimeSyncAtMs: 1_800_000_000_000,
      timeSyncError: "no usable answer from NTP server time.example.com",
    });
    const again = clock.measure();
    await probe.answer(3);
    await again;
    expect(clock.reading.timeSyncError).toBeNull();
    expect(clock.reading.clockOffsetMs).toBe(3);
  });

  it("a new server: the old reading is dropped, a measurement still running for the old one is thrown away", async () => {
    const probe = new ManualProbe();
    const clock = monitorWith(probe);
    clock.useServer("old.example.com");
    clock.start(() => {});
    clock.useServer("new.example.com:11123");
    expect(clock.reading.lastTimeSyncAtMs).toBeNull();
    // The first measurement (old server) ends after the change: its result must not count.
    expect(await probe.answer(5000)).toBe("old.example.com");
    expect(await probe.answer(7)).toBe("new.example.com:11123");
    await clock.settled();
    expect(clock.reading.clockOffsetMs).toBe(7);
    expect(probe.maxInFlight).toBe(1);
  });

  it("measures against the automatic server while the device's time source is automatic, or not at all", async () => {
    const probe = new ManualProbe();
    const clock = monitorWith(probe, "pool.ntp.org");
    clock.start(() => {});
    expect(await probe.answer(1)).toBe("pool.ntp.org");
    await clock.settled();
    expect(clock.target).toBe("pool.ntp.org");
    clock.stop();

    const none = new ManualProbe();
    const unmeasured = monitorWith(none, null);
    unmeasured.start(() => {});
    await unmeasured.settled();
    expect(none.calls).toEqual([]);
    expect(unmeasured.reading).toEqual({ clockOffsetMs: 0, lastTimeSyncAtMs: null, timeSyncError: null });
  });
});

describe("ntpClockProbe", () => {
  const sockets: Socket[] = [];
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.close();
  });

  it("names the server and the tries when nothing answers", async () => {
    // Bound and silent: requests arrive and are never answered.
    const silent = createSocket("udp4");
    sockets.push(silent);
    await new Promise<void>((resolve) => silent.bind(0, "127.0.0.1", resolve));
    const server = `127.0.0.1:${silent.address().port}`;
    const probe = ntpClockProbe({ replyTimeoutMs: 50, samples: 2 });
    await expect(probe(server)).rejects.toThrow(
      new RegExp(`^no usable answer from NTP server ${server.replaceAll(".", "\\.")} after 3 tries of 50 ms`),
    );
  });

  it("refuses an IPv6 server it cannot measure, naming it", async () => {
    const probe = ntpClockProbe({ replyTimeoutMs: 50, samples: 1 });
    await expect(probe("[::1]:11123")).rejects.toThrow(
      "cannot measure against [::1]:11123: the clock is measured over IPv4 only",
    );
  });
});
