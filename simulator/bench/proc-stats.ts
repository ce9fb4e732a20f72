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
