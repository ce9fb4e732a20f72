/**
 * Enrollment tokens can be listed (never with their secret), show their uses left, and can be
 * revoked at once; every change is in the audit log.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EnrollmentTokenView } from "../../server/enrollment/enrollment-service.js";
import { uniqueSerial } from "../helpers/devices.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.cleanup();
});

function enroll(token: string) {
  return t.api.post<{ deviceId: string }>("/enrollment/enroll", {
    token,
    serial: uniqueSerial("TOK"),
    model: "Portal",
    agentVersion: "1.0.0",
  });
}

describe("enrollment tokens", () => {
  it("are listed without their secret, with uses left, and revoked at once", async () => {
    const created = await t.api.post<EnrollmentTokenView & { token: string }>("/enrollment-tokens", {
      maxUses: 3,
      expiresInSeconds: 3600,
      name: "Berlin office",
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: "Berlin office", usesLeft: 3, state: "usable" });
    expect((await enroll(created.body.token)).status).toBe(201);

    const list = await t.api.get<{ items: (EnrollmentTokenView & { token?: string })[] }>(
      "/enrollment-tokens",
    );
    const listed = list.body.items.find((i) => i.id === created.body.id)!;
    expect(listed).toMatchObject({ name: "Berlin office", uses: 1, usesLeft: 2, state: "usable" });
    expect(listed.lastUsedAt).not.toBeNull();
    expect(listed.createdBy).toBe("admin@localhost");
    expect(JSON.stringify(list.body)).not.toContain(created.body.token);

    const revoked = await t.api.post<EnrollmentTokenView>(`/enrollment-tokens/${created.body.id}/revoke`);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ state: "revoked", usesLeft: 0 });
    const refused = await enroll(created.body.token);
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ error: { code: "invalid_enrollment_token" } });
    expect((refused.body as unknown as { error: { message: string } }).error.message).toMatch(/revoked/);

    const byState = await t.api.get<{ items: EnrollmentTokenView[] }>("/enrollment-tokens?state=revoked");
    expect(byState.body.items.map((i) => i.id)).toContain(created.body.id);
    const usable = await t.api.get<{ items: EnrollmentTokenView[] }>("/enrollment-tokens?state=usable");
    expect(usable.body.items.map((i) => i.id)).not.toContain(created.body.id);

    const audit = await t.api.get<{ items: { action: string; target: string }[] }>(
      `/audit?target=${created.body.id}`,
    );
    expect(audit.body.items.map((i) => i.action)).toEqual([
      "enrollment_token.revoke",
      "enrollment_token.create",
    ]);
  });

  it("say when they are used up, and page newest first", async () => {
    const one = await t.api.post<EnrollmentTokenView & { token: string }>("/enrollment-tokens", {
      maxUses: 1,
      expiresInSeconds: 3600,
    });
    await enroll(one.body.token);
    const second = await t.api.post<EnrollmentTokenView>("/enrollment-tokens", {
      maxUses: 1,
      expiresInSeconds: 3600,
    });
    const page = await t.api.get<{ items: EnrollmentTokenView[]; nextCursor: string | null }>(
      "/enrollment-tokens?limit=1",
    );
    expect(page.body.items[0]!.id).toBe(second.body.id);
    const next = await t.api.get<{ items: EnrollmentTokenView[] }>(
      `/enrollment-tokens?limit=1&cursor=${page.body.nextCursor}`,
    );
    expect(next.body.items[0]).toMatchObject({ id: one.body.id, state: "used_up", usesLeft: 0 });
  });

  it("answers 404 for revoking one that does not exist", async () => {
    const res = await t.api.post("/enrollment-tokens/tok_nope/revoke");
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ error: { code: "enrollment_token_not_found" } });
  });
});
