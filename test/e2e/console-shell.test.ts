/**
 * The console's shell end to end, in Debian's Chromium: the start page marked in the sidebar,
 * addresses that keep a page's filters through a reload and Back; pages opened without their
 * right naming it; the header naming the admin apart from the role; the device code's format
 * said alike; no role preselected for a new admin; the audit log in words, with named targets
 * linking to their pages, details, failure reasons, substring filters, a CSV export and no
 * sideways scrolling at desktop and phone width; field errors linked to their fields; a link to
 * the API docs. Real server on 127.0.0.1; screenshots go to test/artifacts/.
 */
import { readFile } from "node:fs/promises";
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { createRole, TEST_PASSWORD } from "../helpers/admins.js";
import { accessibilityViolations, launchBrowser, type TestBrowser } from "../helpers/browser.js";
import { useConsoleFixture } from "../helpers/console-fixture.js";
import { enrollCredentials, uniqueSerial } from "../helpers/devices.js";
import { csvObjects } from "../helpers/rfc4180.js";
import type { TestServer } from "../helpers/test-server.js";

const ERIN = { email: "erin@example.com", name: "Erin Admin" };

let t: TestServer;
let browser: TestBrowser;
let page: Page;
let deviceId: string;
let deviceName: string;

// A failed step leaves a picture of what the browser showed.
const fixture = useConsoleFixture("shell");

beforeAll(async () => {
  ({ server: t, browser, page } = await fixture.open({ admin: { ...ERIN, password: TEST_PASSWORD } }));
  deviceId = (await enrollCredentials(t, uniqueSerial("SHELL"))).deviceId;
  deviceName = (await t.api.get<{ name: string }>(`/devices/${deviceId}`)).body.name;
});

const url = (path: string) => `${t.server.httpUrl}${path}`;
const main = (p: Page = page) => p.locator("main#main");
const nav = (p: Page = page) => p.getByRole("navigation", { name: "Main" });
const accountButton = (p: Page) => p.locator(".account .menu-button");
const auditRow = (p: Page, action: string) => p.locator(`tr.audit-row[data-action="${action}"]`);

async function signIn(p: Page, email: string, password = TEST_PASSWORD): Promise<void> {
  await p.goto(url("/"));
  await p.getByLabel("Email").fill(email);
  await p.getByLabel("Password").fill(password);
  await p.getByRole("button", { name: "Sign in", exact: true }).click();
  // Not the live stream: it needs devices:read, which some of these admins lack.
  await accountButton(p).waitFor();
}

/** Whether the page, or any table frame on it, is wider than the window: sideways scrolling. */
async function scrollsSideways(p: Page): Promise<string[]> {
  return p.evaluate(`(() => {
    const wide = [];
    const root = document.scrollingElement;
    if (root.scrollWidth > root.clientWidth) wide.push("page " + root.scrollWidth + " > " + root.clientWidth);
    for (const el of document.querySelectorAll("main .table-card, main .table-scroll, main table")) {
      if (el.scrollWidth > el.clientWidth + 1) wide.push(el.className + " " + el.scrollWidth + " > " + el.clientWidth);
    }
    return wide;
  })()`) as Promise<string[]>;
}

/** The element a control's aria-describedby names, joined. */
async function description(p: Page, control: ReturnType<Page["getByLabel"]>): Promise<string> {
  const ids = ((await control.getAttribute("aria-describedby")) ?? "").split(/\s+/).filter(Boolean);
  const texts = await Promise.all(ids.map((id) => p.locator(`[id="${id}"]`).textContent()));
  return texts.join(" ");
}

describe("console shell", () => {
  it("marks the start page in the sidebar right after sign-in", async () => {
    await signIn(page, ERIN.email);
    await page.getByRole("heading", { name: "Devices", level: 1 }).waitFor();
    await expect.poll(() => new URL(page.url()).pathname).toBe("/devices");
    await expect
      .poll(() => nav().getByRole("link", { name: "Devices", exact: true }).getAttribute("aria-current"))
      .toBe("page");
  });

  it("names the admin apart from the role in the header, and in the account button", async () => {
    await expect.poll(() => page.locator(".account-name").locator("strong").textContent()).toBe(ERIN.name);
    expect(await page.locator(".account-name").locator(".muted").textContent()).toBe("System admin");
    const account = page.getByRole("button", { name: /^Account of Erin Admin/ });
    await account.click();
    // The menu opens inside the window, under its button.
    const box = (await page.getByRole("menu", { name: /^Account of Erin Admin/ }).boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(1280);
    await page.getByRole("menuitem", { name: "Sign out", exact: true }).waitFor();
    await page.keyboard.press("Escape");

    // The first admin is called like its role: the header shows its email instead of the name twice.
    const second = await launchBrowser();
    try {
      const p = second.page;
      await p.goto(url("/"));
      await p.getByRole("button", { name: "Sign in with an API token instead" }).click();
      await p.getByLabel("API token").fill(t.api.token!);
      await p.getByRole("button", { name: "Sign in", exact: true }).click();
      await p.locator('.connection[data-state="live"]').waitFor();
      const header = p.locator(".account-name");
      await expect.poll(() => header.locator("strong").textContent()).toBe("admin@localhost");
      expect(await header.locator(".muted").textContent()).toBe("System admin");
      expect(await header.textContent()).not.toMatch(/System admin.*System admin/);
      await p.getByRole("button", { name: /^Account of .*admin@localhost/ }).waitFor();
      await second.screenshot("shell-01-header-first-admin");
    } finally {
      await second.close();
    }
  });

  it("keeps the audit log's filters in the address through a reload, and Back goes a step back", async () => {
    await page.goto(url("/devices"));
    await page.getByRole("heading", { name: "Devices", level: 1 }).waitFor();
    await nav().getByRole("link", { name: "Audit log" }).click();
    await page.getByRole("heading", { name: "Audit log", level: 1 }).waitFor();
    await page.getByRole("table", { name: "Audit log" }).waitFor();
    await expect
      .poll(() => nav().getByRole("link", { name: "Audit log" }).getAttribute("aria-current"))
      .toBe("page");

    await page.getByLabel("Actor").fill("ERIN@");
    await page.getByLabel("Outcome").selectOption("success");
    await page.getByRole("button", { name: "Apply" }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get("actor")).toBe("ERIN@");
    await auditRow(page, "auth.login").first().waitFor();
    await page.reload();
    await page.getByRole("table", { name: "Audit log" }).waitFor();
    expect(await page.getByLabel("Actor").inputValue()).toBe("ERIN@");
    expect(await page.getByLabel("Outcome").inputValue()).toBe("success");
    // Only Erin's rows: the first admin's start is not among them.
    await expect.poll(() => auditRow(page, "admin.bootstrap").count()).toBe(0);
    await expect.poll(() => auditRow(page, "auth.login").count()).toBeGreaterThan(0);

    await page.goBack();
    await expect.poll(() => new URL(page.url()).search).toBe("");
    await expect.poll(() => page.getByLabel("Actor").inputValue()).toBe("");
    await auditRow(page, "admin.bootstrap").waitFor();
    await page.goBack();
    await page.getByRole("heading", { name: "Devices", level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/devices");
  });

  it("keeps what is typed into a filter as its page opens, before the page has settled", async () => {
    // Typed in the same task the field appears in, before the page's effects have run: as a
    // fast typist or an autofilling browser would.
    const typedAsItOpens = (link: string, field: string) =>
      page.evaluate(`(async () => {
        const anchor = [...document.querySelectorAll("nav a")].find((a) => a.textContent.trim() === ${JSON.stringify(link)});
        anchor.click();
        const found = () => document.getElementById(${JSON.stringify(field)});
        const input = found() ?? await new Promise((resolve) => {
          const watch = new MutationObserver(() => {
            if (!found()) return;
            watch.disconnect();
            resolve(found());
          });
          watch.observe(document.body, { childList: true, subtree: true });
        });
        input.value = "lobby";
        input.dispatchEvent(new Event("input", { bubbles: true }));
        await new Promise((settled) => setTimeout(settled, 500));
        return found().value;
      })()`) as Promise<string>;
    await page.goto(url("/devices"));
    await page.getByRole("heading", { name: "Devices", level: 1 }).waitFor();
    expect(await typedAsItOpens("Audit log", "audit-target")).toBe("lobby");
    await page.getByRole("button", { name: "Apply" }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get("target")).toBe("lobby");
    expect(await typedAsItOpens("Devices", "model-filter")).toBe("lobby");
  });

  it("keeps the admins search and the enrollment token state in the address", async () => {
    await page.goto(url("/admins?q=ERIN"));
    await page.getByRole("table", { name: "Admins" }).waitFor();
    expect(await page.getByLabel("Search admins").inputValue()).toBe("ERIN");
    await expect.poll(() => page.getByRole("table", { name: "Admins" }).locator("tbody tr").count()).toBe(1);
    await page.getByLabel("Search admins").fill("localhost");
    await expect.poll(() => new URL(page.url()).searchParams.get("q")).toBe("localhost");
    await page.reload();
    await page.getByRole("row").filter({ hasText: "admin@localhost" }).waitFor();
    expect(await page.getByRole("row").filter({ hasText: ERIN.email }).count()).toBe(0);

    await page.goto(url("/connect"));
    await page.getByLabel("State").selectOption("revoked");
    await expect.poll(() => new URL(page.url()).searchParams.get("tokens")).toBe("revoked");
    await page.reload();
    await expect.poll(() => page.getByLabel("State").inputValue()).toBe("revoked");
  });

  it("shows which right a page needs instead of the page, for every guarded page", async () => {
    const viewerRole = await createRole(t, ["devices:read"], "Viewer");
    const auditorRole = await createRole(t, ["audit:read"], "Auditor");
    for (const [email, roleId] of [
      ["vic@example.com", viewerRole],
      ["aud@example.com", auditorRole],
    ] as const) {
      const res = await t.api.post("/admins", {
        email,
        name: email.split("@")[0],
        roleId,
        password: TEST_PASSWORD,
        mustResetPassword: false,
      });
      expect(res.status).toBe(201);
    }
    const second = await launchBrowser();
    try {
      const p = second.page;
      await signIn(p, "vic@example.com");
      for (const [path, title, right] of [
        ["/admins", "Admins", "admins:manage"],
        ["/roles", "Roles", "roles:manage"],
        ["/audit", "Audit log", "audit:read"],
        ["/connect", "Connect a device", "enrollment:manage"],
      ] as const) {
        await p.goto(url(path));
        await p.getByRole("heading", { name: title, level: 1 }).waitFor();
        await p.getByRole("heading", { name: `You need the ${right} right` }).waitFor();
        expect(await main(p).locator(".spinner").count(), path).toBe(0);
        expect(await main(p).getByRole("button").count(), path).toBe(0);
        expect(await main(p).getByRole("alert").count(), path).toBe(0);
        expect(await accessibilityViolations(p)).toEqual([]);
      }
      await p.goto(url("/admins"));
      await p.getByText("Managing admins needs the admins:manage right").waitFor();
      await p.getByText("Your role, Viewer, does not have it").waitFor();
      await second.screenshot("shell-02-needs-right");

      // An auditor starts on the audit log, and the date and time settings name devices:read.
      await accountButton(p).click();
      await p.getByRole("menuitem", { name: "Sign out", exact: true }).click();
      await p.getByRole("heading", { name: "Sign in to the console" }).waitFor();
      await signIn(p, "aud@example.com");
      await p.getByRole("heading", { name: "Audit log", level: 1 }).waitFor();
      expect(new URL(p.url()).pathname).toBe("/audit");
      await p.goto(url("/settings/time"));
      await p.getByRole("heading", { name: "You need the devices:read right" }).waitFor();
      expect(await main(p).getByRole("button").count()).toBe(0);
      expect(await main(p).locator(".spinner").count()).toBe(0);
    } finally {
      await second.close();
    }
  });

  it("describes the device code's format the same in its placeholder and its hint", async () => {
    await page.goto(url("/connect"));
    const code = page.getByLabel("Device code");
    expect(await code.getAttribute("placeholder")).toBe("ABCD-EFGH");
    const hint = await description(page, code);
    expect(hint).toContain("ABCD-EFGH");
    expect(hint).toMatch(/8 letters/);
  });

  it("asks for a role when adding an admin instead of preselecting one", async () => {
    await page.goto(url("/admins"));
    await page.getByRole("button", { name: "Add admin" }).click();
    const dialog = page.getByRole("dialog", { name: "Add admin" });
    const role = dialog.getByLabel("Role");
    expect(await role.inputValue()).toBe("");
    expect(await role.locator("option:checked").textContent()).toBe("Choose a role");
    await dialog.getByLabel("Email").fill("new@example.com");
    await dialog.getByLabel("Name", { exact: true }).fill("New Person");
    const add = dialog.getByRole("button", { name: "Add admin" });
    expect(await add.isDisabled()).toBe(true);
    await role.selectOption({ label: "Viewer" });
    expect(await add.isDisabled()).toBe(false);
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
  });

  it("links each field error to its field", async () => {
    // A refused code, at the code field.
    await page.goto(url("/connect"));
    const code = page.getByLabel("Device code");
    await code.fill("CDFG-HJKM");
    await page.getByRole("button", { name: "Connect", exact: true }).click();
    await expect.poll(() => code.getAttribute("aria-invalid")).toBe("true");
    expect(await description(page, code)).toContain("No device shows this code");

    // The change-password form: each mistake at its own field.
    await page.goto(url("/account/password"));
    await page.getByLabel("Current password").fill(TEST_PASSWORD);
    await page.getByLabel("New password", { exact: true }).fill("a-Longer-Password-2");
    await page.getByLabel("Repeat the new password").fill("a-Longer-Password-3");
    await page.getByRole("button", { name: "Change password" }).click();
    const repeat = page.getByLabel("Repeat the new password");
    await expect.poll(() => repeat.getAttribute("aria-invalid")).toBe("true");
    expect(await description(page, repeat)).toContain("The two new passwords differ");
    expect(await page.getByLabel("Current password").getAttribute("aria-invalid")).toBeNull();
    await page.getByLabel("Current password").fill("not-the-Password-9");
    await page.getByLabel("Repeat the new password").fill("a-Longer-Password-2");
    await page.getByRole("button", { name: "Change password" }).click();
    const current = page.getByLabel("Current password");
    await expect.poll(() => current.getAttribute("aria-invalid")).toBe("true");
    expect(await description(page, current)).toContain("current password is wrong");
    expect(await accessibilityViolations(page)).toEqual([]);

    // The sign-in form: a wrong password at the password field.
    const second = await launchBrowser();
    try {
      const p = second.page;
      await p.goto(url("/"));
      await p.getByLabel("Email").fill(ERIN.email);
      await p.getByLabel("Password").fill("wrong-password-0");
      await p.getByRole("button", { name: "Sign in", exact: true }).click();
      const password = p.getByLabel("Password");
      await expect.poll(() => password.getAttribute("aria-invalid")).toBe("true");
      expect(await description(p, password)).toContain("The email or password is wrong");
    } finally {
      await second.close();
    }
  });

  it("links to the API docs from the sidebar", async () => {
    await page.goto(url("/devices"));
    const docs = nav().getByRole("link", { name: /API docs/ });
    expect(await docs.getAttribute("href")).toBe("/api/docs");
    const [opened] = await Promise.all([page.context().waitForEvent("page"), docs.click()]);
    await opened.waitForLoadState();
    expect(new URL(opened.url()).pathname).toMatch(/^\/api\/docs/);
    await opened.locator("#swagger-ui").waitFor();
    await opened.close();
  });

  it("writes the audit log in words, with named targets linking to their pages and details", async () => {
    const issued = await t.api.post(`/devices/${deviceId}/commands`, { type: "reboot" });
    expect(issued.status).toBe(202);
    await t.api.withToken(null).post("/auth/login", { email: "mallory@example.test", password: "guess-1" });
    await t.api.post("/enrollment-tokens", { maxUses: 3, expiresInSeconds: 600, name: "Berlin office" });

    await page.goto(url("/audit"));
    await page.getByRole("table", { name: "Audit log" }).waitFor();
    const command = auditRow(page, "command.issue").first();
    await command.getByRole("cell", { name: "Issued a command · Reboot", exact: true }).waitFor();
    const target = command.getByRole("link", { name: deviceName });
    expect(await target.getAttribute("href")).toBe(`/devices/${deviceId}`);

    const failed = auditRow(page, "auth.login").filter({ hasText: "mallory@example.test" }).first();
    await failed.getByText("(email tried)").waitFor();
    await failed.getByRole("cell", { name: "Failed sign-in", exact: true }).waitFor();
    await failed.getByText("Wrong email or password").waitFor();
    expect(await failed.locator("[data-error-code]").getAttribute("data-error-code")).toBe(
      "invalid_credentials",
    );
    expect(await failed.textContent()).not.toContain("System");

    const token = auditRow(page, "enrollment_token.create").first();
    await token.getByText("Berlin office").waitFor();
    await token.getByRole("button", { name: /^Details/ }).click();
    expect(await token.getByRole("button", { name: /^Details/ }).getAttribute("aria-expanded")).toBe("true");
    const details = page.locator(
      `#${await token.getByRole("button", { name: /^Details/ }).getAttribute("aria-controls")}`,
    );
    const maxUses = details.locator(".audit-param").filter({ hasText: "Max uses" });
    expect(await maxUses.locator("dd").textContent()).toBe("3");
    await details.getByRole("button", { name: "Show as JSON" }).click();
    const json = JSON.parse((await details.getByTestId("audit-json").textContent()) ?? "");
    expect(json).toMatchObject({ maxUses: 3, name: "Berlin office" });
    expect(await accessibilityViolations(page)).toEqual([]);
    await browser.screenshot("shell-03-audit");

    await target.click();
    await page.getByRole("heading", { name: deviceName, level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/devices/${deviceId}`);
    await page.goBack();
    await page.getByRole("table", { name: "Audit log" }).waitFor();
  });

  it("filters the audit log by parts of the target's name, in any case", async () => {
    await page.goto(url("/audit"));
    await page.getByLabel("Target").fill(deviceName.slice(2).toUpperCase());
    await page.getByRole("button", { name: "Apply" }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get("target")).not.toBeNull();
    const targets = page.locator("tr.audit-row td.audit-target");
    await expect
      .poll(async () => {
        const texts = await targets.allTextContents();
        return texts.length > 0 && texts.every((text) => text.includes(deviceName));
      })
      .toBe(true);
    await auditRow(page, "command.issue").first().waitFor();
    await page.getByLabel("Action").fill("LOGIN");
    await page.getByRole("button", { name: "Apply" }).click();
    await page.getByText("Nothing in the audit log matches").waitFor();
  });

  it("exports the filtered audit log as CSV", async () => {
    await page.goto(url("/audit?outcome=failure"));
    await page.getByRole("table", { name: "Audit log" }).waitFor();
    const shown = await page.locator("tr.audit-row").count();
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Export CSV" }).click(),
    ]);
    const { header, rows } = csvObjects(await readFile((await download.path())!, "utf8"));
    expect(header).toEqual([
      "time",
      "actor",
      "action",
      "target",
      "target_name",
      "outcome",
      "error_code",
      "source_address",
      "params",
    ]);
    expect(rows).toHaveLength(shown);
    expect(rows.every((r) => r.outcome === "failure")).toBe(true);
    expect(rows.find((r) => r.actor === "mallory@example.test")).toMatchObject({
      action: "auth.login",
      error_code: "invalid_credentials",
    });
  });

  it("never scrolls the audit log sideways, at desktop or at phone width", async () => {
    // Long values that a one-line cell would push out of the window.
    const long = await t.api.post("/enrollment-tokens", {
      maxUses: 1,
      expiresInSeconds: 600,
      name: `Rollout-${"x".repeat(90)}`,
    });
    expect(long.status).toBe(201);
    for (const viewport of [
      { width: 1280, height: 800 },
      { width: 390, height: 844 },
    ]) {
      await page.setViewportSize(viewport);
      await page.goto(url("/audit"));
      await page.getByRole("table", { name: "Audit log" }).waitFor();
      await page
        .locator("tr.audit-row")
        .first()
        .getByRole("button", { name: /^Details/ })
        .click();
      expect({ viewport, wide: await scrollsSideways(page) }).toEqual({ viewport, wide: [] });
      expect(await accessibilityViolations(page)).toEqual([]);
      await browser.screenshot(`shell-04-audit-${viewport.width}`);
    }
    await page.setViewportSize({ width: 1280, height: 800 });
  });
});
