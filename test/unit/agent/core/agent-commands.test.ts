/**
 * The agent core's command rules: exactly once, in order, never expired, never another
 * device's; durable before acting. Driven over an in-memory network (integration tests run
 * the same core over real MQTT).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FileAgentStorage } from "../../../../agent/storage/file-storage.js";
import { DEVICE_ID, TestDevice } from "../fakes.js";

let device: TestDevice;
afterEach(async () => {
  await device?.agent?.stop({ abrupt: true });
});

describe("a command", () => {
  it("runs once and reports SUCCEEDED with the state it left the device in", async () => {
    device = await TestDevice.enrolled();
    await device.boot();
    const lock = device.commands.next({ type: "lock" });
    await device.send(lock);
    expect(device.executed).toEqual([lock.id]);
    expect(device.platform.locked).toBe(true);
    // Quick commands skip the acceptance report; the result carries the fresh state.
    expect(device.network.outcomes(lock.id)).toEqual(["succeeded"]);
    expect(device.network.channels()).toEqual(["state", "res"]);
    expect(device.network.results().at(-1)?.state?.locked).toBe(true);
  });

  it("still running after a while reports ACCEPTED first", async () => {
    device = await TestDevice.enrolled();
    await device.boot();
    device.platform.lock = () => new Promise((resolve) => setTimeout(resolve, 400));
    const lock = device.commands.next({ type: "lock" });
    await device.send(lock);
    expect(device.network.outcomes(lock.id)).toEqual(["accepted", "succeeded"]);
    expect(device.network.results()[0]?.state).toBeNull();
  });

  it("delivered twice runs once, and the duplicate gets the very same stored result", async () => {
    device = await TestDevice.enrolled();
    await device.boot();
    const lock = device.commands.next({ type: "lock" });
    await device.send(lock);
    const first = device.network.results().at(-1);
    device.clock.advance(1000);
    await device.send(lock);
    expect(device.executed).toEqual([lock.id]);
    expect(device.network.outcomes(lock.id)).toEqual(["succeeded", "succeeded"]);
    // The same journaled outcome; the state went along only the first time.
    expect(device.network.results().at(-1)).toEqual({ ...first, state: null });
  });

  it("that has expired is rejected, recorded, and never runs", async () => {
    device = await TestDevice.enrolled();
    await device.boot();
    const stale = device.commands.next({ type: "lock" }, { expiresAtMs: device.clock.nowMs });
    await device.send(stale);
    await device.send(stale);
    expect(device.executed).toEqual([]);
    expect(device.platform.locked).toBe(false);
    expect(device.network.outcomes(stale.id)).toEqual(["rejected:expired", "rejected:expired"]);
    expect(device.storage.journalEntry(stale.id)?.result?.errorCode).toBe("expired");
  });

  it("that was rejected does not move the seq floor (a stale huge seq cannot block the device)", async () => {
    device = await TestDevice.enrolled();
    await device.boot();
    const stale = device.commands.next({ type: "lock" }, { seq: 1_000_000, expiresAtMs: 0 });
    await device.send(stale);
    const next = device.commands.next({ type: "lock" }, { seq: 5 });
    await device.send(next);
    expect(device.network.outcomes(next.id)).toEqual(["succeeded"]);
    expect(device.storage.lastSeq()).toBe(5);
  });

  it("for another device is rejected as wrong_device and not recorded", async () => {
    device = await TestDevice.enrolled();
    await device.boot();
    const foreign = device.commands.next({ type: "lock" }, { deviceId: "dev_other" });
    await device.send(foreign);
    expect(device.executed).toEqual([]);
    expect(device.network.outcomes(foreign.id)).toEqual(["rejected:wrong_device"]);
    expect(device.storage.journalEntry(foreign.id)).toBeUndefined();
  });

  it("whose seq goes backwards is rejected as out_of_order, while gaps are accepted", async () => {
    device = await TestDevice.enrolled();
    await device.boot();
    const fifty = device.commands.next({ type: "refresh_state" }, { seq: 50 });
    const backwards = device.commands.next({ type: "lock" }, { seq: 49 });
    const same = device.commands.next({ type: "lock" }, { seq: 50 });
    const gap = device.commands.next({ type: "lock" }, { seq: 80 });
    for (const command of [fifty, backwards, same, gap]) await device.send(command);
    expect(device.network.outcomes()).toEqual([
      "succeeded",
      "rejected:out_of_order",
      "rejected:out_of_order",
      "succeeded",
    ]);
    expect(device.executed).toEqual([fifty.id, gap.id]);
  });

  it("is recorded on disk before the platform acts", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pmdm-agent-"));
    try {
      device = await TestDevice.enrolled(new FileAgentStorage(dir));
      await device.boot();
      const lock = device.commands.next({ type: "lock" });
      let onDiskWhenActing: string | undefined;
      device.platform.lock = async () => {
        // A second storage reading the same dir sees only what reached the disk.
        const fromDisk = new FileAgentStorage(dir);
        await fromDisk.load();
        onDiskWhenActing = fromDisk.journalEntry(lock.id)?.state;
      };
      await device.send(lock);
      expect(onDiskWhenActing).toBe("accepted");
    } finally {
      await device.agent?.stop({ abrupt: true });
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("accepted before a crash is reported FAILED interrupted after the restart, and never runs", async () => {
    device = await TestDevice.enrolled();
    const lock = device.commands.next({ type: "lock" });
    // What a crash between acceptance and result leaves behind.
    await device.storage.putJournalEntry({
      commandId: lock.id,
      seq: lock.seq,
      type: "lock",
      state: "accepted",
    });
    await device.boot();
    expect(device.network.outcomes(lock.id)).toEqual(["failed:interrupted"]);
    await device.send(lock);
    expect(device.network.outcomes(lock.id)).toEqual(["failed:interrupted", "failed:interrupted"]);
    expect(device.executed).toEqual([]);
    expect(device.platform.locked).toBe(false);
  });

  it("cut off by a power loss mid-action leaves no result, and is reported interrupted on the next boot", async () => {
    device = await TestDevice.enrolled();
    await device.boot();
    const lock = device.commands.next({ type: "lock" });
    let finishAction = () => {};
    const acting = new Promise<void>((resolve) => {
      device.platform.lock = () => {
        resolve();
        return new Promise<void>((done) => {
          finishAction = done;
        });
      };
    });
    device.network.deliver(lock);
    await acting;
    await device.running.stop({ abrupt: true });
    finishAction();
    await device.running.idle();
    expect(device.network.outcomes(lock.id)).toEqual([]);
    expect(device.storage.journalEntry(lock.id)?.state).toBe("accepted");
    expect(device.network.link.endedWith).toEqual({ force: true });

    await device.boot();
    expect(device.network.outcomes(lock.id)).toEqual(["failed:interrupted"]);
    expect(device.executed).toEqual([lock.id]);
  });

  it("that the platform fails is reported FAILED platform_error with the platform's reason", async () => {
    device = await TestDevice.enrolled();
    await device.boot();
    device.platform.setName = async () => {
      throw new Error("the display refused the name");
    };
    const rename = device.commands.next({ type: "rename", name: "Lobby" });
    await device.send(rename);
    expect(device.network.outcomes(rename.id)).toEqual(["failed:platform_error"]);
    expect(device.network.results().at(-1)?.message).toBe("the display refused the name");
    expect(device.network.results().at(-1)?.state?.name).toBe(device.platform.name);
  });

  it("waits for the one before it: commands never overlap and keep arrival order", async () => {
    device = await TestDevice.enrolled();
    await device.boot();
    const log: string[] = [];
    const slow = (name: string) => async () => {
      log.push(`${name} start`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      log.push(`${name} end`);
    };
    device.platform.lock = slow("lock");
    device.platform.setName = slow("rename");
    device.network.deliver(device.commands.next({ type: "lock" }));
    device.network.deliver(device.commands.next({ type: "rename", name: "A" }));
    await device.running.idle();
    expect(log).toEqual(["lock start", "lock end", "rename start", "rename end"]);
  });

  it("that is malformed is dropped, and the agent keeps working", async () => {
    device = await TestDevice.enrolled();
    await device.boot();
    device.network.link.handlers.message(`pmdm/v1/d/${DEVICE_ID}/cmd`, new Uint8Array([0xff, 0x00, 0xff]));
    await device.send(device.commands.next({ type: "lock" }));
    expect(device.platform.locked).toBe(true);
  });

  it("still completes when a host's event listener throws", async () => {
    device = await TestDevice.enrolled();
    const agent = await device.boot();
    agent.on("executed", () => {
      throw new Error("faulty host listener");
    });
    const lock = device.commands.next({ type: "lock" });
    await device.send(lock);
    expect(device.network.outcomes(lock.id)).toEqual(["succeeded"]);
  });

  it("in progress is finished by a graceful stop before the agent disconnects", async () => {
    device = await TestDevice.enrolled();
    await device.boot();
    device.platform.lock = () => new Promise((resolve) => setTimeout(resolve, 20));
    const lock = device.commands.next({ type: "lock" });
    const executed = new Promise<void>((resolve) => device.running.once("executed", () => resolve()));
    device.network.deliver(lock);
    await executed;
    await device.running.stop();
    expect(device.network.outcomes(lock.id)).toEqual(["succeeded"]);
    expect(device.network.link.endedWith).toEqual({ force: false });
    expect(device.running.status).toBe("stopped");
  });

  it("of each kind reaches the platform with its arguments", async () => {
    device = await TestDevice.enrolled();
    await device.boot();
    await device.send(device.commands.next({ type: "rename", name: "Boardroom" }));
    await device.send(
      device.commands.next({ type: "set_time", timezone: "Europe/Paris", ntpServer: "ntp.example.com:123" }),
    );
    const refresh = device.commands.next({ type: "refresh_state" });
    const statesBefore = device.network.states().length;
    await device.send(refresh);
    expect(device.platform.name).toBe("Boardroom");
    expect(device.platform.timezone).toBe("Europe/Paris");
    expect(device.platform.ntpServer).toBe("ntp.example.com:123");
    expect(device.network.outcomes(refresh.id)).toEqual(["succeeded"]);
    expect(device.network.states().length).toBe(statesBefore + 1);
  });
});
