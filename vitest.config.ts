import { defineConfig } from "vitest/config";

/** What every project shares. */
const common = {
  // Integration tests run real servers and agents; give them room on a 2-core machine.
  testTimeout: 60_000,
  hookTimeout: 60_000,
  pool: "forks",
} as const;

/**
 * Integration tests that choose their stores themselves, whatever PMDM_TEST_STORE says: they
 * run once, in the sqlite project.
 */
const OWN_STORES = [
  // The store contract tests run every repository on both backends.
  "test/integration/store/**",
  // A PostgreSQL cluster of its own, stopped and started under a running server.
  "test/integration/postgres-outage.test.ts",
  // The benchmark's own durable PostgreSQL cluster.
  "test/integration/bench-postgres-store.test.ts",
  // Moves a server's SQLite store into PostgreSQL databases it names itself.
  "test/integration/migrate-store.test.ts",
  // Server nodes sharing a PostgreSQL database of their own.
  "test/integration/cluster-nodes.test.ts",
  // The signing key ring moved into, and shared through, PostgreSQL databases of its own.
  "test/integration/signing-key-store-postgres.test.ts",
  // Server nodes linked through a Redis of their own, on a PostgreSQL database of their own.
  "test/integration/cluster/**",
];

/** Integration tests of what only a SQLite store has. */
const SQLITE_ONLY = [
  // `npm run admin -- backup` / `restore`: an online copy of the data dir's SQLite file.
  "test/integration/backup.test.ts",
  // A data dir from before admin accounts: a SQLite file of schema 1.
  "test/integration/accounts-upgrade.test.ts",
  // `npm run admin` opens the data dir's SQLite file, and the running server sees its commits
  // through PRAGMA data_version.
  "test/integration/admin-cli.test.ts",
  // `npm run admin -- rotate-signing-key` counts the devices behind in the data dir's SQLite file.
  "test/integration/key-rotation.test.ts",
  // Modes of the SQLite file and its -wal/-shm next to the keys in the data dir.
  "test/integration/data-dir-permissions.test.ts",
];

/**
 * Integration tests of programs that see the server only through its HTTP API, whatever store
 * it runs on: once is enough, in the sqlite project.
 */
const HTTP_CLIENTS_ONLY = [
  // portalctl, run as a child process against a test server.
  "test/integration/portalctl/**",
];

export default defineConfig({
  test: {
    // One run: the console is built once and one PostgreSQL cluster serves both projects.
    globalSetup: ["./test/console-build.setup.ts", "./test/postgres.setup.ts"],
    maxWorkers: 2,
    reporters: ["default", "./test/summary-reporter.ts"],
    projects: [
      {
        test: { ...common, name: "sqlite", include: ["test/**/*.test.ts"] },
      },
      {
        test: {
          ...common,
          // The integration suite again, each test server's store a PostgreSQL database of its own.
          name: "postgres",
          include: ["test/integration/**/*.test.ts"],
          exclude: [...OWN_STORES, ...SQLITE_ONLY, ...HTTP_CLIENTS_ONLY],
          env: { PMDM_TEST_STORE: "postgres" },
        },
      },
    ],
  },
});
