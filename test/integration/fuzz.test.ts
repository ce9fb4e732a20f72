/**
 * The small version of `npm run fuzz`: a few thousand hostile MQTT packets and a few hundred
 * fuzzed payloads against the real server process, seeded so a failure replays
 * (PMDM_FUZZ_SEED=<seed> npx vitest run test/integration/fuzz.test.ts).
 */
import { describe, expect, it } from "vitest";
import { runFuzzCampaign } from "../../simulator/fuzz/campaign.js";

const SEED = Number(process.env.PMDM_FUZZ_SEED ?? 20_261_123);
const PACKETS = 5000;
const PAYLOADS = 600;

describe("fuzzing", () => {
  it("leaves the server up, its stored state exact and a healthy device working", async () => {
    const report = await runFuzzCampaign({
      seed: SEED,
      packets: PACKETS,
      payloads: PAYLOADS,
      seconds: 90,
      concurrency: 8,
      fuzzDevices: 3,
      payloadDevices: 4,
    });
    const replay = `seed ${SEED} (replay: PMDM_FUZZ_SEED=${SEED})`;
    expect(report.failures, replay).toEqual([]);
    expect(report.mqtt.packetsSent, replay).toBeGreaterThanOrEqual(PACKETS);
    expect(report.payload.payloadsSent, replay).toBe(PAYLOADS);
    // The generator reached every class of hostile packet it is meant to produce.
    expect(Object.keys(report.mqtt.packetsByKind), replay).toEqual(
      expect.arrayContaining([
        "connect",
        "announced-256mb",
        "remaining-length-5-bytes",
        "wrong-remaining-length",
        "invalid-utf8-publish",
        "qos3-publish",
        "wildcard-publish",
        "second-connect",
        "bad-ack",
        "random-bytes",
        "mutated",
      ]),
    );
    expect(report.mqtt.webSocketSessions, replay).toBeGreaterThan(0);
    expect(report.mqtt.connacksAccepted, replay).toBeGreaterThan(0);
    expect(report.mqtt.connacksRefused, replay).toBeGreaterThan(0);
  }, 180_000);
});
