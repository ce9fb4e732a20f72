/**
 * Scheduled commands in the web console end to end, in Debian's Chromium, with real simulated
 * displays and a server clock the test moves: a recurring schedule for a label created in the
 * console (a bad cron expression refused beside its field first), listed with its next run and
 * state, paused and resumed, its run shown with the fleet action it started once its time has
 * come, edited (cron, zone and end, the next run following), and deleted. Real server, real agents over MQTT.
 */
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { nextOccurrence } from "../../server/schedules/recurrence.js";
import type { ScheduleRunView, ScheduleView } from "../../server/schedules/schedule-service.js";
import { accessibilityViolations, type TestBrowser } from "../helpers/browser.js";
import { useConsoleFixture } from "../helpers/console-fixture.js";
import { type EnrolledDevice, startDevices, uniqueSerial, waitForBatch } from "../helpers/devices.js";
import type { TestServer } from "../helpers/test-server.js";

const ADMIN = { email: "sky@example.com", name: "Sky Schedules", password: "amber-Harbor-window-4" };
const NAME = "Lock the lobby on Sundays";
const CRON = "0 3 * * 0";
const ZONE = "Europe/Berlin";
const LABEL = "lobby";

/** The server's clock: real time moved by `offset`. */
let offset = 0;
const clock = () => Date.now() + offset;
const setClock = (atMs: number) => {
  offset = atMs - Date.now();
};

let t: TestServer;
let browser: TestBrowser;
let page: Page;
const devices: EnrolledDevice[] = [];
const serials: string[] = [];
/** The schedule's first run: the next Sunday 03:00 in Berlin. */
let firstRun = 0;

const url = (path: string) => `${t.server.httpUrl}${path}`;
const scheduleRow = (name: string) =>
  page
    .getByRole("table", { name: "Schedules" })
    .getByRole("row")
    .filter({ has: page.getByRole("link", { name, exact: true }) });
const listed = async () => (await t.api.get<{ items: ScheduleView[] }>("/schedules")).body.items;
/** A time as the console writes it, formatted in the browser. */
const shown = (iso: string) =>
  page.evaluate(
    (at) => new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "medium" }).format(new Date(at)),
    iso,
  );

const fixture = useConsoleFixture("schedules");

beforeAll(async () => {
  ({ server: t, browser, page } = await fixture.open({ clock, admin: ADMIN, devices }));
  devices.push(...(await startDevices(t, 2, (i) => uniqueSerial(`SCHED${i}`))));
  serials.push(...devices.map((d) => d.serial));
  const labeled = await t.api.post("/devices/labels", {
    target: { deviceIds: devices.map((d) => d.deviceId) },
    add: [LABEL],
  });
  expect(labeled.status).toBe(200);

  // Ten minutes before the first run: nothing is due until the test moves the clock on.
  firstRun = nextOccurrence(CRON, ZONE, Date.now())!;
  setClock(firstRun - 10 * 60_000);
  await fixture.signIn();
}, 120_000);

describe("scheduled commands in the console", () => {
  it("creates a recurring schedule for a label, after a bad cron expression is refused", async () => {
    await page.getByRole("navigation").getByRole("link", { name: "Schedules", exact: true }).click();
    await page.getByRole("heading", { name: "Schedules", level: 1 }).waitFor();
    await page.getByText("No schedules yet").waitFor();
    await page.getByRole("button", { name: "New schedule" }).click();
    const dialog = page.getByRole("dialog", { name: "New schedule" });
    await dialog.getByLabel("Schedule name").fill(NAME);
    await dialog.getByLabel("Command", { exact: true }).selectOption("lock");
    await dialog.getByLabel("A label").check();
    await dialog.getByLabel("Label", { exact: true }).selectOption(LABEL);
    await dialog.getByLabel("Recurring").check();
    // The API's default for a recurring schedule is shown.
    await dialog.getByText("Default for a recurring schedule: skip it and wait for the next run.").waitFor();
    await expect.poll(() => dialog.getByLabel("A missed run").inputValue()).toBe("skip");
    await dialog.getByLabel("Cron expression").fill("0 3 * * * *");
    await dialog.getByLabel("Time zone", { exact: true }).selectOption(ZONE);
    await dialog.getByRole("button", { name: "Create schedule" }).click();
    // The refusal is shown beside the field it is about.
    await dialog.getByRole("alert").filter({ hasText: "is not a cron expression of 5 fields" }).waitFor();
    await expect.poll(() => dialog.getByLabel("Cron expression").getAttribute("aria-invalid")).toBe("true");

    await dialog.getByLabel("Cron expression").fill(CRON);
    expect(await accessibilityViolations(page)).toEqual([]);
    await browser.screenshot("schedules-01-new");
    await dialog.getByRole("button", { name: "Create schedule" }).click();
    await page.getByText(`Schedule ${NAME} created`).waitFor();
    await dialog.waitFor({ state: "detached" });

    const [schedule] = await listed();
    expect(schedule).toMatchObject({
      name: NAME,
      command: { type: "lock" },
      target: { filter: { label: LABEL } },
      kind: "cron",
      cron: CRON,
      timezone: ZONE,
      missedRuns: "skip",
      state: "active",
      nextRunAt: new Date(firstRun).toISOString(),
    });
  });

  it("lists it with its target, timing, next run and state", async () => {
    const row = scheduleRow(NAME);
    await row.getByRole("cell", { name: "Lock screen", exact: true }).waitFor();
    await row.getByRole("cell", { name: `label “${LABEL}”`, exact: true }).waitFor();
    await row.getByRole("cell", { name: `cron ${CRON} in ${ZONE}`, exact: true }).waitFor();
    const next = await shown(new Date(firstRun).toISOString());
    await expect.poll(() => row.getByTestId("schedule-next-run").textContent()).toBe(next);
    await row.getByText("active", { exact: true }).waitFor();
    await row.getByText("never", { exact: true }).waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    await browser.screenshot("schedules-02-list");
  });

  it("pauses and resumes it from the row's menu", async () => {
    const row = scheduleRow(NAME);
    await row.getByRole("button", { name: `Actions for ${NAME}` }).click();
    await page.getByRole("menuitem", { name: "Pause" }).click();
    await page.getByText(`Schedule ${NAME} paused`).waitFor();
    await row.getByText("paused", { exact: true }).waitFor();
    expect((await listed())[0]!.state).toBe("paused");

    await row.getByRole("button", { name: `Actions for ${NAME}` }).click();
    await page.getByRole("menuitem", { name: "Resume" }).click();
    await page.getByText(`Schedule ${NAME} resumed`).waitFor();
    await row.getByText("active", { exact: true }).waitFor();
    expect((await listed())[0]).toMatchObject({
      state: "active",
      nextRunAt: new Date(firstRun).toISOString(),
    });
  });

  it("shows its runs: none yet, then the one its time started, linked to its fleet action", async () => {
    await scheduleRow(NAME).getByRole("link", { name: NAME, exact: true }).click();
    await page.getByRole("heading", { name: NAME, level: 1 }).waitFor();
    await page.getByText("No runs yet").waitFor();

    setClock(firstRun + 1000);
    await t.server.services.schedules.runDue();
    const [schedule] = await listed();
    const runs = (await t.api.get<{ items: ScheduleRunView[] }>(`/schedules/${schedule!.id}/runs`)).body
      .items;
    expect(runs.map((r) => [r.outcome, r.dueAt])).toEqual([["started", new Date(firstRun).toISOString()]]);
    const batchId = runs[0]!.batchId!;

    // Live: the page shows the run without a reload.
    const table = page.getByRole("table", { name: "Runs" });
    const due = await shown(runs[0]!.dueAt);
    await table.getByRole("cell", { name: due, exact: true }).first().waitFor();
    await table.getByText("started", { exact: true }).waitFor();
    const link = table.getByRole("link", { name: "Show the fleet action" });
    expect(await link.getAttribute("href")).toBe(`/fleet/${batchId}`);
    expect(await accessibilityViolations(page)).toEqual([]);
    await browser.screenshot("schedules-03-runs");

    await waitForBatch(t, batchId);
    await link.click();
    await page.getByRole("heading", { name: "Lock screen on 2 devices", level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/fleet/${batchId}`);
  });

  it("creates a one-off schedule for pasted serial numbers, at a time read in the browser's zone", async () => {
    await page.getByRole("navigation").getByRole("link", { name: "Schedules", exact: true }).click();
    await page.getByRole("button", { name: "New schedule" }).click();
    const dialog = page.getByRole("dialog", { name: "New schedule" });
    await dialog.getByLabel("Schedule name").fill("Reboot two screens");
    await dialog.getByLabel("Command", { exact: true }).selectOption("reboot");
    await dialog.getByLabel("Listed devices").check();
    await dialog.getByLabel("Devices", { exact: true }).fill(serials.join("\n"));
    await dialog.getByText("One a line, or separated by commas · 2 devices").waitFor();
    await dialog.getByLabel("Once").check();
    await dialog.getByLabel("Date and time", { exact: true }).fill("2099-05-01T09:30");
    await dialog.getByText("Default for a one-off schedule: run it late, once.").waitFor();
    await dialog.getByRole("button", { name: "Create schedule" }).click();
    await page.getByText("Schedule Reboot two screens created").waitFor();

    const at = (await page.evaluate("new Date('2099-05-01T09:30').toISOString()")) as string;
    const once = (await listed()).find((s) => s.name === "Reboot two screens")!;
    expect(once).toMatchObject({ kind: "once", at, missedRuns: "run_late", target: { serials } });
    const row = scheduleRow("Reboot two screens");
    await row.getByRole("cell", { name: `Once at ${await shown(at)}`, exact: true }).waitFor();
    await row.getByRole("cell", { name: "2 devices by serial number", exact: true }).waitFor();
    expect((await t.api.delete(`/schedules/${once.id}`)).status).toBe(204);
    // Live: gone from the list without a reload.
    await row.waitFor({ state: "detached" });
  });

  it("edits its cron, zone and end on its page, and shows the next run that follows", async () => {
    const [before] = await listed();
    await page.goto(url(`/schedules/${before!.id}`));
    await page.getByRole("heading", { name: NAME, level: 1 }).waitFor();
    await page.getByRole("button", { name: "Edit schedule" }).click();
    const dialog = page.getByRole("dialog", { name: `Edit schedule ${NAME}` });
    // The create dialog, holding the schedule as it is; its command cannot change.
    expect(await dialog.getByLabel("Schedule name").inputValue()).toBe(NAME);
    expect(await dialog.getByLabel("Command", { exact: true }).isDisabled()).toBe(true);
    await expect.poll(() => dialog.getByLabel("Label", { exact: true }).inputValue()).toBe(LABEL);
    expect(await dialog.getByLabel("Cron expression").inputValue()).toBe(CRON);
    await expect.poll(() => dialog.getByLabel("Time zone", { exact: true }).inputValue()).toBe(ZONE);
    expect(await dialog.getByRole("button", { name: "Save changes" }).isDisabled()).toBe(true);

    // The server's refusal is shown at its field.
    await dialog.getByLabel("Cron expression").fill("0 3 * * * *");
    await dialog.getByRole("button", { name: "Save changes" }).click();
    await dialog.getByRole("alert").filter({ hasText: "is not a cron expression of 5 fields" }).waitFor();
    await expect.poll(() => dialog.getByLabel("Cron expression").getAttribute("aria-invalid")).toBe("true");

    // Every day at 04:30 in New York, ending an hour after the second run: two runs are left.
    const cron = "30 4 * * *";
    const zone = "America/New_York";
    const next = nextOccurrence(cron, zone, clock())!;
    const second = nextOccurrence(cron, zone, next)!;
    const endsAt = new Date(second + 60 * 60_000).toISOString();
    // As a datetime-local input takes it: in the browser's zone.
    const endsLocal = await page.evaluate((iso) => {
      const d = new Date(iso);
      const pad = (n: number) => String(n).padStart(2, "0");
      return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
    }, endsAt);
    await dialog.getByLabel("Cron expression").fill(cron);
    await dialog.getByLabel("Time zone", { exact: true }).selectOption(zone);
    await dialog.getByLabel("Not after", { exact: true }).fill(endsLocal);
    expect(await accessibilityViolations(page)).toEqual([]);
    await browser.screenshot("schedules-04-edit");
    await dialog.getByRole("button", { name: "Save changes" }).click();
    const nextShown = await shown(new Date(next).toISOString());
    await page.getByText(`Schedule ${NAME} saved · next run ${nextShown}`).waitFor();
    await dialog.waitFor({ state: "detached" });

    // The page shows the new timing and next run at once.
    await expect.poll(() => page.getByTestId("schedule-next-run").textContent()).toBe(nextShown);
    await page.getByText(`cron ${cron} in ${zone}`).waitFor();
    await page.getByText(await shown(endsAt), { exact: true }).waitFor();
    await page.getByText(await shown(new Date(second).toISOString()), { exact: true }).waitFor();
    const [after] = await listed();
    expect(after).toMatchObject({
      id: before!.id,
      name: NAME,
      target: { filter: { label: LABEL } },
      cron,
      timezone: zone,
      endsAt,
      state: "active",
      nextRunAt: new Date(next).toISOString(),
      upcoming: [new Date(next).toISOString(), new Date(second).toISOString()],
    });
    expect(after!.nextRunAt).not.toBe(before!.nextRunAt);
    // The audit row holds only what changed.
    const audit = await t.api.get<{ items: { params: unknown }[] }>("/audit?action=schedule.update");
    expect(audit.body.items[0]?.params).toEqual({ cron, timezone: zone, endsAt });

    // And the list.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Schedules" }).click();
    const row = scheduleRow(NAME);
    await row.getByRole("cell", { name: `cron ${cron} in ${zone}`, exact: true }).waitFor();
    await expect.poll(() => row.getByTestId("schedule-next-run").textContent()).toBe(nextShown);
  });

  it("deletes it after asking", async () => {
    await page.getByRole("navigation").getByRole("link", { name: "Schedules", exact: true }).click();
    const row = scheduleRow(NAME);
    await row.getByRole("link", { name: `1 run of ${NAME}`, exact: true }).waitFor();
    await row.getByRole("button", { name: `Actions for ${NAME}` }).click();
    await page.getByRole("menuitem", { name: "Delete" }).click();
    const dialog = page.getByRole("dialog", { name: `Delete the schedule ${NAME}?` });
    await dialog.getByText("The fleet actions it started (1) stay.").waitFor();
    await dialog.getByRole("button", { name: "Delete schedule" }).click();
    await page.getByText(`Schedule ${NAME} deleted`).waitFor();
    await page.getByText("No schedules yet").waitFor();
    expect(await listed()).toEqual([]);
  });
});
