/**
 * Rotating the server's signing key with `npm run admin -- rotate-signing-key` and a restart:
 * devices that connect in between learn the new next key from the signed key set that comes
 * with their config, report it, and keep obeying across any number of rotations. The command
 * refuses a second rotation while a managed device has not reported the current key set; with
 * `--force`, that device holds none of the new keys: it refuses the server's commands
 * (`unknown_key`) and ignores its key set, as the README says, until it is enrolled again.
 */
import { execFile } from "node:child_process";
import { rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { SimulatedDevice } from "../../agent/simulated-device.js";
import type { CommandView } from "../../server/commands/command.js";
import { keysPinned, reportedKeys, startDevice, waitForCommand, waitUntil } from "../helpers/devices.js";
import { freePort } from "../helpers/server-process.js";
import { makeDataDir, startTestServer, type TestServer } from "../helpers/test-server.js";

const CLI = fileURLToPath(new URL("../../server/admin-cli.ts", import.meta.url));

let dataDir = "";
let t: TestServer | undefined;
const devices: SimulatedDevice[] = [];
afterAll(async () => {
  await Promise.all(devices.map((d) => d.stop({ abrupt: true })));
  await t?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

function rotate(...flags: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(
      process.execPath,
      ["--import", "tsx", CLI, "--data-dir", dataDir, "rotate-signing-key", ...flags],
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

async function issueAndWait(server: TestServer, deviceId: string): Promise<CommandView> {
  const res = await server.api.post<CommandView>(`/devices/${deviceId}/commands`, { type: "refresh_state" });
  expect(res.status).toBe(202);
  return waitForCommand(server, res.body.id);
}

describe("signing key rotation", () => {
  it("keeps connected devices obeying across rotations; a device away for two must re-enroll", async () => {
    dataDir = await makeDataDir();
    const ports = { httpPort: await freePort(), mqttPort: await freePort() };
    t = await startTestServer(ports, dataDir);
    const staying = await startDevice(t);
    const away = await startDevice(t);
    devices.push(staying, away);
    const v1 = t.server.signer.publishedKeySet();
    expect(v1.version).toBe(1);

    await reportedKeys(t, away.deviceId, 1);
    await away.stop();

    for (const version of [2, 3]) {
      await t.stop();
      if (version === 3) {
        // The away device last reported key set 1: rotating again would strand it.
        const refused = await rotate();
        expect(refused.code).not.toBe(0);
        expect(refused.stderr).toContain("1 managed device(s) may not trust key ring version 2");
      }
      const rotated = await rotate(...(version === 3 ? ["--force"] : []));
      expect(rotated.stdout, rotated.stderr).toContain(`key ring version ${version}`);
      const pinned = keysPinned(staying, version);
      t = await startTestServer(ports, dataDir);
      await pinned;
      const keys = staying.storage.identity()?.serverKeys;
      expect(keys).toEqual(t.server.signer.publishedKeySet());
      expect((await issueAndWait(t, staying.deviceId)).state).toBe("succeeded");
      await reportedKeys(t, staying.deviceId, version);
    }
    // The first key is trusted no longer; the key that signs now was pinned before it did.
    const pinnedIds = staying.storage.identity()?.serverKeys?.keys.map((k) => k.keyId);
    expect(pinnedIds).not.toContain(v1.keys[0]?.keyId);
    expect(pinnedIds).toContain(t.server.signer.activeKeyId);

    const server = t;
    const problems: string[] = [];
    away.on("problem", ({ code }) => problems.push(code));
    await away.start();
    await waitUntil(server, () => server.server.gateway.isOnline(away.deviceId), "the away device online");
    const refused = await issueAndWait(server, away.deviceId);
    expect(refused).toMatchObject({ state: "rejected", errorCode: "unknown_key" });
    expect(problems).toContain("key_set_rejected");
    expect(away.executions).toEqual([]);
    const audit = await server.api.get<{ items: { action: string }[] }>("/audit?action=signing_key.rotate");
    expect(audit.body.items).toHaveLength(2);
    // Three runs of the admin command and three server starts: more than the default timeout
    // allows on a busy machine.
  }, 180_000);
});
