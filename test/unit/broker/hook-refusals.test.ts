/** What the broker's hooks log when they refuse, called directly with the objects aedes would pass. */
import type { Client, PublishPacket, Subscription } from "aedes";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import {
  createAuthenticate,
  createAuthorizePublish,
  createAuthorizeSubscribe,
} from "../../../server/broker/hooks.js";
import { PublishRateLimiter } from "../../../server/broker/publish-rate-limit.js";
import { RefusalLog } from "../../../server/refusal-log.js";

/** A TCP client as aedes has it: an id and the socket. */
const client = (id: string) => ({ id, conn: { remoteAddress: "192.0.2.7" } }) as unknown as Client;

function recorded() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { lines, logger, refusals: new RefusalLog(logger) };
}

describe("refusals logged by the broker's hooks", () => {
  it("a refused CONNECT names the client, address and credential kind, never the secret", async () => {
    const { lines, logger, refusals } = recorded();
    const hook = createAuthenticate(async () => false, logger, refusals);
    await new Promise((resolve) => hook(client("dev_a"), "dev_a", Buffer.from("s3cret-value"), resolve));
    await new Promise((resolve) => hook(client("dev_a"), undefined, undefined, resolve));
    expect(lines).toMatchObject([
      {
        refusal: "mqtt_connect",
        clientId: "dev_a",
        sourceAddress: "192.0.2.7",
        credential: "device_secret",
        reason: "wrong or revoked credential",
      },
      { refusal: "mqtt_connect", credential: "none", reason: "anonymous" },
    ]);
    expect(JSON.stringify(lines)).not.toContain("s3cret-value");
  });

  it("a refused SUBSCRIBE names its topic; a granted one logs nothing", async () => {
    const { lines, refusals } = recorded();
    const hook = createAuthorizeSubscribe(refusals);
    const subscribe = (topic: string) =>
      new Promise<Subscription | null | undefined>((resolve) =>
        hook(client("dev_a"), { topic, qos: 1 } as Subscription, (_err, sub) => resolve(sub)),
      );
    expect(await subscribe("pmdm/v1/d/dev_a/cmd")).toMatchObject({ topic: "pmdm/v1/d/dev_a/cmd" });
    expect(lines).toHaveLength(0);
    expect(await subscribe("#")).toBeNull();
    expect(lines).toMatchObject([{ refusal: "mqtt_subscribe", clientId: "dev_a", topic: "#", level: 30 }]);
  });

  it("a refused PUBLISH logs a clipped topic; the budget's refusal is a warning", async () => {
    const { lines, logger, refusals } = recorded();
    const hook = createAuthorizePublish(
      new PublishRateLimiter({ perSecond: 0.01, burst: 1 }),
      logger,
      refusals,
    );
    const publish = (topic: string) =>
      new Promise<Error | null | undefined>((resolve) =>
        hook(
          client("dev_a"),
          {
            cmd: "publish",
            topic,
            payload: Buffer.alloc(0),
            qos: 0,
            retain: false,
            dup: false,
          } as PublishPacket,
          (err) => resolve(err),
        ),
      );
    const longTopic = `pmdm/v1/d/dev_b/${"x".repeat(5000)}`;
    expect(await publish(longTopic)).toBeInstanceOf(Error);
    expect(await publish("pmdm/v1/d/dev_a/state")).toBeNull();
    expect(await publish("pmdm/v1/d/dev_a/state")).toBeInstanceOf(Error);
    expect(lines).toMatchObject([
      { refusal: "mqtt_publish", level: 30, clientId: "dev_a", sourceAddress: "192.0.2.7" },
      { refusal: "mqtt_publish_rate", level: 40, reason: expect.stringMatching(/exceeded its publish rate/) },
    ]);
    expect((lines[0]!.topic as string).length).toBeLessThan(250);
    expect(JSON.stringify(lines).length).toBeLessThan(2000);
  });
});
