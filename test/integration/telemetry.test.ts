/**
 * The real Linux agent reports what systeminformation reads on this very machine, through MQTT
 * and the server, into the device's reported state; checked against what Node and the kernel
 * say independently.
 */
import { readdir, readFile, statfs } from "node:fs/promises";
import { networkInterfaces, totalmem } from "node:os";
import si from "systeminformation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DeviceView } from "../../server/devices/device.js";
import { waitUntil } from "../helpers/devices.js";
import { type RunningLinuxDevice, startLinuxDevice } from "../helpers/linux-device.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

let t: TestServer;
let linux: RunningLinuxDevice;

beforeAll(async () => {
  t = await startTestServer();
  linux = await startLinuxDevice(t);
});
afterAll(async () => {
  await linux?.cleanup();
  await t?.cleanup();
});

async function reportedDevice(): Promise<DeviceView> {
  let view: DeviceView | undefined;
  await waitUntil(
    t,
    async () => {
      view = (await t.api.get<DeviceView>(`/devices/${linux.deviceId}`)).body;
      return view.reported?.telemetry != null;
    },
    "telemetry reported",
  );
  return view!;
}

async function osRelease(): Promise<Record<string, string>> {
  const text = await readFile("/etc/os-release", "utf8");
  return Object.fromEntries(
    text
      .split("\n")
      .filter((line) => line.includes("="))
      .map((line) => {
        const [key, ...value] = line.split("=");
        return [key!, value.join("=").replace(/^"|"$/g, "")];
      }),
  );
}

describe("telemetry from a real Linux machine", () => {
  it("lands in the reported state as the kernel and Node see this machine", async () => {
    const view = await reportedDevice();
    const telemetry = view.reported!.telemetry!;

    expect(telemetry.memoryTotalBytes).toBe(totalmem());
    expect(telemetry.memoryUsedBytes).toBeGreaterThan(0);
    expect(telemetry.memoryUsedBytes).toBeLessThan(telemetry.memoryTotalBytes);

    const root = await statfs("/");
    expect(telemetry.diskTotalBytes).toBe(root.blocks * root.bsize);
    expect(telemetry.diskUsedBytes).toBeGreaterThan(0);
    expect(telemetry.diskUsedBytes).toBeLessThanOrEqual(telemetry.diskTotalBytes);

    expect(telemetry.cpuLoadPercent).toBeGreaterThanOrEqual(0);
    expect(telemetry.cpuLoadPercent).toBeLessThanOrEqual(100);

    const release = await osRelease();
    expect(telemetry.os).toBe(release.NAME);
    if (release.VERSION_ID) expect(telemetry.osVersion.startsWith(release.VERSION_ID)).toBe(true);

    // The boot time is the kernel's; the uptime measured against it agrees to the report.
    const btime = Number(/^btime\s+(\d+)$/m.exec(await readFile("/proc/stat", "utf8"))![1]);
    expect(view.reported!.bootTime).toBe(new Date(btime * 1000).toISOString());
    const uptimeAtReport = (Date.parse(view.reported!.reportedAt) - btime * 1000) / 1000;
    expect(Math.abs(telemetry.uptimeSeconds - uptimeAtReport)).toBeLessThan(60);

    const powerSupplies = await readdir("/sys/class/power_supply").catch(() => [] as string[]);
    if (!powerSupplies.some((name) => name.startsWith("BAT"))) expect(telemetry.batteryPercent).toBe(-1);
    else expect(telemetry.batteryPercent).toBeGreaterThanOrEqual(0);
  });

  it("lists every external network interface with its MAC and addresses", async () => {
    const telemetry = (await reportedDevice()).reported!.telemetry!;
    const external = Object.entries(networkInterfaces()).filter(([, addrs]) =>
      addrs?.some((a) => !a.internal),
    );
    expect(external.length).toBeGreaterThan(0);
    for (const [name, addresses] of external) {
      const reported = telemetry.interfaces.find((i) => i.name === name);
      expect(reported, name).toBeDefined();
      expect(reported!.mac).toBe(addresses![0]!.mac);
      const ipv4 = addresses!.find((a) => a.family === "IPv4");
      if (ipv4) expect(reported!.addresses).toContain(ipv4.address);
    }
    expect(telemetry.interfaces.some((i) => i.name === "lo")).toBe(false);
  });

  it("names the device by its hardware: model and serial from DMI, else the machine id", async () => {
    const view = await reportedDevice();
    const hardware = await si.system();
    const machineId = (await readFile("/etc/machine-id", "utf8").catch(() => "")).trim();
    const dmiSerial = hardware.serial.trim();
    const usable = (s: string) =>
      s !== "" && !["-", "0", "default string", "system serial number"].includes(s.toLowerCase());
    expect(view.serial).toBe(usable(dmiSerial) ? dmiSerial : machineId);
    expect(view.model).toContain(hardware.model.trim() || "Linux device");
  });
});
