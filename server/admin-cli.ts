/**
 * `npm run admin -- <command>`: admin accounts from the server machine itself, for the first
 * real admin and for getting back in (a forgotten password, a locked-out team). It opens the
 * server's store directly (the data dir's SQLite file, or the PostgreSQL database of
 * `--database-url` / PMDM_DATABASE_URL, as the server does), so it works whether the server runs
 * or not, and whoever can run it can already read the data dir or the database. Every change
 * lands in the audit log (source `server-cli`). A running server notices the commits within a
 * second (server/store/sqlite/external-commits.ts, server/store/postgres/external-commits.ts):
 * the admin's open event streams re-check their credential and the audit rows reach live audit
 * streams.
 *
 *   npm run admin -- create --email ana@example.com --name "Ana" [--role system_admin] [--password-stdin]
 *   npm run admin -- reset-password --email ana@example.com [--password-stdin]
 *   npm run admin -- list
 *   npm run admin -- rotate-signing-key [--force]   (running servers follow within seconds)
 *   npm run admin -- backup <dir>             (online: the server may be running)
 *   npm run admin -- restore <dir> [--force]  (refuses while a server runs on the data dir)
 *   npm run admin -- migrate-store --to postgres://...   (the SQLite store into an empty PostgreSQL)
 *   npm run admin -- after-restore --database-url postgres://...   (after pg_restore, before a start)
 */
import { join, resolve } from "node:path";
import { text } from "node:stream/consumers";
import { Command, Option } from "commander";
import { AdminService, normalizeEmail } from "./admins/accounts.js";
import { ApiTokenService } from "./admins/api-tokens.js";
import { AuditLog } from "./admins/audit-log.js";
import { ADMIN_TOKEN_FILE } from "./admins/bootstrap.js";
import { DEFAULT_LOGIN_LIMITS, LoginLimiter } from "./admins/login-limiter.js";
import {
  checkNewPassword,
  generatePassword,
  hashPassword,
  type PasswordContext,
} from "./admins/passwords.js";
import { SYSTEM_ADMIN_ROLE_ID } from "./admins/rights.js";
import { RoleService } from "./admins/roles.js";
import { SessionService } from "./admins/sessions.js";
import { CONFIG_ENV } from "./config.js";
import { copyProgressPrinter } from "./copy-progress.js";
import { isMdmError } from "./errors.js";
import { EventBus } from "./events/event-bus.js";
import type { ServerEvents } from "./events/server-events.js";
import { createLogger } from "./logger.js";
import { DATABASE_FILE } from "./server.js";
import { signingKeysFile } from "./signing/key-ring-file.js";
import { importSigningKeyFile } from "./signing/load-signing-keys.js";
import { SIGNING_KEY_POLL_MS } from "./signing/shared-signer.js";
import { rotatedSigningKeyRing } from "./signing/signing-keys.js";
import { StoredKeyRing } from "./signing/stored-key-ring.js";
import { afterPostgresRestore } from "./store/after-restore.js";
import { backupDataDir, RESTORE_SEQ_GAP, restoreDataDir } from "./store/backup.js";
import type { TableCount } from "./store/copy-store.js";
import { dialectOf } from "./store/dialect.js";
import { migrateStore } from "./store/migrate-store.js";
import { openConfiguredStore } from "./store/open-store.js";
import { hidePassword, withPasswordHidden } from "./store/postgres/database-url.js";
import { AuditTargetNames } from "./store/read-models/audit-target-names.js";
import { AdminRepository } from "./store/repositories/admin-repository.js";
import { ApiTokenRepository } from "./store/repositories/api-token-repository.js";
import { AuditRepository } from "./store/repositories/audit-repository.js";
import { DeviceKeyVersionRepository } from "./store/repositories/device-key-version-repository.js";
import { RoleRepository } from "./store/repositories/role-repository.js";
import { SessionRepository } from "./store/repositories/session-repository.js";
import type { Store } from "./store/store.js";

const SOURCE = "server-cli";

interface Services {
  store: Store;
  admins: AdminService;
  roles: RoleService;
  sessions: SessionService;
  deviceKeyVersions: DeviceKeyVersionRepository;
  audit: AuditLog;
}

interface StoreOptions {
  dataDir: string;
  databaseUrl: string;
}

async function open(options: StoreOptions): Promise<Services> {
  const store = await openConfiguredStore(
    { databaseUrl: options.databaseUrl, databasePoolSize: 2, databaseStatementTimeoutMs: 10_000 },
    resolve(options.dataDir),
  );
  const dialect = dialectOf(store.dialect);
  const clock = Date.now;
  // Nobody listens in this process: a running server learns of these commits from the
  // database file itself.
  const events = new EventBus<ServerEvents>(createLogger("silent"));
  const adminRepository = new AdminRepository(dialect);
  const sessions = new SessionService({
    store,
    repository: new SessionRepository(dialect),
    admins: adminRepository,
    events,
    clock,
    limiter: new LoginLimiter(DEFAULT_LOGIN_LIMITS, clock),
  });
  const roles = new RoleService(store, new RoleRepository(dialect), events, clock);
  const tokens = new ApiTokenService(store, new ApiTokenRepository(dialect), events, clock);
  const admins = new AdminService({
    store,
    repository: adminRepository,
    roles,
    sessions,
    tokens,
    events,
    clock,
  });
  return {
    store,
    admins,
    roles,
    sessions,
    deviceKeyVersions: new DeviceKeyVersionRepository(dialect),
    audit: new AuditLog({
      store,
      repository: new AuditRepository(dialect),
      targetNames: new AuditTargetNames(dialect),
      events,
      clock,
    }),
  };
}

/** A password from standard input (first line), or null to generate one; `context`: whose it is. */
async function passwordFrom(stdin: boolean, context: PasswordContext): Promise<string | null> {
  if (!stdin) return null;
  const password = (await text(process.stdin)).split(/\r?\n/)[0] ?? "";
  checkNewPassword(password, "password", context);
  return password;
}

async function withServices(options: StoreOptions, run: (s: Services) => Promise<void>): Promise<void> {
  const services = await open(options);
  try {
    await run(services);
  } finally {
    await services.store.close();
  }
}

const program = new Command("npm run admin --")
  .description("Create admins, reset passwords, back up and restore, on the server machine")
  .addOption(
    new Option("--data-dir <dir>", "the server's data dir").env(CONFIG_ENV.dataDir).default("./data"),
  )
  .addOption(
    new Option("--database-url <url>", "the server's PostgreSQL store (default: SQLite in the data dir)")
      .env(CONFIG_ENV.databaseUrl)
      .default(""),
  );

/** Where the server keeps its store, from the global options. */
const storeOptions = (): StoreOptions => program.opts<StoreOptions>();

/** Backup and restore copy the SQLite file; a PostgreSQL store is dumped with its own tools. */
function refuseOnPostgres(what: string): void {
  if (storeOptions().databaseUrl) {
    throw new Error(
      `${what} copies the data dir's SQLite store, but the server's store is PostgreSQL: use pg_dump / pg_restore and after-restore (docs/reliability.md, "PostgreSQL")`,
    );
  }
}

program
  .command("create")
  .description("create an admin; prints a generated one-time password unless --password-stdin")
  .requiredOption("--email <email>", "sign-in email")
  .requiredOption("--name <name>", "display name")
  .option("--role <roleId>", "role id (see list)", SYSTEM_ADMIN_ROLE_ID)
  .option("--password-stdin", "read the password from standard input instead of generating one")
  .action(async (options: { email: string; name: string; role: string; passwordStdin?: boolean }) => {
    const chosen = await passwordFrom(options.passwordStdin ?? false, options);
    const password = chosen ?? generatePassword();
    await withServices(storeOptions(), async ({ store, admins, audit }) => {
      const admin = await store.unit(async (tx) => {
        const { admin } = await admins.createUnchecked(
          {
            email: options.email,
            name: options.name,
            roleId: options.role,
            password,
            mustResetPassword: chosen === null,
          },
          tx,
        );
        await audit.append(tx, {
          actor: null,
          action: "admin.create",
          target: admin.id,
          params: { email: admin.email, name: admin.name, roleId: admin.role.id, via: SOURCE },
          outcome: "success",
          sourceAddress: SOURCE,
        });
        return admin;
      });
      process.stdout.write(`created ${admin.email} (${admin.id}), role ${admin.role.name}\n`);
      if (chosen === null) {
        process.stdout.write(`one-time password (to be changed at first sign-in): ${password}\n`);
      }
    });
  });

program
  .command("reset-password")
  .description(
    "set a new password (generated and one-time unless --password-stdin); ends the admin's sessions",
  )
  .requiredOption("--email <email>", "the admin's sign-in email")
  .option("--password-stdin", "read the password from standard input instead of generating one")
  .action(async (options: { email: string; passwordStdin?: boolean }) => {
    const chosen = await passwordFrom(options.passwordStdin ?? false, options);
    const password = chosen ?? generatePassword();
    const passwordHash = await hashPassword(password);
    await withServices(storeOptions(), async ({ store, admins, sessions, audit }) => {
      const email = normalizeEmail(options.email);
      const { admin, ended } = await store.unit(async (tx) => {
        const admin = await admins.findByEmail(email, tx);
        if (!admin) throw new Error(`no admin with email '${email}'`);
        await admins.writePassword(tx, admin.id, passwordHash, chosen === null);
        const ended = await sessions.endAll(tx, admin.id);
        await audit.append(tx, {
          actor: null,
          action: "admin.password_set",
          target: admin.id,
          params: { email: admin.email, endedSessions: ended, via: SOURCE },
          outcome: "success",
          sourceAddress: SOURCE,
        });
        return { admin, ended };
      });
      process.stdout.write(`password set for ${admin.email}; ${ended} session(s) ended\n`);
      if (!admin.active) process.stdout.write("note: this account is deactivated\n");
      if (chosen === null)
        process.stdout.write(`one-time password (to be changed at next sign-in): ${password}\n`);
    });
  });

program
  .command("list")
  .description("list admins and roles")
  .action(async () => {
    await withServices(storeOptions(), async ({ admins, roles }) => {
      const { items } = await roles.list();
      process.stdout.write(`roles:\n${items.map((r) => `  ${r.id}  ${r.name}`).join("\n")}\nadmins:\n`);
      let cursor: string | null = null;
      do {
        const page = await admins.list(500, cursor);
        for (const a of page.items) {
          process.stdout.write(`  ${a.email}  ${a.name}  ${a.role.id}${a.active ? "" : "  (deactivated)"}\n`);
        }
        cursor = page.nextCursor;
      } while (cursor);
    });
  });

program
  .command("rotate-signing-key")
  .description(
    "make the next command-signing key active and create a new next key, in the store; running " +
      "servers sign with it within seconds and send it to their devices (docs/security.md, Signed commands)",
  )
  .option("--force", "rotate even though some managed devices may still trust an older key set")
  .action(async (options: { force?: boolean }) => {
    const dataDir = resolve(program.opts<{ dataDir: string }>().dataDir);
    await withServices({ ...storeOptions(), dataDir }, async ({ store, deviceKeyVersions, audit }) => {
      const keys = new StoredKeyRing(store);
      // A data dir from before whose server has not started since: its file becomes the store's ring.
      let current = await keys.read();
      if (!current) {
        current = await importSigningKeyFile(keys, dataDir, createLogger("silent"));
        if (current) process.stdout.write(`imported ${signingKeysFile(dataDir)} into the store\n`);
      }
      if (!current)
        throw new Error("no signing key ring in the store yet; start the server once to create it");
      // Managed devices that may not trust the current key set yet: another rotation would
      // leave them with no key that verifies.
      const behind = await deviceKeyVersions.countActiveBehind(store.db, {
        version: current.version,
        createdAtMs: current.next.createdAtMs,
      });
      if (behind > 0 && !options.force) {
        throw new Error(
          `${behind} managed device(s) may not trust key ring version ${current.version} yet (they have ` +
            "not reported it since it became current); after another rotation they could verify no " +
            "command until enrolled again. Let them connect first, or pass --force.",
        );
      }
      const from = current;
      const ring = rotatedSigningKeyRing(from);
      // Only from the ring read: of two rotations at once, the later one fails and changes nothing.
      await store.unit(async (tx) => {
        await keys.replace(tx, from, ring, Date.now());
        await audit.append(tx, {
          actor: null,
          action: "signing_key.rotate",
          target: ring.active.keyId,
          params: {
            version: ring.version,
            activeKeyId: ring.active.keyId,
            nextKeyId: ring.next.keyId,
            via: SOURCE,
          },
          outcome: "success",
          sourceAddress: SOURCE,
        });
      });
      process.stdout.write(
        `key ring version ${ring.version}: active ${ring.active.keyId}, next ${ring.next.keyId}\n` +
          `running servers sign with the new active key within ${SIGNING_KEY_POLL_MS / 1000} s and send ` +
          "the new key set to their devices\n",
      );
    });
  });

const describeCounts = (counts: { devices: number; commands: number; admins: number }) =>
  `${counts.devices} devices, ${counts.commands} commands, ${counts.admins} admins`;

program
  .command("backup")
  .description("copy the data dir (SQLite online backup, integrity-checked) into a new directory")
  .argument("<dir>", "where the backup goes (must not exist or be empty)")
  .action(async (dir: string) => {
    refuseOnPostgres("backup");
    const manifest = await backupDataDir(program.opts<{ dataDir: string }>().dataDir, dir, DATABASE_FILE);
    process.stdout.write(
      `backed up ${describeCounts(manifest.counts)} and ${manifest.files.length} file(s) to ${dir}\n`,
    );
  });

program
  .command("restore")
  .description("restore a backup into the data dir; the server must be stopped")
  .argument("<dir>", "a directory written by `backup`")
  .option("--force", "replace the data dir's database")
  .action(async (dir: string, options: { force?: boolean }) => {
    refuseOnPostgres("restore");
    const dataDir = program.opts<{ dataDir: string }>().dataDir;
    const manifest = await restoreDataDir(dir, dataDir, options);
    process.stdout.write(
      `restored ${describeCounts(manifest.counts)} from the backup of ${manifest.createdAt} into ${dataDir}\n`,
    );
  });

/** Runs a command that takes a database URL; whatever it reports, the URL's password is hidden. */
async function withDatabaseUrl(url: string, run: () => Promise<void>): Promise<void> {
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw new Error("the database URL must be a PostgreSQL URL: postgres://user@host:port/database");
  }
  try {
    await run();
  } catch (err) {
    throw new Error(hidePassword(err instanceof Error ? err.message : String(err), url));
  }
}

/** A path as a shell reads it back: quoted when it holds anything but plain characters. */
const shellWord = (word: string) =>
  /^[\w./:@=+-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;

/** The verified counts, one line per table. */
function countsTable(tables: TableCount[]): string {
  const width = Math.max(...tables.map((t) => t.table.length), "table".length);
  const rows = tables.map(
    (t) => `  ${t.table.padEnd(width)}  ${String(t.source).padStart(8)}  ${String(t.target).padStart(8)}`,
  );
  return [`  ${"table".padEnd(width)}  ${"sqlite".padStart(8)}  ${"postgres".padStart(8)}`, ...rows].join(
    "\n",
  );
}

program
  .command("migrate-store")
  .description(
    "copy the data dir's SQLite store into an empty PostgreSQL database, checked by row counts; " +
      "the server must be stopped, and the SQLite file is left as it was",
  )
  .requiredOption(
    "--to <url>",
    "the PostgreSQL database: postgres://user@host:port/database (leave the password out and set PGPASSWORD)",
  )
  .action(async (options: { to: string }) => {
    const dataDir = resolve(program.opts<{ dataDir: string }>().dataDir);
    const shown = withPasswordHidden(options.to);
    await withDatabaseUrl(options.to, async () => {
      process.stderr.write(`copying ${join(dataDir, DATABASE_FILE)} into ${shown}\n`);
      const report = await migrateStore({
        dataDir,
        targetUrl: options.to,
        onProgress: copyProgressPrinter(process.stderr),
      });
      const keysFrom = report.importedSigningKeyFile
        ? `imported from ${report.importedSigningKeyFile}, which is no longer used`
        : "as the SQLite store did";
      const hidden = shown.includes("***")
        ? "\n     (put the password back in place of ***, or leave it out of the URL and set PGPASSWORD)"
        : "";
      process.stdout.write(
        `migrated the store into ${shown} (schema version ${report.migrated.to}); ` +
          `row counts checked, every table matches:\n${countsTable(report.tables)}\n\n` +
          "next:\n" +
          `  1. start the server on PostgreSQL with the same data dir:\n` +
          `     PMDM_DATABASE_URL='${shown}' npm start -- --data-dir ${shellWord(dataDir)}${hidden}\n` +
          `  2. the command-signing keys went with the store: the database holds them now (${keysFrom}); ` +
          `keep the data dir for the admin token (${ADMIN_TOKEN_FILE}) and the TLS files if you keep them ` +
          "there, and back up both (docs/reliability.md, PostgreSQL)\n" +
          `  3. ${join(dataDir, DATABASE_FILE)} is left as it was, a fallback: a server started without ` +
          "PMDM_DATABASE_URL runs on it, without what happens on PostgreSQL from now on\n",
      );
    });
  });

program
  .command("after-restore")
  .description(
    `after pg_restore and before any server starts on the database: raise every device's next ` +
      `command seq and desired config version by ${RESTORE_SEQ_GAP.toLocaleString("en-US")}`,
  )
  // The restored database is the one of the global --database-url (or PMDM_DATABASE_URL).
  .action(async () => {
    const options = { databaseUrl: storeOptions().databaseUrl };
    if (!options.databaseUrl) {
      throw new Error(
        "after-restore needs the restored database: --database-url postgres://... or PMDM_DATABASE_URL",
      );
    }
    await withDatabaseUrl(options.databaseUrl, async () => {
      const report = await afterPostgresRestore(options.databaseUrl);
      process.stdout.write(
        `raised the next command seq and desired config version of ${report.devices} device(s) by ` +
          `${RESTORE_SEQ_GAP} in ${withPasswordHidden(options.databaseUrl)}; the servers may start on it\n`,
      );
    });
  });

try {
  await program.parseAsync();
} catch (err) {
  process.stderr.write(`${isMdmError(err) || err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
