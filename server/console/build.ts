/**
 * Builds the web console (server/console/src, Preact + TypeScript) with Vite into
 * server/console/dist, which the server serves at `/`. The build is skipped when the output
 * was made from the same sources (a hash of every source file is stored beside it), so
 * `npm start` and `npm test` can call it every time.
 *
 *   tsx server/console/build.ts [--force]
 */
import { createHash } from "node:crypto";
import { readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type InlineConfig } from "vite";
import { CONSOLE_DIST, CONSOLE_ROOT } from "./paths.js";

const HASH_FILE = join(CONSOLE_DIST, ".source-hash");
const SOURCE_DIRS = [join(CONSOLE_ROOT, "src")];
const SOURCE_FILES = [join(CONSOLE_ROOT, "index.html"), fileURLToPath(import.meta.url)];

export const viteConfig: InlineConfig = {
  root: CONSOLE_ROOT,
  configFile: false,
  logLevel: "warn",
  base: "/",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: CONSOLE_DIST,
    emptyOutDir: true,
    target: "es2022",
    sourcemap: true,
    chunkSizeWarningLimit: 400,
  },
};

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/** A hash of every file the build reads, and of the versions of the tools that read them. */
async function sourceHash(): Promise<string> {
  const files = [...SOURCE_FILES, ...(await Promise.all(SOURCE_DIRS.map(filesUnder))).flat()].sort();
  const hash = createHash("sha256");
  for (const file of files) {
    hash.update(relative(CONSOLE_ROOT, file));
    hash.update(await readFile(file));
  }
  for (const pkg of ["vite", "preact"]) {
    const manifest = JSON.parse(
      await readFile(join(CONSOLE_ROOT, "../../node_modules", pkg, "package.json"), "utf8"),
    ) as { version: string };
    hash.update(`${pkg}@${manifest.version}`);
  }
  return hash.digest("hex");
}

/** Builds the console unless the output is up to date; answers whether it built. */
export async function buildConsole(options: { force?: boolean } = {}): Promise<boolean> {
  const hash = await sourceHash();
  const built = await readFile(HASH_FILE, "utf8").catch(() => "");
  if (!options.force && built === hash) return false;
  // Built beside the output and swapped in, so a server starting meanwhile (another test run
  // in the same tree) never reads a half-written directory.
  const staging = `${CONSOLE_DIST}.${process.pid}.tmp`;
  await build({ ...viteConfig, build: { ...viteConfig.build, outDir: staging } });
  await writeFile(join(staging, ".source-hash"), hash);
  const old = `${CONSOLE_DIST}.${process.pid}.old`;
  await rename(CONSOLE_DIST, old).catch(() => undefined);
  await rename(staging, CONSOLE_DIST);
  await rm(old, { recursive: true, force: true });
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = Date.now();
  const built = await buildConsole({ force: process.argv.includes("--force") });
  console.log(
    built
      ? `console built into ${relative(process.cwd(), CONSOLE_DIST)} in ${Date.now() - started} ms`
      : "console is up to date",
  );
}
