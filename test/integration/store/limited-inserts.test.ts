/**
 * Tables with a limit on their number of rows (sites, dynamic groups, schedules): a unit that
 * counts them to add one takes turns with another doing the same (lockForInsert), so the second
 * counts the first's row and two at once cannot both pass the limit. On SQLite units run one at
 * a time anyway; on PostgreSQL the second's count would otherwise read before the first commits.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialectOf } from "../../../server/store/dialect.js";
import { DeviceGroupRepository } from "../../../server/store/repositories/device-group-repository.js";
import { ScheduleRepository } from "../../../server/store/repositories/schedule-repository.js";
import { SiteRepository } from "../../../server/store/repositories/site-repository.js";
import type { Queryable, StoreDialect } from "../../../server/store/store.js";
import { secondWaitsForFirst } from "../../helpers/concurrent-units.js";
import { openTestStore, STORE_BACKENDS, type TestStore } from "../../helpers/stores.js";

interface Limited {
  lockForInsert(q: Queryable): Promise<void>;
  count(q: Queryable): Promise<number>;
}

describe.each(STORE_BACKENDS)("limited inserts on %s", (dialect: StoreDialect) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await openTestStore(dialect);
  });
  afterAll(async () => {
    await t.cleanup();
  });

  const d = dialectOf(dialect);
  const sites = new SiteRepository(d);
  const groups = new DeviceGroupRepository(d);
  const schedules = new ScheduleRepository(d);
  const cases: [string, Limited, (q: Queryable, n: number) => Promise<void>][] = [
    [
      "sites",
      sites,
      (q, n) =>
        sites.insert(q, {
          id: `site_${n}`,
          name: `Site ${n}`,
          time: null,
          window: null,
          createdAtMs: n,
          updatedAtMs: n,
        }),
    ],
    [
      "dynamic groups",
      groups,
      (q, n) =>
        groups.insert(q, {
          id: `grp_${n}`,
          name: `Group ${n}`,
          filter: { online: true },
          createdAtMs: n,
          updatedAtMs: n,
        }),
    ],
    [
      "schedules",
      schedules,
      (q, n) =>
        schedules.insert(q, {
          id: `sch_${n}`,
          name: `Schedule ${n}`,
          command: { type: "reboot" },
          target: { all: true },
          cron: "0 3 * * 0",
          timezone: "UTC",
          startsAtMs: null,
          endsAtMs: null,
          missedRuns: "skip",
          state: "active",
          nextRunAtMs: n,
          lastRunAtMs: null,
          runs: 0,
          createdAtMs: n,
          updatedAtMs: n,
          createdBy: null,
        }),
    ],
  ];

  it.each(cases)("a second unit adding %s counts the first one's row", async (_what, repo, insert) => {
    const before = await repo.count(t.store.db);
    const [, countedBySecond] = await secondWaitsForFirst(
      t.store,
      async (tx) => {
        await repo.lockForInsert(tx);
        await repo.count(tx);
        await insert(tx, 1);
      },
      async (tx) => {
        await repo.lockForInsert(tx);
        return repo.count(tx);
      },
    );
    expect(countedBySecond).toBe(before + 1);
  });
});
