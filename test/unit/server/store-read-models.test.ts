/**
 * One writer per table: the read models in server/store/read-models read other repositories'
 * tables and write none, and the audit log is written by its repository alone (the store's own
 * tools, migrations and the store copy, aside).
 */
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../../..");
const WRITES_BUILT = /\.(insertInto|updateTable|deleteFrom|replaceInto|mergeInto)\(/;
const WRITES_RAW = /\b(INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|TRUNCATE)\b/i;
const WRITES_AUDIT_LOG =
  /\.(insertInto|updateTable|deleteFrom|replaceInto|mergeInto)\(\s*["']audit_log\b|\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+audit_log\b/i;
const STORE_TOOLS = new Set([
  "server/store/migrations.ts",
  "server/store/postgres/migrations.ts",
  "server/store/copy-store.ts",
]);

async function modulesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(ROOT, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!["console", "node_modules"].includes(entry.name)) out.push(...(await modulesUnder(path)));
    } else if (entry.name.endsWith(".ts")) {
      out.push(relative(ROOT, join(ROOT, path)));
    }
  }
  return out;
}

describe("table writers", () => {
  it("has read models that only read", async () => {
    const readModels = await modulesUnder("server/store/read-models");
    expect(readModels).toContain("server/store/read-models/audit-target-names.ts");
    for (const file of readModels) {
      const text = await readFile(join(ROOT, file), "utf8");
      expect(WRITES_BUILT.test(text) || WRITES_RAW.test(text), `${file} writes`).toBe(false);
    }
  });

  it("lets the audit repository alone write the audit log", async () => {
    const writers: string[] = [];
    for (const file of await modulesUnder("server")) {
      if (STORE_TOOLS.has(file)) continue;
      if (WRITES_AUDIT_LOG.test(await readFile(join(ROOT, file), "utf8"))) writers.push(file);
    }
    expect(writers).toEqual(["server/store/repositories/audit-repository.ts"]);
  });
});
