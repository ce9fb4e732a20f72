/**
 * portalctl's device reads as a child process against a real server with real agents, in every
 * output format: JSON and YAML exactly the API's objects, tables and RFC 4180 CSV.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import type { EnrolledDevice } from "../../helpers/devices.js";
import { type Portalctl, usePortalctlFleet } from "../../helpers/portalctl.js";
import { parseCsv } from "../../helpers/rfc4180.js";
import type { TestServer } from "../../helpers/test-server.js";

let t: TestServer;
let cli: Portalctl;
let devices: EnrolledDevice[];
let env: Record<string, string>;

const fleet = usePortalctlFleet(2, (i) => `CTL-${process.pid}-${i}`);
beforeAll(() => {
  ({ t, cli, devices, env } = fleet);
});

/**
 * A device as the API gives it, less what its own reports move while the test reads (when it
 * was last seen, what it reported): the rest must be the API's object exactly.
 */
type Device = { lastSeenAt?: unknown; reported?: { agentVersion?: string } | null } & Record<string, unknown>;
const settled = ({ lastSeenAt, reported, ...rest }: Device) => ({
  ...rest,
  seen: typeof lastSeenAt,
  agentVersion: reported?.agentVersion,
});
const settledList = (list: Device[]) => list.map(settled);

describe("portalctl device reads", () => {
  it("lists devices as a table, JSON, YAML and CSV, with the API's filters", async () => {
    const api = (await t.api.get<{ items: (Device & { id: string })[] }>("/devices?limit=1000")).body.items;
    const json = await cli.run(["devices", "list", "-o", "json"], { env });
    expect(json.code).toBe(0);
    // The API's objects as they are: the scripting interface.
    expect(settledList(JSON.parse(json.stdout) as Device[])).toEqual(settledList(api));
    const yaml = await cli.run(["devices", "list", "-o", "yaml"], { env });
    expect(settledList(parseYaml(yaml.stdout) as Device[])).toEqual(settledList(api));

    const table = await cli.run(["devices", "list", "--online", "true", "--search", devices[0]!.serial], {
      env,
    });
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ID +NAME +SERIAL +MODEL +STATUS +ONLINE +SITE +LABELS +TIMEZONE +LAST_SEEN$/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(devices[0]!.deviceId);
    expect(lines[1]).toContain("online");
    // No colours without a terminal.
    expect(table.stdout).not.toContain("\x1b[");

    const csv = await cli.run(["devices", "list", "-o", "csv"], { env });
    const rows = parseCsv(csv.stdout);
    expect(rows[0]).toEqual([
      "id",
      "name",
      "serial",
      "model",
      "status",
      "online",
      "site",
      "labels",
      "timezone",
      "last_seen",
    ]);
    expect(
      rows
        .slice(1)
        .map((r) => r[0])
        .sort(),
    ).toEqual(api.map((d) => d.id).sort());
    expect(csv.stdout.endsWith("\r\n")).toBe(true);

    const refused = await cli.run(["devices", "list", "--status", "gone"], { env });
    expect(refused.code).toBe(2);
  });

  it("gets one device in every format, and names an unknown one with its code", async () => {
    const id = devices[1]!.deviceId;
    const api = (await t.api.get<Device>(`/devices/${id}`)).body;
    const json = await cli.run(["devices", "get", id, "-o", "json"], { env });
    expect(settled(JSON.parse(json.stdout) as Device)).toEqual(settled(api));
    const yaml = await cli.run(["devices", "get", id, "-o", "yaml"], { env });
    expect(settled(parseYaml(yaml.stdout) as Device)).toEqual(settled(api));
    const table = await cli.run(["devices", "get", id], { env });
    expect(table.stdout).toMatch(new RegExp(`^id: +${id}$`, "m"));
    expect(table.stdout).toMatch(/^online: +online$/m);
    const csv = parseCsv((await cli.run(["devices", "get", id, "-o", "csv"], { env })).stdout);
    expect(csv[1]![0]).toBe(id);

    const unknown = await cli.run(["devices", "get", "dev_0000000000000000"], { env });
    expect(unknown.code).toBe(4);
    expect(unknown.stdout).toBe("");
    expect(unknown.stderr).toMatch(/^error: .+ \(device_not_found\)\n$/);
  });
});
