/**
 * The devices pages of the web console end to end, in Debian's Chromium, with a fleet of
 * simulated displays: the row menu over the rows below it, a long name at 1280 px, no sideways
 * scrolling at phone width, relative times on the server's clock, search as you type with the
 * filters in the address, the time zone picker from the server's list, a device stuck applying
 * its config (why, and re-send), confirmations in proportion to what an action reaches, the
 * wording of toasts, menus and colours, an idle page that stays cheap, the CSV export, the
 * extra filters, and retrying a fleet action's failures. Real server, real agents over MQTT.
 */
import { readFile } from "node:fs/promises";
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import type { SimulatedDevice } from "../../agent/simulated-device.js";
import { accessibilityViolations, launchBrowser, type TestBrowser } from "../helpers/browser.js";
import { useConsoleFixture } from "../helpers/console-fixture.js";
import {
  createEnrollmentToken,
  type EnrolledDevice,
  enrollCredentials,
  startDevice,
  startDevices,
  uniqueSerial,
  waitForBatch,
  waitUntil,
} from "../helpers/devices.js";
import { csvObjects } from "../helpers/rfc4180.js";
import type { TestServer } from "../helpers/test-server.js";

const ADMIN = { email: "dana@example.com", name: "Dana Devices", password: "steady-Lantern-harbor-4" };
/** Plain displays; with the stuck one and the flaky ones the fleet has 60 simulated devices. */
const ROOMS = 56;
const FLAKY = 3;
/** 23 characters: longer than the name column is wide. */
const LONG_NAME = "Conference Room 4 North";
/** A zone that the stuck display's platform refuses, as if its tz database lacked it. */
const REFUSED_ZONE = "Asia/Kolkata";
const BETA_AGENT = "2.0.0-beta.1";

interface ViewedDevice {
  id: string;
  name: string;
  desired: { version: number; timezone: string };
  reported: {
    appliedConfigVersion: number;
    timezone: string;
    locked: boolean;
    configError?: { version: number; message: string } | null;
  } | null;
}

let t: TestServer;
let browser: TestBrowser;
let page: Page;
const devices: SimulatedDevice[] = [];
let rooms: EnrolledDevice[] = [];
let stuck: EnrolledDevice;
let drifting: EnrolledDevice;
let flaky: EnrolledDevice[] = [];
/** While true, every platform action of the flaky displays fails. */
let flakyFailing = false;
/** Enrolled through the API and never connected: never seen. */
const ghostIds: string[] = [];
let managedCount = 0;

const url = (path: string) => `${t.server.httpUrl}${path}`;
const row = (name: string | RegExp) =>
  page.getByRole("row").filter({ has: page.getByRole("link", { name, exact: typeof name === "string" }) });
const apiDevice = async (id: string) => (await t.api.get<ViewedDevice>(`/devices/${id}`)).body;

async function loaded(): Promise<void> {
  await expect.poll(() => page.locator("main .spinner").count()).toBe(0);
}

/** The page scrolls sideways: the document is wider than the window. */
function horizontalOverflow(p: Page): Promise<number> {
  return p.evaluate("document.documentElement.scrollWidth - window.innerWidth") as Promise<number>;
}

/** A CSS colour as the page computes it. */
function colourOf(locator: ReturnType<Page["locator"]>): Promise<string> {
  return locator.evaluate("(e) => getComputedStyle(e).color") as Promise<string>;
}

const fixture = useConsoleFixture("devices");

beforeAll(async () => {
  ({ server: t, browser, page } = await fixture.open({ admin: ADMIN, devices }));

  const token = await createEnrollmentToken(t, ROOMS + FLAKY + 2);
  // Every display reports every few seconds: the traffic of an idle page at a busy fleet.
  const common = { enrollmentToken: token, stateReportIntervalMs: 3000 };
  rooms = await startDevices(t, ROOMS, (i) => uniqueSerial(`ROOM${String(i).padStart(2, "0")}`), {
    ...common,
    concurrently: true,
    each: (i) => ({
      model: i % 3 ? "Portal" : "Portal Go",
      agentVersion: i < 5 ? BETA_AGENT : undefined,
      clockOffsetMs: i === 7 ? 4200 : i * 3,
    }),
  });
  drifting = rooms[7]!;
  stuck = await startDevice(t, {
    ...common,
    serial: uniqueSerial("STUCK"),
    unsupportedTimezones: [REFUSED_ZONE],
  });
  flaky = await startDevices(t, FLAKY, () => uniqueSerial("FLAKY"), {
    ...common,
    concurrently: true,
    failureRate: 0.5,
    random: () => (flakyFailing ? 0 : 0.99),
  });
  devices.push(...rooms, stuck, ...flaky);
  for (let i = 0; i < 2; i++) ghostIds.push((await enrollCredentials(t, uniqueSerial("GHOST"))).deviceId);
  managedCount = devices.length + ghostIds.length;

  await fixture.signIn();
  await page.getByText(`${managedCount} managed devices`).waitFor();
}, 120_000);

describe("devices pages", () => {
  it("names the old name when renaming", async () => {
    const device = rooms[0]!;
    const oldName = (await apiDevice(device.deviceId)).name;
    await page.goto(url(`/devices?q=${encodeURIComponent(device.serial)}`));
    await row(oldName)
      .getByRole("button", { name: `Actions for ${oldName}` })
      .click();
    await page.getByRole("menuitem", { name: "Edit device name" }).click();
    const dialog = page.getByRole("dialog", { name: "Edit device name" });
    await dialog.getByLabel("Device name").fill(LONG_NAME);
    await dialog.getByRole("button", { name: "Save name" }).click();
    await page.getByText(`Renamed '${oldName}' to '${LONG_NAME}'`).waitFor();
  });

  it("fits a 23-character name into the table at 1280 px, cut to its column with a tooltip", async () => {
    await waitUntil(t, async () => (await apiDevice(rooms[0]!.deviceId)).name === LONG_NAME, "renamed");
    await page.goto(url("/devices?sort=name"));
    const link = row(LONG_NAME).getByRole("link", { name: LONG_NAME });
    await link.waitFor();
    // In the page, as a string: this file is compiled without DOM types.
    const fit = (await page.evaluate(`(() => {
      const scroller = document.querySelector(".table-card .table-scroll");
      const headers = [...document.querySelectorAll("table[aria-label=Devices] thead th")];
      const menu = headers.at(-1).getBoundingClientRect();
      return {
        overflow: scroller.scrollWidth - scroller.clientWidth,
        // Every header is readable: left of the sticky menu column, and its label not clipped.
        hidden: headers.slice(0, -1).filter((th) => {
          const box = th.getBoundingClientRect();
          const button = th.querySelector("button");
          return box.right > menu.left + 0.5 || (button !== null && button.scrollWidth > button.clientWidth);
        }).map((th) => th.textContent),
      };
    })()`)) as { overflow: number; hidden: string[] };
    expect(fit).toEqual({ overflow: 0, hidden: [] });
    // Cut to its column, the whole name in the tooltip.
    expect(await link.getAttribute("title")).toBe(LONG_NAME);
    await browser.screenshot("devices-01-long-name-1280");
  });

  it("draws the open row menu above the rows below it", async () => {
    await page.goto(url("/devices?sort=name"));
    const first = page.getByRole("button", { name: /^Actions for / }).first();
    await first.click();
    const menu = page.getByRole("menu");
    await menu.waitFor();
    // Where the ⋯ buttons of the next rows are, the menu is what the admin sees and clicks.
    const covered = (await page.evaluate(`(() => {
      const open = document.querySelector("[role=menu]");
      const box = open.getBoundingClientRect();
      const under = [...document.querySelectorAll("table[aria-label=Devices] tbody .menu-button")]
        .slice(1)
        .map((b) => b.getBoundingClientRect())
        .filter((b) => b.top + b.height / 2 > box.top && b.top + b.height / 2 < box.bottom);
      return {
        under: under.length,
        onTop: under.filter((b) => open.contains(document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2))).length,
      };
    })()`)) as { under: number; onTop: number };
    expect(covered.under).toBeGreaterThan(2);
    expect(covered.onTop).toBe(covered.under);
    expect(await accessibilityViolations(page)).toEqual([]);
    await browser.screenshot("devices-02-row-menu");
    await page.keyboard.press("Escape");
  });

  it("searches as the admin types, clears with the box, and keeps filters in the address", async () => {
    await page.goto(url("/devices"));
    await page.getByText(`1–50 of ${managedCount}`).waitFor();
    const search = page.getByLabel("Search devices by name or serial");
    await search.pressSequentially("FLAKY", { delay: 30 });
    // No Enter, no blur: the list follows the typing.
    await page.getByText(`1–${FLAKY} of ${FLAKY}`).waitFor();
    expect(new URL(page.url()).searchParams.get("q")).toBe("FLAKY");
    await page.getByLabel("Connection").selectOption("true");
    await expect.poll(() => new URL(page.url()).searchParams.get("online")).toBe("true");
    await page.getByText(`1–${FLAKY} of ${FLAKY}`).waitFor();

    // A reload keeps the filters; Back steps back through them.
    await page.reload();
    await page.getByText(`1–${FLAKY} of ${FLAKY}`).waitFor();
    expect(await search.inputValue()).toBe("FLAKY");
    expect(await page.getByLabel("Connection").inputValue()).toBe("true");
    await page.goBack();
    await expect.poll(() => new URL(page.url()).searchParams.get("online")).toBeNull();
    expect(new URL(page.url()).searchParams.get("q")).toBe("FLAKY");
    await page.getByText(`1–${FLAKY} of ${FLAKY}`).waitFor();

    // The ✕ of the box empties it (an input event with no text): the filter goes with it.
    await search.fill("");
    await page.getByText(`1–50 of ${managedCount}`).waitFor();
    expect(new URL(page.url()).searchParams.get("q")).toBeNull();
  });

  it("counts relative times on the server's clock, never ahead of it", async () => {
    const offline = rooms[1]!;
    await offline.stop();
    await waitUntil(t, () => !t.server.gateway.isOnline(offline.deviceId), "the display went offline");
    const offlineName = (await apiDevice(offline.deviceId)).name;
    // This browser's clock is two minutes behind the server's.
    const behind = await launchBrowser();
    try {
      const p = behind.page;
      await p.addInitScript(`{
        const RealDate = Date;
        const skewMs = -120000;
        class BehindDate extends RealDate {
          constructor(...args) { if (args.length === 0) super(RealDate.now() + skewMs); else super(...args); }
          static now() { return RealDate.now() + skewMs; }
        }
        globalThis.Date = BehindDate;
      }`);
      await p.goto(url("/"));
      await p.getByLabel("Email").fill(ADMIN.email);
      await p.getByLabel("Password").fill(ADMIN.password);
      await p.getByRole("button", { name: "Sign in", exact: true }).click();
      await p.getByRole("heading", { name: "Devices", level: 1 }).waitFor();
      await p.goto(url("/devices?sort=lastSeenAt&order=desc&size=100"));
      await p.getByText(`1–${managedCount} of ${managedCount}`).waitFor();
      const lastSeen = await p
        .locator("table[aria-label=Devices] tbody tr td:nth-child(10)")
        .allTextContents();
      expect(lastSeen).toHaveLength(managedCount);
      expect(lastSeen.filter((text) => !/^(just now|\d+ (sec|min)\. ago|never)$/.test(text))).toEqual([]);
      const offlineRow = p
        .getByRole("row")
        .filter({ has: p.getByRole("link", { name: offlineName, exact: true }) });
      expect(await offlineRow.locator("td").nth(9).textContent()).toMatch(/^(just now|\d+ sec\. ago)$/);

      await p.goto(url(`/devices/${offline.deviceId}`));
      await p.getByRole("heading", { name: offlineName, level: 1 }).waitFor();
      expect(await p.locator(".device-meta").textContent()).toMatch(/last seen (just now|\d+ sec\. ago)/);
      await behind.screenshot("devices-03-clock-behind", p);
    } finally {
      await behind.close();
    }
  });

  it("finds time zones by current name, old name, city and offset, and asks before changing every device", async () => {
    const listed = (
      await t.api.get<{ zones: { name: string; aliases: string[]; utcOffset: string }[] }>(
        "/settings/timezones",
      )
    ).body.zones;
    expect(listed.find((z) => z.name === "Asia/Kolkata")).toMatchObject({
      aliases: expect.arrayContaining(["Asia/Calcutta"]),
      utcOffset: "+05:30",
    });

    await page.goto(url("/settings/time"));
    await page.getByRole("heading", { name: "Date and time", level: 1 }).waitFor();
    await page.getByLabel(/A specific region/).check();
    const search = page.getByLabel("Search regions");
    const region = page.getByLabel("Region", { exact: true });
    for (const [query, zone] of [
      ["Kolkata", "Asia/Kolkata"],
      ["Calcutta", "Asia/Kolkata"],
      ["Kyiv", "Europe/Kyiv"],
      ["Yangon", "Asia/Yangon"],
      ["Kathmandu", "Asia/Kathmandu"],
      ["Ho Chi Minh", "Asia/Ho_Chi_Minh"],
      ["+05:30", "Asia/Kolkata"],
      ["+05:45", "Asia/Kathmandu"],
    ] as const) {
      await search.fill(query);
      await region.locator(`option[value="${zone}"]`).waitFor({ state: "attached" });
    }
    await search.fill("+05:30");
    expect(await region.locator('option[value="Europe/Paris"]').count()).toBe(0);
    expect(await region.locator('option[value="Asia/Kolkata"]').textContent()).toContain("UTC+05:30");
    await region.selectOption(REFUSED_ZONE);
    expect(await accessibilityViolations(page)).toEqual([]);

    await page.getByRole("button", { name: "Save and apply to all devices" }).click();
    const confirm = page.getByRole("dialog", { name: `Change date & time on ${managedCount} devices?` });
    await confirm.getByText(`${managedCount} devices`).first().waitFor();
    await confirm.getByText(`changes to the time zone ${REFUSED_ZONE}`).waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    await browser.screenshot("devices-04-date-time-confirm");
    // Nothing changed before the admin confirms.
    expect((await t.api.get<{ timezone: string }>("/settings/time")).body.timezone).toBe("auto");
    await confirm.getByRole("button", { name: `Apply to ${managedCount} devices` }).click();
    await page.getByText(`Now: ${REFUSED_ZONE}`).waitFor();
    await waitUntil(
      t,
      () => rooms.filter((d) => d.status === "online").every((d) => d.platform.timezone === REFUSED_ZONE),
      "the displays run the new zone",
    );
  });

  it("lists the devices that have not applied their settings from their tile, like the other tiles", async () => {
    // The zone its platform refuses is the fleet's (the date & time step above sets it).
    if ((await t.api.get<{ timezone: string }>("/settings/time")).body.timezone !== REFUSED_ZONE) {
      await t.api.put("/settings/time", { timezone: REFUSED_ZONE, ntpServer: null });
    }
    await waitUntil(
      t,
      async () =>
        (await apiDevice(stuck.deviceId)).reported?.configError?.message.includes(REFUSED_ZONE) === true,
      "the stuck display reported why",
    );
    const device = await apiDevice(stuck.deviceId);

    // The tile of devices that have not applied their settings lists it, like the other tiles.
    await page.goto(url("/devices"));
    await page.locator(".tile", { hasText: /not applied/ }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get("configPending")).toBe("true");
    expect(new URL(page.url()).pathname).toBe("/devices");
    await row(device.name).waitFor();
    const pending = (await t.api.get<{ total: number }>("/devices?configPending=true&status=active&limit=1"))
      .body;
    // Once the filtered page is in (the unfiltered one may still show for a moment).
    await page.getByText(`1–${pending.total} of ${pending.total}`, { exact: true }).waitFor();
    const listed = await page.locator("table[aria-label=Devices] tbody tr").count();
    expect(listed).toBe(pending.total);
  });

  it("shows why a device is stuck applying its settings, and re-sends them once the fault is gone", async () => {
    const path = `/devices/${stuck.deviceId}`;
    const device = await apiDevice(stuck.deviceId);
    expect(device.reported?.configError?.message).toContain(REFUSED_ZONE);
    await page.goto(url(path));
    const status = page.getByTestId("config-status");
    await status.getByText(new RegExp(`^Applying v${device.desired.version} since `)).waitFor();
    await status
      .getByText(
        `The device could not apply v${device.desired.version}: time zone '${REFUSED_ZONE}' is not installed`,
        {
          exact: false,
        },
      )
      .waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    await browser.screenshot("devices-05-stuck-applying");

    stuck.platform.unsupportedTimezones.clear();
    await status.getByRole("button", { name: "Re-send" }).click();
    await status.waitFor({ state: "detached" });
    expect(stuck.platform.timezone).toBe(REFUSED_ZONE);
    const after = await apiDevice(stuck.deviceId);
    expect(after.reported).toMatchObject({ appliedConfigVersion: device.desired.version, configError: null });
    const audit = await t.api.get<{ items: { action: string; target: string }[] }>(
      "/audit?action=device.config_resend",
    );
    expect(audit.body.items[0]?.target).toBe(stuck.deviceId);
  });

  it("asks for the device count before a fleet factory reset or deactivation", async () => {
    await page.goto(url("/devices?q=ROOM"));
    await page.getByText(/^1–50 of \d+$/).waitFor();
    await page.getByLabel("Select all devices on this page").check();
    await page.getByText("50 devices selected").waitFor();
    const selection = page.getByRole("region", { name: "Selection" });
    for (const action of ["Factory reset", "Permanently deactivate"]) {
      await selection.getByRole("button", { name: action }).click();
      const dialog = page.getByRole("dialog", { name: `${action} 50 devices?` });
      const confirm = dialog.getByRole("button", { name: `${action} 50 devices` });
      expect(await confirm.isDisabled()).toBe(true);
      await dialog.getByLabel(/Type .* to confirm/).fill("5");
      expect(await confirm.isDisabled()).toBe(true);
      await dialog.getByLabel(/Type .* to confirm/).fill("50");
      expect(await confirm.isDisabled()).toBe(false);
      if (action === "Factory reset") {
        expect(await accessibilityViolations(page)).toEqual([]);
        await browser.screenshot("devices-06-fleet-reset-confirm");
      }
      await dialog.getByRole("button", { name: "Cancel" }).click();
      await dialog.waitFor({ state: "detached" });
    }
    // Nothing was sent.
    expect((await t.api.get<{ items: unknown[] }>("/batches")).body.items).toEqual([]);
  });

  it("does not offer to lock a locked screen, and colours clock drift alike everywhere", async () => {
    const locked = rooms[2]!;
    const res = await t.api.post<{ id: string }>(`/devices/${locked.deviceId}/commands`, { type: "lock" });
    expect(res.status).toBe(202);
    await waitUntil(t, async () => (await apiDevice(locked.deviceId)).reported?.locked === true, "locked");
    const name = (await apiDevice(locked.deviceId)).name;
    await page.goto(url(`/devices?q=${encodeURIComponent(locked.serial)}`));
    await row(name).getByText("Locked", { exact: true }).waitFor();
    await row(name)
      .getByRole("button", { name: `Actions for ${name}` })
      .click();
    const lockItem = page.getByRole("menuitem", { name: "Lock screen" });
    expect(await lockItem.isDisabled()).toBe(true);
    expect(await lockItem.getAttribute("title")).toBe("The screen is already locked");
    await page.keyboard.press("Escape");

    const driftName = (await apiDevice(drifting.deviceId)).name;
    await page.goto(url(`/devices/${drifting.deviceId}`));
    await page.getByRole("heading", { name: driftName, level: 1 }).waitFor();
    const badge = page.locator(".page-header .badge", { hasText: "Clock drift" });
    const offset = page
      .getByRole("table", { name: "Desired and reported configuration" })
      .getByRole("row", { name: /Clock offset/ })
      .locator("td")
      .nth(1);
    await offset.getByText("+4.2 s").waitFor();
    const overThreshold = await colourOf(offset);
    expect(await colourOf(badge)).toBe(overThreshold);
    await page.goto(url("/devices?clockDrift=true&status=active"));
    const tableOffset = row(driftName).locator("td.num");
    await tableOffset.getByText("+4.2 s").waitFor();
    expect(await colourOf(tableOffset)).toBe(overThreshold);
    const tileDot = page.locator(".tile", { hasText: "Clock drift" }).locator(".dot");
    expect(await colourOf(tileDot)).toBe(overThreshold);
  });

  it("stays cheap while idle: a couple of requests in 25 s, whatever the devices report", async () => {
    await page.goto(url("/devices"));
    await page.getByText(`1–50 of ${managedCount}`).waitFor();
    await loaded();
    const requests: string[] = [];
    const count = (request: { url(): string }) => {
      if (new URL(request.url()).pathname.startsWith("/api/")) requests.push(new URL(request.url()).pathname);
    };
    let reports = 0;
    const offs = devices.map((d) => {
      const listener = () => reports++;
      d.on("stateReported", listener);
      return () => d.off("stateReported", listener);
    });
    page.on("request", count);
    await page.waitForTimeout(25_000);
    page.off("request", count);
    for (const off of offs) off();
    console.log(
      `idle devices page: ${requests.length} API requests in 25 s while devices sent ${reports} reports`,
      requests,
    );
    expect(reports).toBeGreaterThan(100);
    expect(requests.length).toBeLessThanOrEqual(2);
  });

  it("filters by agent version, time zone and last seen, and exports what matches as CSV", async () => {
    await page.goto(url("/devices"));
    await page.getByLabel("Agent version").fill(BETA_AGENT);
    await page.getByLabel("Agent version").press("Enter");
    await page.getByText("1–5 of 5").waitFor();
    expect(new URL(page.url()).searchParams.get("agentVersion")).toBe(BETA_AGENT);

    await page.goto(url("/devices"));
    await page.getByLabel("Last seen").selectOption("1");
    await page.getByText(`1–${ghostIds.length} of ${ghostIds.length}`).waitFor();
    for (const id of ghostIds) await page.locator(`tr[data-device-id="${id}"]`).waitFor();

    await page.goto(url("/devices"));
    // An old name of the zone finds the devices that report its current one.
    await page.getByLabel("Time zone").fill("Asia/Calcutta");
    await page.getByLabel("Time zone").press("Enter");
    const inZone = (await t.api.get<{ total: number }>(`/devices?timezone=${REFUSED_ZONE}&limit=1`)).body
      .total;
    expect(inZone).toBeGreaterThan(50);
    await page.getByText(`of ${inZone}`, { exact: false }).waitFor();

    // The export: the current filters, every matching device, valid CSV.
    await page.goto(url("/devices?q=ROOM1&sort=serial&order=desc"));
    await page.getByText("1–10 of 10").waitFor();
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Export CSV" }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^devices-\d{8}T\d{6}\.csv$/);
    const { header, rows } = csvObjects(await readFile((await download.path())!, "utf8"));
    expect(header).toEqual([
      "id",
      "name",
      "serial",
      "model",
      "status",
      "online",
      "last_seen_at",
      "locked",
      "timezone",
      "clock_offset_ms",
      "agent_version",
      "applied_config_version",
      "desired_config_version",
    ]);
    const expected = rooms
      .filter((d) => d.serial.includes("ROOM1"))
      .map((d) => d.serial)
      .sort()
      .reverse();
    expect(rows.map((r) => r.serial)).toEqual(expected);
    expect(rows.every((r) => r.timezone === REFUSED_ZONE && r.status === "active")).toBe(true);
  });

  it("retries a fleet action on the devices where it failed", async () => {
    flakyFailing = true;
    const target = { deviceIds: flaky.map((d) => d.deviceId) };
    const created = await t.api.post<{ id: string }>("/batches", { target, command: { type: "lock" } });
    expect(created.status).toBe(202);
    const failed = await waitForBatch(t, created.body.id);
    expect(failed.counts.failed).toBe(FLAKY);

    await page.goto(url(`/fleet/${created.body.id}`));
    await page.getByText(`Finished: 0 succeeded, ${FLAKY} failed.`).waitFor();
    flakyFailing = false;
    await page.getByRole("button", { name: `Retry the failed ones (${FLAKY})` }).click();
    const dialog = page.getByRole("dialog", { name: `Retry lock screen on ${FLAKY} devices?` });
    expect(await accessibilityViolations(page)).toEqual([]);
    await dialog.getByRole("button", { name: `Retry on ${FLAKY} devices` }).click();
    await page.waitForURL((u) => u.pathname.startsWith("/fleet/") && !u.pathname.endsWith(created.body.id));
    await page.getByText(`Finished: ${FLAKY} succeeded.`).waitFor({ timeout: 30_000 });
    expect(flaky.every((d) => d.platform.locked)).toBe(true);
    expect(await page.getByRole("button", { name: /Retry the failed ones/ }).count()).toBe(0);
    await browser.screenshot("devices-07-fleet-retried");
  });

  it("never scrolls sideways at 390 × 844", async () => {
    if ((await t.api.get<{ items: unknown[] }>("/batches")).body.items.length === 0) {
      await t.api.post("/batches", { target: { deviceIds: ghostIds }, command: { type: "lock" } });
    }
    const batches = (await t.api.get<{ items: { id: string }[] }>("/batches")).body.items;
    // Long values on both sides of desired against reported.
    const zone = "America/Argentina/Buenos_Aires";
    const setTime = await t.api.post<{ id: string }>(`/devices/${drifting.deviceId}/commands`, {
      type: "set_time",
      timezone: zone,
      ntpServer: "ntp1.time-servers.example.com:123",
    });
    expect(setTime.status).toBe(202);
    await waitUntil(t, async () => (await apiDevice(drifting.deviceId)).reported?.timezone === zone, "set");
    await page.setViewportSize({ width: 390, height: 844 });
    let shot = 0;
    try {
      for (const [path, heading] of [
        ["/devices", "Devices"],
        [`/devices/${stuck.deviceId}`, null],
        [`/devices/${drifting.deviceId}`, null],
        ["/fleet", "Fleet actions"],
        [`/fleet/${batches.at(-1)!.id}`, null],
        ["/settings/time", "Date and time"],
      ] as const) {
        await page.goto(url(path));
        await page
          .getByRole("heading", { level: 1, ...(heading ? { name: heading } : {}) })
          .first()
          .waitFor();
        await loaded();
        if (path === "/settings/time") {
          await page.getByLabel(/A specific region/).check();
          await page
            .getByLabel("Region", { exact: true })
            .locator("option")
            .first()
            .waitFor({ state: "attached" });
        }
        expect({ path, overflow: await horizontalOverflow(page) }).toEqual({ path, overflow: 0 });
        if (path.startsWith("/devices/")) {
          // Desired against reported: every value inside its cell, none over the next.
          const clipped = await page.evaluate(
            `[...document.querySelectorAll(".compare-table th, .compare-table td")]
              .filter((cell) => cell.scrollWidth > cell.clientWidth)
              .map((cell) => cell.textContent)`,
          );
          expect(clipped).toEqual([]);
        }
        if (path.startsWith("/fleet/")) {
          // Each count's label stays inside its tile.
          const spilled = await page.evaluate(
            `[...document.querySelectorAll(".state-count")]
              .filter((tile) => tile.scrollWidth > tile.clientWidth)
              .map((tile) => tile.dataset.state)`,
          );
          expect(spilled).toEqual([]);
        }
        await browser.screenshot(`devices-08-phone-${++shot}-${path.split("/")[1]}`);
      }
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });
});
