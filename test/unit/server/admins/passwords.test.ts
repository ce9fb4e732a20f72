import { describe, expect, it } from "vitest";
import {
  checkNewPassword,
  generatePassword,
  hashPassword,
  verifyPassword,
} from "../../../../server/admins/passwords.js";

describe("passwords", () => {
  it("hashes with scrypt and a random salt, and verifies only the right password", async () => {
    const a = await hashPassword("correct horse battery staple");
    const b = await hashPassword("correct horse battery staple");
    expect(a).toMatch(/^scrypt\$32768\$8\$3\$[\w-]+\$[\w-]{43}$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword("correct horse battery staple", a)).toBe(true);
    expect(await verifyPassword("correct horse battery stapl", a)).toBe(false);
    expect(await verifyPassword("anything", "not a hash")).toBe(false);
  });

  it("verifies hashes made with other costs (the cost is stored with the hash)", async () => {
    const cheap = "scrypt$1024$8$1$c2FsdHNhbHRzYWx0c2FsdA$";
    const { scryptSync } = await import("node:crypto");
    const key = scryptSync("pw", Buffer.from("c2FsdHNhbHRzYWx0c2FsdA", "base64url"), 32, {
      N: 1024,
      r: 8,
      p: 1,
    });
    expect(await verifyPassword("pw", cheap + key.toString("base64url"))).toBe(true);
  });

  it("generates 20-character passwords without look-alike letters", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const password = generatePassword();
      expect(password).toMatch(/^[A-HJ-NP-Za-km-z2-9]{20}$/);
      seen.add(password);
    }
    expect(seen.size).toBe(50);
  });

  it("refuses passwords shorter than 12 characters, naming the field", () => {
    expect(() => checkNewPassword("short", "newPassword")).toThrow(/newPassword must be 12/);
    expect(() => checkNewPassword("long enough password", "newPassword")).not.toThrow();
  });
});
