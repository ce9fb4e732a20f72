/**
 * A real device's telemetry and hardware identity, read with `systeminformation`. One reading
 * costs about 0.1 s on a small machine (the network interfaces are most of it), so it is read
 * with every state report, once a minute by default. Facts that never change while the agent
 * runs (OS and version) are read once.
 */
import { readFile } from "node:fs/promises";
import { hostname } from "node:os";
import si from "systeminformation";
import type { Telemetry } from "../../proto/wire.js";

/** The parts of systeminformation the agent uses; tests may pass their own. */
export type SystemInformation = Pick<
  typeof si,
  "system" | "osInfo" | "currentLoad" | "mem" | "fsSize" | "networkInterfaces" | "time" | "battery"
>;

export interface SystemTelemetryOptions {
  /** The file system reported as the disk. Default "/". */
  diskMount?: string;
  source?: SystemInformation;
}

export class SystemTelemetry {
  private readonly source: SystemInformation;
  private osRelease: Promise<{ os: string; osVersion: string }> | null = null;
  private reading: Promise<Telemetry> | null = null;

  constructor(private readonly options: SystemTelemetryOptions = {}) {
    this.source = options.source ?? si;
  }

  /** A fresh reading; callers that ask while one is in progress share it. */
  read(): Promise<Telemetry> {
    this.reading ??= this.readNow().finally(() => {
      this.reading = null;
    });
    return this.reading;
  }

  private async readNow(): Promise<Telemetry> {
    const { source } = this;
    const diskMount = this.options.diskMount ?? "/";
    const [release, load, memory, disks, interfaces, battery] = await Promise.all([
      this.release(),
      source.currentLoad(),
      source.mem(),
      source.fsSize(),
      source.networkInterfaces(),
      source.battery(),
    ]);
    const disk = disks.find((d) => d.mount === diskMount);
    return {
      cpuLoadPercent: round(load.currentLoad, 1),
      memoryTotalBytes: memory.total,
      // What programs hold: page cache that the kernel gives back on demand is not "used".
      memoryUsedBytes: Math.max(0, memory.total - memory.available),
      diskTotalBytes: disk?.size ?? 0,
      diskUsedBytes: disk?.used ?? 0,
      uptimeSeconds: Math.round(source.time().uptime),
      ...release,
      batteryPercent: battery.hasBattery ? Math.round(battery.percent) : -1,
      interfaces: (Array.isArray(interfaces) ? interfaces : [interfaces])
        .filter((i) => !i.internal)
        .map((i) => ({ name: i.iface, mac: i.mac, addresses: [i.ip4, i.ip6].filter(Boolean) })),
    };
  }

  private release(): Promise<{ os: string; osVersion: string }> {
    this.osRelease ??= this.source.osInfo().then((info) => ({
      os: info.distro || info.platform,
      osVersion: [info.release, info.codename && `(${info.codename})`].filter(Boolean).join(" "),
    }));
    return this.osRelease;
  }
}

function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round((Number.isFinite(value) ? value : 0) * factor) / factor;
}

/** Placeholders that firmware puts where a serial or model should be. */
const PLACEHOLDERS = new Set([
  "",
  "-",
  "0",
  "none",
  "default string",
  "to be filled by o.e.m.",
  "system serial number",
  "system product name",
  "not specified",
  "not applicable",
]);

function meaningful(value: string | undefined): string | null {
  const trimmed = value?.trim() ?? "";
  return PLACEHOLDERS.has(trimmed.toLowerCase()) ? null : trimmed;
}

/** A serial the server accepts: printable ASCII without spaces, at most 128 characters. */
function asSerial(value: string | null): string | null {
  const serial = value?.replace(/[^\x21-\x7e]/g, "").slice(0, 128) ?? "";
  return serial === "" ? null : serial;
}

/**
 * The device's model and serial: the config's, else the hardware's (DMI), else for the serial
 * the machine id (/etc/machine-id), which is stable for the life of the installation.
 */
export async function readHardwareIdentity(
  configured: { model: string; serial: string },
  source: SystemInformation = si,
  machineIdFile = "/etc/machine-id",
): Promise<{ model: string; serial: string }> {
  const hardware = await source.system();
  const model =
    meaningful(configured.model) ??
    meaningful([meaningful(hardware.manufacturer), meaningful(hardware.model)].filter(Boolean).join(" ")) ??
    "Linux device";
  const machineId = await readFile(machineIdFile, "utf8").catch(() => "");
  const serial =
    asSerial(meaningful(configured.serial)) ??
    asSerial(meaningful(hardware.serial)) ??
    asSerial(meaningful(machineId)) ??
    asSerial(hostname());
  if (!serial)
    throw new Error("cannot find a serial for this device; set device.serial in the agent's config");
  return { model, serial };
}
