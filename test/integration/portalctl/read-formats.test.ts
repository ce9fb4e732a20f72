/**
 * Every read command of portalctl in every output format, table-driven against one real server
 * with one of each resource: JSON is the API's own answer (a list as the array of all its items),
 * YAML parses to the same, CSV is RFC 4180 with a header and one row per item, a table a header
 * line and one line per item (a single object: its fields, one per line).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { eventually } from "../../helpers/poll.js";
import { type Portalctl, type RunResult, usePortalctlFleet } from "../../helpers/portalctl.js";
import { parseCsv } from "../../helpers/rfc4180.js";
import type { TestServer } from "../../helpers/test-server.js";

let t: TestServer;
let cli: Portalctl;
let env: Record<string, string>;

const fleet = usePortalctlFleet(2, (i) => `READFMT-${process.pid}-${i}`, { concurrently: true });

type Item = Record<string, unknown> & { id: string };
const ids: Record<"device" | "site" | "group" | "schedule" | "rollout" | "admin", string> = {
  device: "",
  site: "",
  group: "",
  schedule: "",
  rollout: "",
  admin: "",
};

async function created<T extends { id: string }>(path: string, body: unknown, status = 201): Promise<T> {
  const res = await t.api.post<T>(path, body);
  expect(res.status, `POST ${path}: ${JSON.stringify(res.body)}`).toBe(status);
  return res.body;
}

beforeAll(async () => {
  ({ t, cli, env } = fleet);
  const [device] = fleet.devices;
  ids.device = device!.deviceId;
  ids.site = (await created("/sites", { name: "Read formats lobby" })).id;
  const labeled = await t.api.post("/devices/labels", {
    target: { deviceIds: [ids.device] },
    add: ["lobby"],
  });
  expect(labeled.status).toBe(200);
  ids.group = (await created("/groups", { name: "lobby screens", filter: { label: "lobby" } })).id;
  ids.schedule = (
    await created("/schedules", {
      name: "nightly refresh",
      command: { type: "refresh_state" },
      target: { all: true },
      cron: "0 3 * * *",
      timezone: "Europe/Paris",
    })
  ).id;
  ids.rollout = (
    await created("/rollouts", {
      name: "refresh everywhere",
      command: { type: "refresh_state" },
      target: { deviceIds: fleet.devices.map((d) => d.deviceId) },
      phases: [{}],
    })
  ).id;
  await created("/enrollment-tokens", { name: "lobby", maxUses: 3, expiresInSeconds: 3600 });
  ids.admin = (
    await created("/admins", {
      email: `reader-${process.pid}@example.com`,
      name: "Format Reader",
      roleId: "system_admin",
      password: "Quiet-Harbor-Lantern-9472!",
      mustResetPassword: false,
    })
  ).id;
  await created("/tokens", { name: "reports", rights: ["devices:read"] });
  const batch = await created("/batches", { target: { group: ids.group }, command: { type: "lock" } }, 202);
  // Nothing moves while the reads run but what the devices' own reports do.
  await Promise.all([
    eventually("the lock done", async () => {
      const res = await t.api.get<{ done: boolean }>(`/batches/${batch.id}`);
      return res.body.done ? true : undefined;
    }),
    eventually("the rollout finished", async () => {
      const res = await t.api.get<{ state: string }>(`/rollouts/${ids.rollout}`);
      return res.body.state === "completed" ? true : undefined;
    }),
  ]);
  const login = await cli.run(["login", "--name", "lab"], { env });
  expect(login.code, login.stderr).toBe(0);
}, 60_000);

/** Every item of a list, every page of it, as the API gives them. */
async function allItems(path: string): Promise<Item[]> {
  const items: Item[] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const url: string = cursor ? `${path}${sep}cursor=${encodeURIComponent(cursor)}` : path;
    const res = await t.api.get<{ items: Item[]; nextCursor?: string | null }>(url);
    expect(res.status, `GET ${url}`).toBe(200);
    items.push(...res.body.items);
    cursor = res.body.nextCursor ?? null;
  } while (cursor);
  return items;
}

async function one(path: string): Promise<Item> {
  const res = await t.api.get<Item>(path);
  expect(res.status, `GET ${path}`).toBe(200);
  return res.body;
}

/**
 * What moves while the test reads (a device's last report and what it reported, a token's last
 * use, an admin's last sign-in) is kept as its type only; the rest must be the API's exactly.
 */
const MOVING = new Set(["lastSeenAt", "reported", "lastUsedAt", "lastLoginAt"]);
function settled(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(settled);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      MOVING.has(k) ? `<${v === null ? "null" : typeof v}>` : settled(v),
    ]),
  );
}

interface ListRow {
  kind: "list";
  args: string[];
  api: () => Promise<Item[]>;
}
interface GetRow {
  kind: "get";
  args: () => string[];
  api: () => Promise<Item>;
}
type Row = ListRow | GetRow;

const list = (args: string[], path: string): ListRow => ({ kind: "list", args, api: () => allItems(path) });
const get = (args: () => string[], path: () => string): GetRow => ({
  kind: "get",
  args,
  api: () => one(path()),
});

const ROWS: [string, Row][] = [
  ["devices list", list(["devices", "list"], "/devices?limit=100")],
  [
    "devices get",
    get(
      () => ["devices", "get", ids.device],
      () => `/devices/${ids.device}`,
    ),
  ],
  ["sites list", list(["sites", "list"], "/sites")],
  [
    "sites get",
    get(
      () => ["sites", "get", ids.site],
      () => `/sites/${ids.site}`,
    ),
  ],
  ["labels list", list(["labels", "list"], "/labels")],
  ["groups list", list(["groups", "list"], "/groups")],
  [
    "groups get",
    get(
      () => ["groups", "get", ids.group],
      () => `/groups/${ids.group}`,
    ),
  ],
  ["schedules list", list(["schedules", "list"], "/schedules?limit=100")],
  [
    "schedules get",
    get(
      () => ["schedules", "get", ids.schedule],
      () => `/schedules/${ids.schedule}`,
    ),
  ],
  ["rollouts list", list(["rollouts", "list"], "/rollouts?limit=100")],
  [
    "rollouts get",
    get(
      () => ["rollouts", "get", ids.rollout],
      () => `/rollouts/${ids.rollout}`,
    ),
  ],
  ["enroll-tokens list", list(["enroll-tokens", "list"], "/enrollment-tokens?limit=100")],
  ["admins list", list(["admins", "list"], "/admins?limit=100")],
  [
    "admins get",
    get(
      () => ["admins", "get", ids.admin],
      () => `/admins/${ids.admin}`,
    ),
  ],
  ["roles list", list(["roles", "list"], "/roles")],
  [
    "roles get",
    get(
      () => ["roles", "get", "system_admin"],
      () => "/roles/system_admin",
    ),
  ],
  ["tokens list", list(["tokens", "list"], "/tokens")],
  ["audit", list(["audit"], "/audit?limit=100")],
];

const FORMATS = ["json", "yaml", "csv", "table"] as const;

async function inEveryFormat(args: string[]): Promise<Record<(typeof FORMATS)[number], RunResult>> {
  const runs = await Promise.all(FORMATS.map((f) => cli.run([...args, "-o", f], { env })));
  for (const [i, run] of runs.entries()) {
    expect(run.code, `${args.join(" ")} -o ${FORMATS[i]}: ${run.stderr}`).toBe(0);
    expect(run.stderr).toBe("");
  }
  const [json, yaml, csv, table] = runs;
  return { json: json!, yaml: yaml!, csv: csv!, table: table! };
}

const HEADER = /^[A-Z][A-Z_]*( +[A-Z][A-Z_]*)*$/;

describe("portalctl reads in every output format", () => {
  it.each(ROWS)("%s", async (_name, row) => {
    const args = row.kind === "list" ? row.args : row.args();
    const out = await inEveryFormat(args);
    const api = await row.api();
    const json = JSON.parse(out.json.stdout) as unknown;
    expect(settled(json)).toEqual(settled(api));
    expect(parseYaml(out.yaml.stdout)).toEqual(json);

    const csv = parseCsv(out.csv.stdout);
    const header = csv[0]!;
    expect(header.length).toBeGreaterThan(0);
    expect(header.every((h) => /^[a-z][a-z_]*$/.test(h))).toBe(true);
    const table = out.table.stdout.trimEnd().split("\n");
    expect(out.table.stdout).not.toContain("\x1b[");

    if (row.kind === "list") {
      const items = api as Item[];
      expect(items.length).toBeGreaterThan(0);
      expect(csv).toHaveLength(items.length + 1);
      for (const r of csv) expect(r).toHaveLength(header.length);
      const idAt = header.indexOf("id");
      if (idAt >= 0) expect(csv.slice(1).map((r) => r[idAt])).toEqual(items.map((i) => i.id));
      expect(table[0]).toMatch(HEADER);
      expect(table).toHaveLength(items.length + 1);
    } else {
      const item = api as Item;
      expect(csv).toHaveLength(2);
      expect(csv[1]).toHaveLength(header.length);
      expect(csv[1]![header.indexOf("id")]).toBe(item.id);
      // One field a line: `name:  value`, id first.
      expect(table[0]).toMatch(new RegExp(`^id: +${item.id}$`));
      expect(table.length).toBeGreaterThanOrEqual(header.length);
    }
  });

  it("groups create and delete: the API's group, deleted only with --yes", async () => {
    const made = await cli.run(
      [
        "groups",
        "create",
        "--name",
        "Lobby offline",
        "--label",
        "lobby",
        "--filter",
        "online=false",
        "-o",
        "json",
      ],
      { env },
    );
    expect(made.code, made.stderr).toBe(0);
    const group = JSON.parse(made.stdout) as Item;
    expect(group).toMatchObject({ name: "Lobby offline", filter: { label: "lobby", online: false } });
    expect(await one(`/groups/${group.id}`)).toEqual(group);
    const asked = await cli.run(["groups", "delete", group.id], { env });
    expect(asked.code).toBe(2);
    expect(asked.stderr).toMatch(/\(confirmation_required\)$/m);
    const deleted = await cli.run(["groups", "delete", group.id, "--yes"], { env });
    expect(deleted.code, deleted.stderr).toBe(0);
    expect((await t.api.get(`/groups/${group.id}`)).status).toBe(404);
  });

  it("config get-contexts", async () => {
    const out = await inEveryFormat(["config", "get-contexts"]);
    const contexts = [
      { name: "lab", current: true, server: t.server.httpUrl, token: `${t.api.token!.slice(0, 8)}…` },
    ];
    expect(JSON.parse(out.json.stdout)).toEqual(contexts);
    expect(parseYaml(out.yaml.stdout)).toEqual(contexts);
    expect(parseCsv(out.csv.stdout)).toEqual([
      ["current", "name", "server", "token"],
      ["*", "lab", t.server.httpUrl, contexts[0]!.token],
    ]);
    const table = out.table.stdout.trimEnd().split("\n");
    expect(table).toHaveLength(2);
    expect(table[0]).toMatch(/^CURRENT +NAME +SERVER +TOKEN$/);
    expect(table[1]).toMatch(/^\* +lab +\S+ +\S+$/);
  });
});
