/**
 * Where portalctl talks to, and with which credential: named contexts `{server, token}` and the
 * current one, in `~/.config/portalctl/config.json` (`$XDG_CONFIG_HOME/portalctl/config.json`
 * when that is set; `PORTALCTL_CONFIG` names another file). The file holds API tokens, so it is
 * written 0600 in a 0700 directory, replaced whole (a new file renamed over the old one).
 *
 * What a command uses, each part on its own: the flags (`--server`, `--token`), else the
 * environment (`PORTALCTL_SERVER`, `PORTALCTL_TOKEN`), else the context (`--context NAME`, else
 * the current context).
 */
import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { CliError, EXIT } from "./errors.js";

export const ENV = {
  config: "PORTALCTL_CONFIG",
  server: "PORTALCTL_SERVER",
  token: "PORTALCTL_TOKEN",
} as const;

export interface Context {
  server: string;
  token: string;
}

export interface ConfigFile {
  currentContext: string | null;
  contexts: Record<string, Context>;
}

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const override = env[ENV.config];
  if (override) return override;
  const base = env.XDG_CONFIG_HOME || join(homedir(), ".config");
  return join(base, "portalctl", "config.json");
}

const emptyConfig = (): ConfigFile => ({ currentContext: null, contexts: {} });

export async function readConfig(path = configPath()): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return emptyConfig();
    throw new CliError(`cannot read ${path}: ${(err as Error).message}`, "config_unreadable");
  }
  try {
    const parsed = JSON.parse(text) as Partial<ConfigFile>;
    return { currentContext: parsed.currentContext ?? null, contexts: parsed.contexts ?? {} };
  } catch (err) {
    throw new CliError(`${path} is not valid JSON: ${(err as Error).message}`, "config_invalid");
  }
}

export async function writeConfig(config: ConfigFile, path = configPath()): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  // The mode given to writeFile passes through the umask; the token file is the owner's alone.
  await chmod(temp, 0o600);
  await rename(temp, path);
}

export interface ConnectionFlags {
  server?: string;
  token?: string;
  context?: string;
}

export interface Connection {
  server: string;
  token: string;
  /** The context the file gave, if any part came from it. */
  context: string | null;
}

/** The server and token a command uses: flags, else environment, else the context. */
export async function resolveConnection(
  flags: ConnectionFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Connection> {
  const config = await readConfig(configPath(env));
  const name = flags.context ?? config.currentContext;
  if (flags.context && !config.contexts[flags.context]) {
    throw new CliError(
      `no context named '${flags.context}' in ${configPath(env)}`,
      "context_not_found",
      EXIT.usage,
    );
  }
  const context = name ? config.contexts[name] : undefined;
  const server = flags.server ?? env[ENV.server] ?? context?.server;
  const token = flags.token ?? env[ENV.token] ?? context?.token;
  if (!server || !token) {
    throw new CliError(
      `not logged in: run 'portalctl login --server URL --token TOKEN' (or set ${ENV.server} and ${ENV.token})`,
      "not_logged_in",
      EXIT.denied,
    );
  }
  const fromFile = context && (server === context.server || token === context.token);
  return { server: normalizeServer(server), token, context: fromFile ? (name ?? null) : null };
}

/** `https://mdm.example.com/` → `https://mdm.example.com`; refuses what is not an http(s) URL. */
export function normalizeServer(server: string): string {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new CliError(`'${server}' is not a URL (http://host:port)`, "invalid_server", EXIT.usage);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new CliError(`'${server}' must be an http:// or https:// URL`, "invalid_server", EXIT.usage);
  }
  return url.toString().replace(/\/+$/, "");
}
