/**
 * The HTTP API's limits: request bodies over 1 MiB are refused with 413 before they are read,
 * bodies that are not JSON with 415, both in the error catalogue's shape and without a trace
 * in the store. Each request the fuzz run (http-fuzz.test.ts) once answered with a 500 is
 * kept here as a regression test.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_BODY_BYTES } from "../../server/api/http-app.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => t.cleanup());

async function raw(
  method: string,
  path: string,
  body: string | Uint8Array | undefined,
  contentType?: string,
) {
  const headers: Record<string, string> = { authorization: `Bearer ${t.api.token}` };
  if (contentType) headers["content-type"] = contentType;
  const response = await fetch(`${t.server.httpUrl}/api/v1${path}`, { method, headers, body });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as { error?: { code: string; message: string } } };
}

const roleCount = async () =>
  (
    await t.server.store.db
      .selectFrom("roles")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirst()
  )?.n;

describe("request bodies", () => {
  it("over the limit: 413 payload_too_large, nothing written", async () => {
    const before = await roleCount();
    const name = "x".repeat(MAX_BODY_BYTES);
    const res = await raw("POST", "/roles", JSON.stringify({ name, rights: [] }), "application/json");
    expect(res.status).toBe(413);
    expect(res.body.error?.code).toBe("payload_too_large");
    expect(typeof res.body.error?.message).toBe("string");
    expect(await roleCount()).toBe(before);
  });

  it("just under the limit: read, then judged on its content", async () => {
    const name = "x".repeat(MAX_BODY_BYTES - 100);
    const res = await raw("POST", "/roles", JSON.stringify({ name, rights: [] }), "application/json");
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe("validation_failed");
  });

  it("not JSON: 415 unsupported_media_type, nothing written", async () => {
    const before = await roleCount();
    for (const contentType of ["text/plain", "application/x-www-form-urlencoded", "application/xml"]) {
      const res = await raw("POST", "/roles", '{"name":"plain","rights":[]}', contentType);
      expect(res.status, contentType).toBe(415);
      expect(res.body.error?.code, contentType).toBe("unsupported_media_type");
    }
    expect(await roleCount()).toBe(before);
  });

  it("malformed JSON or a __proto__ key: 400 in the catalogue's shape", async () => {
    for (const body of ["{", '{"__proto__":{"x":1},"name":"p","rights":[]}', ""]) {
      const res = await raw("POST", "/roles", body, "application/json");
      expect(res.status, body).toBe(400);
      expect(typeof res.body.error?.code, body).toBe("string");
    }
  });
});

describe("answers once outside the catalogue or a 500 (found by the fuzz run)", () => {
  it("a numeric query parameter that reads as infinity: 400 validation_failed, not a 500", async () => {
    const token = await t.api.post<{ token: string }>("/enrollment-tokens", {
      maxUses: 1,
      expiresInSeconds: 600,
    });
    const device = await t.api.post<{ deviceId: string }>("/enrollment/enroll", {
      token: token.body.token,
      serial: "HARDEN-1",
      model: "Portal",
      agentVersion: "1.0.0",
    });
    for (const path of [
      `/devices/${device.body.deviceId}/commands?limit=1e400`,
      "/devices?limit=-1e400",
      "/audit?limit=Infinity",
    ]) {
      const res = await raw("GET", path, undefined);
      expect(res.status, path).toBe(400);
      expect(res.body.error, path).toMatchObject({ code: "validation_failed" });
    }
    // Free text that happens to read as a number is still free text.
    expect((await raw("GET", "/devices?q=Infinity", undefined)).status).toBe(200);
  });

  it("a path parameter over the router's 100 characters: 400 bad_request in the catalogue's shape", async () => {
    const res = await raw(
      "POST",
      `/devices/${"x".repeat(101)}/commands`,
      '{"type":"lock"}',
      "application/json",
    );
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe("bad_request");
  });

  it("a text/plain body: 415, where it used to be parsed as a string and refused with a 400", async () => {
    const res = await raw("PUT", "/settings/clock-drift", '{"thresholdMs":1500}', "text/plain");
    expect(res.status).toBe(415);
    expect(res.body.error?.code).toBe("unsupported_media_type");
  });
});
