/** The broker's rules, each hook called directly with the objects aedes would pass. */
import type { Client, PublishPacket, Subscription } from "aedes";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import {
  authorizePublish,
  authorizeSubscribe,
  createAuthenticate,
  createAuthorizePublish,
  PublishRateExceeded,
} from "../../../server/broker/hooks.js";
import { PublishRateLimiter } from "../../../server/broker/publish-rate-limit.js";

const client = (id: string) => ({ id }) as unknown as Client;
const logger = pino({ level: "silent" });

function authenticate(
  id: string,
  username?: string,
  password?: string,
): Promise<{ ok: boolean; code?: number }> {
  const hook = createAuthenticate(
    async (deviceId, secret) => deviceId === "dev_a" && secret === "right",
    logger,
  );
  return new Promise((resolve) =>
    hook(client(id), username, password === undefined ? undefined : Buffer.from(password), (err, ok) =>
      resolve({ ok: ok === true && !err, code: err?.returnCode }),
    ),
  );
}

function subscribe(id: string, topic: string): Promise<Subscription | null | undefined> {
  return new Promise((resolve) =>
    authorizeSubscribe(client(id), { topic, qos: 1 } as Subscription, (_err, sub) => resolve(sub)),
  );
}

function publish(id: string | null, topic: string, retain = false): Promise<Error | null | undefined> {
  const packet = {
    cmd: "publish",
    topic,
    payload: Buffer.alloc(0),
    qos: 1,
    retain,
    dup: false,
  } as PublishPacket;
  return new Promise((resolve) =>
    authorizePublish(id === null ? null : client(id), packet, (err) => resolve(err)),
  );
}

describe("authenticate", () => {
  it("accepts the right secret for the client's own id", async () => {
    expect(await authenticate("dev_a", "dev_a", "right")).toEqual({ ok: true, code: undefined });
  });
  it("refuses a wrong secret (4), no credentials (4) and a foreign client id (5)", async () => {
    expect(await authenticate("dev_a", "dev_a", "wrong")).toEqual({ ok: false, code: 4 });
    expect(await authenticate("dev_a")).toEqual({ ok: false, code: 4 });
    expect(await authenticate("dev_b", "dev_a", "right")).toEqual({ ok: false, code: 5 });
  });
});

describe("authorizeSubscribe", () => {
  it("grants only the device's own cmd and cfg", async () => {
    expect(await subscribe("dev_a", "pmdm/v1/d/dev_a/cmd")).toMatchObject({ topic: "pmdm/v1/d/dev_a/cmd" });
    expect(await subscribe("dev_a", "pmdm/v1/d/dev_a/cfg")).toMatchObject({ topic: "pmdm/v1/d/dev_a/cfg" });
    for (const topic of [
      "pmdm/v1/d/dev_b/cmd",
      "pmdm/v1/d/dev_a/res",
      "pmdm/v1/d/dev_a/state",
      "pmdm/v1/d/+/cmd",
      "pmdm/v1/d/dev_a/#",
      "#",
      "$SYS/#",
    ]) {
      expect(await subscribe("dev_a", topic), topic).toBeNull();
    }
  });
});

describe("authorizePublish", () => {
  it("lets a device publish to its own res and state only, never retained", async () => {
    expect(await publish("dev_a", "pmdm/v1/d/dev_a/res")).toBeNull();
    expect(await publish("dev_a", "pmdm/v1/d/dev_a/state")).toBeNull();
    expect(await publish("dev_a", "pmdm/v1/d/dev_a/state", true)).toBeInstanceOf(Error);
    expect(await publish("dev_a", "pmdm/v1/d/dev_a/cmd")).toBeInstanceOf(Error);
    expect(await publish("dev_a", "pmdm/v1/d/dev_b/res")).toBeInstanceOf(Error);
    expect(await publish("dev_a", "elsewhere")).toBeInstanceOf(Error);
  });
  it("blocks $SYS for everyone, and allows the server's own publishes", async () => {
    expect(await publish("dev_a", "$SYS/x")).toBeInstanceOf(Error);
    expect(await publish(null, "$SYS/x")).toBeInstanceOf(Error);
    expect(await publish(null, "pmdm/v1/d/dev_a/cmd")).toBeNull();
  });
});

describe("createAuthorizePublish", () => {
  const packet = (topic: string) =>
    ({ cmd: "publish", topic, payload: Buffer.alloc(0), qos: 0, retain: false, dup: false }) as PublishPacket;

  function limited() {
    const warnings: { clientId?: string; reason?: string }[] = [];
    const recording = pino({ level: "warn" }, { write: (line: string) => warnings.push(JSON.parse(line)) });
    const hook = createAuthorizePublish(new PublishRateLimiter({ perSecond: 0.01, burst: 2 }), recording);
    const publishAs = (id: string | null, topic: string) =>
      new Promise<Error | null | undefined>((resolve) =>
        hook(id === null ? null : client(id), packet(topic), (err) => resolve(err)),
      );
    return { warnings, publishAs };
  }

  it("disconnects a device over its budget with a logged reason, and only that device", async () => {
    const { warnings, publishAs } = limited();
    expect(await publishAs("dev_a", "pmdm/v1/d/dev_a/state")).toBeNull();
    expect(await publishAs("dev_a", "pmdm/v1/d/dev_a/res")).toBeNull();
    const refused = await publishAs("dev_a", "pmdm/v1/d/dev_a/state");
    expect(refused).toBeInstanceOf(PublishRateExceeded);
    expect(refused?.message).toMatch(/dev_a.*exceeded its publish rate/);
    expect(warnings).toMatchObject([{ clientId: "dev_a", reason: refused?.message }]);
    expect(await publishAs("dev_b", "pmdm/v1/d/dev_b/state")).toBeNull();
  });

  it("applies the topic rules first: a refused topic costs no token, the server has no budget", async () => {
    const { publishAs } = limited();
    expect(await publishAs("dev_a", "pmdm/v1/d/dev_b/state")).not.toBeInstanceOf(PublishRateExceeded);
    expect(await publishAs("dev_a", "pmdm/v1/d/dev_b/state")).not.toBeInstanceOf(PublishRateExceeded);
    expect(await publishAs("dev_a", "pmdm/v1/d/dev_a/state")).toBeNull();
    for (let i = 0; i < 5; i++) expect(await publishAs(null, "pmdm/v1/d/dev_a/cmd")).toBeNull();
  });
});
