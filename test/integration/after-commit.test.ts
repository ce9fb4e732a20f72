/**
 * What is stored stays answered as stored: when reading the store again after a commit fails
 * (a pool that timed out a moment later, a database restarting), the request still answers with
 * what it did. Otherwise a device whose enrollment had committed would be told to try again,
 * and its retry refused, its serial now belonging to a managed device.
 *
 * The failure is made by having the device service's row read fail once, the way the store
 * answers when its pool waits too long for a connection.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEnrollmentToken, uniqueSerial } from "./../helpers/devices.js";
import { startTestServer, type TestServer } from "./../helpers/test-server.js";

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.cleanup());

/** The next read of a device's row after a commit fails as an unreachable store does. */
function failNextRowRead(): void {
  const devices = t.server.services.devices;
  const getRow = devices.getRow.bind(devices);
  devices.getRow = async () => {
    devices.getRow = getRow;
    throw new Error("timeout exceeded when trying to connect");
  };
}

describe("a failed read after a commit", () => {
  it("still answers a token enrollment with its credential, and its credential is valid", async () => {
    const serial = uniqueSerial("AFTER");
    const token = await createEnrollmentToken(t);
    failNextRowRead();
    const enrolled = await t.api.post<{ deviceId: string; secret: string }>("/enrollment/enroll", {
      token,
      serial,
      model: "Portal",
      agentVersion: "1.0.0",
    });
    expect(enrolled.status).toBe(201);
    expect(enrolled.body.secret).toMatch(/.+/);
    const stored = await t.api.get<{ serial: string; status: string }>(`/devices/${enrolled.body.deviceId}`);
    expect(stored.body).toMatchObject({ serial, status: "active" });
    expect(
      await t.server.services.devices.verifyCredential(enrolled.body.deviceId, enrolled.body.secret),
    ).toBe(true);
  });
});
