/**
 * SQL lives behind the repositories in server/store: no other server module writes a statement
 * or reaches the connection. A module still listed below is one that has not moved yet; the
 * list may only shrink (a listed module without SQL fails the test too).
 */
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../..");
const STATEMENT =
  /\b(SELECT\s[\s\S]*?\sFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(TABLE|INDEX))\b/;
const QUERY_LAYER = /from\s+["'](kysely|pg|sqlite3)["']/;

const NOT_MOVED_YET = new Set<string>([]);

async function serverModules(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (["store", "console", "node_modules"].includes(entry.name)) continue;
      out.push(...(await serverModules(path)));
    } else if (entry.name.endsWith(".ts")) {
      out.push(relative(ROOT, path));
    }
  }
  return out;
}

describe("SQL outside server/store", () => {
  it("appears in no module but those that have not moved to repositories yet", async () => {
    const offenders: string[] = [];
    const moved: string[] = [];
    for (const file of await serverModules(join(ROOT, "server"))) {
      const text = await readFile(join(ROOT, file), "utf8");
      const hasSql = STATEMENT.test(text) || QUERY_LAYER.test(text);
      if (hasSql && !NOT_MOVED_YET.has(file)) offenders.push(file);
      if (!hasSql && NOT_MOVED_YET.has(file)) moved.push(file);
    }
    expect(offenders, "modules with SQL outside server/store").toEqual([]);
    expect(moved, "modules listed as not moved yet that have no SQL left: take them off the list").toEqual(
      [],
    );
  });
});
