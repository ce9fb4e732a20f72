/**
 * The broker URL rule that the server's configuration and the agent share: which URLs and lists
 * a device may be given, and why the others are refused.
 */
import { describe, expect, it } from "vitest";
import {
  brokerUrlProblem,
  checkBrokerUrls,
  MAX_BROKER_URL_LENGTH,
  MAX_BROKER_URLS,
} from "../../proto/broker-urls.js";

describe("a broker URL", () => {
  it.each([
    "mqtt://mdm.example.com:1883",
    "mqtt://mdm.example.com",
    "mqtts://10.0.0.5:8883/",
    "mqtt://[::1]:1883",
    "ws://127.0.0.1:8080/mqtt",
    "wss://mdm.example.com/mqtt",
  ])("%s is one", (url) => {
    expect(brokerUrlProblem(url)).toBeNull();
  });

  it.each([
    ["http://mdm.example.com:8080", /is not an mqtt:\/\/, mqtts:\/\/, ws:\/\/, wss:\/\/ URL/],
    ["tcp://mdm.example.com:1883", /is not an mqtt/],
    ["MQTT://mdm.example.com:1883", /is not an mqtt/],
    ["mqtt:mdm.example.com:1883", /is not an mqtt/],
    ["file:///etc/passwd", /is not an mqtt/],
    ["mqtt://user:pw@mdm.example.com:1883", /carries credentials/],
    ["mqtt://mdm.example.com:1883?clientId=other", /query or a fragment/],
    ["ws://mdm.example.com/mqtt#x", /query or a fragment/],
    ["mqtt://mdm.example.com:1883/path", /has a path/],
    ["mqtt://mdm.example.com:0", /port 0/],
    ["mqtt://mdm.example.com:70000", /is not a URL/],
    ["mqtt://ex%61mple.com:1883", /no valid host/],
    ["mqtt:///nohost", /no valid host/],
    ["mqtt://mdm example.com", /spaces or characters outside printable ASCII/],
    ["mqtt://mdm.exämple.com", /spaces or characters outside printable ASCII/],
    ["", /is empty/],
    [`mqtt://${"a".repeat(MAX_BROKER_URL_LENGTH)}.com`, /longer than 512 characters/],
  ])("%s is not one", (url, problem) => {
    expect(brokerUrlProblem(url)).toMatch(problem);
  });

  it("is a string", () => {
    expect(brokerUrlProblem(1883)).toBe("is not a string");
  });
});

describe("a list of broker URLs", () => {
  it("holds 1 to 16 broker URLs, none twice, in the order given", () => {
    const urls = ["mqtt://b:1883", "mqtt://a:1883", "wss://c/mqtt"];
    expect(checkBrokerUrls(urls)).toEqual({ ok: true, urls });
    const most = Array.from({ length: MAX_BROKER_URLS }, (_, i) => `mqtt://node-${i}:1883`);
    expect(checkBrokerUrls(most).ok).toBe(true);
  });

  it("is refused whole for one bad entry, with the entry's place and why", () => {
    expect(checkBrokerUrls(["mqtt://a:1883", "http://b"])).toEqual({
      ok: false,
      reason: expect.stringMatching(/^broker URL 2 "http:\/\/b" is not an mqtt/),
    });
    expect(checkBrokerUrls([])).toEqual({ ok: false, reason: "the list of broker URLs is empty" });
    expect(checkBrokerUrls("mqtt://a:1883")).toEqual({ ok: false, reason: "the broker URLs are not a list" });
    expect(checkBrokerUrls(["mqtt://a:1883", "mqtt://a:1883"])).toEqual({
      ok: false,
      reason: 'broker URL "mqtt://a:1883" is listed twice',
    });
    const tooMany = Array.from({ length: MAX_BROKER_URLS + 1 }, (_, i) => `mqtt://node-${i}:1883`);
    expect(checkBrokerUrls(tooMany)).toEqual({ ok: false, reason: "17 broker URLs, more than 16" });
  });
});
