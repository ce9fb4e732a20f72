/**
 * Rollouts in the web console end to end, in Debian's Chromium, with real simulated displays:
 * a lock rolled out to four devices in two phases, created in the console's dialog (half the
 * devices first, an admin's approval, then the rest). The displays are off when it starts and
 * are switched on one by one, so each phase's bar is seen moving a device at a time, pushed by
 * the server: phase 2 waits for the approval given on the page, then fills in turn, and the
 * rollout ends completed, in the list too; a phase links to its fleet action. Real server,
 * real agents over MQTT.
 */
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { accessibilityViolations, type TestBrowser } from "../helpers/browser.js";
import { useConsoleFixture } from "../helpers/console-fixture.js";
import { type EnrolledDevice, startDevices, uniqueSerial, waitUntil } from "../helpers/devices.js";
import type { TestServer } from "../helpers/test-server.js";

const ADMIN = { email: "robin@example.com", name: "Robin Rollouts", password: "copper-Lantern-meadow-8" };
const NAME = "Lock the lobby, half first";

interface ViewedRollout {
  id: string;
  name: string;
  state: string;
  command: { type: string };
  target: unknown;
  devices: number;
  phases: { state: string; size: unknown; gate: unknown; devices: number; batchId: string | null }[];
}

type Device = EnrolledDevice;

let t: TestServer;
let browser: TestBrowser;
let page: Page;
const devices: Device[] = [];
let rolloutId = "";

const phase = (index: number) => page.locator(`[data-testid=rollout-phase][data-phase="${index}"]`);
const phaseBar = (index: number) => phase(index).getByRole("progressbar");
const locked = () => devices.filter((d) => d.platform.locked).length;
const rolloutView = async () => (await t.api.get<ViewedRollout>(`/rollouts/${rolloutId}`)).body;

const offline = async (d: Device) => {
  await d.stop();
  await waitUntil(t, () => !t.server.gateway.isOnline(d.deviceId), "device offline");
};
const online = async (d: Device) => {
  await d.start();
  await waitUntil(t, () => t.server.gateway.isOnline(d.deviceId), "device online");
};

/** The devices of phase `index`, from its fleet action. */
async function devicesOfPhase(index: number): Promise<Device[]> {
  const batchId = (await rolloutView()).phases[index]!.batchId!;
  const commands = (
    await t.api.get<{ items: { deviceId: string }[] }>(`/batches/${batchId}/commands?limit=10`)
  ).body.items;
  return commands.map((c) => devices.find((d) => d.deviceId === c.deviceId)!);
}

/** The bar's parts as its data attributes give them: [succeeded, in flight, not released]. */
const parts = async (index: number) => {
  const bar = phaseBar(index);
  return [
    await bar.getAttribute("data-succeeded"),
    await bar.getAttribute("data-in-flight"),
    await bar.getAttribute("data-pending"),
  ].map(Number);
};

/** Marks the document: still marked later, the page has not been reloaded in between. */
const markDocument = () => page.evaluate("window.sameDocument = true");
const sameDocument = () => page.evaluate("window.sameDocument === true");

const fixture = useConsoleFixture("rollouts");

beforeAll(async () => {
  ({ server: t, browser, page } = await fixture.open({ admin: ADMIN, devices }));
  devices.push(...(await startDevices(t, 4, (i) => uniqueSerial(`ROLL${i}`), { concurrently: true })));
  // Off until the test switches each on: their commands wait for them.
  await Promise.all(devices.map(offline));
  await fixture.signIn();
}, 60_000);

describe("rollouts in the console", () => {
  it("creates a two-phase rollout with an approval gate in the dialog", async () => {
    // From the sidebar, next to Fleet actions.
    await page.getByRole("navigation").getByRole("link", { name: "Rollouts", exact: true }).click();
    await page.getByRole("heading", { name: "Rollouts", level: 1 }).waitFor();
    await page.getByText("No rollouts yet").waitFor();
    await page.getByRole("button", { name: "New rollout" }).click();
    const dialog = page.getByRole("dialog", { name: "New rollout" });
    await dialog.getByLabel("Rollout name").fill(NAME);
    await dialog.getByLabel("Command", { exact: true }).selectOption("lock");
    await dialog.getByLabel("Parts of one target").check();
    await dialog.getByLabel("All devices").check();
    const first = dialog.getByRole("group", { name: "Phase 1", exact: true });
    await first.getByLabel("Size", { exact: true }).fill("50");
    await first.getByLabel("Of", { exact: true }).selectOption("percent");
    await first.getByLabel("Then", { exact: true }).selectOption("approval");
    // The last phase takes the rest, and has no gate.
    const rest = dialog.getByRole("group", { name: "Phase 2 · the rest", exact: true });
    await rest.getByText("The devices no phase before took.").waitFor();
    expect(await rest.getByLabel("Then", { exact: true }).count()).toBe(0);
    expect((await t.api.get<{ items: unknown[] }>("/rollouts")).body.items).toEqual([]);

    // Sizes past the whole target are refused, beside the phases.
    await dialog.getByRole("button", { name: "Add phase" }).click();
    const second = dialog.getByRole("group", { name: "Phase 2", exact: true });
    await second.getByLabel("Size", { exact: true }).fill("60");
    await dialog.getByRole("button", { name: "Start rollout" }).click();
    await dialog
      .getByRole("alert")
      .filter({ hasText: "the phases' sizes add up to 110 % of the target" })
      .waitFor();
    await second.getByRole("button", { name: "Remove phase 2" }).click();
    await dialog.getByRole("group", { name: "Phase 2 · the rest", exact: true }).waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    await browser.screenshot("rollouts-01-new");

    await dialog.getByRole("button", { name: "Start rollout" }).click();
    await page.getByText(`Rollout ${NAME} started`).waitFor();
    await page.getByRole("heading", { name: NAME, level: 1 }).waitFor();
    rolloutId = decodeURIComponent(new URL(page.url()).pathname.split("/").at(-1)!);
    expect(await rolloutView()).toMatchObject({
      name: NAME,
      command: { type: "lock" },
      target: { all: true },
      devices: 4,
    });
    expect((await rolloutView()).phases.map((p) => [p.size, p.gate, p.devices])).toEqual([
      [{ percent: 50 }, { approval: true }, 2],
      [null, null, 2],
    ]);
  });

  it("fills phase 1's bar live, a device at a time, and holds phase 2 for approval", async () => {
    await markDocument();
    // Phase 1 has sent both its commands; the gate holds phase 2 back from now on.
    await expect.poll(() => phase(0).getAttribute("data-state")).toBe("waiting_approval");
    await page.getByTestId("rollout-state").getByText("Waiting for approval").waitFor();
    await expect.poll(() => parts(0)).toEqual([0, 2, 0]);
    await page
      .getByText("Phase 1 has sent every command: 2 in flight. Phase 2 starts once an admin approves it.")
      .waitFor();
    // Phase 2 has not started: both of its devices wait, none was sent the command.
    expect(await phase(1).getAttribute("data-state")).toBe("pending");
    await phase(1).getByText("Not started").waitFor();
    expect(await parts(1)).toEqual([0, 0, 2]);
    expect(await phaseBar(1).getAttribute("aria-valuetext")).toBe("0% finished: 2 not released");

    const [a, b] = await devicesOfPhase(0);
    await online(a!);
    await expect.poll(() => parts(0), { timeout: 10_000 }).toEqual([1, 1, 0]);
    expect(await phaseBar(0).getAttribute("aria-valuetext")).toBe("50% finished: 1 succeeded, 1 in flight");
    await page.getByTestId("rollout-summary").getByText("of 4 devices succeeded").waitFor();
    expect(locked()).toBe(1);
    await browser.screenshot("rollouts-02-phase-1-half");

    await online(b!);
    await expect.poll(() => parts(0), { timeout: 10_000 }).toEqual([2, 0, 0]);
    await page.getByText("Phase 1 is done: 2 succeeded. Phase 2 starts once an admin approves it.").waitFor();
    expect(await phaseBar(0).getAttribute("aria-valuenow")).toBe("100");
    expect(await parts(1)).toEqual([0, 0, 2]);
    expect(locked()).toBe(2);
    expect(await sameDocument()).toBe(true);
    expect(await accessibilityViolations(page)).toEqual([]);
    await browser.screenshot("rollouts-03-waiting-approval");
  });

  it("approves phase 2, whose bar fills in turn, and the rollout completes", async () => {
    await page.getByRole("button", { name: "Approve next phase" }).click();
    await page.getByText(`Phase 2 of ${NAME} started`).waitFor();
    await expect.poll(() => phase(1).getAttribute("data-state")).toBe("running");
    await page.getByTestId("rollout-state").getByText("Running").waitFor();
    await expect.poll(() => parts(1)).toEqual([0, 2, 0]);

    const [c, d] = await devicesOfPhase(1);
    await online(c!);
    await expect.poll(() => parts(1), { timeout: 10_000 }).toEqual([1, 1, 0]);
    await online(d!);
    await expect.poll(() => phase(1).getAttribute("data-state"), { timeout: 10_000 }).toBe("done");
    expect(await parts(1)).toEqual([2, 0, 0]);
    await page.getByTestId("rollout-state").getByText("Completed").waitFor();
    await expect
      .poll(() => page.getByTestId("rollout-summary").textContent())
      .toBe("4 of 4 devices succeeded");
    expect(locked()).toBe(4);
    expect(await sameDocument()).toBe(true);
    // Nothing to approve, pause or cancel any more; nothing failed to retry.
    for (const name of ["Approve next phase", "Pause", "Cancel rollout", /^Retry failed/]) {
      expect(await page.getByRole("button", { name }).count()).toBe(0);
    }
    expect((await rolloutView()).state).toBe("completed");
    await browser.screenshot("rollouts-04-completed");
  });

  it("links a phase to its fleet action, and lists the rollout as completed", async () => {
    const rollout = await rolloutView();
    await phase(0).getByRole("link", { name: "Show the fleet action of Phase 1" }).click();
    await page.getByRole("heading", { name: "Lock screen on 2 devices", level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/fleet/${rollout.phases[0]!.batchId}`);

    await page.getByRole("navigation").getByRole("link", { name: "Rollouts", exact: true }).click();
    const row = page
      .getByRole("table", { name: "Rollouts" })
      .getByRole("row")
      .filter({ has: page.getByRole("link", { name: NAME, exact: true }) });
    await row.getByRole("cell", { name: "Lock screen", exact: true }).waitFor();
    await row.getByText("Completed", { exact: true }).waitFor();
    await row.getByText("4 of 4 devices succeeded").waitFor();
    const bar = row.getByRole("progressbar", { name: `Progress of ${NAME}` });
    expect(await bar.getAttribute("aria-valuenow")).toBe("100");
    expect(await accessibilityViolations(page)).toEqual([]);
    await browser.screenshot("rollouts-05-list");
  });
});
