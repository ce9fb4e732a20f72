/**
 * portalctl: the remote admin CLI, over the HTTP API only (never the database). The composition
 * root: the program, its global flags, every command module, and how a run ends (an error is
 * `error: <message> (<code>)` on stderr and the exit code of cli/errors.ts).
 *
 *   npm run portalctl -- login --server https://mdm.example.com --token pat_...
 *   npx portalctl devices list -o json
 */
import { Command, CommanderError, Option } from "commander";
import { SERVER_VERSION } from "../server/version.js";
import { registerAdminResources } from "./commands/admins.js";
import { registerAudit } from "./commands/audit.js";
import { registerCompletion } from "./commands/completion.js";
import { registerConfig } from "./commands/config.js";
import { registerDeviceActions } from "./commands/device-actions.js";
import { registerDevices } from "./commands/devices.js";
import { registerEnrollTokens } from "./commands/enroll-tokens.js";
import { registerGroups } from "./commands/groups.js";
import { registerLabels } from "./commands/labels.js";
import { registerLogin } from "./commands/login.js";
import { registerRollouts } from "./commands/rollouts.js";
import { registerSchedules } from "./commands/schedules.js";
import { registerSites } from "./commands/sites.js";
import { registerTime } from "./commands/time.js";
import { ENV } from "./contexts.js";
import { EXIT, errorLine } from "./errors.js";

export function buildProgram(): Command {
  const program = new Command("portalctl")
    .description("Manage a portal-mdm server's devices over its HTTP API")
    .version(SERVER_VERSION)
    // Usage errors exit with EXIT.usage, not commander's own exit.
    .exitOverride()
    .showHelpAfterError("(run with --help for usage)")
    .addOption(new Option("--server <url>", `the server (default: ${ENV.server}, else the context's)`))
    .addOption(new Option("--token <token>", `the API token (default: ${ENV.token}, else the context's)`))
    .addOption(new Option("--context <name>", "use this saved context instead of the current one"));
  registerLogin(program);
  registerConfig(program);
  registerDevices(program);
  registerDeviceActions(program);
  registerTime(program);
  registerSites(program);
  registerLabels(program);
  registerGroups(program);
  registerSchedules(program);
  registerRollouts(program);
  registerEnrollTokens(program);
  registerAdminResources(program);
  registerAudit(program);
  registerCompletion(program);
  return program;
}

try {
  await buildProgram().parseAsync();
} catch (err) {
  if (err instanceof CommanderError) {
    // Commander has printed its message (or the help or version) already.
    process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else {
    const { line, exitCode } = errorLine(err);
    process.stderr.write(`${line}\n`);
    process.exitCode = exitCode;
  }
}
