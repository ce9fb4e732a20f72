import { describe, expect, it } from "vitest";
import {
  checkNewPassword,
  generatePassword,
  hashPassword,
  type PasswordContext,
  verifyPassword,
} from "../../../../server/admins/passwords.js";
import { isMdmError } from "../../../../server/errors.js";

/** The `weak_password` error's message and details, or null when the password is accepted. */
function refusal(password: string, context: PasswordContext = {}, field = "password") {
  try {
    checkNewPassword(password, field, context);
    return null;
  } catch (err) {
    if (!isMdmError(err, "weak_password")) throw err;
    return { message: err.message, ...(err.details as { field: string; rule: string; suggestion?: string }) };
  }
}

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

  it("generates passwords that always pass the policy, also for an account's own context", () => {
    for (let i = 0; i < 200; i++) {
      const password = generatePassword();
      expect(refusal(password, { email: "ana.lima@example.com", name: "Ana Lima" }), password).toBeNull();
    }
  });
});

describe("the password policy (NIST SP 800-63B)", () => {
  it("refuses 12 spaces: only whitespace", () => {
    expect(refusal(" ".repeat(12))).toMatchObject({
      rule: "whitespace_only",
      field: "password",
      message: "password is only whitespace",
    });
    expect(refusal("\u3000".repeat(6) + "\u00a0".repeat(6))).toMatchObject({ rule: "whitespace_only" });
  });

  it("refuses 12 NUL bytes, and any C0, DEL or C1 control character", () => {
    expect(refusal("\0".repeat(12))).toMatchObject({
      rule: "control_characters",
      message: "password contains control characters",
    });
    for (const control of ["\u0001", "\t", "\n", "\u001f", "\u007f", "\u0085", "\u009f"]) {
      expect(refusal(`violet kettle${control}drums at noon`), JSON.stringify(control)).toMatchObject({
        rule: "control_characters",
      });
    }
  });

  it("refuses an unpaired surrogate, which is not text (it would hash like U+FFFD)", () => {
    expect(refusal("violet kettle drums \ud800 at noon")).toMatchObject({ rule: "invalid_characters" });
  });

  it("refuses aaaaaaaaaaaa: a repeated pattern, with zxcvbn's suggestion", () => {
    const refused = refusal("aaaaaaaaaaaa");
    expect(refused).toMatchObject({ rule: "repeated_pattern", suggestion: expect.any(String) });
    expect(refused?.message).toMatch(/^password repeats a pattern \(aaaa…\); /);
    expect(refusal("passwordpassword")).toMatchObject({ rule: "repeated_pattern" });
  });

  it("refuses password1234: a commonly used password", () => {
    const refused = refusal("password1234", {}, "newPassword");
    expect(refused).toMatchObject({ rule: "common_password", field: "newPassword" });
    expect(refused?.message).toMatch(/^newPassword is .*a commonly used password/);
    expect(refusal("qwertyuiopas")).toMatchObject({ rule: "common_password" });
    expect(refusal("123456789012")).toMatchObject({ rule: "common_password" });
  });

  it("refuses sequences", () => {
    expect(refusal("abcdefghijklmnop")).toMatchObject({ rule: "sequence" });
  });

  it("refuses passwords built from the email's local part, the name and the product's words", () => {
    const context = { email: "dana.kowalski@example.com", name: "Dana Kowalski" };
    expect(refusal("portal-mdm-admin", context)).toMatchObject({ rule: "context_words" });
    expect(refusal("dana.kowalski2024", context)).toMatchObject({ rule: "context_words" });
    expect(refusal("Kowalski-Dana!!", context)).toMatchObject({ rule: "context_words" });
    expect(refusal("MDMportal12345", context)).toMatchObject({ rule: "context_words" });
    // The same words are fine for someone else, and a context word inside a strong passphrase is too.
    expect(refusal("Kowalski-Dana!!", { email: "erin@example.com", name: "Erin" })).toBeNull();
    expect(refusal("the portal lamp hums in violet", context)).toBeNull();
  });

  it("accepts strong passphrases, spaces included", () => {
    for (const password of [
      "violet kettle drums at noon",
      "correct horse battery staple",
      "Gl4cier-orbit-mango-17",
      "ein Stück Käse für zwölf",
    ]) {
      expect(refusal(password), password).toBeNull();
    }
  });

  it("checks the length first, counting characters, not UTF-16 units", () => {
    expect(refusal("🔒".repeat(11))).toMatchObject({ rule: "length" });
    expect(refusal("x".repeat(257))).toMatchObject({
      rule: "length",
      message: "password must be 12 to 256 characters",
    });
  });
});
