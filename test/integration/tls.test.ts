/**
 * Transport security: the server with a certificate serves HTTPS (API, console, MQTT over
 * WebSocket) and MQTT over TLS on its own port, and hands out an mqtts:// URL. Agents that
 * trust the CA enroll and run commands over both transports; a client that trusts another CA,
 * or reaches a certificate made for another host name, is refused; plain MQTT and plain HTTP
 * get nothing from the TLS ports. The CA and certificates are made in the test with openssl.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { connect as connectTcp } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as connectTls } from "node:tls";
import mqtt from "mqtt";
import mqttPacket from "mqtt-packet";
import { Agent, fetch as undiciFetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EnrollmentClient, EnrollmentUnavailableError } from "../../agent/enrollment/enrollment-client.js";
import { leanTransport } from "../../agent/transport/lean-transport.js";
import { mqttJsTransport } from "../../agent/transport/mqtt-transport.js";
import { ConfigError, loadServerConfig } from "../../server/config.js";
import { startDevice, waitForCommand } from "../helpers/devices.js";
import { ApiClient, startTestServer, type TestServer } from "../helpers/test-server.js";
import { makeTestCertificates, type TestCertificates } from "../helpers/tls-certs.js";

let certDir = "";
let certs: TestCertificates;
let t: TestServer;
let trusting: Agent;

/** fetch that trusts the test CA (undici's fetch has the same shape as the global one). */
function fetchTrusting(dispatcher: Agent): typeof fetch {
  return ((url: string, init?: RequestInit) =>
    undiciFetch(url, { ...(init as object), dispatcher })) as unknown as typeof fetch;
}

beforeAll(async () => {
  certDir = await mkdtemp(join(tmpdir(), "pmdm-tls-"));
  certs = await makeTestCertificates(certDir);
  trusting = new Agent({ connect: { ca: certs.ca } });
  const started = await startTestServer({
    tlsCertFile: certs.certFile,
    tlsKeyFile: certs.keyFile,
    mqttTlsPort: 0,
  });
  t = { ...started, api: new ApiClient(started.server.httpUrl, started.api.token, fetchTrusting(trusting)) };
}, 60_000);

afterAll(async () => {
  await t?.cleanup();
  await trusting?.close();
  if (certDir) await rm(certDir, { recursive: true, force: true });
});

describe("a server with a certificate", () => {
  it("serves HTTPS, MQTT over TLS on its own port, no plain MQTT, and hands out mqtts://", async () => {
    expect(t.server.httpUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(t.server.mqttTlsPort).toBeGreaterThan(0);
    expect(t.server.mqttPort).toBe(0);
    expect(t.server.mqttUrl).toBe(`mqtts://127.0.0.1:${t.server.mqttTlsPort}`);
    const health = await t.api.request<{ status: string }>("GET", "/healthz");
    expect(health.body.status).toBe("ok");
  });

  it("enrolls an MQTT.js agent over HTTPS and runs its commands over MQTT over TLS", async () => {
    const device = await startDevice(t, {
      transport: mqttJsTransport({ ca: certs.ca }),
      enrollmentDispatcher: trusting,
    });
    try {
      expect(device.storage.identity()?.mqttUrl).toBe(t.server.mqttUrl);
      const lock = await t.api.post<{ id: string }>(`/devices/${device.deviceId}/commands`, { type: "lock" });
      expect((await waitForCommand(t, lock.body.id)).state).toBe("succeeded");
      expect(device.platform.locked).toBe(true);
      expect(device.executionCount(lock.body.id)).toBe(1);
    } finally {
      await device.stop({ abrupt: true });
    }
  });

  it("runs a lean-transport (simulator) agent over MQTT over TLS", async () => {
    const device = await startDevice(t, {
      transport: leanTransport({ ca: certs.ca }),
      enrollmentDispatcher: trusting,
    });
    try {
      const rename = await t.api.post<{ id: string }>(`/devices/${device.deviceId}/commands`, {
        type: "rename",
        name: "Over TLS",
      });
      expect((await waitForCommand(t, rename.body.id)).state).toBe("succeeded");
      expect(device.platform.name).toBe("Over TLS");
    } finally {
      await device.stop({ abrupt: true });
    }
  });

  it("serves MQTT over WebSocket on the HTTPS port (wss://)", async () => {
    const device = await startDevice(t, {
      transport: mqttJsTransport({ ca: certs.ca }),
      enrollmentDispatcher: trusting,
    });
    const identity = device.storage.identity()!;
    await device.stop({ abrupt: true });
    const client = mqtt.connect(`${t.server.httpUrl.replace("https", "wss")}/mqtt`, {
      protocolVersion: 4,
      clientId: identity.deviceId,
      username: identity.deviceId,
      password: identity.secret,
      ca: certs.ca,
      reconnectPeriod: 0,
    });
    try {
      await new Promise<void>((resolve, reject) => {
        client.once("connect", () => resolve());
        client.once("error", reject);
      });
      expect(client.connected).toBe(true);
    } finally {
      client.end(true);
    }
  });

  it("refuses a client that trusts another CA, over HTTPS and MQTT over TLS", async () => {
    const other = new Agent({ connect: { ca: certs.otherCa } });
    try {
      const enrollment = new EnrollmentClient(t.server.httpUrl, { dispatcher: other });
      const attempt = enrollment.enrollWithToken("pet_whatever", {
        serial: "TLS-UNTRUSTED",
        model: "Portal",
        agentVersion: "test",
      });
      await expect(attempt).rejects.toBeInstanceOf(EnrollmentUnavailableError);
      await expect(attempt).rejects.toThrow(/issuer certificate|self.signed|certificate/i);
    } finally {
      await other.close();
    }
    const handshake = await tlsHandshake(t.server.mqttTlsPort!, certs.otherCa);
    // The server sends only its own certificate, which no trusted CA signed.
    expect(handshake).toBe("UNABLE_TO_VERIFY_LEAF_SIGNATURE");
  });

  it("gives a plain MQTT client on the TLS port no CONNACK, and plain HTTP no answer", async () => {
    const socket = connectTcp(t.server.mqttTlsPort!, "127.0.0.1");
    const received: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => received.push(chunk));
    socket.on("error", () => {});
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    socket.write(
      mqttPacket.generate({
        cmd: "connect",
        protocolId: "MQTT",
        protocolVersion: 4,
        clean: true,
        clientId: "plain",
        keepalive: 30,
      }),
    );
    await new Promise<void>((resolve) => socket.once("close", () => resolve()));
    // Whatever came back (a TLS alert at most), it is not an MQTT CONNACK (0x20 0x02 ...).
    const bytes = Buffer.concat(received);
    expect(bytes.length === 0 || bytes[0] !== 0x20).toBe(true);

    await expect(fetch(`${t.server.httpUrl.replace("https:", "http:")}/healthz`)).rejects.toThrow();
  });
});

describe("host name verification", () => {
  let wrongHost: TestServer | undefined;
  afterAll(async () => wrongHost?.cleanup());

  it("refuses a certificate from the trusted CA that names another host", async () => {
    wrongHost = await startTestServer({
      tlsCertFile: certs.otherHostCertFile,
      tlsKeyFile: certs.otherHostKeyFile,
      mqttTlsPort: 0,
    });
    const enrollment = new EnrollmentClient(wrongHost.server.httpUrl, { dispatcher: trusting });
    await expect(
      enrollment.enrollWithToken("pet_whatever", {
        serial: "TLS-HOST",
        model: "Portal",
        agentVersion: "test",
      }),
    ).rejects.toThrow(/altnames|does not match|hostname/i);
    expect(await tlsHandshake(wrongHost.server.mqttTlsPort!, certs.ca)).toBe("ERR_TLS_CERT_ALTNAME_INVALID");
  });
});

describe("TLS configuration", () => {
  it("wants the certificate and the key together, and reads plain MQTT on/off", () => {
    expect(() => loadServerConfig({ tlsCertFile: "/x/cert.pem" }, {})).toThrow(ConfigError);
    expect(() => loadServerConfig({}, { PMDM_TLS_KEY_FILE: "/x/key.pem" })).toThrow(/go together/);
    expect(loadServerConfig({}, { PMDM_PLAIN_MQTT: "off" }).plainMqtt).toBe(false);
    expect(loadServerConfig({ plainMqtt: "on" }, {}).plainMqtt).toBe(true);
    expect(() => loadServerConfig({ plainMqtt: "maybe" }, {})).toThrow(/plainMqtt/);
  });

  it("stops the start with the option's name when a certificate file cannot be read", async () => {
    await expect(
      startTestServer(
        { tlsCertFile: join(certDir, "missing.pem"), tlsKeyFile: certs.keyFile },
        join(certDir, "data-of-a-failed-start"),
      ),
    ).rejects.toThrow(/tlsCertFile \(PMDM_TLS_CERT_FILE\): cannot read/);
  });

  it("keeps plain MQTT alongside TLS when asked", async () => {
    const both = await startTestServer({
      tlsCertFile: certs.certFile,
      tlsKeyFile: certs.keyFile,
      mqttTlsPort: 0,
      plainMqtt: true,
    });
    try {
      expect(both.server.mqttPort).toBeGreaterThan(0);
      expect(both.server.mqttTlsPort).toBeGreaterThan(0);
      expect(both.server.mqttUrl).toMatch(/^mqtts:/);
    } finally {
      await both.cleanup();
    }
  });
});

/** Completes a TLS handshake trusting `ca`: "ok", or the error code that ended it. */
function tlsHandshake(port: number, ca: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const socket = connectTls({ host: "127.0.0.1", port, ca });
    socket.once("secureConnect", () => {
      socket.destroy();
      resolve("ok");
    });
    socket.once("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}
