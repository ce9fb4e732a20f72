/**
 * The web console end to end, in Debian's Chromium: an admin signs in, connects a simulated
 * display by the code it shows and watches it appear, renames and locks it, sets the global
 * time zone and sees the device report it, reboots 20 devices as a fleet action and watches
 * the progress reach 100 %, permanently deactivates a device through the typed confirmation,
 * replaces a managed device with a new one of the same serial, creates, lists and revokes an
 * enrollment token, ends a command a device is running, and revokes a device's credential.
 * Real server, real agents over MQTT, all on 127.0.0.1. Screenshots of every page go to
 * test/artifacts/.
 */
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import type { SimulatedDevice } from "../../agent/simulated-device.js";
import { accessibilityViolations, launchBrowser, type TestBrowser } from "../helpers/browser.js";
import { useConsoleFixture } from "../helpers/console-fixture.js";
import {
  createEnrollmentToken,
  deviceShowingCode,
  startDevice,
  uniqueSerial,
  waitUntil,
} from "../helpers/devices.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

const FLEET_SIZE = 20;
/** Enrollment tokens on one page of the console's list. */
const TOKEN_PAGE_SIZE = 25;
const ADMIN = {
  email: "erin@example.com",
  name: "Erin Admin",
  firstPassword: "first-Password-1",
  password: "a-Longer-Password-2",
};

/** The parts of the API's device view these tests read. */
interface ViewedDevice {
  name: string;
  status: string;
  desired: { version: number };
  reported: { appliedConfigVersion: number } | null;
}

let t: TestServer;
/** The same data dir and ports, started again after a stop. */
let restarted: TestServer | undefined;
let browser: TestBrowser;
let page: Page;
let coded: SimulatedDevice & { deviceId: string };
/** Kept apart: the device forgets its id once deactivated. */
let codedId: string;
const devices: SimulatedDevice[] = [];

// A failed step leaves a picture of what the browser showed.
const fixture = useConsoleFixture("");

beforeAll(async () => {
  ({ server: t, browser, page } = await fixture.open({ devices, beforeCleanup: () => restarted?.stop() }));
});

const url = (path: string) => `${t.server.httpUrl}${path}`;
const nav = () => page.getByRole("navigation", { name: "Main" });
const row = (name: string | RegExp) =>
  page.getByRole("row").filter({ has: page.getByRole("link", { name }) });

/** Waits until the page has no loading spinner left. */
async function loaded(): Promise<void> {
  await expect.poll(() => page.locator("main .spinner").count()).toBe(0);
}

async function openRowMenu(name: string): Promise<void> {
  await row(name)
    .getByRole("button", { name: `Actions for ${name}` })
    .click();
}

describe("web console", () => {
  it("signs in through the login page", async () => {
    await page.goto(url("/"));
    await page.getByRole("heading", { name: "Sign in to the console" }).waitFor();
    await browser.screenshot("01-login");
    const created = await t.api.post("/admins", {
      email: ADMIN.email,
      name: ADMIN.name,
      roleId: "system_admin",
      password: ADMIN.firstPassword,
    });
    expect(created.status).toBe(201);
    await page.getByLabel("Email").fill(ADMIN.email);
    await page.getByLabel("Password").fill("wrong-password-0");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.getByRole("alert").filter({ hasText: "wrong" }).waitFor();
    await page.getByLabel("Password").fill(ADMIN.firstPassword);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    // An account made by another admin must choose its own password first.
    await page.getByRole("heading", { name: "Choose a new password" }).waitFor();
    await browser.screenshot("02-forced-password-change");
    await page.getByLabel("Current password").fill(ADMIN.firstPassword);
    await page.getByLabel("New password", { exact: true }).fill(ADMIN.password);
    await page.getByLabel("Repeat the new password").fill(ADMIN.password);
    await page.getByRole("button", { name: "Change password" }).click();
    await page.getByRole("heading", { name: "Devices", level: 1 }).waitFor();
    await page.locator('.connection[data-state="live"]').waitFor();
    await page.getByText("No devices yet").waitFor();
  });

  it("signs in with an API token instead, for this tab only", async () => {
    const second = await launchBrowser();
    try {
      const p = second.page;
      await p.goto(url("/"));
      await p.getByRole("button", { name: "Sign in with an API token instead" }).click();
      await p.getByLabel("API token").fill("pat_not-a-token");
      await p.getByRole("button", { name: "Sign in", exact: true }).click();
      await p.getByRole("alert").filter({ hasText: "not valid" }).waitFor();
      // The bootstrap token: its holder must still change the password, which binds sessions only.
      await p.getByLabel("API token").fill(t.api.token!);
      await p.getByRole("button", { name: "Sign in", exact: true }).click();
      await p.getByRole("heading", { name: "Devices", level: 1 }).waitFor();
      await p.locator('.connection[data-state="live"]').waitFor();
      await p.getByText("System admin", { exact: true }).first().waitFor();
    } finally {
      await second.close();
    }
  });

  it("connects a device by its code and shows it live in the devices table", async () => {
    const { device, userCode: shown } = deviceShowingCode(t, { model: "Portal+" });
    devices.push(device);
    const started = device.start();
    const code = await shown;

    // The devices table stays open in this tab; the code is typed in a second one.
    const connectTab = await browser.browser.newPage();
    await connectTab.goto(url("/connect"));
    await connectTab.getByLabel("Device code").fill(code.replace("-", "").toLowerCase());
    await connectTab.getByRole("button", { name: "Connect", exact: true }).click();
    await started;
    coded = device as SimulatedDevice & { deviceId: string };
    codedId = coded.deviceId;
    await connectTab.locator(`li[data-device-id="${device.deviceId}"] .presence.is-online`).waitFor();
    await browser.screenshot("03-connect", connectTab);
    await connectTab.close();

    const name = `Portal+ ${device.serial.slice(-4).toUpperCase()}`;
    await row(name).getByText("Online").waitFor();
    await browser.screenshot("04-devices-one");
  });

  it("renames the device from its row menu", async () => {
    const oldName = (await t.api.get<{ name: string }>(`/devices/${coded.deviceId}`)).body.name;
    await openRowMenu(oldName);
    await page.getByRole("menuitem", { name: "Edit device name" }).click();
    const dialog = page.getByRole("dialog", { name: "Edit device name" });
    await dialog.getByLabel("Device name").fill("Lobby display");
    await dialog.getByRole("button", { name: "Save name" }).click();
    await row("Lobby display").waitFor();
    await waitUntil(t, () => coded.platform.name === "Lobby display", "device shows its new name");
  });

  it("locks the screen and sees the device report it", async () => {
    await openRowMenu("Lobby display");
    await page.getByRole("menuitem", { name: "Lock screen" }).click();
    await row("Lobby display").getByText("Locked", { exact: true }).waitFor();
    expect(coded.platform.locked).toBe(true);
  });

  it("sets the global time zone and sees the device report it", async () => {
    await nav().getByRole("link", { name: "Date and time" }).click();
    await page.getByRole("heading", { name: "Date and time", level: 1 }).waitFor();
    await page.getByLabel(/A specific region/).check();
    await page.getByLabel("Search regions").fill("tokyo");
    await page.getByLabel("Region", { exact: true }).selectOption("Asia/Tokyo");
    // Until it is saved, the device still runs the old setting: not applied yet.
    await page.getByRole("button", { name: "Save and apply to all devices" }).click();
    await page
      .getByRole("dialog", { name: "Change date & time on 1 device?" })
      .getByRole("button", { name: "Apply to 1 device" })
      .click();
    await page.getByText("Now: Asia/Tokyo").waitFor();
    await page
      .getByTestId("time-applied")
      .filter({ hasText: /^1 of 1 device/ })
      .waitFor();
    await page.getByText("Every device runs this setting").waitFor();
    await browser.screenshot("05-date-and-time");
    expect(coded.platform.timezone).toBe("Asia/Tokyo");

    await page.goto(url(`/devices/${coded.deviceId}`));
    const zoneRow = page
      .getByRole("table", { name: "Desired and reported configuration" })
      .getByRole("row", { name: /Time zone/ });
    await zoneRow.getByRole("cell", { name: "Asia/Tokyo" }).nth(1).waitFor();
    await page.getByRole("table", { name: "Command history" }).getByText("succeeded").first().waitFor();
    await browser.screenshot("06-device-details");
  });

  it(`reboots ${FLEET_SIZE} devices as a fleet action and shows the progress reach 100%`, async () => {
    const token = await createEnrollmentToken(t, FLEET_SIZE);
    const fleet = await Promise.all(
      Array.from({ length: FLEET_SIZE }, (_, i) =>
        startDevice(t, {
          enrollmentToken: token,
          serial: uniqueSerial(`FLEET${String(i).padStart(2, "0")}`),
          model: i % 2 ? "Portal Go" : "Portal",
          rebootDurationMs: 300,
          latencyMs: { min: 5, max: 60 },
          clockOffsetMs: i === 3 ? 4200 : i * 7,
        }),
      ),
    );
    devices.push(...fleet);
    await nav().getByRole("link", { name: "Devices", exact: true }).click();
    await page.getByText(`${FLEET_SIZE + 1} managed devices`).waitFor();
    // One clock runs 4.2 s ahead, past the 1 s drift threshold: the tile counts it.
    const driftTile = page.locator(".tile", { hasText: "Clock drift" }).locator(".tile-value");
    await expect.poll(() => driftTile.textContent()).toBe("1");
    await browser.screenshot("07-devices");

    await page.getByLabel("Search devices by name or serial").fill("FLEET");
    await page.getByLabel("Search devices by name or serial").press("Enter");
    await page.getByText(`1–${FLEET_SIZE} of ${FLEET_SIZE}`).waitFor();
    await page.getByLabel("Select all devices on this page").check();
    await page.getByText(`${FLEET_SIZE} devices selected`).waitFor();
    await page.getByRole("region", { name: "Selection" }).getByRole("button", { name: "Reboot" }).click();
    const confirm = page.getByRole("dialog", { name: `Reboot ${FLEET_SIZE} devices?` });
    await confirm.getByRole("button", { name: `Reboot ${FLEET_SIZE} devices` }).click();

    await page.getByRole("heading", { name: `Reboot on ${FLEET_SIZE} devices` }).waitFor();
    await page.getByTestId("batch-percent").filter({ hasText: /^100%/ }).waitFor({ timeout: 45_000 });
    await page.getByText(`Finished: ${FLEET_SIZE} succeeded.`).waitFor();
    const bar = page.getByRole("progressbar", { name: "Progress of Reboot" });
    expect(await bar.getAttribute("aria-valuenow")).toBe("100");
    await browser.screenshot("08-fleet-action");
    for (const d of fleet) expect(d.platform.reboots).toBe(1);
    await nav().getByRole("link", { name: "Fleet actions" }).click();
    await page.getByRole("heading", { name: "Fleet actions", level: 1 }).waitFor();
    await browser.screenshot("09-fleet-actions");
  });

  it("sorts and pages on the server", async () => {
    await page.goto(url("/devices?size=8"));
    await page.getByText(`1–8 of ${FLEET_SIZE + 1}`).waitFor();
    await page.getByRole("button", { name: "Next ›" }).click();
    await page.getByText(`9–16 of ${FLEET_SIZE + 1}`).waitFor();
    await page.getByRole("button", { name: "Next ›" }).click();
    await page.getByText(`17–${FLEET_SIZE + 1} of ${FLEET_SIZE + 1}`).waitFor();
    expect(await page.getByRole("button", { name: "Next ›" }).isDisabled()).toBe(true);
    await page.getByRole("button", { name: "‹ Previous" }).click();
    await page.getByText(`9–16 of ${FLEET_SIZE + 1}`).waitFor();

    // Largest clock offset first: the device 4.2 s ahead leads, flagged.
    await page.getByRole("button", { name: /^Clock offset/ }).click();
    await page.getByText(`1–8 of ${FLEET_SIZE + 1}`).waitFor();
    const header = page.getByRole("columnheader", { name: /Clock offset/ });
    expect(await header.getAttribute("aria-sort")).toBe("descending");
    const firstRow = page.getByRole("row").nth(1);
    await firstRow.getByText("+4.2 s").waitFor();
    expect(await firstRow.locator(".text-warn").count()).toBe(1);
  });

  it("permanently deactivates a device only after its name is typed", async () => {
    await nav().getByRole("link", { name: "Devices", exact: true }).click();
    await page.getByLabel("Search devices by name or serial").fill("Lobby");
    await page.getByLabel("Search devices by name or serial").press("Enter");
    await page.getByText("1–1 of 1").waitFor();
    await openRowMenu("Lobby display");
    await page.getByRole("menuitem", { name: "Permanently deactivate" }).click();
    const dialog = page.getByRole("dialog", { name: "Permanently deactivate Lobby display?" });
    await dialog.getByText("This cannot be undone.").waitFor();
    const confirm = dialog.getByRole("button", { name: "Permanently deactivate" });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel(/Type .* to confirm/).fill("Lobby");
    expect(await confirm.isDisabled()).toBe(true);
    await browser.screenshot("10-deactivate-confirmation");
    await dialog.getByLabel(/Type .* to confirm/).fill("Lobby display");
    await confirm.click();
    await dialog.waitFor({ state: "detached" });
    await row("Lobby display").getByText("Deactivated").waitFor();
    const denied = await t.server.store.db
      .selectFrom("denied_serials")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("serial", "=", coded.serial)
      .executeTakeFirst();
    expect(denied?.n).toBe(1);
  });

  it("works by keyboard: the row menu opens, moves and closes with keys", async () => {
    await page.getByLabel("Search devices by name or serial").fill("");
    await page.getByLabel("Search devices by name or serial").press("Enter");
    const menuButton = page.getByRole("button", { name: /^Actions for Portal/ }).first();
    await menuButton.focus();
    await page.keyboard.press("Enter");
    const menu = page.getByRole("menu");
    await menu.waitFor();
    const focused = page.locator(":focus");
    await expect.poll(() => focused.textContent()).toBe("See details");
    await page.keyboard.press("ArrowDown");
    await expect.poll(() => focused.textContent()).toBe("Edit device name");
    await page.keyboard.press("Escape");
    await menu.waitFor({ state: "detached" });
    const label = await menuButton.getAttribute("aria-label");
    await expect.poll(() => focused.getAttribute("aria-label")).toBe(label);
  });

  it("manages roles, admins and API tokens, and shows them in the audit log live", async () => {
    // The audit log stays open in a second tab and receives what happens in the first.
    const auditTab = await browser.browser.newPage();
    await auditTab.goto(url("/audit"));
    await auditTab.getByRole("table", { name: "Audit log" }).waitFor();

    await page.goto(url("/roles"));
    await page.getByRole("button", { name: "New role" }).click();
    const roleDialog = page.getByRole("dialog", { name: "New role" });
    await roleDialog.getByLabel("Name", { exact: true }).fill("Help desk");
    await roleDialog.getByLabel(/Lock, reboot, rename, set time/).check();
    await roleDialog.getByRole("button", { name: "Save role" }).click();
    await page.getByRole("region", { name: "Help desk" }).waitFor();

    await page.goto(url("/admins"));
    await page.getByRole("button", { name: "Add admin" }).click();
    const adminDialog = page.getByRole("dialog", { name: "Add admin" });
    await adminDialog.getByLabel("Email").fill("hal@example.com");
    await adminDialog.getByLabel("Name", { exact: true }).fill("Hal Helpdesk");
    await adminDialog.getByLabel("Role").selectOption({ label: "Help desk" });
    await adminDialog.getByRole("button", { name: "Add admin" }).click();
    // No password given: one is generated and shown once.
    expect((await page.getByTestId("secret").textContent())?.length).toBeGreaterThanOrEqual(12);
    await page
      .getByRole("row")
      .filter({ hasText: "hal@example.com" })
      .getByText("Must change password")
      .waitFor();

    await page.goto(url("/tokens"));
    await page.getByRole("button", { name: "New token" }).click();
    const tokenDialog = page.getByRole("dialog", { name: "New API token" });
    await tokenDialog.getByLabel("Name", { exact: true }).fill("inventory sync");
    await tokenDialog.getByRole("button", { name: "Create token" }).click();
    expect(await page.getByTestId("secret").textContent()).toMatch(/^pat_/);
    const tokenRow = page.getByRole("row").filter({ hasText: "inventory sync" });
    await tokenRow.getByRole("button", { name: "Revoke" }).click();
    await page
      .getByRole("dialog", { name: "Revoke the token inventory sync?" })
      .getByRole("button", { name: "Revoke" })
      .click();
    await tokenRow.waitFor({ state: "detached" });

    for (const action of [
      "Created a role",
      "Added an admin",
      "Created an API token",
      "Revoked an API token",
    ]) {
      await auditTab.getByRole("cell", { name: action, exact: true }).first().waitFor();
    }
    await browser.screenshot("14-audit", auditTab);
    await auditTab.close();
  });

  it("labels every page for screen readers and keeps its contrast (axe-core, WCAG 2 AA)", async () => {
    for (const path of [
      "/devices",
      `/devices/${codedId}`,
      "/fleet",
      "/connect",
      "/settings/time",
      "/admins",
      "/roles",
      "/tokens",
      "/audit",
    ]) {
      await page.goto(url(path));
      await page.getByRole("heading", { level: 1 }).first().waitFor();
      await loaded();
      expect({ path, violations: await accessibilityViolations(page) }).toEqual({ path, violations: [] });
    }
    // An open row menu, and the dialog behind one of its items.
    await page.goto(url("/devices?q=FLEET"));
    await page
      .getByRole("button", { name: /^Actions for Portal/ })
      .first()
      .click();
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.getByRole("menuitem", { name: "Reboot" }).click();
    await page.getByRole("dialog").waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.keyboard.press("Escape");
    await page.getByRole("dialog").waitFor({ state: "detached" });
  });

  it("takes a screenshot of every other page, and of the devices at phone width", async () => {
    for (const [path, heading, shot] of [
      ["/admins", "Admins", "11-admins"],
      ["/roles", "Roles", "12-roles"],
      ["/tokens", "API tokens", "13-tokens"],
      ["/audit", "Audit log", "14-audit"],
    ] as const) {
      await page.goto(url(path));
      await page.getByRole("heading", { name: heading, level: 1 }).waitFor();
      await loaded();
      await browser.screenshot(shot);
    }
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(url("/devices"));
    await page.getByText(`${FLEET_SIZE} managed devices`).waitFor();
    await browser.screenshot("15-devices-phone");
    await page.getByRole("button", { name: "Menu" }).click();
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Date and time" }).click();
    await page.getByRole("heading", { name: "Date and time", level: 1 }).waitFor();
    await browser.screenshot("16-date-and-time-phone");
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it("cancels a fleet action whose devices are offline, and shows the result", async () => {
    const token = await createEnrollmentToken(t, 3);
    for (let i = 0; i < 3; i++) {
      const res = await t.api.post("/enrollment/enroll", {
        token,
        serial: uniqueSerial("IDLE"),
        model: "Portal",
        agentVersion: "1.0.0",
      });
      expect(res.status).toBe(201);
    }
    await page.goto(url("/devices?q=IDLE"));
    await page.getByText("1–3 of 3").waitFor();
    await page.getByLabel("Select all devices on this page").check();
    await page
      .getByRole("region", { name: "Selection" })
      .getByRole("button", { name: "Lock screen" })
      .click();
    await page
      .getByRole("dialog", { name: "Lock 3 devices?" })
      .getByRole("button", { name: "Lock 3 devices" })
      .click();
    await page.getByRole("heading", { name: "Lock screen on 3 devices" }).waitFor();
    await page.locator('.state-count[data-state="queued"] dd').filter({ hasText: "3" }).waitFor();
    await page.getByRole("button", { name: "Cancel remaining" }).click();
    await page
      .getByRole("dialog", { name: "Cancel the rest of this fleet action?" })
      .getByRole("button", { name: "Cancel remaining" })
      .click();
    await page.getByText("Finished: 0 succeeded, 3 canceled.").waitFor();
    // Which devices did not get it, each linked to its page.
    const unsuccessful = page.getByRole("table", { name: "Devices that did not succeed" });
    await unsuccessful.getByRole("row").nth(3).waitFor();
    const rows = unsuccessful.locator("tbody tr");
    expect(await rows.count()).toBe(3);
    for (const row of await rows.all()) {
      expect(await row.getByRole("cell").nth(1).textContent()).toMatch(/canceled/i);
      const link = row.getByRole("link");
      expect(await link.getAttribute("href")).toBe(`/devices/${await row.getAttribute("data-device-id")}`);
    }
    await browser.screenshot("19-fleet-action-canceled");

    // One of them is lost for good: removed at once, since it will never confirm.
    const lost = (await t.api.get<{ items: { id: string; name: string }[] }>("/devices?q=IDLE")).body
      .items[0]!;
    await page.goto(url("/devices?q=IDLE"));
    await openRowMenu(lost.name);
    await page.getByRole("menuitem", { name: "Stop managing device" }).click();
    const dialog = page.getByRole("dialog", { name: `Stop managing ${lost.name}?` });
    await dialog.getByLabel(/The device is offline: remove it now/).check();
    await browser.screenshot("20-remove-offline-device");
    await dialog.getByRole("button", { name: "Remove now" }).click();
    await dialog.waitFor({ state: "detached" });
    await expect
      .poll(async () => (await t.api.get<{ status: string }>(`/devices/${lost.id}`)).body.status)
      .toBe("unmanaged");
  });

  it("replaces a managed device with the one showing a code for its serial, once confirmed", async () => {
    const first = await startDevice(t, { serial: uniqueSerial("SWAP") });
    devices.push(first);
    const deviceId = first.deviceId;
    const firstName = (await t.api.get<{ name: string }>(`/devices/${deviceId}`)).body.name;
    // The same serial, set up again: it shows a code instead of holding a credential.
    const { device: newcomer, userCode } = deviceShowingCode(t, { serial: first.serial });
    devices.push(newcomer);
    const started = newcomer.start();
    const code = await userCode;

    await page.goto(url("/connect"));
    await page.getByLabel("Device code").fill(code);
    await page.getByRole("button", { name: "Connect", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: `Replace ${firstName}?` });
    await dialog
      .getByText(`This replaces ${firstName} (serial ${first.serial}), which is online now.`)
      .waitFor();
    await dialog.getByText(/now at that record is cut off.*open commands are canceled/).waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    await browser.screenshot("21-replace-device-confirmation");
    // Nothing changes before the admin confirms.
    expect(t.server.gateway.isOnline(deviceId)).toBe(true);
    expect(first.status).toBe("online");

    await dialog.getByRole("button", { name: `Replace ${firstName}` }).click();
    await dialog.waitFor({ state: "detached" });
    await started;
    await newcomer.waitForStatus("online");
    expect(newcomer.deviceId).toBe(deviceId);
    await page.locator(`li[data-device-id="${deviceId}"] .presence.is-online`).waitFor();
    await page.getByText("replaced the device with this serial").waitFor();
    // The device that held the record is cut off: its old credential no longer connects.
    await waitUntil(t, () => first.status !== "online", "the replaced device disconnected");
    await waitUntil(t, () => t.server.gateway.isOnline(deviceId), "the newcomer online at the server");
    expect(first.status).not.toBe("online");
  });

  it("creates a named enrollment token, lists its uses, and revokes it", async () => {
    // More usable tokens than a page holds, made first so that the named one leads the list.
    for (let i = 0; i < TOKEN_PAGE_SIZE; i++) await createEnrollmentToken(t, 2);
    await page.goto(url("/connect"));
    await page.getByLabel("Token name").fill("Berlin rollout");
    await page.getByLabel("Devices", { exact: true }).fill("10");
    await page.getByRole("button", { name: "Create token" }).click();
    await page.getByText("Token Berlin rollout created").waitFor();
    const secret = (await page.getByTestId("secret").textContent()) ?? "";
    expect(secret).toMatch(/^pet_/);

    const list = page.getByRole("table", { name: "Enrollment tokens" });
    const tokenRow = list.getByRole("row").filter({ hasText: "Berlin rollout" });
    await tokenRow.getByText("0 of 10").waitFor();
    await tokenRow.getByText("10 left").waitFor();
    await tokenRow.getByText("Usable", { exact: true }).waitFor();
    await tokenRow.getByRole("cell", { name: ADMIN.email }).waitFor();

    const enrolled = await t.api.post("/enrollment/enroll", {
      token: secret,
      serial: uniqueSerial("BERLIN"),
      model: "Portal",
      agentVersion: "1.0.0",
    });
    expect(enrolled.status).toBe(201);
    await tokenRow.getByText("1 of 10").waitFor();
    await tokenRow.getByText("9 left").waitFor();
    await tokenRow.getByText("just now").waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    await browser.screenshot("22-enrollment-tokens");
    // Paged on the server, newest first: the next page follows the first.
    expect(await list.locator("tbody tr").count()).toBe(TOKEN_PAGE_SIZE);
    await page.getByRole("button", { name: "Load more" }).click();
    await expect.poll(() => list.locator("tbody tr").count()).toBeGreaterThan(TOKEN_PAGE_SIZE);

    await tokenRow.getByRole("button", { name: "Revoke" }).click();
    const dialog = page.getByRole("dialog", { name: "Revoke Berlin rollout?" });
    await dialog.getByText("Devices can no longer enroll with Berlin rollout.").waitFor();
    await dialog.getByRole("button", { name: "Revoke token" }).click();
    await dialog.waitFor({ state: "detached" });
    await page.getByLabel("State").selectOption({ label: "Revoked" });
    await tokenRow.getByText("Revoked", { exact: true }).waitFor();
    expect(await tokenRow.getByRole("button", { name: "Revoke" }).count()).toBe(0);

    const refused = await t.api.post<{ error: { code: string } }>("/enrollment/enroll", {
      token: secret,
      serial: uniqueSerial("BERLIN"),
      model: "Portal",
      agentVersion: "1.0.0",
    });
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe("invalid_enrollment_token");
  });

  it("ends a command the device is running, and says why it is canceled", async () => {
    // Every platform action takes 0 to 5 min, as the random source draws: the bottom while the
    // device connects and applies the settings, then the full five minutes for the reboot.
    let slowActions = false;
    const slow = await startDevice(t, {
      serial: uniqueSerial("SLOW"),
      latencyMs: { min: 0, max: 5 * 60_000 },
      random: () => (slowActions ? 1 : 0),
    });
    devices.push(slow);
    const path = `/devices/${slow.deviceId}`;
    await waitUntil(
      t,
      async () => {
        const d = (await t.api.get<ViewedDevice>(path)).body;
        return d.reported !== null && d.reported.appliedConfigVersion >= d.desired.version;
      },
      "the slow device applied its settings",
    );
    slowActions = true;
    const name = (await t.api.get<ViewedDevice>(path)).body.name;

    await page.goto(url(path));
    await page.getByRole("button", { name: `Actions for ${name}` }).click();
    await page.getByRole("menuitem", { name: "Reboot" }).click();
    await page
      .getByRole("dialog", { name: `Reboot ${name}?` })
      .getByRole("button", { name: "Reboot" })
      .click();
    const history = page.getByRole("table", { name: "Command history" });
    const rebootRow = history.locator("tbody tr").filter({ hasText: "Reboot" }).first();
    await rebootRow.getByText("accepted", { exact: true }).waitFor();
    const commandId = (await rebootRow.getAttribute("data-command-id"))!;
    expect(await rebootRow.getByRole("button", { name: "Cancel" }).count()).toBe(0);

    await rebootRow.getByRole("button", { name: "End" }).click();
    const dialog = page.getByRole("dialog", { name: "End the reboot command?" });
    await dialog.getByText("The device is running this command.").waitFor();
    await dialog.getByText(/Ending it marks it canceled here; the device may still finish it/).waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    await dialog.getByRole("button", { name: "End command" }).click();
    await dialog.waitFor({ state: "detached" });
    await rebootRow.getByText("canceled", { exact: true }).waitFor();
    await rebootRow.getByText("Ended by an admin", { exact: true }).waitFor();
    expect(await rebootRow.getByRole("button", { name: "End" }).count()).toBe(0);
    await browser.screenshot("23-command-ended");

    const command = (await t.api.get<{ state: string; errorCode: string }>(`/commands/${commandId}`)).body;
    expect(command).toMatchObject({ state: "canceled", errorCode: "ended_by_admin" });
    // Still running on the device: ending it here did not stop it there.
    expect(slow.platform.reboots).toBe(0);
  });

  it("revokes the credential of an online device from its page: it goes offline and unmanaged", async () => {
    const cutOff = await startDevice(t, { serial: uniqueSerial("CUT") });
    devices.push(cutOff);
    const path = `/devices/${cutOff.deviceId}`;
    const name = (await t.api.get<ViewedDevice>(path)).body.name;
    await page.goto(url(path));
    const header = page.locator(".page-header");
    await header.getByText("Online", { exact: true }).waitFor();

    await page.getByRole("button", { name: `Actions for ${name}` }).click();
    await page.getByRole("menuitem", { name: "Revoke credential" }).click();
    const dialog = page.getByRole("dialog", { name: `Revoke the credential of ${name}?` });
    await dialog.getByText(/It can only come back by enrolling again/).waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    await browser.screenshot("24-revoke-credential");
    await dialog.getByRole("button", { name: "Revoke credential" }).click();
    await dialog.waitFor({ state: "detached" });

    await header.getByText("Offline", { exact: true }).waitFor();
    await header.getByText("Not managed", { exact: true }).waitFor();
    await waitUntil(t, () => cutOff.status !== "online", "the device lost its connection");
    expect(t.server.gateway.isOnline(cutOff.deviceId)).toBe(false);
    expect((await t.api.get<ViewedDevice>(path)).body.status).toBe("unmanaged");
    // Nothing left to revoke: the menu says why.
    await page.getByRole("button", { name: `Actions for ${name}` }).click();
    expect(await page.getByRole("menuitem", { name: "Revoke credential" }).isDisabled()).toBe(true);
    await page.keyboard.press("Escape");

    // A deactivated device: the only action left, and the confirmation says it never comes back.
    await page.goto(url(`/devices/${codedId}`));
    await page.getByRole("button", { name: "Actions for Lobby display" }).click();
    expect(await page.getByRole("menuitem", { name: "Reboot" }).isDisabled()).toBe(true);
    await page.getByRole("menuitem", { name: "Revoke credential" }).click();
    const deactivated = page.getByRole("dialog", { name: "Revoke the credential of Lobby display?" });
    await deactivated.getByText(/keeps its credential only until it answers the deactivation/).waitFor();
    await deactivated.getByText(/It can never come back/).waitFor();
    await deactivated.getByRole("button", { name: "Revoke credential" }).click();
    await deactivated.waitFor({ state: "detached" });
    expect((await t.api.get<ViewedDevice>(`/devices/${codedId}`)).body.status).toBe("deactivated");
  });

  it("hides or disables what an admin without the rights may not do", async () => {
    const role = await t.api.post<{ id: string }>("/roles", { name: "Viewer", rights: ["devices:read"] });
    expect(role.status).toBe(201);
    const viewer = await t.api.post<{ id: string }>("/admins", {
      email: "vic@example.com",
      name: "Vic Viewer",
      roleId: role.body.id,
      password: "viewer-Password-1",
    });
    expect(viewer.status).toBe(201);
    await t.api.patch(`/admins/${viewer.body.id}`, { mustResetPassword: false });

    const second = await launchBrowser();
    try {
      const p = second.page;
      await p.goto(url("/"));
      await p.getByLabel("Email").fill("vic@example.com");
      await p.getByLabel("Password").fill("viewer-Password-1");
      await p.getByRole("button", { name: "Sign in", exact: true }).click();
      await p.getByRole("heading", { name: "Devices", level: 1 }).waitFor();
      const sidebar = p.getByRole("navigation", { name: "Main" });
      await sidebar.getByRole("link", { name: "API tokens" }).waitFor();
      for (const hidden of ["Connect a device", "Admins", "Roles", "Audit log"]) {
        expect(await sidebar.getByRole("link", { name: hidden }).count()).toBe(0);
      }
      expect(await p.getByRole("link", { name: "Connect a device" }).count()).toBe(0);

      await p
        .getByRole("button", { name: /^Actions for Portal/ })
        .first()
        .click();
      for (const item of [
        "Edit device name",
        "Lock screen",
        "Reboot",
        "Factory reset",
        "Revoke credential",
        "Permanently deactivate",
      ]) {
        expect(await p.getByRole("menuitem", { name: item }).isDisabled()).toBe(true);
      }
      expect(await p.getByRole("menuitem", { name: "See details" }).isDisabled()).toBe(false);
      await p.keyboard.press("Escape");
      // Selecting devices offers no fleet action the viewer could not run.
      await p
        .getByRole("checkbox", { name: /^Select Portal/ })
        .first()
        .check();
      const selection = p.getByRole("region", { name: "Selection" });
      await selection.waitFor();
      expect(await selection.getByRole("button", { name: "Reboot" }).count()).toBe(0);
      await second.screenshot("17-devices-viewer");

      await sidebar.getByRole("link", { name: "Date and time" }).click();
      await p.getByText("You can see this setting but not change it").waitFor();
      expect(await p.getByLabel(/A specific region/).isDisabled()).toBe(true);

      // Reached by its address, the connect page names the right it needs.
      await p.goto(url("/connect"));
      await p.getByText("Connecting devices needs the enrollment:manage right").waitFor();
      expect(await p.getByLabel("Device code").count()).toBe(0);
      expect(await p.getByRole("table", { name: "Enrollment tokens" }).count()).toBe(0);

      // Deactivated by another admin: the open console notices at once and asks to sign in.
      await t.api.patch(`/admins/${viewer.body.id}`, { active: false });
      await p.getByRole("heading", { name: "Sign in to the console" }).waitFor();
      await p.getByText("Your session has ended").waitFor();
    } finally {
      await second.close();
    }
  });

  it("shows when live updates are down, and reconnects by itself", async () => {
    await page.goto(url("/devices"));
    await page.locator('.connection[data-state="live"]').waitFor();
    const { httpPort, mqttPort } = t.server;
    await t.stop();
    await page.getByText("Live updates are disconnected").waitFor();
    await page.locator('.connection[data-state="reconnecting"]').waitFor();
    await browser.screenshot("18-disconnected");

    restarted = await startTestServer({ httpPort, mqttPort }, t.dataDir);
    await page.locator('.connection[data-state="live"]').waitFor({ timeout: 30_000 });
    await page.getByText("Live updates are disconnected").waitFor({ state: "detached" });
    // Still signed in: the session outlives the restart.
    await page.getByRole("heading", { name: "Devices", level: 1 }).waitFor();
  });
});
