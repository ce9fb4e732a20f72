/**
 * `npm run admin -- backup` copies a running server's data dir under write load (SQLite online
 * backup), and `restore` brings it up in a fresh data dir: the restored server knows the same
 * devices and commands, and the same devices connect to it and run new commands. A restore
 * into the data dir of a running server is refused and changes nothing.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { SimulatedDevice } from "../../agent/simulated-device.js";
import type { CommandView } from "../../server/commands/command.js";
import { RESTORE_SEQ_GAP } from "../../server/store/backup.js";
import { createEnrollmentToken, startDevice, waitForCommand, waitUntil } from "../helpers/devices.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

const CLI = fileURLToPath(new URL("../../server/admin-cli.ts", import.meta.url));

let work = "";
let original: TestServer | undefined;
let restored: TestServer | undefined;
const devices: (SimulatedDevice & { deviceId: string })[] = [];

afterAll(async () => {
  await Promise.all(devices.map((d) => d.stop({ abrupt: true })));
  await restored?.cleanup();
  await original?.cleanup();
  if (work) await rm(work, { recursive: true, force: true });
});

function admin(dataDir: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", CLI, "--data-dir", dataDir, ...args],
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe("backup and restore", () => {
  it("backs up a server under write load and restores it into a fresh server for the same devices", async () => {
    work = await mkdtemp(join(tmpdir(), "pmdm-backup-"));
    original = await startTestServer();
    const t = original;
    const token = await createEnrollmentToken(t, 3);
    for (let i = 0; i < 3; i++) devices.push(await startDevice(t, { enrollmentToken: token }));
    const before: CommandView[] = [];
    for (const device of devices) {
      const rename = await t.api.post<CommandView>(`/devices/${device.deviceId}/commands`, {
        type: "rename",
        name: `Before backup ${device.serial}`,
      });
      before.push(await waitForCommand(t, rename.body.id));
    }

    // Write load for the whole backup: commands and their results, state reports.
    let loading = true;
    let issuedDuringBackup = 0;
    const load = (async () => {
      while (loading) {
        const device = devices[issuedDuringBackup % devices.length]!;
        await t.api.post(`/devices/${device.deviceId}/commands`, { type: "refresh_state" });
        issuedDuringBackup++;
      }
    })();
    const backupDir = join(work, "backup");
    const backup = await admin(t.dataDir, ["backup", backupDir]);
    loading = false;
    await load;
    expect(backup.stderr).toBe("");
    expect(backup.code).toBe(0);
    expect(backup.stdout).toMatch(/backed up 3 devices, \d+ commands, 1 admins and \d+ file\(s\)/);
    expect(issuedDuringBackup).toBeGreaterThan(0);
    // After the backup the devices apply a config the backup does not know of.
    await t.api.put("/settings/time", { timezone: "Europe/Paris", ntpServer: null });
    for (const device of devices) {
      await waitUntil(
        t,
        () => device.platform.timezone === "Europe/Paris",
        "device applies Europe/Paris",
        30_000,
      );
    }
    const backedUp = await readdir(backupDir);
    expect(backedUp).toEqual(expect.arrayContaining(["admin-token", "backup.json", "portal-mdm.sqlite"]));
    // Never the live files: the WAL, the shared memory, the running server's pid.
    expect(backedUp.filter((f) => /-wal$|-shm$|\.pid$/.test(f))).toEqual([]);

    // Not into the data dir of a running server; nothing there changes.
    const refused = await admin(t.dataDir, ["restore", backupDir, "--force"]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/a server \(pid \d+\) is running on/);
    const stillThere = await t.api.get<{ total: number }>("/devices");
    expect(stillThere.body.total).toBe(3);

    // Into a fresh data dir, then a server on it at the original's ports, so the devices
    // (which keep their broker address) find it by themselves.
    const freshDir = join(work, "restored");
    const restore = await admin(freshDir, ["restore", backupDir]);
    expect(restore.stderr).toBe("");
    expect(restore.code).toBe(0);
    expect(restore.stdout).toContain("restored 3 devices");
    const again = await admin(freshDir, ["restore", backupDir]);
    expect(again.stderr).toContain("already holds a database; --force replaces it");

    const { httpPort, mqttPort } = t.server;
    await t.stop();
    restored = await startTestServer({ httpPort, mqttPort }, freshDir);
    const r = restored;
    const listed = await r.api.get<{ items: { id: string; name: string }[] }>("/devices?limit=10");
    expect(listed.body.items.map((d) => d.id).sort()).toEqual(devices.map((d) => d.deviceId).sort());
    for (const command of before) {
      const copy = await r.api.get<CommandView>(`/commands/${command.id}`);
      expect(copy.body).toMatchObject({ id: command.id, state: "succeeded", seq: command.seq });
    }

    // The same devices come back to the restored server and run a new command; its seq
    // leaves room for commands they ran after the backup.
    for (const device of devices) {
      await waitUntil(r, () => r.server.gateway.isOnline(device.deviceId), "device back online", 30_000);
      const lock = await r.api.post<CommandView>(`/devices/${device.deviceId}/commands`, { type: "lock" });
      expect(lock.body.seq).toBeGreaterThan(RESTORE_SEQ_GAP);
      expect((await waitForCommand(r, lock.body.id, undefined, 30_000)).state).toBe("succeeded");
      expect(device.platform.locked).toBe(true);
    }
    // The restored desired config version is above the one they applied after the backup, so
    // they apply the next change instead of taking it for one they have passed.
    await r.api.put("/settings/time", { timezone: "America/New_York", ntpServer: null });
    for (const device of devices) {
      await waitUntil(
        r,
        () => device.platform.timezone === "America/New_York",
        "device applies America/New_York",
        30_000,
      );
    }
  }, 120_000);

  it("refuses what is not a backup, clearly", async () => {
    const notBackup = await admin(join(work, "elsewhere"), ["restore", join(work, "nothing-here")]);
    expect(notBackup.code).not.toBe(0);
    expect(notBackup.stderr).toContain("is not a backup");
    const intoUsed = await admin(restored!.dataDir, ["backup", join(work, "backup")]);
    expect(intoUsed.stderr).toContain("is not empty");
  });
});
