/**
 * A PostgreSQL URL as the store tools show it: the password hidden wherever the URL carries it,
 * and hidden in any text that would repeat it (an error message).
 */
import { describe, expect, it } from "vitest";
import { hidePassword, withPasswordHidden } from "../../../server/store/postgres/database-url.js";

describe("database URLs shown", () => {
  it("hide the password after the user name and in a password parameter", () => {
    expect(withPasswordHidden("postgres://pmdm:s3cr%40t@db.example.com:5432/pmdm")).toBe(
      "postgres://pmdm:***@db.example.com:5432/pmdm",
    );
    expect(withPasswordHidden("postgresql://pmdm@db/pmdm?sslmode=require&password=s3cret")).toBe(
      "postgresql://pmdm@db/pmdm?sslmode=require&password=***",
    );
    expect(withPasswordHidden("postgres://pmdm@db/pmdm")).toBe("postgres://pmdm@db/pmdm");
    expect(withPasswordHidden("not a url")).not.toContain("not a url");
  });

  it("hide the URL's password, as written and decoded, in other text", () => {
    const url = "postgres://pmdm:s3cr%40t@db/pmdm";
    expect(hidePassword(`cannot reach ${url}: s3cr@t and s3cr%40t`, url)).toBe(
      "cannot reach postgres://pmdm:***@db/pmdm: *** and ***",
    );
  });
});
