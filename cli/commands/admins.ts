/**
 * `portalctl admins list|get|create|update|disable|enable`, `portalctl roles list|get` and
 * `portalctl tokens list|create|revoke` (your personal API tokens; a token is shown once, when it
 * is created).
 */
import type { Command } from "commander";
import { allPages, connect, type Schemas, unwrap } from "../api.js";
import { confirmDestructive } from "../confirm.js";
import type { ConnectionFlags } from "../contexts.js";
import { CliError, EXIT } from "../errors.js";
import type { paths } from "../openapi/api-types.js";
import { type Column, type Format, outputOption, print, renderItem, renderList } from "../output.js";

type Admin = Schemas["Admin"];
type Role = Schemas["Role"];
type ApiToken = Schemas["ApiToken"];
type Right = Role["rights"][number];
type AdminPatch = paths["/api/v1/admins/{id}"]["patch"]["requestBody"]["content"]["application/json"];
const PAGE_SIZE = 200;

const adminColumns: Column<Admin>[] = [
  { name: "id", value: (a) => a.id },
  { name: "email", value: (a) => a.email },
  { name: "name", value: (a) => a.name },
  { name: "role", value: (a) => a.role.name },
  { name: "active", value: (a) => a.active, color: (s) => (s === "true" ? null : "yellow") },
  { name: "last_login", value: (a) => a.lastLoginAt },
];
const adminFields: Column<Admin>[] = [
  ...adminColumns,
  { name: "role_id", value: (a) => a.role.id },
  { name: "rights", value: (a) => a.rights },
  { name: "must_reset_password", value: (a) => a.mustResetPassword },
  { name: "created", value: (a) => a.createdAt },
  { name: "updated", value: (a) => a.updatedAt },
];
const roleColumns: Column<Role>[] = [
  { name: "id", value: (r) => r.id },
  { name: "name", value: (r) => r.name },
  { name: "built_in", value: (r) => r.builtIn },
  { name: "admins", value: (r) => r.adminCount },
  { name: "rights", value: (r) => r.rights },
];
const roleFields: Column<Role>[] = [
  ...roleColumns,
  { name: "created", value: (r) => r.createdAt },
  { name: "updated", value: (r) => r.updatedAt },
];
const tokenColumns: Column<ApiToken>[] = [
  { name: "id", value: (t) => t.id },
  { name: "name", value: (t) => t.name },
  { name: "rights", value: (t) => t.rights },
  { name: "created", value: (t) => t.createdAt },
  { name: "expires", value: (t) => t.expiresAt },
  { name: "expired", value: (t) => t.expired, color: (s) => (s === "true" ? "yellow" : null) },
];

const flags = (command: Command) => command.optsWithGlobals<ConnectionFlags>();

function registerAdmins(program: Command): void {
  const admins = program.command("admins").description("admin accounts: list, show, create, change");
  admins
    .command("list")
    .description("every admin account")
    .addOption(outputOption())
    .action(async (options: { output: Format }, command: Command) => {
      const api = await connect(flags(command));
      const items = await allPages((cursor) =>
        unwrap(api.GET("/api/v1/admins", { params: { query: { limit: PAGE_SIZE, cursor } } })),
      );
      print(renderList(items, options.output, adminColumns));
    });
  admins
    .command("get")
    .description("one admin: role, rights, state")
    .argument("<id>", "the admin's id")
    .addOption(outputOption())
    .action(async (id: string, options: { output: Format }, command: Command) => {
      const api = await connect(flags(command));
      print(
        renderItem(
          await unwrap(api.GET("/api/v1/admins/{id}", { params: { path: { id } } })),
          options.output,
          adminFields,
        ),
      );
    });
  admins
    .command("create")
    .description("create an admin; without --password one is generated and printed once")
    .requiredOption("--email <email>", "their sign-in email")
    .requiredOption("--role <id>", "their role's id (portalctl roles list)")
    .option("--name <name>", "their name (default: the email)")
    .option("--password <password>", "their first password (else generated)")
    .option("--no-must-reset", "do not make them change the password at first sign-in")
    .addOption(outputOption())
    .action(
      async (
        options: {
          email: string;
          role: string;
          name?: string;
          password?: string;
          mustReset: boolean;
          output: Format;
        },
        command: Command,
      ) => {
        const api = await connect(flags(command));
        const created = await unwrap(
          api.POST("/api/v1/admins", {
            body: {
              email: options.email,
              name: options.name ?? options.email,
              roleId: options.role,
              mustResetPassword: options.mustReset,
              ...(options.password !== undefined ? { password: options.password } : {}),
            },
          }),
        );
        if (options.output !== "table") {
          print(
            renderItem(created, options.output, [
              ...adminFields,
              { name: "password", value: (a) => a.password },
            ]),
          );
          return;
        }
        print(`created admin ${created.email} (${created.id}), role ${created.role.name}\n`);
        if (created.password) print(`password (shown only now): ${created.password}\n`);
      },
    );

  const change = (verb: string, description: string, patch: (o: Record<string, unknown>) => AdminPatch) =>
    admins
      .command(verb)
      .description(description)
      .argument("<id>", "the admin's id")
      .addOption(outputOption())
      .action(async (id: string, options: Record<string, unknown> & { output: Format }, command: Command) => {
        const body = patch(options);
        if (Object.keys(body).length === 0) throw new CliError("nothing to change", "usage", EXIT.usage);
        const api = await connect(flags(command));
        const admin = await unwrap(api.PATCH("/api/v1/admins/{id}", { params: { path: { id } }, body }));
        print(
          options.output === "table"
            ? `${admin.email} (${admin.id}): role ${admin.role.name}, ${admin.active ? "active" : "disabled"}\n`
            : renderItem(admin, options.output, adminFields),
        );
      });
  change("update", "rename, change the role, or force a password reset", (o) => ({
    ...(typeof o.name === "string" ? { name: o.name } : {}),
    ...(typeof o.role === "string" ? { roleId: o.role } : {}),
    ...(o.mustReset === true ? { mustResetPassword: true } : {}),
  }))
    .option("--name <name>", "the new name")
    .option("--role <id>", "the new role's id")
    .option("--must-reset", "make them change the password at next sign-in");
  change("disable", "deactivate an admin: they can no longer sign in", () => ({ active: false }));
  change("enable", "reactivate a disabled admin", () => ({ active: true }));
}

function registerRoles(program: Command): void {
  const roles = program.command("roles").description("roles: the built-in system admin and custom roles");
  roles
    .command("list")
    .description("every role with its rights")
    .addOption(outputOption())
    .action(async (options: { output: Format }, command: Command) => {
      const api = await connect(flags(command));
      const page = await unwrap(api.GET("/api/v1/roles"));
      print(renderList(page.items, options.output, roleColumns));
    });
  roles
    .command("get")
    .description("one role")
    .argument("<id>", "the role's id")
    .addOption(outputOption())
    .action(async (id: string, options: { output: Format }, command: Command) => {
      const api = await connect(flags(command));
      print(
        renderItem(
          await unwrap(api.GET("/api/v1/roles/{id}", { params: { path: { id } } })),
          options.output,
          roleFields,
        ),
      );
    });
}

function registerTokens(program: Command): void {
  const tokens = program.command("tokens").description("your personal API tokens: list, create, revoke");
  tokens
    .command("list")
    .description("your API tokens (never their secret)")
    .addOption(outputOption())
    .action(async (options: { output: Format }, command: Command) => {
      const api = await connect(flags(command));
      const page = await unwrap(api.GET("/api/v1/tokens"));
      print(renderList(page.items, options.output, tokenColumns));
    });
  tokens
    .command("create")
    .description("create an API token with some of your rights; prints it once")
    .requiredOption("--name <name>", "what it is for")
    .requiredOption(
      "--rights <right...>",
      "its rights (e.g. devices:read devices:command), or comma-separated",
    )
    .option("--ttl-days <days>", "expire it after this many days")
    .addOption(outputOption())
    .action(
      async (
        options: { name: string; rights: string[]; ttlDays?: string; output: Format },
        command: Command,
      ) => {
        const rights = options.rights.flatMap((r) => r.split(",")).filter((r) => r !== "") as Right[];
        const ttlDays = options.ttlDays === undefined ? undefined : Number(options.ttlDays);
        if (ttlDays !== undefined && (!Number.isSafeInteger(ttlDays) || ttlDays < 1)) {
          throw new CliError("--ttl-days must be a whole number", "usage", EXIT.usage);
        }
        const api = await connect(flags(command));
        const created = await unwrap(
          api.POST("/api/v1/tokens", {
            body: { name: options.name, rights, ...(ttlDays !== undefined ? { ttlDays } : {}) },
          }),
        );
        if (options.output !== "table") {
          print(
            renderItem(created, options.output, [...tokenColumns, { name: "token", value: (t) => t.token }]),
          );
          return;
        }
        print(`API token ${created.id} (${created.rights.join(", ")}):\n${created.token}\n`);
        process.stderr.write("the token is shown only now: keep it safe\n");
      },
    );
  tokens
    .command("revoke")
    .description("revoke one of your API tokens")
    .argument("<id>", "the token's id")
    .option("-y, --yes", "do not ask (needed without a terminal)")
    .action(async (id: string, options: { yes?: boolean }, command: Command) => {
      const api = await connect(flags(command));
      await confirmDestructive(`revoke API token ${id}`, options.yes);
      await unwrap(api.DELETE("/api/v1/tokens/{id}", { params: { path: { id } } }));
      print(`revoked API token ${id}\n`);
    });
}

export function registerAdminResources(program: Command): void {
  registerAdmins(program);
  registerRoles(program);
  registerTokens(program);
}
