/**
 * Devices assigned in bulk by serial number in the web console end to end, in Debian's
 * Chromium: a CSV with a header and quoted fields uploaded from the devices page and its devices
 * moved to a site (then listed on the site's page), a file dropped whose unknown serial is shown
 * by name and left out before its labels are added, a device added from the site's page (its
 * site picked already), and a list over the API's limit refused before anything is sent. Real server, real store; the devices enroll through the API.
 */
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { accessibilityViolations, type TestBrowser } from "../helpers/browser.js";
import { useConsoleFixture } from "../helpers/console-fixture.js";
import { enrollCredentials, uniqueSerial } from "../helpers/devices.js";
import type { TestServer } from "../helpers/test-server.js";

const ADMIN = { email: "bo@example.com", name: "Bo Bulk", password: "copper-Valley-garden-9" };
const SITE = "Hamburg warehouse";
const SITE_ZONE = "Europe/Berlin";
const LABEL = "kiosk";

interface ViewedDevice {
  id: string;
  name: string;
  serial: string;
  site: { id: string; name: string } | null;
  labels: string[];
}

let t: TestServer;
let browser: TestBrowser;
let page: Page;
let siteId = "";
const devices: ViewedDevice[] = [];

const url = (path: string) => `${t.server.httpUrl}${path}`;
const apiDevice = async (id: string) => (await t.api.get<ViewedDevice>(`/devices/${id}`)).body;
const dialog = () => page.getByRole("dialog", { name: "Import serial numbers" });

async function openImport(): Promise<void> {
  await page.goto(url("/devices"));
  await page.getByRole("heading", { name: "Devices", level: 1 }).waitFor();
  await page.getByRole("button", { name: "Import serials…" }).click();
  await dialog().waitFor();
}

const fixture = useConsoleFixture("bulk-serials");

beforeAll(async () => {
  ({ server: t, browser, page } = await fixture.open({ admin: ADMIN }));
  const site = await t.api.post<{ id: string }>("/sites", {
    name: SITE,
    time: { timezone: SITE_ZONE, ntpServer: null },
  });
  expect(site.status).toBe(201);
  siteId = site.body.id;
  for (let i = 0; i < 4; i++) {
    const { deviceId } = await enrollCredentials(t, uniqueSerial(`BULK${i}`));
    devices.push(await apiDevice(deviceId));
  }
  await fixture.signIn();
}, 60_000);

describe("bulk assignment by serial number in the console", () => {
  it("uploads a CSV with a header and quoted fields and moves its devices to a site", async () => {
    const [a, b, c] = devices;
    // A spreadsheet's export: a byte order mark, CRLF, quoted fields with commas, a row twice.
    const csv =
      "\uFEFF" +
      [
        '"Device name","Serial Number",Notes',
        `"Lobby, left","${a!.serial}",`,
        `Lobby right,${b!.serial},"said ""hi"""`,
        `"Dock 3",${c!.serial},"two`,
        `lines"`,
        `"Lobby, left again",${a!.serial},`,
      ].join("\r\n") +
      "\r\n";
    await openImport();
    await dialog()
      .getByLabel("CSV or text file")
      .setInputFiles({ name: "inventory.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
    const summary = dialog().getByTestId("serials-summary");
    await summary
      .getByText("3 serial numbers from the column “Serial Number” · 1 duplicate removed")
      .waitFor();
    await summary.getByText(`${a!.serial}, ${b!.serial}, ${c!.serial}`).waitFor();
    await dialog().getByText("inventory.csv").waitFor();

    await dialog().getByLabel("Site", { exact: true }).selectOption({ label: SITE });
    await dialog().getByText(`Each device takes the site's date & time, ${SITE_ZONE}.`).waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    await browser.screenshot("bulk-serials-01-read");
    await dialog()
      .getByRole("button", { name: `Move 3 devices to ${SITE}` })
      .click();

    // The server's answer, in the dialog.
    await expect
      .poll(() => dialog().getByTestId("bulk-answer").textContent())
      .toBe(`3 devices moved to ${SITE}.`);
    await dialog().getByText("3 devices named by 3 serial numbers.").waitFor();
    await browser.screenshot("bulk-serials-02-moved");
    await dialog().getByRole("button", { name: "Done" }).click();
    await dialog().waitFor({ state: "detached" });
    for (const d of [a!, b!, c!]) expect((await apiDevice(d.id)).site?.id).toBe(siteId);
    expect((await apiDevice(devices[3]!.id)).site).toBeNull();

    // The site's page lists them.
    await page.goto(url(`/sites/${siteId}`));
    await page.getByRole("heading", { name: SITE, level: 1 }).waitFor();
    const list = page.getByRole("list", { name: `Devices of ${SITE}` });
    for (const d of [a!, b!, c!]) await list.getByRole("link", { name: d.name, exact: true }).waitFor();
    await expect.poll(() => page.getByTestId("site-device-count").textContent()).toBe("3 devices");
  });

  it("shows a dropped file's unknown serial by name, and leaves it out to go on", async () => {
    const known = devices[3]!;
    const unknown = "NO-SUCH-DEVICE-1";
    await openImport();
    // Dropped on the zone, as from a file manager.
    const zone = dialog().getByTestId("serials-drop-zone");
    const dataTransfer = await page.evaluateHandle(
      `(() => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([${JSON.stringify(`serial\n${known.serial}\n${unknown}\n`)}], "more.csv", { type: "text/csv" }));
        return transfer;
      })()`,
    );
    await zone.dispatchEvent("dragenter", { dataTransfer });
    await zone.dispatchEvent("dragover", { dataTransfer });
    await zone.dispatchEvent("drop", { dataTransfer });
    await dialog().getByText("2 serial numbers from the column “serial”").waitFor();

    await dialog().getByLabel("Change labels").check();
    await dialog().getByLabel("Add labels", { exact: true }).fill(LABEL);
    await dialog().getByRole("button", { name: "Change labels of 2 devices" }).click();

    // Refused by name: nothing was done yet.
    const refusal = dialog().getByTestId("unknown-serials");
    await refusal.getByText("This serial number is not known to this server:").waitFor();
    await refusal
      .getByRole("list", { name: "Unknown serial numbers" })
      .getByText(unknown, { exact: true })
      .waitFor();
    expect((await apiDevice(known.id)).labels).toEqual([]);
    expect(await accessibilityViolations(page)).toEqual([]);
    await browser.screenshot("bulk-serials-03-unknown");

    await dialog().getByRole("button", { name: "Leave them out and go on" }).click();
    await expect
      .poll(() => dialog().getByTestId("bulk-answer").textContent())
      .toBe("Labels changed on 1 device of 1.");
    await dialog().getByText("Left out, not known to this server: 1 serial number.").waitFor();
    await dialog()
      .getByRole("list", { name: "Serial numbers left out" })
      .getByText(unknown, { exact: true })
      .waitFor();
    expect((await apiDevice(known.id)).labels).toEqual([LABEL]);
    await dialog().getByRole("button", { name: "Done" }).click();
    await dialog().waitFor({ state: "detached" });
  });

  it("adds a device to a site from the site's page, the site picked already", async () => {
    const added = devices[3]!;
    await page.goto(url(`/sites/${siteId}`));
    await page.getByRole("heading", { name: SITE, level: 1 }).waitFor();
    await page.getByRole("button", { name: "Add devices by serial…" }).click();
    await dialog().waitFor();
    await expect.poll(() => dialog().getByLabel("Site", { exact: true }).inputValue()).toBe(siteId);
    await dialog().getByLabel("Or paste serial numbers").fill(added.serial);
    await dialog()
      .getByRole("button", { name: `Move 1 device to ${SITE}` })
      .click();
    await expect
      .poll(() => dialog().getByTestId("bulk-answer").textContent())
      .toBe(`1 device moved to ${SITE}.`);
    await dialog().getByRole("button", { name: "Done" }).click();
    await dialog().waitFor({ state: "detached" });
    expect((await apiDevice(added.id)).site?.id).toBe(siteId);
    // The page follows without a reload.
    await expect.poll(() => page.getByTestId("site-device-count").textContent()).toBe("4 devices");
  });

  it("counts a pasted list, and refuses one over 100 000 serials before sending anything", async () => {
    await openImport();
    await dialog().getByLabel("Or paste serial numbers").fill("P-1\nP-2\n P-1 \n\n");
    await dialog().getByText("2 serial numbers · 1 duplicate removed").waitFor();

    const audited = (await t.api.get<{ items: unknown[] }>("/audit?action=site.assign")).body.items.length;
    const huge = `serial\n${Array.from({ length: 100_001 }, (_, n) => `X${n}`).join("\n")}\n`;
    await dialog()
      .getByLabel("CSV or text file")
      .setInputFiles({ name: "huge.csv", mimeType: "text/csv", buffer: Buffer.from(huge) });
    await dialog()
      .getByRole("alert")
      .filter({ hasText: "100,001 serial numbers: at most 100,000 go at once. Split the list." })
      .waitFor();
    expect(
      await dialog()
        .getByRole("button", { name: /^Move 100,001 devices/ })
        .isDisabled(),
    ).toBe(true);
    expect((await t.api.get<{ items: unknown[] }>("/audit?action=site.assign")).body.items.length).toBe(
      audited,
    );

    // At phone width the dialog does not scroll sideways.
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      const overflow = (await page.evaluate(
        "document.documentElement.scrollWidth - window.innerWidth",
      )) as number;
      expect(overflow).toBe(0);
      await browser.screenshot("bulk-serials-04-too-many-phone");
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });
});
