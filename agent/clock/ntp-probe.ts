/**
 * Measures how far this device's clock is from an NTP server, with `ntp-time-sync`.
 *
 * Two things about that library shape how it is called: a result younger than 16 s is
 * cached for the whole process unless `getTime(true)` forces a new poll, and with more than
 * one sample per poll it keeps polling for ever once a server that answered stops answering.
 * So each sample is one forced poll of one sample, and the median of a few is the offset.
 * The host is resolved here first, so a name that does not resolve says so instead of
 * timing out; the library speaks IPv4 only.
 */
import { lookup } from "node:dns/promises";
import { NtpTimeSync } from "ntp-time-sync";
import { isIpv6Literal, NTP_PORT, parseNtpServer } from "./ntp-server.js";

/**
 * The device clock's offset from `server` in ms: positive when the device is ahead. Rejects
 * with a message that names the server and what went wrong.
 */
export type ClockProbe = (server: string) => Promise<number>;

export interface NtpProbeOptions {
  /** How long each request waits for an answer; the library tries three times. */
  replyTimeoutMs: number;
  /** Forced polls whose median is the offset. */
  samples: number;
}

/** Tries per poll inside ntp-time-sync before it gives up. */
const LIBRARY_TRIES = 3;

export function ntpClockProbe(options: NtpProbeOptions): ClockProbe {
  return async (server) => {
    const { host, port } = parseNtpServer(server);
    if (isIpv6Literal(host)) {
      throw new Error(`cannot measure against ${server}: the clock is measured over IPv4 only`);
    }
    let address: string;
    try {
      address = (await lookup(host, { family: 4 })).address;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new Error(`cannot resolve NTP server '${host}' (${code})`);
    }
    const target = `${address}:${port ?? NTP_PORT}`;
    const ntp = new NtpTimeSync({
      servers: [target],
      sampleCount: 1,
      replyTimeout: options.replyTimeoutMs,
    });
    const serverAheadMs: number[] = [];
    for (let i = 0; i < options.samples; i++) {
      try {
        serverAheadMs.push((await ntp.getTime(true)).offset);
      } catch (err) {
        const via = address === host ? "" : ` (${target})`;
        throw new Error(
          `no usable answer from NTP server ${server}${via} after ${LIBRARY_TRIES} tries of ` +
            `${options.replyTimeoutMs} ms: ${(err as Error).message}`,
        );
      }
    }
    // The library's offset is how far the server is ahead; the device reports its own.
    return -median(serverAheadMs);
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
