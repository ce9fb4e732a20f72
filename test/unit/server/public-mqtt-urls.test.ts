/**
 * The broker URLs the server hands devices: `PMDM_PUBLIC_MQTT_URLS` (comma-separated, preferred
 * first), else `PMDM_PUBLIC_MQTT_URL`, checked at start by the rule the agents apply.
 */
import { describe, expect, it } from "vitest";
import { ConfigError, loadServerConfig, publicMqttUrlList } from "../../../server/config.js";

const load = (env: Record<string, string>) => loadServerConfig({}, env);

describe("the public MQTT URLs", () => {
  it("come from PMDM_PUBLIC_MQTT_URLS in their order, spaces and empty entries dropped", () => {
    const config = load({
      PMDM_PUBLIC_MQTT_URLS:
        " mqtts://node-b.example:8883, mqtts://node-a.example:8883 ,wss://lb.example/mqtt,",
    });
    expect(publicMqttUrlList(config)).toEqual([
      "mqtts://node-b.example:8883",
      "mqtts://node-a.example:8883",
      "wss://lb.example/mqtt",
    ]);
  });

  it("are the one PMDM_PUBLIC_MQTT_URL without a list, and none (the server's own listener) without either", () => {
    expect(publicMqttUrlList(load({ PMDM_PUBLIC_MQTT_URL: "mqtt://mdm.example:1883" }))).toEqual([
      "mqtt://mdm.example:1883",
    ]);
    expect(publicMqttUrlList(load({}))).toEqual([]);
    // The list wins over the single URL.
    const both = load({ PMDM_PUBLIC_MQTT_URL: "mqtt://old:1883", PMDM_PUBLIC_MQTT_URLS: "mqtt://new:1883" });
    expect(publicMqttUrlList(both)).toEqual(["mqtt://new:1883"]);
  });

  it.each([
    [
      { PMDM_PUBLIC_MQTT_URLS: "mqtt://a:1883,http://b:8080" },
      /publicMqttUrls \(PMDM_PUBLIC_MQTT_URLS\): broker URL 2 "http:\/\/b:8080" is not an mqtt/,
    ],
    [{ PMDM_PUBLIC_MQTT_URLS: "mqtt://a:1883,mqtt://a:1883" }, /is listed twice/],
    [{ PMDM_PUBLIC_MQTT_URLS: " , " }, /the list of broker URLs is empty/],
    [
      { PMDM_PUBLIC_MQTT_URLS: Array.from({ length: 17 }, (_, i) => `mqtt://n${i}:1883`).join(",") },
      /17 broker URLs, more than 16/,
    ],
    [
      { PMDM_PUBLIC_MQTT_URL: "tcp://mdm.example:1883" },
      /publicMqttUrl \(PMDM_PUBLIC_MQTT_URL\): the URL "tcp:/,
    ],
    [{ PMDM_PUBLIC_MQTT_URL: "mqtt://u:p@mdm.example:1883" }, /carries credentials/],
  ])("refuse to start with %j", (env, message) => {
    expect(() => load(env)).toThrow(ConfigError);
    expect(() => load(env)).toThrow(message);
  });
});
