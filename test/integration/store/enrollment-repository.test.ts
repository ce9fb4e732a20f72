/** The enrollment repository, the same on every store backend (see test/helpers/stores.ts). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialectOf } from "../../../server/store/dialect.js";
import { EnrollmentRepository } from "../../../server/store/repositories/enrollment-repository.js";
import { isUniqueViolation } from "../../../server/store/unique-violation.js";
import { openTestStore, STORE_BACKENDS, type TestStore } from "../../helpers/stores.js";

describe.each(STORE_BACKENDS)("enrollment repository on %s", (dialect) => {
  let t: TestStore;
  let repo: EnrollmentRepository;
  beforeAll(async () => {
    t = await openTestStore(dialect);
    repo = new EnrollmentRepository(dialectOf(dialect));
  });
  afterAll(async () => {
    await t.cleanup();
  });

  const token = (id: string, maxUses: number, expiresAtMs = 10_000) =>
    repo.insertToken(t.store.db, {
      id,
      tokenHash: `hash-${id}`,
      name: `name ${id}`,
      maxUses,
      expiresAtMs,
      createdAtMs: 1,
      createdBy: "ana@example.com",
      labels: ["lobby", "Floor 2"],
      siteId: null,
    });

  it("gives each use of a token to exactly one of many enrollments at once", async () => {
    await token("tok_race", 5);
    const taken = await Promise.all(
      Array.from({ length: 20 }, () => t.store.unit((tx) => repo.takeTokenUse(tx, "tok_race", 100))),
    );
    expect(taken.filter(Boolean)).toHaveLength(5);
    expect(await repo.tokenById(t.store.db, "tok_race")).toMatchObject({
      uses: 5,
      lastUsedAtMs: 100,
      labels: ["lobby", "Floor 2"],
    });
  });

  it("lists tokens newest first by state, and keeps the first revocation time", async () => {
    await token("tok_a1", 2);
    await token("tok_a2", 1, 50);
    await token("tok_a3", 1);
    await repo.takeTokenUse(t.store.db, "tok_a3", 10);
    await repo.revokeToken(t.store.db, "tok_a1", 20);
    await repo.revokeToken(t.store.db, "tok_a1", 30);
    const ids = async (state?: "usable" | "used_up" | "expired" | "revoked") =>
      (await repo.listTokens(t.store.db, { state, nowMs: 60, limit: 10, cursor: "tok_a9" })).map((r) => r.id);
    expect(await ids()).toEqual(["tok_a3", "tok_a2", "tok_a1"]);
    expect(await ids("revoked")).toEqual(["tok_a1"]);
    expect(await ids("expired")).toEqual(["tok_a2"]);
    expect(await ids("used_up")).toEqual(["tok_a3"]);
    expect((await repo.tokenById(t.store.db, "tok_a1"))?.revokedAtMs).toBe(20);
    expect(await repo.takeTokenUse(t.store.db, "tok_a1", 25)).toBe(false);
  });

  it("refuses a taken user code as a unique violation, and claims and consumes a code once", async () => {
    const code = (hash: string) => ({
      deviceCodeHash: hash,
      userCode: "BCDF-GHJK",
      serial: "S1",
      model: "Portal",
      agentVersion: "1.0.0",
      createdAtMs: 1,
      expiresAtMs: 1000,
    });
    // The claimed device must exist (a foreign key).
    for (const id of ["dev_1", "dev_2"]) {
      await t.store.db
        .insertInto("devices")
        .values({
          id,
          serial: `serial-${id}`,
          model: "Portal",
          name: id,
          status: "active",
          enrolled_at: 1,
          created_at: 1,
          desired_name: id,
          desired_timezone: "auto",
          desired_ntp_server: null,
        })
        .execute();
    }
    await repo.insertCode(t.store.db, code("h1"));
    const duplicate = await repo.insertCode(t.store.db, code("h2")).catch((err: unknown) => err);
    expect(isUniqueViolation(duplicate)).toBe(true);
    expect(await repo.markClaimed(t.store.db, "BCDF-GHJK", "dev_1", 5)).toBe(true);
    expect(await repo.markClaimed(t.store.db, "BCDF-GHJK", "dev_2", 6)).toBe(false);
    expect(await repo.markConsumed(t.store.db, "h1", 7)).toBe(true);
    expect(await repo.markConsumed(t.store.db, "h1", 8)).toBe(false);
    expect(await repo.codeByHash(t.store.db, "h1")).toMatchObject({
      claimedDeviceId: "dev_1",
      consumedAtMs: 7,
    });
    await repo.deleteExpiredCodes(t.store.db, 1000);
    expect(await repo.codeByUserCode(t.store.db, "BCDF-GHJK")).toBeNull();
  });
});
