/** `portalctl config ...`: the named contexts of the config file (cli/contexts.ts). */
import type { Command } from "commander";
import { configPath, readConfig, writeConfig } from "../contexts.js";
import { CliError, EXIT } from "../errors.js";
import { type Format, outputOption, print, renderList } from "../output.js";

interface ContextRow {
  name: string;
  current: boolean;
  server: string;
  /** The token's first characters: enough to tell them apart, never the secret. */
  token: string;
}

const masked = (token: string) => `${token.slice(0, 8)}…`;

export function registerConfig(program: Command): void {
  const config = program.command("config").description(`the contexts saved by login (${configPath()})`);

  config
    .command("get-contexts")
    .description("list the contexts")
    .addOption(outputOption())
    .action(async (options: { output: Format }) => {
      const file = await readConfig();
      const rows: ContextRow[] = Object.entries(file.contexts).map(([name, c]) => ({
        name,
        current: name === file.currentContext,
        server: c.server,
        token: masked(c.token),
      }));
      print(
        renderList(rows, options.output, [
          { name: "current", value: (r) => (r.current ? "*" : "") },
          { name: "name", value: (r) => r.name },
          { name: "server", value: (r) => r.server },
          { name: "token", value: (r) => r.token },
        ]),
      );
    });

  config
    .command("current-context")
    .description("print the current context's name")
    .action(async () => {
      const file = await readConfig();
      if (!file.currentContext) throw new CliError("no current context; run portalctl login", "no_context");
      print(`${file.currentContext}\n`);
    });

  config
    .command("use-context")
    .description("make a context the current one")
    .argument("<name>", "the context")
    .action(async (name: string) => {
      const file = await readConfig();
      if (!file.contexts[name]) throw notFound(name);
      file.currentContext = name;
      await writeConfig(file);
      print(`switched to context '${name}' (${file.contexts[name].server})\n`);
    });

  config
    .command("delete-context")
    .description("forget a context and its token (the token itself stays valid on the server)")
    .argument("<name>", "the context")
    .action(async (name: string) => {
      const file = await readConfig();
      if (!file.contexts[name]) throw notFound(name);
      delete file.contexts[name];
      if (file.currentContext === name) file.currentContext = null;
      await writeConfig(file);
      print(`deleted context '${name}'\n`);
    });
}

const notFound = (name: string) =>
  new CliError(`no context named '${name}' in ${configPath()}`, "context_not_found", EXIT.notFound);
