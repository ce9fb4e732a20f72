/**
 * What a Linux device says about itself that the agent reports in every state: its boot
 * time, the time zone in force and whether a graphical session is locked. Reads only.
 */
import { readFile, readlink } from "node:fs/promises";
import type { CommandRunner } from "./command-runner.js";

export interface SystemFiles {
  /** Default /proc/stat. */
  procStat?: string;
  /** Default /etc/localtime. */
  localtime?: string;
}

/**
 * The kernel's boot time (`btime` in /proc/stat), whole seconds: unlike "now minus uptime" it
 * reads the same every time, so a changed value proves a reboot.
 */
export async function readBootTimeMs(files: SystemFiles = {}): Promise<number> {
  const stat = await readFile(files.procStat ?? "/proc/stat", "utf8");
  const btime = /^btime\s+(\d+)$/m.exec(stat);
  if (!btime) throw new Error(`no btime line in ${files.procStat ?? "/proc/stat"}`);
  return Number(btime[1]) * 1000;
}

/** The canonical IANA name, as the server normalizes it (e.g. "Etc/UTC" → "UTC"). */
export function canonicalTimeZone(zone: string): string | null {
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

/**
 * The zone in force: where /etc/localtime points (what `timedatectl set-timezone` changes).
 * Node's own idea of the zone is fixed at process start, so it is only the fallback.
 */
export async function readTimeZone(files: SystemFiles = {}): Promise<string> {
  try {
    const target = await readlink(files.localtime ?? "/etc/localtime");
    const zone = target.split("zoneinfo/")[1];
    const canonical = zone ? canonicalTimeZone(zone) : null;
    if (canonical) return canonical;
  } catch {
    // Not a symlink (a copied zone file) or missing: fall back below.
  }
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

const GRAPHICAL_SESSION_TYPES = new Set(["x11", "wayland", "mir"]);

/**
 * Whether a graphical login session is locked, from logind's `LockedHint` (set by the screen
 * locker). False when there is no graphical session or logind cannot be asked.
 */
export async function readScreenLocked(runner: CommandRunner): Promise<boolean> {
  try {
    const sessions = await runner.run("loginctl", ["list-sessions", "--no-legend"], { readOnly: true });
    const ids = sessions.stdout
      .split("\n")
      .map((line) => line.trim().split(/\s+/)[0])
      .filter((id): id is string => !!id && /^[\w-]+$/.test(id));
    if (ids.length === 0) return false;
    const shown = await runner.run("loginctl", ["show-session", ...ids, "-p", "Type", "-p", "LockedHint"], {
      readOnly: true,
    });
    // One block of KEY=value lines per session, separated by blank lines.
    return shown.stdout.split(/\n\s*\n/).some((block) => {
      const type = /^Type=(.*)$/m.exec(block)?.[1];
      return GRAPHICAL_SESSION_TYPES.has(type ?? "") && /^LockedHint=yes$/m.test(block);
    });
  } catch {
    return false;
  }
}
