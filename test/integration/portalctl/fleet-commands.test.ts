/**
 * portalctl's command verbs as a child process against a real server with real agents: a fleet
 * reboot followed to its end (the plain progress lines of a run without a terminal), a single
 * command by a file of serials, a right the credential lacks, and a destructive command that
 * nobody could confirm.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createAdmin } from "../../helpers/admins.js";
import type { EnrolledDevice } from "../../helpers/devices.js";
import { type Portalctl, usePortalctlFleet } from "../../helpers/portalctl.js";
import { parseCsv } from "../../helpers/rfc4180.js";
import type { TestServer } from "../../helpers/test-server.js";

let t: TestServer;
let cli: Portalctl;
let devices: EnrolledDevice[];
let env: Record<string, string>;

const fleet = usePortalctlFleet(3, (i) => `FLEET-${process.pid}-${i}`, { concurrently: true });
beforeAll(() => {
  ({ t, cli, devices, env } = fleet);
});

const PROGRESS =
  /^progress: (\d+)\/(\d+) queued=(\d+) sent=(\d+) accepted=(\d+) succeeded=(\d+) failed=(\d+) rejected=(\d+) expired=(\d+) canceled=(\d+)$/;

describe("portalctl command verbs", () => {
  it("reboots the whole fleet and follows it to all succeeded, with plain progress lines", async () => {
    const res = await cli.run(["reboot", "--all", "--wait", "--yes"], { env });
    expect(res.code).toBe(0);
    const lines = res.stderr.trimEnd().split("\n");
    expect(lines.length).toBeGreaterThanOrEqual(1);
    for (const line of lines) expect(line).toMatch(PROGRESS);
    expect(lines.at(-1)).toBe(
      "progress: 3/3 queued=0 sent=0 accepted=0 succeeded=3 failed=0 rejected=0 expired=0 canceled=0",
    );
    expect(res.stdout).toMatch(/^reboot bat_\w+: 3 of 3 succeeded\n$/);
    const batches = await t.api.get<{
      items: { type: string; total: number; counts: Record<string, number> }[];
    }>("/batches");
    expect(batches.body.items[0]).toMatchObject({ type: "reboot", total: 3, counts: { succeeded: 3 } });
  });

  it("locks the devices a file of serials names, as a fleet command, and prints it as JSON", async () => {
    const file = join(cli.home, "serials.txt");
    await writeFile(file, `# lobby\n${devices[0]!.serial}\n\n${devices[1]!.serial}\n`);
    const res = await cli.run(["lock", "--ids-from", file, "--wait", "-o", "json"], { env });
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({
      type: "lock",
      total: 2,
      done: true,
      counts: { succeeded: 2 },
    });
  });

  it("prints the fleet command it issued as CSV: a header and its row", async () => {
    const res = await cli.run(["lock", "--all", "-o", "csv"], { env });
    expect(res.code).toBe(0);
    const [header, row, ...rest] = parseCsv(res.stdout);
    expect(header).toEqual(["id", "type", "total", "skipped"]);
    expect(row).toEqual([expect.stringMatching(/^bat_/), "lock", "3", "0"]);
    expect(rest).toEqual([]);
  });

  it("refuses a right the credential does not hold: a clear error and exit code 3", async () => {
    const reader = await createAdmin(t, { rights: ["devices:read"] });
    const token = await reader.api.post<{ token: string }>("/tokens", {
      name: "ro",
      rights: ["devices:read"],
    });
    const res = await cli.run(["reboot", devices[0]!.deviceId, "--token", token.body.token], { env });
    expect(res.code).toBe(3);
    expect(res.stdout).toBe("");
    expect(res.stderr).toMatch(/^error: .*devices:command.* \(forbidden\)\n$/);
  });

  it("refuses a factory reset without --yes and without a terminal, and sends nothing", async () => {
    const id = devices[2]!.deviceId;
    const res = await cli.run(["factory-reset", id], { env });
    expect(res.code).toBe(2);
    expect(res.stderr).toBe(
      `error: factory-reset device ${id} cannot be undone; no terminal to ask, so nothing was done: pass --yes to confirm (confirmation_required)\n`,
    );
    const commands = await t.api.get<{ items: { type: string }[] }>(`/devices/${id}/commands`);
    expect(commands.body.items.map((c) => c.type)).not.toContain("factory_reset");
    const fleet = await cli.run(["deactivate", "--all"], { env });
    expect(fleet.code).toBe(2);
    expect((await t.api.get<{ items: { type: string }[] }>("/batches")).body.items[0]!.type).toBe("lock");
  });

  it("names an unknown device with the API's code and exit code 4", async () => {
    const res = await cli.run(["refresh", "dev_0000000000000000", "--wait"], { env });
    expect(res.code).toBe(4);
    expect(res.stderr).toMatch(/^error: .+ \(device_not_found\)\n$/);
  });
});
