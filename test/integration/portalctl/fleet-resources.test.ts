/**
 * portalctl's fleet resources as a child process against one real server with real agents: the
 * global and a site's date & time, sites in JSON, YAML and CSV, labels, a schedule paused, and a
 * staged rollout from a YAML file held at its approval gate, its phases' text bars, approved to
 * completion, and a cancel that nobody could confirm.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { EnrolledDevice } from "../../helpers/devices.js";
import { eventually } from "../../helpers/poll.js";
import { type Portalctl, usePortalctlFleet } from "../../helpers/portalctl.js";
import type { TestServer } from "../../helpers/test-server.js";

let t: TestServer;
let cli: Portalctl;
let devices: EnrolledDevice[];
let env: Record<string, string>;

const fleet = usePortalctlFleet(2, (i) => `FLEETRES-${process.pid}-${i}`, { concurrently: true });
beforeAll(() => {
  ({ t, cli, devices, env } = fleet);
});

const run = (...args: string[]) => cli.run(args, { env });

describe("portalctl fleet resources", () => {
  it("sets and reads the global date & time, and a site's, and reads sites in json, yaml and csv", async () => {
    const set = await run(
      ...["time", "set", "--timezone", "Europe/Paris", "--ntp", "time.example.com"],
      ...["--wait", "--timeout", "20", "-o", "json"],
    );
    expect(set.code).toBe(0);
    // Progress lines while the devices apply it, the last with none pending.
    expect(set.stderr.trimEnd().split("\n").at(-1)).toBe("progress: 2/2 applied, 0 pending");
    expect(JSON.parse(set.stdout)).toMatchObject({
      timezone: "Europe/Paris",
      ntpServer: "time.example.com",
      applied: 2,
      pending: 0,
    });

    const created = await run(
      ...["sites", "create", "Lobby", "--window-start", "22:00", "--window-end", "02:00"],
      ...["--window-days", "mon,tue", "--window-zone", "Asia/Tokyo", "-o", "json"],
    );
    expect(created.code).toBe(0);
    const site = JSON.parse(created.stdout) as { id: string; name: string };
    expect(site).toMatchObject({
      name: "Lobby",
      time: null,
      effectiveTime: { timezone: "Europe/Paris", source: "global" },
      window: { start: "22:00", end: "02:00", days: ["mon", "tue"], timezone: "Asia/Tokyo" },
    });

    const [global, siteSet] = await Promise.all([
      run("time", "get"),
      run("time", "set", "--site", "lobby", "--timezone", "Asia/Kolkata", "-o", "yaml"),
    ]);
    expect(global.code).toBe(0);
    expect(global.stdout).toMatch(/^timezone: +Europe\/Paris$/m);
    expect(global.stdout).toMatch(/^ntp: +time\.example\.com$/m);
    expect(siteSet.code).toBe(0);
    expect(siteSet.stdout).toMatch(/^time:\n {2}timezone: Asia\/Kolkata\n {2}ntpServer: null$/m);

    const [siteTime, list, get] = await Promise.all([
      run("time", "get", "--site", site.id),
      run("sites", "list", "-o", "csv"),
      run("sites", "get", "Lobby", "-o", "yaml"),
    ]);
    expect(siteTime.stdout).toMatch(/^timezone: +Asia\/Kolkata$/m);
    expect(siteTime.stdout).toMatch(/^source: +site$/m);
    expect(list.code).toBe(0);
    expect(list.stdout).toBe(
      "id,name,timezone,ntp,time_source,window,devices,applied,pending\r\n" +
        `${site.id},Lobby,Asia/Kolkata,auto,site,"22:00-02:00 mon,tue Asia/Tokyo",0,0,0\r\n`,
    );
    expect(get.code).toBe(0);
    expect(get.stdout).toMatch(new RegExp(`^id: ${site.id}\nname: Lobby\n`));
  });

  it("moves devices into a site, labels them by a file of serials, and lists, shows and pauses a schedule", async () => {
    const file = join(cli.home, "serials.txt");
    await writeFile(file, `${devices.map((d) => d.serial).join("\n")}\n`);
    const created = await t.api.post<{ id: string }>("/schedules", {
      name: "nightly refresh",
      command: { type: "refresh_state" },
      target: { all: true },
      cron: "0 3 * * *",
      timezone: "Europe/Paris",
    });
    const id = created.body.id;
    const [moved, labeled, list, get] = await Promise.all([
      run("sites", "add-devices", "Lobby", "--ids-from", file),
      run("labels", "add", "lobby", "screen", "--ids-from", file),
      run("schedules", "list", "-o", "json"),
      run("schedules", "get", id),
    ]);
    expect(moved.code).toBe(0);
    expect(moved.stdout).toBe("2 device(s) by serial: 2 targeted, 2 moved\n");
    expect(labeled.code).toBe(0);
    expect(labeled.stdout).toBe("add lobby, screen: 2 device(s) by serial, 2 targeted, 2 changed\n");
    expect(JSON.parse(list.stdout)).toMatchObject([{ id, name: "nightly refresh", state: "active" }]);
    expect(get.stdout).toMatch(/^when: +cron 0 3 \* \* \*$/m);
    expect(get.stdout).toMatch(/^state: +active$/m);

    const [labels, paused] = await Promise.all([
      run("labels", "list", "-o", "json"),
      run("schedules", "pause", id),
    ]);
    expect(JSON.parse(labels.stdout)).toEqual([
      { label: "lobby", devices: 2 },
      { label: "screen", devices: 2 },
    ]);
    expect(paused.code).toBe(0);
    expect(paused.stdout).toBe(`nightly refresh (${id}): paused\n`);
  });

  it("rolls a command out from a YAML file, held at its approval gate, approved to completion", async () => {
    const file = join(cli.home, "rollout.yaml");
    await writeFile(
      file,
      [
        "name: staged refresh",
        "command:",
        "  type: refresh_state",
        "target:",
        "  all: true",
        "phases:",
        "  - name: canary",
        "    size: { count: 1 }",
        "    gate: { approval: true }",
        "  - name: rest",
        "",
      ].join("\n"),
    );
    const created = await run("rollouts", "create", "-f", file, "-o", "json");
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    const id = (JSON.parse(created.stdout) as { id: string }).id;
    await eventually("the rollout at its gate", async () => {
      const r = await t.api.get<{ state: string }>(`/rollouts/${id}`);
      return r.body.state === "waiting_approval" ? true : undefined;
    });

    const status = await run("rollouts", "status", id);
    expect(status.code).toBe(0);
    expect(status.stdout).not.toContain("\x1b[");
    expect(status.stdout.split("\n")).toEqual([
      `rollout staged refresh (${id}): waiting_approval, refresh_state, phase 1 of 2`,
      "phase 1 canary  [####################]  1/1 succeeded 0 failed 0 in flight (waiting_approval, gate: approval)",
      "phase 2 rest  [--------------------]  0/1 succeeded 0 failed 0 in flight 1 pending (pending)",
      `waiting for approval: portalctl rollouts approve ${id}`,
      "",
    ]);

    const approved = await run("rollouts", "approve", id);
    expect(approved.code).toBe(0);
    await eventually("the rollout completed", async () => {
      const r = await t.api.get<{ state: string }>(`/rollouts/${id}`);
      return r.body.state === "completed" ? true : undefined;
    });
    const [got, cancel] = await Promise.all([
      run("rollouts", "get", id, "-o", "json"),
      run("rollouts", "cancel", id),
    ]);
    expect(JSON.parse(got.stdout)).toMatchObject({
      id,
      state: "completed",
      devices: 2,
      counts: { succeeded: 2 },
      phases: [{ state: "done" }, { state: "done" }],
    });
    expect(cancel.code).toBe(2);
    expect(cancel.stderr).toMatch(
      /^error: cancel rollout .* pass --yes to confirm \(confirmation_required\)\n$/,
    );
  });

  it("creates a rollout from flags, lists it, and cancels it with --yes", async () => {
    const created = await run(
      ...["rollouts", "create", "--name", "from flags", "--command", "refresh_state", "--all"],
      ...["--phase", "50%", "--phase", "rest", "--gate", "approval", "--rate", "30/min", "--abort", "10%:20"],
      ...["-o", "json"],
    );
    expect(created.stderr).toBe("");
    const rollout = JSON.parse(created.stdout) as { id: string };
    expect(rollout).toMatchObject({
      name: "from flags",
      devices: 2,
      rate: { perMinute: 30 },
      abort: { failurePercent: 10, minExecuted: 20 },
      phases: [
        { size: { percent: 50 }, gate: { approval: true } },
        { size: null, gate: null },
      ],
    });
    const [list, canceled] = await Promise.all([
      run("rollouts", "list"),
      run("rollouts", "cancel", rollout.id, "--yes"),
    ]);
    expect(list.stdout).toMatch(new RegExp(`^${rollout.id} +from flags +refresh_state `, "m"));
    expect(canceled.code).toBe(0);
    expect(canceled.stdout).toBe(`cancel from flags (${rollout.id}): canceled\n`);
  });
});
