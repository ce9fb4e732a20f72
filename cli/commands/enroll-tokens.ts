/**
 * `portalctl enroll-tokens create|list|revoke` (`/enrollment-tokens`: a token's secret is shown
 * once, when it is created) and `portalctl claim CODE`: enroll the device showing that code
 * (`POST /enrollment/claims`), into a site and with labels if asked.
 */
import type { Command } from "commander";
import { allPages, connect, unwrap } from "../api.js";
import { confirmDestructive } from "../confirm.js";
import type { ConnectionFlags } from "../contexts.js";
import { collect, parseDuration } from "../duration.js";
import { CliError, EXIT } from "../errors.js";
import type { paths } from "../openapi/api-types.js";
import { type Column, type Format, outputOption, print, renderItem, renderList } from "../output.js";

const LIST_PATH = "/api/v1/enrollment-tokens";
type EnrollToken =
  paths[typeof LIST_PATH]["get"]["responses"][200]["content"]["application/json"]["items"][number];
type TokenState = EnrollToken["state"];
const STATES: readonly TokenState[] = ["usable", "used_up", "expired", "revoked"];
const PAGE_SIZE = 200;

export const enrollTokenColumns: Column<EnrollToken>[] = [
  { name: "id", value: (t) => t.id },
  { name: "name", value: (t) => t.name },
  { name: "state", value: (t) => t.state, color: (s) => (s === "usable" ? "green" : "dim") },
  { name: "uses", value: (t) => t.uses },
  { name: "max_uses", value: (t) => t.maxUses },
  { name: "site", value: (t) => t.siteId },
  { name: "labels", value: (t) => t.labels },
  { name: "expires", value: (t) => t.expiresAt },
  { name: "last_used", value: (t) => t.lastUsedAt },
];

const tokenFields: Column<EnrollToken>[] = [
  ...enrollTokenColumns,
  { name: "uses_left", value: (t) => t.usesLeft },
  { name: "created", value: (t) => t.createdAt },
  { name: "created_by", value: (t) => t.createdBy },
  { name: "revoked", value: (t) => t.revokedAt },
];

interface CreateOptions {
  name?: string;
  maxUses: string;
  expiresIn: string;
  site?: string;
  label?: string[];
  output: Format;
}

function maxUsesOf(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new CliError("--max-uses must be a whole number", "usage", EXIT.usage);
  return n;
}

export function registerEnrollTokens(program: Command): void {
  const tokens = program
    .command("enroll-tokens")
    .description("enrollment tokens: create (the secret is shown once), list, revoke");

  tokens
    .command("create")
    .description("create an enrollment token; prints its secret once (-o json: the API's answer)")
    .option("--name <name>", "what it is for")
    .option("--max-uses <n>", "how many devices may enroll with it", "1")
    .option("--expires-in <duration>", "how long it is valid (90m, 12h, 7d)", "7d")
    .option("--site <id>", "the site each device it enrolls joins")
    .option("--label <label>", "a label each device it enrolls gets, repeatable", collect)
    .addOption(outputOption())
    .action(async (options: CreateOptions, command: Command) => {
      const body = {
        maxUses: maxUsesOf(options.maxUses),
        expiresInSeconds: parseDuration(options.expiresIn, "--expires-in"),
        ...(options.name !== undefined ? { name: options.name } : {}),
        ...(options.site !== undefined ? { siteId: options.site } : {}),
        ...(options.label ? { labels: options.label } : {}),
      };
      const api = await connect(command.optsWithGlobals<ConnectionFlags>());
      const created = await unwrap(api.POST(LIST_PATH, { body }));
      if (options.output !== "table") {
        print(
          renderItem(created, options.output, [...tokenFields, { name: "token", value: (t) => t.token }]),
        );
        return;
      }
      print(
        `enrollment token ${created.id} (${created.maxUses} use(s), until ${created.expiresAt}):\n${created.token}\n`,
      );
      process.stderr.write("the token is shown only now: keep it safe\n");
    });

  tokens
    .command("list")
    .description("enrollment tokens, newest first, with their uses (never their secret)")
    .option("--state <state>", `only tokens in this state (${STATES.join(", ")})`)
    .addOption(outputOption())
    .action(async (options: { state?: string; output: Format }, command: Command) => {
      if (options.state !== undefined && !STATES.includes(options.state as TokenState)) {
        throw new CliError(`--state takes one of ${STATES.join(", ")}`, "usage", EXIT.usage);
      }
      const state = options.state as TokenState | undefined;
      const api = await connect(command.optsWithGlobals<ConnectionFlags>());
      const items = await allPages((cursor) =>
        unwrap(
          api.GET(LIST_PATH, {
            params: { query: { limit: PAGE_SIZE, cursor, ...(state ? { state } : {}) } },
          }),
        ),
      );
      print(renderList(items, options.output, enrollTokenColumns));
    });

  tokens
    .command("revoke")
    .description("revoke an enrollment token: no device enrolls with it any more")
    .argument("<id>", "the token's id")
    .option("-y, --yes", "do not ask (needed without a terminal)")
    .addOption(outputOption())
    .action(async (id: string, options: { yes?: boolean; output: Format }, command: Command) => {
      const api = await connect(command.optsWithGlobals<ConnectionFlags>());
      await confirmDestructive(`revoke enrollment token ${id}`, options.yes);
      const revoked = await unwrap(
        api.POST("/api/v1/enrollment-tokens/{id}/revoke", { params: { path: { id } } }),
      );
      print(
        options.output === "table"
          ? `revoked enrollment token ${revoked.id}\n`
          : renderItem(revoked, options.output, []),
      );
    });

  program
    .command("claim")
    .description("enroll the device showing this code")
    .argument("<code>", "the code on the device's screen")
    .option("--site <id>", "the site the device joins")
    .option("--label <label>", "a label the device gets, repeatable", collect)
    .option("--replace <device-id>", "the managed device with the same serial that it replaces")
    .addOption(outputOption())
    .action(
      async (
        code: string,
        options: { site?: string; label?: string[]; replace?: string; output: Format },
        command: Command,
      ) => {
        const api = await connect(command.optsWithGlobals<ConnectionFlags>());
        const claimed = await unwrap(
          api.POST("/api/v1/enrollment/claims", {
            body: {
              code,
              ...(options.site !== undefined ? { siteId: options.site } : {}),
              ...(options.replace !== undefined ? { replaceDeviceId: options.replace } : {}),
            },
          }),
        );
        if (options.label && options.label.length > 0) {
          await unwrap(
            api.POST("/api/v1/devices/labels", {
              body: { target: { deviceIds: [claimed.deviceId] }, add: options.label },
            }),
          );
        }
        print(
          options.output === "table"
            ? `claimed ${claimed.serial} (${claimed.model}) as ${claimed.deviceId}${claimed.replaced ? ", replacing the old one" : ""}\n`
            : renderItem(claimed, options.output, [
                { name: "device", value: (c) => c.deviceId },
                { name: "serial", value: (c) => c.serial },
                { name: "model", value: (c) => c.model },
                { name: "name", value: (c) => c.name },
                { name: "replaced", value: (c) => c.replaced },
              ]),
        );
      },
    );
}
