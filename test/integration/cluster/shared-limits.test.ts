/**
 * Limits hold for the service, not per node: two nodes linked through a real Redis count an
 * address's sign-in failures and its enrollment requests together, so spreading attempts over
 * the nodes meets the same limits as sending them all to one.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAdmin } from "../../helpers/admins.js";
import { startTwoNodes, type TwoNodes } from "../../helpers/cluster.js";
import { uniqueSerial } from "../../helpers/devices.js";
import type { TestServer } from "../../helpers/test-server.js";

const ENROLL_PER_MINUTE = 4;

let nodes: TwoNodes;
let a: TestServer;
let b: TestServer;

beforeAll(async () => {
  nodes = await startTwoNodes("shared-limits", { enrollRatePerMinute: ENROLL_PER_MINUTE });
  ({ a, b } = nodes);
}, 60_000);

afterAll(() => nodes?.stop());

async function post(t: TestServer, path: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const answer = await fetch(`${t.server.httpUrl}/api/v1${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: answer.status, body: await answer.json() };
}

describe("limits shared by two nodes", () => {
  it("counts an address's failed sign-ins on both nodes together", async () => {
    const admin = await createAdmin(a, { rights: ["devices:read"] });
    // Five failures for one account from one address lock that pair (DEFAULT_LOGIN_LIMITS),
    // whichever nodes they went to.
    const failures: number[] = [];
    for (let i = 0; i < 5; i++) {
      const node = i % 2 === 0 ? a : b;
      failures.push(
        (await post(node, "/auth/login", { email: admin.email, password: "wrong guess" })).status,
      );
      // Each node hears of the other's failures within moments.
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(failures).toEqual([401, 401, 401, 401, 401]);
    for (const node of [a, b]) {
      const refused = await post(node, "/auth/login", { email: admin.email, password: "wrong guess" });
      expect(refused.status).toBe(429);
    }
  });

  it("counts an address's enrollment requests on both nodes together", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 2 * ENROLL_PER_MINUTE; i++) {
      const node = i % 2 === 0 ? a : b;
      const answer = await post(node, "/enrollment/enroll", {
        token: "pet_not-a-token",
        serial: uniqueSerial("LIMIT"),
        model: "Portal",
        agentVersion: "1.0.0",
      });
      statuses.push(answer.status);
    }
    expect(statuses.filter((s) => s === 429)).toHaveLength(ENROLL_PER_MINUTE);
  });
});
