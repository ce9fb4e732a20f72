/**
 * portalctl's admin resources as a child process against one real server: an enrollment token
 * created, used by real agents and revoked; a code a device shows claimed; admins, roles and API
 * tokens in every format; the audit log of all that; a fleet command to a dynamic group; and a
 * `--wait` that gives up at its `--timeout`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import {
  deviceShowingCode,
  type EnrolledDevice,
  enrollCredentials,
  startDevice,
  uniqueSerial,
} from "../../helpers/devices.js";
import { type Portalctl, portalctlHome } from "../../helpers/portalctl.js";
import { csvObjects } from "../../helpers/rfc4180.js";
import { startTestServer, type TestServer } from "../../helpers/test-server.js";

let t: TestServer;
let cli: Portalctl;
let env: Record<string, string>;
const devices: EnrolledDevice[] = [];
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  t = await startTestServer();
  cli = await portalctlHome();
  env = { PORTALCTL_SERVER: t.server.httpUrl, PORTALCTL_TOKEN: t.api.token! };
});
afterAll(async () => {
  for (const stop of stops) await stop().catch(() => {});
  for (const d of devices) await d.stop();
  await cli?.cleanup();
  await t?.cleanup();
});

const json = <T>(stdout: string) => JSON.parse(stdout) as T;

describe("portalctl admin resources", () => {
  it("creates an enrollment token that real devices enroll with, lists its uses, revokes it only with --yes", async () => {
    const created = await cli.run(
      [
        "enroll-tokens",
        "create",
        "--name",
        "lobby",
        "--max-uses",
        "2",
        "--expires-in",
        "1h",
        "--label",
        "lobby",
        "-o",
        "json",
      ],
      { env },
    );
    expect(created.code).toBe(0);
    const token = json<{ id: string; token: string; maxUses: number; labels: string[] }>(created.stdout);
    expect(token).toMatchObject({ maxUses: 2, labels: ["lobby"] });
    expect(token.token).toEqual(expect.any(String));
    const start = () => startDevice(t, { enrollmentToken: token.token, serial: uniqueSerial("LOBBY") });
    devices.push(...(await Promise.all([start(), start()])));

    const list = await cli.run(["enroll-tokens", "list", "-o", "json"], { env });
    expect(list.code).toBe(0);
    const listed = json<{ id: string; uses: number; state: string; token?: string }[]>(list.stdout).find(
      (x) => x.id === token.id,
    );
    expect(listed).toMatchObject({ uses: 2, state: "used_up" });
    expect(listed).not.toHaveProperty("token");

    const refused = await cli.run(["enroll-tokens", "revoke", token.id], { env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^error: revoke enrollment token .* \(confirmation_required\)\n$/);
    const revoked = await cli.run(["enroll-tokens", "revoke", token.id, "--yes"], { env });
    expect(revoked).toMatchObject({ code: 0, stdout: `revoked enrollment token ${token.id}\n` });
  });

  it("claims the code a device shows, with a label", async () => {
    const { device, userCode } = deviceShowingCode(t);
    stops.push(() => device.stop());
    const started = device.start();
    const claimed = await cli.run(["claim", await userCode, "--label", "claimed", "-o", "json"], { env });
    expect(claimed.code).toBe(0);
    const { deviceId } = json<{ deviceId: string }>(claimed.stdout);
    const shown = await t.api.get<{ labels: string[] }>(`/devices/${deviceId}`);
    expect(shown.body.labels).toEqual(["claimed"]);
    await started;
  });

  it("shows admins, roles and API tokens as JSON, YAML and CSV", async () => {
    const [admins, roles, created] = await Promise.all([
      cli.run(["admins", "list", "-o", "json"], { env }),
      cli.run(["roles", "list", "-o", "csv"], { env }),
      cli.run(["tokens", "create", "--name", "ci", "--rights", "devices:read", "audit:read", "-o", "json"], {
        env,
      }),
    ]);
    expect(admins.code).toBe(0);
    const first = json<{ id: string; email: string }[]>(admins.stdout)[0]!;
    expect(roles.code).toBe(0);
    expect(csvObjects(roles.stdout).rows.some((r) => r.built_in === "true")).toBe(true);
    expect(created.code).toBe(0);
    const apiToken = json<{ id: string; token: string; rights: string[] }>(created.stdout);
    expect(apiToken.rights).toEqual(["devices:read", "audit:read"]);

    const [admin, tokens] = await Promise.all([
      cli.run(["admins", "get", first.id, "-o", "yaml"], { env }),
      cli.run(["tokens", "list", "-o", "csv"], { env }),
    ]);
    expect(admin.code).toBe(0);
    expect(parseYaml(admin.stdout)).toMatchObject({ id: first.id, email: first.email });
    expect(tokens.code).toBe(0);
    expect(csvObjects(tokens.stdout).rows.find((r) => r.id === apiToken.id)).toMatchObject({ name: "ci" });
  });

  it("locks a dynamic group's devices and gives up a --wait at its --timeout", async () => {
    const group = await t.api.post<{ id: string }>("/groups", { name: "lobby", filter: { label: "lobby" } });
    expect(group.status).toBe(201);
    const offline = await enrollCredentials(t, uniqueSerial("OFF"));
    const [locked, waited] = await Promise.all([
      cli.run(["lock", "--group", group.body.id, "--wait", "-o", "json"], { env }),
      cli.run(["lock", offline.deviceId, "--wait", "--timeout", "2s"], { env }),
    ]);
    expect(locked.code).toBe(0);
    expect(json(locked.stdout)).toMatchObject({
      type: "lock",
      total: 2,
      done: true,
      counts: { succeeded: 2 },
    });
    expect(waited.code).toBe(1);
    expect(waited.stderr).toMatch(
      /error: command \S+ \(queued\) still not finished after 2s; .* \(timed_out\)\n$/,
    );
  });

  it("reads the audit log of all that, every page, and as CSV", async () => {
    const [asJson, asCsv] = await Promise.all([
      cli.run(["audit", "--since", "1h", "-o", "json"], { env }),
      cli.run(["audit", "--since", "1h", "--action", "enrollment_token.*", "-o", "csv"], { env }),
    ]);
    expect(asJson.code).toBe(0);
    const actions = json<{ action: string }[]>(asJson.stdout).map((a) => a.action);
    for (const action of [
      "enrollment_token.create",
      "enrollment_token.revoke",
      "enrollment.claim",
      "token.create",
      "batch.create",
    ]) {
      expect(actions).toContain(action);
    }
    expect(asCsv.code).toBe(0);
    const { header, rows } = csvObjects(asCsv.stdout);
    expect(header).toContain("action");
    const csvActions = rows.map((r) => r.action);
    expect(csvActions).toEqual(
      expect.arrayContaining(["enrollment_token.create", "enrollment_token.revoke"]),
    );
    for (const action of csvActions) expect(action).toMatch(/^enrollment_token\./);
  });
});
