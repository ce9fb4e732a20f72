/**
 * Raw MQTT.js clients for tests that play a device (or an attacker) by hand, without the agent.
 */
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";

/**
 * Connects with MQTT 3.1.1 and no reconnects; resolves with the client, or rejects with the
 * CONNACK refusal. The client is added to `opened`, for the test to end them all.
 */
export function connectMqtt(url: string, options: IClientOptions, opened: MqttClient[]): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, { protocolVersion: 4, reconnectPeriod: 0, ...options });
    opened.push(client);
    client.once("connect", () => resolve(client));
    client.once("error", (err) => {
      client.end(true);
      reject(err);
    });
  });
}

/** The QoS the broker granted, or 128 when it refused (MQTT.js reports that as an error). */
export function subscribeGranted(client: MqttClient, topic: string): Promise<number> {
  return new Promise((resolve, reject) =>
    client.subscribe(topic, { qos: 1 }, (err, granted) => {
      if (err && "packet" in err) return resolve(128);
      if (err) return reject(err);
      resolve(granted?.[0]?.qos ?? -1);
    }),
  );
}

/** Resolves once the client's connection is closed (at once when it already is). */
export function closed(client: MqttClient): Promise<void> {
  return new Promise((resolve) => {
    if (client.disconnected || !client.connected) return resolve();
    client.once("close", () => resolve());
  });
}
