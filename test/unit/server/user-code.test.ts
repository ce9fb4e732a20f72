import { describe, expect, it } from "vitest";
import { newUserCode, normalizeUserCode } from "../../../server/enrollment/user-code.js";

describe("user codes", () => {
  it("look like ABCD-EFGH and use no ambiguous letters", () => {
    for (let i = 0; i < 200; i++) {
      const code = newUserCode();
      expect(code).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
      expect(code).not.toMatch(/[AEIOUSLB0-9]/);
    }
  });

  it("accept what an admin types: any case, spaces, no dash", () => {
    expect(normalizeUserCode("cdfg hjkm")).toBe("CDFG-HJKM");
    expect(normalizeUserCode("cdfghjkm")).toBe("CDFG-HJKM");
    expect(normalizeUserCode("CDFG-HJK")).toBeNull();
    expect(normalizeUserCode("ABCD-EFGH")).toBeNull();
  });
});
