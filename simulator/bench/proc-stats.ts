/** Memory figures from /proc: a process's resident set and the kernel's TCP socket memory. */
import { readFile } from "node:fs/promises";

export async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return kb ? Number(kb) * 1024 : Number.NaN;
}

/** TCP sockets in use and their buffer memory (`mem` is in pages). */
export async function tcpSocketStats(): Promise<{ inUse: number; memBytes: number }> {
  const sockstat = await readFile("/proc/net/sockstat", "utf8");
  const tcp = /TCP: inuse (\d+) orphan \d+ tw \d+ alloc \d+ mem (\d+)/.exec(sockstat);
  return { inUse: Number(tcp?.[1] ?? Number.NaN), memBytes: Number(tcp?.[2] ?? Number.NaN) * 4096 };
}

/** CPU time (user + system) a process has used so far, in ms; /proc counts in clock ticks. */
export async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticksPerSecond = 100;
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
}

/** CPU used by the server process and by this process (the fleet) between `start` and `stop`. */
export function cpuMeter(serverPid: number): {
  start(): Promise<void>;
  stop(): Promise<{ serverMs: number; fleetMs: number }>;
} {
  let server0 = 0;
  let fleet0 = process.cpuUsage();
  return {
    async start() {
      server0 = await cpuMs(serverPid);
      fleet0 = process.cpuUsage();
    },
    async stop() {
      const fleet = process.cpuUsage(fleet0);
      return { serverMs: (await cpuMs(serverPid)) - server0, fleetMs: (fleet.user + fleet.system) / 1000 };
    },
  };
}
