import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

describe("generated protobuf code", () => {
  it("is exactly what `npm run proto` produces from proto/portal.proto", () => {
    const dir = mkdtempSync(join(tmpdir(), "pmdm-proto-"));
    try {
      execFileSync(process.execPath, ["proto/generate.mjs", join(dir, "portal.js")]);
      for (const file of ["portal.js", "portal.d.ts"]) {
        expect(readFileSync(join(dir, file), "utf8"), file).toBe(
          readFileSync(join("proto/gen", file), "utf8"),
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
