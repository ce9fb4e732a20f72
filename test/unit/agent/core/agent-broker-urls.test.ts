/**
 * The broker URLs in the agent core: the transport follows the stored list, a desired config's
 * valid list replaces it (stored with the identity, whatever the config's version), and a bad
 * list is ignored whole with the last good one kept.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { brokerUrlsOf } from "../../../../agent/storage/agent-storage.js";
import { FileAgentStorage } from "../../../../agent/storage/file-storage.js";
import { MemoryAgentStorage } from "../../../../agent/storage/memory-storage.js";
import { IDENTITY, TestDevice } from "../fakes.js";

let device: TestDevice;
afterEach(async () => {
  await device?.agent?.stop({ abrupt: true });
});

const A = "mqtt://node-a:1883";
const B = "mqtts://node-b:8883";
const C = "wss://node-c/mqtt";

const config = (version: number, mqttUrls?: string[]) => ({
  version,
  name: "Lobby",
  time: { timezone: "auto", ntpServer: null },
  ...(mqttUrls ? { mqttUrls } : {}),
});

async function enrolledWith(mqttUrls?: string[]): Promise<TestDevice> {
  const storage = new MemoryAgentStorage();
  await storage.saveIdentity({ ...IDENTITY, mqttUrl: mqttUrls?.[0] ?? IDENTITY.mqttUrl, mqttUrls });
  return new TestDevice(storage);
}

describe("broker URLs in the agent core", () => {
  it("connect through the stored list, or the single URL of an identity that has none", async () => {
    device = await TestDevice.enrolled();
    await device.boot();
    expect(device.network.link.options.url).toBe(IDENTITY.mqttUrl);
    expect(device.network.link.options.brokers?.list()).toEqual([IDENTITY.mqttUrl]);
    await device.running.stop();

    device = await enrolledWith([A, B]);
    await device.boot();
    expect(device.network.link.options.url).toBe(A);
    expect(device.network.link.options.brokers?.list()).toEqual([A, B]);
  });

  it("are replaced by a desired config's list, stored with the identity, even for a version already applied", async () => {
    device = await enrolledWith([A, B]);
    await device.storage.setAppliedConfigVersion(5);
    const agent = await device.boot();
    const stored: string[][] = [];
    agent.on("brokerUrlsStored", ({ urls }) => stored.push(urls));

    await device.sendConfig(config(5, [C, B]));
    expect(device.storage.identity()).toMatchObject({ mqttUrl: C, mqttUrls: [C, B] });
    expect(device.network.link.options.brokers?.list()).toEqual([C, B]);
    expect(stored).toEqual([[C, B]]);

    // The same list at every connect changes nothing; a config without a list keeps it.
    await device.sendConfig(config(5, [C, B]));
    await device.sendConfig(config(6));
    expect(stored).toHaveLength(1);
    expect(device.storage.identity()?.mqttUrls).toEqual([C, B]);
    expect(device.storage.appliedConfigVersion()).toBe(6);

    // A restarted agent starts from the stored list, preferred URL first.
    await device.running.stop();
    await device.boot();
    expect(device.network.link.options.url).toBe(C);
  });

  it("that are not all broker URLs are ignored whole, the last good list kept, and the rest applied", async () => {
    device = await enrolledWith([A, B]);
    const agent = await device.boot();
    const problems: { code: string; message: string }[] = [];
    agent.on("problem", (p) => problems.push(p));
    const bad = [
      [A, "http://attacker.example:80"],
      [A, "mqtt://user:pw@node-x:1883"],
      [A, "mqtt://node-x:1883?clientId=dev_other"],
      [A, A],
      Array.from({ length: 17 }, (_, i) => `mqtt://node-${i}:1883`),
    ];
    for (const [i, urls] of bad.entries()) await device.sendConfig(config(i + 1, urls));
    expect(problems.map((p) => p.code)).toEqual(bad.map(() => "broker_urls_rejected"));
    expect(problems[0]?.message).toBe(
      `ignored the broker URLs of desired config version 1: broker URL 2 "http://attacker.example:80" is not an mqtt://, mqtts://, ws://, wss:// URL; keeping ${A}, ${B}`,
    );
    expect(device.storage.identity()).toMatchObject({ mqttUrl: A, mqttUrls: [A, B] });
    expect(device.network.link.options.brokers?.list()).toEqual([A, B]);
    // The rest of each config applied as usual.
    expect(device.storage.appliedConfigVersion()).toBe(bad.length);
    expect(device.platform.name).toBe("Lobby");
  });
});

describe("broker URLs stored with the identity", () => {
  it("survive a reload of the file storage", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pmdm-agent-urls-"));
    try {
      const storage = new FileAgentStorage(dir);
      await storage.load();
      await storage.saveIdentity({ ...IDENTITY, mqttUrl: A, mqttUrls: [A, B, C] });
      const reloaded = new FileAgentStorage(dir);
      await reloaded.load();
      expect(brokerUrlsOf(reloaded.identity()!)).toEqual([A, B, C]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("are the one mqttUrl of an older identity, and put a mqttUrl changed by hand first", () => {
    expect(brokerUrlsOf({ ...IDENTITY, mqttUrl: A })).toEqual([A]);
    expect(brokerUrlsOf({ ...IDENTITY, mqttUrl: B, mqttUrls: [A, B, C] })).toEqual([B, A, C]);
    expect(brokerUrlsOf({ ...IDENTITY, mqttUrl: "mqtt://moved:1883", mqttUrls: [A, B] })).toEqual([
      "mqtt://moved:1883",
      A,
      B,
    ]);
  });
});
