/** Which store the configuration opens. */
import { describe, expect, it } from "vitest";
import { ConfigError, loadServerConfig } from "../../../server/config.js";

describe("the store's configuration", () => {
  it("defaults to SQLite in the data dir, with the PostgreSQL pool's defaults", () => {
    const config = loadServerConfig({}, {});
    expect(config.databaseUrl).toBe("");
    expect(config.databasePoolSize).toBe(10);
    expect(config.databaseStatementTimeoutMs).toBe(10_000);
  });

  it("takes a PostgreSQL URL, pool size and statement timeout from the environment", () => {
    const config = loadServerConfig(
      {},
      {
        PMDM_DATABASE_URL: "postgres://pmdm:secret@db.example:5432/pmdm",
        PMDM_DATABASE_POOL_SIZE: "25",
        PMDM_DATABASE_STATEMENT_TIMEOUT_MS: "2500",
      },
    );
    expect(config).toMatchObject({
      databaseUrl: "postgres://pmdm:secret@db.example:5432/pmdm",
      databasePoolSize: 25,
      databaseStatementTimeoutMs: 2500,
    });
  });

  it("refuses a URL of another database, and a pool of none, naming the variable", () => {
    expect(() => loadServerConfig({}, { PMDM_DATABASE_URL: "mysql://db/pmdm" })).toThrow(
      /databaseUrl \(PMDM_DATABASE_URL\)/,
    );
    expect(() => loadServerConfig({}, { PMDM_DATABASE_POOL_SIZE: "0" })).toThrow(ConfigError);
  });
});
