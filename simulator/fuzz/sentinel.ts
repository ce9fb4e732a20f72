/**
 * An enrolled device that only listens: subscribed to its own `cmd` and `cfg`, it expects its
 * desired config once and nothing else, ever. The fuzzer aims at its topics and client id, so
 * any message beyond that config is a leak, and any disconnect is someone taking its place.
 */
import mqtt, { type MqttClient } from "mqtt";
import { deviceTopic } from "../../proto/topics.js";
import type { FuzzIdentity } from "./mqtt-cases.js";

export class Sentinel {
  /** Topics of everything received, in order. */
  readonly received: string[] = [];
  disconnects = 0;

  private constructor(
    readonly deviceId: string,
    private readonly client: MqttClient,
  ) {}

  static async connect(mqttUrl: string, device: FuzzIdentity): Promise<Sentinel> {
    const client = mqtt.connect(mqttUrl, {
      clientId: device.deviceId,
      username: device.deviceId,
      password: device.secret,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    await new Promise<void>((resolve, reject) => {
      client.once("connect", () => resolve());
      client.once("error", reject);
    });
    const sentinel = new Sentinel(device.deviceId, client);
    client.on("message", (topic) => sentinel.received.push(topic));
    client.on("close", () => sentinel.disconnects++);
    await client.subscribeAsync([deviceTopic(device.deviceId, "cmd"), deviceTopic(device.deviceId, "cfg")], {
      qos: 1,
    });
    return sentinel;
  }

  /** Messages that are not the one desired config the server sends on subscribe. */
  leaked(): string[] {
    const cfg = deviceTopic(this.deviceId, "cfg");
    const firstConfig = this.received.indexOf(cfg);
    return this.received.filter((_topic, i) => i !== firstConfig);
  }

  async close(): Promise<void> {
    this.client.removeAllListeners("close");
    await this.client.endAsync(true);
  }
}
