/**
 * Two server nodes on one PostgreSQL database: a node starting leaves the other's devices
 * online; a node killed with SIGKILL has its devices shown offline by the other once its lease
 * has run out, and its jobs (the command deadline sweep) run on the other.
 */
import { copyFile, readFile } from "node:fs/promises";
import { join } from "node:path";
import pino from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { SimulatedDevice } from "../../agent/simulated-device.js";
import type { CommandView } from "../../server/commands/command.js";
import { eventually } from "../helpers/cluster.js";
import { uniqueSerial } from "../helpers/devices.js";
import { freePort, type ServerProcess, spawnServer } from "../helpers/server-process.js";
import { newPostgresDatabase } from "../helpers/stores.js";
import { makeDataDir, removeDataDir, startTestServer, type TestServer } from "../helpers/test-server.js";

const LEASE_SECONDS = 2;

describe("server nodes on one database", () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it("keeps a node's devices online when another starts, and shows them offline once it is killed", async () => {
    const database = await newPostgresDatabase();
    cleanups.push(() => database.drop());
    const shared = { databaseUrl: database.url, nodeLeaseSeconds: LEASE_SECONDS };
    const b: TestServer = await startTestServer({ ...shared, nodeId: "node-b" });
    cleanups.push(() => b.cleanup());

    const aDir = await makeDataDir();
    cleanups.push(() => removeDataDir(aDir));
    const a: ServerProcess = await spawnServer({
      dataDir: aDir,
      httpPort: await freePort(),
      mqttPort: await freePort(),
      env: {
        PMDM_DATABASE_URL: database.url,
        PMDM_NODE_LEASE_SECONDS: String(LEASE_SECONDS),
        PMDM_NODE_ID: "node-a",
      },
    });
    cleanups.push(() => a.kill());

    // Both nodes are registered and alive.
    const nodeIds = async () =>
      (await b.server.store.db.selectFrom("server_nodes").select("id").orderBy("id").execute()).map(
        (n) => n.id,
      );
    expect(
      await eventually("both nodes registered", async () =>
        (await nodeIds()).length === 2 ? true : undefined,
      ),
    ).toBe(true);

    // A device enrolls and connects through node A.
    const token = await b.api.post<{ token: string }>("/enrollment-tokens", {
      maxUses: 1,
      expiresInSeconds: 600,
    });
    const device = new SimulatedDevice({
      serial: uniqueSerial("NODE"),
      serverUrl: a.httpUrl,
      logger: pino({ level: "silent" }),
      enrollmentToken: token.body.token,
      stateReportIntervalMs: 0,
    });
    cleanups.push(() => device.stop({ abrupt: true }));
    const online = device.waitForStatus("online");
    await device.start();
    await online;
    const deviceId = device.deviceId!;
    const view = () => b.api.get<{ online: boolean }>(`/devices/${deviceId}`);
    await eventually("the device online as node B reads it", async () =>
      (await view()).body.online ? true : undefined,
    );
    const holder = await b.server.store.db
      .selectFrom("devices")
      .select("connected_node")
      .where("id", "=", deviceId)
      .executeTakeFirstOrThrow();
    expect(holder.connected_node).toBe("node-a");

    // Another node starting does no harm to node A's devices.
    // (The first node's admin token is the service's: a later node's data dir gets a copy.)
    const cDir = await makeDataDir();
    await copyFile(b.server.adminTokenFile, join(cDir, "admin-token"));
    const c = await startTestServer({ ...shared, nodeId: "node-c" }, cDir);
    cleanups.push(() => c.cleanup());
    expect((await view()).body.online).toBe(true);
    await c.stop();
    expect(await nodeIds()).toEqual(["node-a", "node-b"]);

    // Node A dies: within its lease (and a sweep), node B shows its device offline and forgets
    // node A. (Node A may have stored the device offline itself as its connection closed, just
    // before it was killed: then the device is offline before the sweep removes the node.)
    await device.stop({ abrupt: true });
    await a.kill();
    await eventually(
      "node A's device offline",
      async () => ((await view()).body.online ? undefined : true),
      15_000,
    );
    expect(
      await eventually(
        "node A removed",
        async () => ((await nodeIds()).join() === "node-b" ? true : undefined),
        15_000,
      ),
    ).toBe(true);
    const leaseHolder = async () =>
      (
        await b.server.store.db
          .selectFrom("job_leases")
          .select("holder")
          .where("name", "=", "command-deadlines")
          .where("expires_at", ">", Date.now())
          .executeTakeFirst()
      )?.holder;
    expect(
      await eventually("node B running the deadline sweep", async () =>
        (await leaseHolder()) === "node-b" ? true : undefined,
      ),
    ).toBe(true);

    // The deadline sweep runs on node B now: a command whose TTL passes expires.
    const command = await b.api.post<CommandView>(`/devices/${deviceId}/commands`, {
      type: "lock",
      ttlSeconds: 1,
    });
    expect(command.status).toBe(202);
    const expired = await eventually("the command expired by node B's sweep", async () => {
      const now = await b.api.get<CommandView>(`/commands/${command.body.id}`);
      return now.body.state === "expired" ? now.body : undefined;
    });
    expect(expired.state).toBe("expired");
  }, 90_000);

  it("starts two nodes at once on an empty database: one makes the first admin, both serve", async () => {
    const database = await newPostgresDatabase();
    cleanups.push(() => database.drop());
    const dirs = [await makeDataDir(), await makeDataDir()];
    for (const dir of dirs) cleanups.push(() => removeDataDir(dir));
    const nodes = await Promise.all(
      dirs.map(async (dataDir, i) =>
        spawnServer({
          dataDir,
          httpPort: await freePort(),
          mqttPort: await freePort(),
          env: { PMDM_DATABASE_URL: database.url, PMDM_NODE_ID: `node-${i}` },
        }),
      ),
    );
    for (const node of nodes) cleanups.push(() => node.kill());
    const tokens = (
      await Promise.all(dirs.map((dir) => readFile(join(dir, "admin-token"), "utf8").catch(() => null)))
    ).filter((token): token is string => token !== null);
    expect(tokens).toHaveLength(1);
    for (const node of nodes) {
      const answer = await fetch(`${node.httpUrl}/api/v1/admins`, {
        headers: { authorization: `Bearer ${tokens[0]!.trim()}` },
      });
      expect(answer.status).toBe(200);
      const admins = (await answer.json()) as { items: { email: string }[] };
      expect(admins.items.map((a) => a.email)).toEqual(["admin@localhost"]);
    }
  }, 90_000);
});
