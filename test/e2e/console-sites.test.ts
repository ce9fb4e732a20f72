/**
 * Sites and labels in the web console end to end, in Debian's Chromium, with real simulated
 * displays: a site with a time zone of its own created in the console, two devices moved into
 * it from the devices page's selection, the site's device count, a device page saying where its
 * date & time comes from, a label added on the device page and the devices list filtered by it.
 * Real server, real agents over MQTT.
 */
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { accessibilityViolations, type TestBrowser } from "../helpers/browser.js";
import { useConsoleFixture } from "../helpers/console-fixture.js";
import { type EnrolledDevice, startDevices, uniqueSerial, waitUntil } from "../helpers/devices.js";
import type { TestServer } from "../helpers/test-server.js";

const ADMIN = { email: "sam@example.com", name: "Sam Sites", password: "quiet-Meadow-lantern-7" };
const SITE = "Berlin office";
const SITE_ZONE = "Europe/Berlin";
const GLOBAL_ZONE = "Asia/Tokyo";
const LABEL = "lobby";

interface ViewedDevice {
  id: string;
  name: string;
  site: { id: string; name: string } | null;
  labels: string[];
  reported: { timezone: string } | null;
}

let t: TestServer;
let browser: TestBrowser;
let page: Page;
const devices: EnrolledDevice[] = [];
/** Their names, as the server gave them at enrollment. */
const names: string[] = [];

const url = (path: string) => `${t.server.httpUrl}${path}`;
const apiDevice = async (id: string) => (await t.api.get<ViewedDevice>(`/devices/${id}`)).body;
const deviceRows = () => page.locator("table[aria-label=Devices] tbody tr");
const siteRow = (name: string) =>
  page.getByRole("row").filter({ has: page.getByRole("link", { name, exact: true }) });

async function loaded(): Promise<void> {
  await expect.poll(() => page.locator("main .spinner").count()).toBe(0);
}

const fixture = useConsoleFixture("sites");

beforeAll(async () => {
  ({ server: t, browser, page } = await fixture.open({ admin: ADMIN, devices }));
  // Devices outside a site follow this; those in the site must not.
  expect((await t.api.put("/settings/time", { timezone: GLOBAL_ZONE, ntpServer: null })).status).toBe(200);

  devices.push(...(await startDevices(t, 3, (i) => uniqueSerial(`SITE${i}`))));
  for (const d of devices) names.push((await apiDevice(d.deviceId)).name);
  expect(new Set(names).size).toBe(3);

  await fixture.signIn();
}, 120_000);

describe("sites and labels in the console", () => {
  it("creates a site with a time zone of its own", async () => {
    // From the sidebar, next to Date and time.
    await page.getByRole("navigation").getByRole("link", { name: "Sites", exact: true }).click();
    await page.getByRole("heading", { name: "Sites", level: 1 }).waitFor();
    await page.getByText("No sites yet").waitFor();
    await page.getByRole("button", { name: "Create site" }).click();
    const dialog = page.getByRole("dialog", { name: "Create site" });
    await dialog.getByLabel("Site name").fill(SITE);
    await dialog.getByLabel("A time zone of its own").check();
    await dialog.getByLabel("Search regions").fill("berlin");
    await dialog.getByLabel("Region", { exact: true }).selectOption(SITE_ZONE);
    await dialog.getByText(`Selected: ${SITE_ZONE}`).waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    await dialog.getByRole("button", { name: "Create site" }).click();
    await page.getByText(`Site ${SITE} created`).waitFor();
    await dialog.waitFor({ state: "detached" });

    const row = siteRow(SITE);
    await row.getByRole("cell", { name: SITE_ZONE, exact: true }).waitFor();
    await row.getByText("No devices").waitFor();
    const sites = (
      await t.api.get<{ items: { name: string; time: { timezone: string } | null }[] }>("/sites")
    ).body.items;
    expect(sites.map((s) => [s.name, s.time?.timezone])).toEqual([[SITE, SITE_ZONE]]);
    await browser.screenshot("sites-01-list");
  });

  it("gives the site a maintenance window, shown open or closed with its next change", async () => {
    const row = siteRow(SITE);
    await row.getByRole("button", { name: `Actions for ${SITE}` }).click();
    await page.getByRole("menuitem", { name: "Edit name, date & time and window" }).click();
    const dialog = page.getByRole("dialog", { name: `Edit ${SITE}` });
    await dialog.getByLabel("Commands sent “only in the maintenance window” wait for it").check();
    await dialog.getByLabel("Opens at").fill("01:00");
    await dialog.getByLabel("Closes at").fill("05:00");
    await dialog.getByLabel("Sat", { exact: true }).check();
    await dialog.getByLabel("Sun", { exact: true }).check();
    // Without a zone of its own, the window is read in the site's.
    await dialog
      .getByRole("option", { name: `The site's time zone (${SITE_ZONE})` })
      .waitFor({ state: "attached" });
    expect(await accessibilityViolations(page)).toEqual([]);
    await dialog.getByRole("button", { name: "Save site" }).click();
    await page.getByText(`Site ${SITE} saved`).waitFor();
    const site = (await t.api.get<{ items: { window: unknown; windowState: { open: boolean } }[] }>("/sites"))
      .body.items[0]!;
    expect(site.window).toEqual({ start: "01:00", end: "05:00", days: ["sat", "sun"], timezone: SITE_ZONE });
    const cell = row.getByTestId("site-window");
    await cell.getByText(`01:00–05:00 Sat, Sun, ${SITE_ZONE}`).waitFor();
    await cell.getByText(site.windowState.open ? "Open" : "Closed", { exact: true }).waitFor();
    await cell.getByText(site.windowState.open ? /^until / : /^opens (Sat|Sun) 01:00$/).waitFor();
    await browser.screenshot("sites-01b-window");
  });

  it("moves two devices into the site from the devices page's selection", async () => {
    await page.goto(url("/devices?sort=name"));
    await loaded();
    for (const name of names.slice(0, 2)) {
      await page.getByRole("checkbox", { name: `Select ${name}`, exact: true }).check();
    }
    const selection = page.getByRole("region", { name: "Selection" });
    await selection.getByText("2 devices selected").waitFor();
    await selection.getByRole("button", { name: "Move to site…" }).click();
    const dialog = page.getByRole("dialog", { name: "Move 2 devices to a site" });
    await dialog.getByLabel("Site", { exact: true }).selectOption({ label: SITE });
    await dialog.getByText(`Each device takes the site's date & time, ${SITE_ZONE}.`).waitFor();
    await dialog.getByRole("button", { name: `Move to ${SITE}` }).click();
    await page.getByText(`2 devices moved to ${SITE}`).waitFor();

    // Each moved row names its site under the device's name; the third has none.
    for (const name of names.slice(0, 2)) {
      const row = deviceRows().filter({ has: page.getByRole("link", { name, exact: true }) });
      await row.getByRole("link", { name: SITE, exact: true }).waitFor();
    }
    const third = deviceRows().filter({ has: page.getByRole("link", { name: names[2]!, exact: true }) });
    await third.waitFor();
    expect(await third.getByRole("link", { name: SITE, exact: true }).count()).toBe(0);

    // The devices take the site's zone; the third keeps the global one.
    await waitUntil(
      t,
      async () =>
        (await apiDevice(devices[0]!.deviceId)).reported?.timezone === SITE_ZONE &&
        (await apiDevice(devices[1]!.deviceId)).reported?.timezone === SITE_ZONE,
      "both moved devices run the site's zone",
    );
    expect((await apiDevice(devices[2]!.deviceId)).site).toBeNull();
    await browser.screenshot("sites-02-devices-moved");
  });

  it("shows the site's device count and that both devices applied its date & time", async () => {
    await page.getByRole("navigation").getByRole("link", { name: "Sites", exact: true }).click();
    const row = siteRow(SITE);
    await row.getByRole("link", { name: `2 devices in ${SITE}` }).waitFor();
    await row.getByText("2 applied").waitFor();

    await row.getByRole("link", { name: SITE, exact: true }).click();
    await page.getByRole("heading", { name: SITE, level: 1 }).waitFor();
    await expect.poll(() => page.getByTestId("site-device-count").textContent()).toBe("2 devices");
    await expect.poll(() => page.getByTestId("site-applied").textContent()).toBe("2 of 2 devices applied");
    await page.getByText("Every device of this site runs it").waitFor();
    const list = page.getByRole("list", { name: `Devices of ${SITE}` });
    for (const name of names.slice(0, 2)) await list.getByRole("link", { name, exact: true }).waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    await browser.screenshot("sites-03-site-page");

    // Its devices on the devices page: the list filtered by the site.
    await page.getByRole("link", { name: "Show on the devices page" }).click();
    await page.getByRole("heading", { name: "Devices", level: 1 }).waitFor();
    await expect.poll(() => new URL(page.url()).searchParams.get("site")).toMatch(/^site/);
    await expect.poll(() => page.getByLabel("Site", { exact: true }).inputValue()).not.toBe("");
    await expect.poll(() => deviceRows().count()).toBe(2);
  });

  it("says on a device page where its date & time comes from", async () => {
    await page.goto(url(`/devices/${devices[0]!.deviceId}`));
    await page.getByRole("heading", { name: names[0]!, level: 1 }).waitFor();
    await page.getByTestId("effective-time").getByText(`${SITE_ZONE}, from site ${SITE}`).waitFor();
    await page.getByTestId("device-site").getByRole("link", { name: SITE }).waitFor();

    await page.goto(url(`/devices/${devices[2]!.deviceId}`));
    await page.getByRole("heading", { name: names[2]!, level: 1 }).waitFor();
    await page.getByTestId("effective-time").getByText(`${GLOBAL_ZONE}, from the global setting`).waitFor();
    await page.getByTestId("device-site").getByText("No site").waitFor();
  });

  it("adds a label on the device page and filters the devices list by it", async () => {
    await page.goto(url(`/devices/${devices[1]!.deviceId}`));
    await page.getByRole("heading", { name: names[1]!, level: 1 }).waitFor();
    await page.getByText("No labels").waitFor();
    await page.getByLabel("Add labels").fill(LABEL);
    await page.getByRole("button", { name: "Add", exact: true }).click();
    await page.getByText(`Label ${LABEL} added`).waitFor();
    await page.getByRole("list", { name: "Labels" }).getByText(LABEL, { exact: true }).waitFor();
    await page.getByRole("button", { name: `Remove label ${LABEL}` }).waitFor();
    expect((await apiDevice(devices[1]!.deviceId)).labels).toEqual([LABEL]);
    await browser.screenshot("sites-04-device-labels");

    await page.goto(url("/devices?sort=name"));
    await loaded();
    await expect.poll(() => deviceRows().count()).toBe(3);
    await page.getByLabel("Label", { exact: true }).selectOption(LABEL);
    await expect.poll(() => new URL(page.url()).searchParams.get("label")).toBe(LABEL);
    await expect.poll(() => deviceRows().count()).toBe(1);
    await deviceRows().getByRole("link", { name: names[1]!, exact: true }).waitFor();
    await deviceRows().getByText(LABEL, { exact: true }).waitFor();
    await browser.screenshot("sites-05-devices-by-label");
  });

  it("creates an enrollment token that enrolls into the site with a label", async () => {
    await page.goto(url("/connect"));
    await page.getByLabel("Token name").fill("Berlin rollout");
    // The code form above has a site of its own.
    await page.getByLabel("Site", { exact: true }).waitFor();
    await page.getByLabel("Site of its devices").selectOption({ label: SITE });
    await page.getByLabel("Labels", { exact: true }).fill(`${LABEL}, kiosk`);
    await page.getByRole("button", { name: "Create token" }).click();
    await page.getByText("Token Berlin rollout created").waitFor();
    const tokenRow = page
      .getByRole("table", { name: "Enrollment tokens" })
      .getByRole("row")
      .filter({ hasText: "Berlin rollout" });
    await tokenRow.getByRole("link", { name: SITE, exact: true }).waitFor();
    for (const label of [LABEL, "kiosk"]) await tokenRow.getByText(label, { exact: true }).waitFor();

    const secret = (await page.getByTestId("secret").textContent()) ?? "";
    const enrolled = await t.api.post<{ deviceId: string }>("/enrollment/enroll", {
      token: secret,
      serial: uniqueSerial("ROLLOUT"),
      model: "Portal",
      agentVersion: "1.0.0",
    });
    expect(enrolled.status).toBe(201);
    const device = await apiDevice(enrolled.body.deviceId);
    expect([device.site?.name, device.labels]).toEqual([SITE, ["kiosk", LABEL]]);
    await tokenRow.getByText("1 of 10").waitFor();
    await browser.screenshot("sites-06-enrollment-token");
  });

  it("never scrolls sideways at 390 × 844", async () => {
    const siteId = (await apiDevice(devices[0]!.deviceId)).site!.id;
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      for (const [path, heading] of [
        ["/sites", "Sites"],
        [`/sites/${siteId}`, SITE],
        [`/devices/${devices[1]!.deviceId}`, names[1]!],
        ["/devices", "Devices"],
      ] as const) {
        await page.goto(url(path));
        await page.getByRole("heading", { level: 1, name: heading }).waitFor();
        await loaded();
        const overflow = (await page.evaluate(
          "document.documentElement.scrollWidth - window.innerWidth",
        )) as number;
        expect({ path, overflow }).toEqual({ path, overflow: 0 });
      }
      await browser.screenshot("sites-07-site-page-phone");
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });
});
