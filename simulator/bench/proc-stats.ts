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

/**
 * CPU used between `start` and `stop` by the server process, by the database's own processes
 * (PostgreSQL's; SQLite runs inside the server) and by this process (the fleet).
 */
export function cpuMeter(
  serverPid: number,
  databaseCpuMs: () => Promise<number> = async () => 0,
): {
  start(): Promise<void>;
  stop(): Promise<CpuUsed>;
} {
  let server0 = 0;
  let database0 = 0;
  let fleet0 = process.cpuUsage();
  return {
    async start() {
      server0 = await cpuMs(serverPid);
      database0 = await databaseCpuMs();
      fleet0 = process.cpuUsage();
    },
    async stop() {
      const fleet = process.cpuUsage(fleet0);
      return {
        serverMs: (await cpuMs(serverPid)) - server0,
        databaseMs: (await databaseCpuMs()) - database0,
        fleetMs: (fleet.user + fleet.system) / 1000,
      };
    },
  };
}

export interface CpuUsed {
  serverMs: number;
  databaseMs: number;
  fleetMs: number;
}
