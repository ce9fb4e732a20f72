/**
 * Debian's Chromium driven through playwright-core: headless, no sandbox (CI runs as root),
 * no background traffic, and a fresh profile per launch. Screenshots go to test/artifacts/
 * for a person to look at.
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import axe from "axe-core";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { onTestFailed } from "vitest";

export const CHROMIUM_PATH = process.env.PMDM_CHROMIUM ?? "/usr/bin/chromium";
export const ARTIFACTS_DIR = join(import.meta.dirname, "..", "artifacts");

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface TestBrowser {
  browser: BrowserContext;
  page: Page;
  /** Saves a full-page PNG as test/artifacts/<name>.png. */
  screenshot(name: string, page?: Page): Promise<string>;
  close(): Promise<void>;
}

export async function launchBrowser(
  options: { viewport?: { width: number; height: number } } = {},
): Promise<TestBrowser> {
  const profileDir = await mkdtemp(join(tmpdir(), "pmdm-chromium-"));
  // A persistent context is how playwright passes --user-data-dir: a fresh one per launch.
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: options.viewport ?? { width: 1280, height: 800 },
  });
  context.setDefaultTimeout(15_000);
  const page = context.pages()[0] ?? (await context.newPage());
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  return {
    browser: context,
    page,
    async screenshot(name, target = page) {
      const path = join(ARTIFACTS_DIR, `${name}.png`);
      await target.screenshot({ path, fullPage: true });
      return path;
    },
    async close() {
      await context.close();
      await rm(profileDir, { recursive: true, force: true });
    },
  };
}

export type { Browser, Page };

export interface AccessibilityViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/**
 * Runs axe-core's WCAG 2 A and AA rules on the page as it is and answers the serious and
 * critical violations (unlabelled controls, missing names, contrast, bad ARIA).
 */
export async function accessibilityViolations(page: Page): Promise<AccessibilityViolation[]> {
  await page.evaluate(axe.source);
  // A string, so this file needs no DOM types: it runs in the page.
  const found = (await page.evaluate(`
    axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa"] } }).then((result) =>
      result.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        targets: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
      })),
    )
  `)) as AccessibilityViolation[];
  return found.filter((v) => v.impact === "serious" || v.impact === "critical");
}

/** Signs in on the console's sign-in page at `origin` and waits for the devices page. */
export async function signIn(
  page: Page,
  origin: string,
  admin: { email: string; password: string },
): Promise<void> {
  await page.goto(`${origin}/`);
  await page.getByLabel("Email").fill(admin.email);
  await page.getByLabel("Password").fill(admin.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("heading", { name: "Devices", level: 1 }).waitFor();
}

/**
 * Inside `beforeEach`: a screenshot named after the test when it fails,
 * `failed-<prefix>-<test>` (`failed-<test>` with an empty prefix).
 */
export function screenshotWhenFailed(
  browser: () => TestBrowser | undefined,
  prefix: string,
  testName: string,
): void {
  onTestFailed(async () => {
    const name = testName.replace(/[^a-z0-9]+/gi, "-").slice(0, 60);
    await browser()
      ?.screenshot(prefix ? `failed-${prefix}-${name}` : `failed-${name}`)
      .catch(() => undefined);
  });
}
