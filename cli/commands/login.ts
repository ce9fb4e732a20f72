/**
 * `portalctl login`: checks a credential against the server and saves it as a named context.
 * With `--token` the token is checked (`GET /auth/me`) before anything is saved. With `--email`
 * the password is asked for (or read from standard input), a session is opened
 * (`POST /auth/login`), an API token with the admin's rights is created for portalctl
 * (`POST /tokens`), and the session is ended again: the config file never holds a password or a
 * session.
 */
import { hostname } from "node:os";
import type { Command } from "commander";
import { createApi, unwrap } from "../api.js";
import { readPassword } from "../confirm.js";
import { ENV, normalizeServer, readConfig, writeConfig } from "../contexts.js";
import { CliError, EXIT } from "../errors.js";
import { print } from "../output.js";

interface LoginOptions {
  server?: string;
  token?: string;
  email?: string;
  name: string;
  ttlDays: string;
}

export function registerLogin(program: Command): void {
  program
    .command("login")
    .description("check a credential and save it as a context (the current one from now on)")
    .option("--email <email>", "sign in with email and password (asked for, or read from stdin) instead")
    .option("--name <context>", "the context's name", "default")
    .option("--ttl-days <days>", "with --email: lifetime of the API token created for portalctl", "90")
    // --server and --token are portalctl's global flags (or PORTALCTL_SERVER, PORTALCTL_TOKEN).
    .action(async (_options: LoginOptions, command: Command) => {
      const options = command.optsWithGlobals<LoginOptions>();
      options.server ??= process.env[ENV.server];
      if (!options.email) options.token ??= process.env[ENV.token];
      if (!options.server) {
        throw new CliError("login needs --server URL", "usage", EXIT.usage);
      }
      if (options.token && options.email) {
        throw new CliError("login takes --token or --email, not both", "usage", EXIT.usage);
      }
      const server = normalizeServer(options.server);
      const token = options.token ?? (options.email ? await tokenFromPassword(server, options) : undefined);
      if (!token) throw new CliError("login needs --token TOKEN or --email EMAIL", "usage", EXIT.usage);
      const me = await unwrap(createApi(server, token).GET("/api/v1/auth/me"));
      const config = await readConfig();
      config.contexts[options.name] = { server, token };
      config.currentContext = options.name;
      await writeConfig(config);
      print(
        `logged in to ${server} as ${me.email} (role ${me.role.name}); context '${options.name}' is current\n`,
      );
    });
}

async function tokenFromPassword(server: string, options: LoginOptions): Promise<string> {
  const ttlDays = Number(options.ttlDays);
  if (!Number.isInteger(ttlDays) || ttlDays < 1) {
    throw new CliError("--ttl-days must be a whole number of days", "usage", EXIT.usage);
  }
  const password = await readPassword(`password for ${options.email}: `);
  const session = await unwrap(
    createApi(server, null).POST("/api/v1/auth/login", {
      body: { email: options.email!, password },
    }),
  );
  const api = createApi(server, session.token);
  try {
    if (session.admin.mustResetPassword) {
      throw new CliError(
        "this account's password must be changed first: sign in to the web console, change it, then log in again",
        "password_reset_required",
        EXIT.denied,
      );
    }
    const created = await unwrap(
      api.POST("/api/v1/tokens", {
        body: { name: `portalctl on ${hostname()}`, rights: session.admin.rights, ttlDays },
      }),
    );
    return created.token;
  } finally {
    // The API token is what portalctl keeps; the session is not needed any more.
    await api.POST("/api/v1/auth/logout").catch(() => undefined);
  }
}
