/**
 * The commands that change the agent itself (reboot, factory reset, stop managing,
 * deactivate), desired config, state reports and enrollment from the core's point of view.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { AgentEvents } from "../../../../agent/core/agent-events.js";
import { EnrollmentClient, EnrollmentRefusedError } from "../../../../agent/enrollment/enrollment-client.js";
import type { JournalEntry } from "../../../../agent/storage/agent-storage.js";
import { MemoryAgentStorage } from "../../../../agent/storage/memory-storage.js";
import { DEVICE_ID, IDENTITY, TestDevice, waitForStatus } from "../fakes.js";

let device: TestDevice;
afterEach(async () => {
  await device?.agent?.stop({ abrupt: true });
});

/** A fetch that answers each enrollment path from a table, and counts calls. */
function fakeServer(routes: Record<string, () => { status: number; body: unknown }>) {
  const calls: string[] = [];
  const fetchImpl: typeof fetch = async (input) => {
    const path = new URL(String(input)).pathname;
    calls.push(path);
    const route = routes[path];
    if (!route) return Response.json({ error: { code: "not_found", message: path } }, { status: 404 });
    const { status, body } = route();
    return Response.json(body, { status });
  };
  return { calls, client: new EnrollmentClient("http://server.test", { fetch: fetchImpl }) };
}

const GRANT = {
  deviceId: DEVICE_ID,
  secret: "pds_new",
  mqttUrl: "ws://server.test/mqtt",
  name: "Portal 0001",
  signingKeys: IDENTITY.serverKeys,
};
const noWait = async () => {};

describe("reboot", () => {
  it("is ACCEPTED before the device goes down, and SUCCEEDED by the next boot once the boot time changed", async () => {
    device = await TestDevice.enrolled();
    await device.boot();
    const reboot = device.commands.next({ type: "reboot" });
    let outcomesWhenRebooting: string[] = [];
    device.platform.onReboot = () => {
      outcomesWhenRebooting = device.network.outcomes(reboot.id);
    };
    await device.send(reboot);
    await new Promise((resolve) => setImmediate(resolve));
    expect(outcomesWhenRebooting).toEqual(["accepted"]);
    expect(device.storage.journalEntry(reboot.id)?.state).toBe("rebooting");

    // Redelivered while the device is still going down: still only accepted.
    await device.send(reboot);
    expect(device.network.outcomes(reboot.id)).toEqual(["accepted", "accepted"]);

    await device.running.stop({ abrupt: true });
    device.platform.boot();
    const published = device.network.published.length;
    await device.boot();
    // The new boot is reported first, then the result it proves.
    expect(device.network.channels().slice(published)).toEqual(["state", "res"]);
    expect(device.network.outcomes(reboot.id)).toEqual(["accepted", "accepted", "succeeded"]);
    expect(device.executed).toEqual([reboot.id]);

    await device.send(reboot);
    expect(device.network.outcomes(reboot.id).at(-1)).toBe("succeeded");
    expect(device.executed).toEqual([reboot.id]);
  });

  it("that a restart shows never happened is FAILED reboot_not_observed", async () => {
    device = await TestDevice.enrolled();
    await device.boot();
    device.platform.onReboot = () => {};
    const reboot = device.commands.next({ type: "reboot" });
    await device.send(reboot);
    await device.running.stop({ abrupt: true });
    await device.boot();
    expect(device.network.outcomes(reboot.id)).toEqual(["accepted", "failed:reboot_not_observed"]);
  });

  it("that the platform refuses is FAILED platform_error at once", async () => {
    device = await TestDevice.enrolled();
    await device.boot();
    device.platform.reboot = async () => {
      throw new Error("reboot inhibited");
    };
    const reboot = device.commands.next({ type: "reboot" });
    await device.send(reboot);
    expect(device.network.outcomes(reboot.id)).toEqual(["accepted", "failed:platform_error"]);
  });
});

describe("factory reset", () => {
  it("resets the device, reports SUCCEEDED, then wipes identity and journal and disconnects", async () => {
    device = await TestDevice.enrolled();
    const agent = await device.boot();
    await device.send(device.commands.next({ type: "lock" }));
    let wiped = false;
    agent.on("wiped", () => {
      wiped = true;
    });
    const reset = device.commands.next({ type: "factory_reset" });
    await device.send(reset);
    expect(device.platform.factoryResets).toBe(1);
    expect(device.network.outcomes(reset.id)).toEqual(["succeeded"]);
    expect(device.storage.identity()).toBeNull();
    expect(device.storage.journalEntries()).toEqual([]);
    expect(device.storage.lastSeq()).toBe(0);
    expect(device.network.link.endedWith).toEqual({ force: false });
    expect(agent.status).toBe("unenrolled");
    expect(wiped).toBe(true);
  });
});

describe("stop managing", () => {
  it("reports SUCCEEDED, forgets the credential, disconnects and stays up unmanaged", async () => {
    device = await TestDevice.enrolled();
    const agent = await device.boot();
    const stop = device.commands.next({ type: "stop_managing" });
    await device.send(stop);
    expect(device.network.outcomes(stop.id)).toEqual(["succeeded"]);
    expect(device.storage.identity()).toBeNull();
    expect(device.storage.tombstone()).toBeNull();
    expect(agent.status).toBe("unmanaged");
    expect(agent.deviceId).toBeNull();
    expect(device.network.link.endedWith).toEqual({ force: false });

    // A late reconnect of the old link is ignored: no new connection, no subscriptions.
    const published = device.network.published.length;
    device.network.link.handlers.connected();
    await agent.idle();
    expect(device.network.links).toHaveLength(1);
    expect(device.network.published).toHaveLength(published);
    expect(agent.status).toBe("unmanaged");
  });
});

describe("deactivate", () => {
  it("writes the tombstone before anything else, and a restarted agent refuses to enroll", async () => {
    const storage = new MemoryAgentStorage();
    const writes: string[] = [];
    const spied = new Proxy(storage, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          if (property === "writeTombstone") writes.push("tombstone");
          if (property === "putJournalEntry") writes.push(`journal:${(args[0] as JournalEntry).state}`);
          return value.apply(target, args);
        };
      },
    });
    device = await TestDevice.enrolled(spied);
    const agent = await device.boot();
    device.network.beforePuback = (topic) => {
      if (topic.endsWith("/res")) writes.push("publish");
    };
    const deactivate = device.commands.next({ type: "deactivate" });
    await device.send(deactivate);
    expect(writes).toEqual(["tombstone", "journal:accepted", "journal:done", "publish"]);
    expect(device.network.outcomes(deactivate.id)).toEqual(["succeeded"]);
    expect(storage.tombstone()?.deviceId).toBe(DEVICE_ID);
    expect(storage.identity()).toBeNull();
    expect(agent.status).toBe("deactivated");

    const server = fakeServer({ "/api/v1/enrollment/enroll": () => ({ status: 201, body: GRANT }) });
    const linksBefore = device.network.links.length;
    const restarted = device.create({ enrollment: { token: "pet_valid" }, enrollmentClient: server.client });
    await restarted.start();
    expect(restarted.status).toBe("deactivated");
    expect(server.calls).toEqual([]);
    expect(device.network.links).toHaveLength(linksBefore);
  });
});

describe("desired config", () => {
  it("is applied once per version, changing only what differs, and reported", async () => {
    device = await TestDevice.enrolled();
    const agent = await device.boot();
    const calls: string[] = [];
    const { platform } = device;
    const setName = platform.setName.bind(platform);
    const setTime = platform.setTimeSettings.bind(platform);
    platform.setName = (name) => {
      calls.push(`name:${name}`);
      return setName(name);
    };
    platform.setTimeSettings = (time) => {
      calls.push(`time:${time.timezone}`);
      return setTime(time);
    };
    const applied: AgentEvents["configApplied"][] = [];
    agent.on("configApplied", (event) => applied.push(event));

    const v2 = { version: 2, name: "Lobby", time: { timezone: "Europe/Oslo", ntpServer: null } };
    await device.sendConfig(v2);
    await device.sendConfig(v2);
    await device.sendConfig({ ...v2, version: 1, name: "Older" });
    // Same name, new zone: only the time settings change.
    await device.sendConfig({ ...v2, version: 3, time: { timezone: "auto", ntpServer: null } });

    expect(calls).toEqual(["name:Lobby", "time:Europe/Oslo", "time:auto"]);
    expect(applied).toEqual([{ version: 2 }, { version: 3 }]);
    expect(device.storage.appliedConfigVersion()).toBe(3);
    const reported = device.network.states().at(-1);
    expect(reported).toMatchObject({ name: "Lobby", timezone: "UTC", timezoneAutomatic: true });
    expect(reported?.appliedConfigVersion).toBe(3);
  });

  it("that cannot be applied keeps the old version, so the next delivery tries again", async () => {
    device = await TestDevice.enrolled();
    await device.boot();
    const bad = { version: 4, name: "", time: { timezone: "Mars/Olympus_Mons", ntpServer: null } };
    await device.sendConfig(bad);
    expect(device.storage.appliedConfigVersion()).toBe(0);
    await device.sendConfig({ ...bad, time: { timezone: "Asia/Tokyo", ntpServer: "ntp.example.org" } });
    expect(device.storage.appliedConfigVersion()).toBe(4);
    expect(device.platform.timezone).toBe("Asia/Tokyo");
  });
});

describe("state reports", () => {
  it("describe the device on connect, with the agent's version, config version and the device clock", async () => {
    device = await TestDevice.enrolled();
    await device.storage.setAppliedConfigVersion(7);
    await device.boot();
    const [first] = device.network.states();
    expect(first).toMatchObject({
      atMs: device.clock.nowMs,
      agentVersion: "9.9.9-test",
      appliedConfigVersion: 7,
      serial: "UNIT-0001",
      model: "Portal",
      locked: false,
      bootTimeMs: device.platform.bootTimeMs,
    });
    expect(device.network.link.subscriptions).toEqual([
      `pmdm/v1/d/${DEVICE_ID}/cmd`,
      `pmdm/v1/d/${DEVICE_ID}/cfg`,
    ]);
    expect(device.network.link.options).toMatchObject({
      url: "mqtt://127.0.0.1:1883",
      clientId: DEVICE_ID,
      username: DEVICE_ID,
      password: "pds_secret",
    });
  });

  it("repeat every stateReportIntervalMs while online", async () => {
    device = await TestDevice.enrolled();
    const agent = await device.boot({ stateReportIntervalMs: 5 });
    await new Promise<void>((resolve) => {
      let reports = 0;
      agent.on("stateReported", () => {
        if (++reports === 2) resolve();
      });
    });
    expect(device.network.states().length).toBeGreaterThanOrEqual(3);
  });

  it("pause while offline and resume with a fresh report on reconnect", async () => {
    device = await TestDevice.enrolled();
    const agent = await device.boot();
    device.network.link.handlers.disconnected();
    expect(agent.status).toBe("offline");
    const before = device.network.states().length;
    await device.send(device.commands.next({ type: "lock" }));
    expect(device.network.states()).toHaveLength(before);
    device.network.link.handlers.connected();
    await waitForStatus(agent, "online");
    await agent.idle();
    expect(device.network.states()).toHaveLength(before + 1);
    expect(device.network.states().at(-1)?.locked).toBe(true);
  });
});

describe("enrollment", () => {
  it("with a token stores the identity and connects with it", async () => {
    device = new TestDevice();
    const server = fakeServer({ "/api/v1/enrollment/enroll": () => ({ status: 201, body: GRANT }) });
    const agent = await device.boot({ enrollment: { token: "pet_1" }, enrollmentClient: server.client });
    expect(device.storage.identity()).toMatchObject({
      deviceId: DEVICE_ID,
      secret: "pds_new",
      mqttUrl: "ws://server.test/mqtt",
      serverKeys: IDENTITY.serverKeys,
    });
    expect(device.network.link.options).toMatchObject({ url: "ws://server.test/mqtt", password: "pds_new" });
    expect(agent.deviceId).toBe(DEVICE_ID);
  });

  it("without a token shows a device code and connects once it is approved", async () => {
    device = new TestDevice();
    let polls = 0;
    const server = fakeServer({
      "/api/v1/enrollment/device-codes": () => ({
        status: 201,
        body: { deviceCode: "pdc_1", userCode: "BCDF-GHJK", expiresInSeconds: 600, intervalSeconds: 5 },
      }),
      "/api/v1/enrollment/device-codes/poll": () =>
        ++polls < 3
          ? { status: 200, body: { status: "pending" } }
          : { status: 200, body: { status: "approved", ...GRANT } },
    });
    const agent = device.create({ enrollmentClient: server.client, sleep: noWait });
    const codes: string[] = [];
    agent.on("userCode", ({ userCode }) => codes.push(userCode));
    const online = waitForStatus(agent, "online");
    await agent.start();
    await online;
    expect(codes).toEqual(["BCDF-GHJK"]);
    expect(polls).toBe(3);
    expect(device.storage.identity()?.deviceId).toBe(DEVICE_ID);
  });

  it("refused for a deactivated serial leaves a tombstone and stops", async () => {
    device = new TestDevice();
    const server = fakeServer({
      "/api/v1/enrollment/enroll": () => ({
        status: 403,
        body: { error: { code: "device_deactivated", message: "serial 'UNIT-0001' is deactivated" } },
      }),
    });
    const agent = device.create({ enrollment: { token: "pet_1" }, enrollmentClient: server.client });
    await agent.start();
    expect(agent.status).toBe("deactivated");
    expect(device.storage.tombstone()).not.toBeNull();
    expect(device.network.links).toHaveLength(0);
  });

  it("refused for a bad token rejects start() with the server's code", async () => {
    device = new TestDevice();
    const server = fakeServer({
      "/api/v1/enrollment/enroll": () => ({
        status: 401,
        body: { error: { code: "invalid_enrollment_token", message: "enrollment token expired" } },
      }),
    });
    const agent = device.create({ enrollment: { token: "pet_old" }, enrollmentClient: server.client });
    const problems: string[] = [];
    agent.on("problem", ({ code }) => problems.push(code));
    const started = agent.start();
    await expect(started).rejects.toBeInstanceOf(EnrollmentRefusedError);
    await expect(started).rejects.toMatchObject({ code: "invalid_enrollment_token" });
    expect(agent.status).toBe("unenrolled");
    expect(problems).toEqual(["enrollment_refused"]);
  });

  it("waits out an unreachable server, and a stop ends the wait", async () => {
    device = new TestDevice();
    const server = fakeServer({
      "/api/v1/enrollment/enroll": () => ({
        status: 503,
        body: { error: { code: "unavailable", message: "" } },
      }),
    });
    const agent = device.create({ enrollment: { token: "pet_1" }, enrollmentClient: server.client });
    const started = agent.start();
    await expect.poll(() => server.calls.length).toBeGreaterThanOrEqual(1);
    expect(agent.status).toBe("enrolling");
    await agent.stop();
    await started;
    expect(agent.status).toBe("stopped");
    expect(device.storage.identity()).toBeNull();
  });
});

describe("credential", () => {
  it("refused by the broker is reported as a problem", async () => {
    device = await TestDevice.enrolled();
    device.network.autoConnect = false;
    const agent = device.create();
    const problems: AgentEvents["problem"][] = [];
    agent.on("problem", (problem) => problems.push(problem));
    await agent.start();
    device.network.link.handlers.authFailed("Connection refused: Bad username or password");
    expect(problems).toEqual([
      {
        code: "credential_rejected",
        message: "broker refused: Connection refused: Bad username or password",
      },
    ]);
    expect(agent.status).toBe("connecting");
  });
});
