/**
 * A device played by the test over real MQTT, without the agent: it receives the commands the
 * server sends and answers only what the test tells it to, as a broken or hostile device would
 * (FAILED to a deactivation, silence, a signature refusal for a genuine command, ...).
 */
import type { MqttClient } from "mqtt";
import { decodeSignedCommand, encodeCommandResult, encodeDeviceState } from "../../proto/codec.js";
import { deviceTopic } from "../../proto/topics.js";
import type { CommandResult, DeviceCommand, DeviceState } from "../../proto/wire.js";
import { validState } from "../../simulator/fuzz/payload-fuzzer.js";
import type { DeviceCredentials } from "./devices.js";
import { connectMqtt } from "./mqtt-clients.js";

export class ScriptedDevice {
  readonly received: DeviceCommand[] = [];
  private readonly waiting: { match: (c: DeviceCommand) => boolean; resolve: (c: DeviceCommand) => void }[] =
    [];

  private constructor(
    readonly client: MqttClient,
    readonly credentials: DeviceCredentials,
  ) {
    client.on("message", (topic, payload) => {
      if (!topic.endsWith("/cmd")) return;
      const { command } = decodeSignedCommand(payload);
      this.received.push(command);
      for (const w of [...this.waiting]) {
        if (!w.match(command)) continue;
        this.waiting.splice(this.waiting.indexOf(w), 1);
        w.resolve(command);
      }
    });
  }

  /** Connects as the device and subscribes to its `cmd` and `cfg` topics (then the server sends). */
  static async connect(
    mqttUrl: string,
    credentials: DeviceCredentials,
    opened: MqttClient[],
  ): Promise<ScriptedDevice> {
    const client = await connectMqtt(
      mqttUrl,
      { clientId: credentials.deviceId, username: credentials.deviceId, password: credentials.secret },
      opened,
    );
    const device = new ScriptedDevice(client, credentials);
    await client.subscribeAsync(
      [deviceTopic(credentials.deviceId, "cmd"), deviceTopic(credentials.deviceId, "cfg")],
      { qos: 1 },
    );
    return device;
  }

  /** The first command received (so far or later) that matches. */
  nextCommand(match: (c: DeviceCommand) => boolean = () => true): Promise<DeviceCommand> {
    const seen = this.received.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiting.push({ match, resolve }));
  }

  async answer(
    commandId: string,
    status: CommandResult["status"],
    options: { errorCode?: string; message?: string; state?: DeviceState } = {},
  ): Promise<void> {
    const result: CommandResult = {
      commandId,
      status,
      errorCode: options.errorCode ?? "",
      message: options.message ?? "",
      atMs: Date.now(),
      state: options.state ?? null,
    };
    await this.client.publishAsync(
      deviceTopic(this.credentials.deviceId, "res"),
      Buffer.from(encodeCommandResult(result)),
      {
        qos: 1,
      },
    );
  }

  async reportState(state: DeviceState = validState(this.credentials.deviceId)): Promise<void> {
    await this.client.publishAsync(
      deviceTopic(this.credentials.deviceId, "state"),
      Buffer.from(encodeDeviceState(state)),
      {
        qos: 1,
      },
    );
  }
}
