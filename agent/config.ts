/**
 * The config file of the agent on a real device (`/etc/portal-agent/agent.json`): one schema,
 * defaults in one place, validated at start with messages that name the option, frozen
 * afterwards. `agent/packaging/agent.example.json` shows every option; the README's section
 * "Run the agent on a device" explains them.
 */
import { readFile } from "node:fs/promises";
import cron from "node-cron";
import Type, { type Static } from "typebox";
import Value from "typebox/value";
import { parseNtpServer } from "./clock/ntp-server.js";
import { NTP_MECHANISMS } from "./platform/linux/ntp-mechanisms.js";

export const DEFAULT_CONFIG_FILE = "/etc/portal-agent/agent.json";

const Section = <T extends Parameters<typeof Type.Object>[0]>(properties: T) =>
  Type.Object(properties, { default: {}, additionalProperties: false });

export const AgentConfigSchema = Type.Object(
  {
    server: Type.String({
      default: "",
      pattern: "^$|^https?://",
      description: "the portal-mdm server's HTTP URL; --server overrides it",
    }),
    caFile: Type.Union([Type.String({ minLength: 1 }), Type.Null()], {
      default: null,
      description:
        "CA certificate (PEM) trusted for the server's HTTPS and MQTT over TLS; null: the system's roots; --ca-file overrides it",
    }),
    enrollToken: Type.String({
      default: "",
      description: "enroll with this token; empty: show a code for an admin to type in",
    }),
    stateDir: Type.String({
      minLength: 1,
      default: "/var/lib/portal-agent",
      description: "identity, command journal and applied settings",
    }),
    logLevel: Type.Enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], { default: "info" }),
    dryRun: Type.Boolean({ default: false, description: "log the commands instead of running them" }),
    stateReportIntervalSeconds: Type.Integer({ minimum: 5, maximum: 3600, default: 60 }),
    commandTimeoutSeconds: Type.Integer({ minimum: 1, maximum: 3600, default: 30 }),
    device: Section({
      model: Type.String({ maxLength: 128, default: "", description: "empty: from the hardware" }),
      serial: Type.String({
        maxLength: 128,
        pattern: "^[\\x21-\\x7e]*$",
        default: "",
        description: "empty: from the hardware, else the machine id",
      }),
    }),
    timezone: Section({
      automaticMechanism: Type.Enum(["none", "systemd-unit"], {
        default: "none",
        description: "how the zone follows the network when set to automatic",
      }),
      automaticUnit: Type.String({
        pattern: "^[\\w@:.\\\\-]+\\.(service|timer)$",
        default: "automatic-timezoned.service",
        description: "the unit enabled for an automatic zone (systemd-unit mechanism)",
      }),
    }),
    ntp: Section({
      mechanism: Type.Enum(NTP_MECHANISMS, {
        default: "timesyncd",
        description: "what the NTP server is set in",
      }),
      timesyncdDropIn: Type.String({
        minLength: 1,
        default: "/etc/systemd/timesyncd.conf.d/50-portal-agent.conf",
      }),
      chronySourcesFile: Type.String({ minLength: 1, default: "/etc/chrony/sources.d/portal-agent.sources" }),
    }),
    factoryReset: Section({
      wipeScript: Type.Union([Type.String({ minLength: 1 }), Type.Null()], {
        default: null,
        description: "erases user data; null: factory reset is refused",
      }),
      timeoutSeconds: Type.Integer({ minimum: 1, maximum: 24 * 3600, default: 600 }),
    }),
    clock: Section({
      schedule: Type.String({
        default: "*/10 * * * *",
        description: "cron expression: when the clock offset is measured (also at start and on change)",
      }),
      automaticNtpServer: Type.Union([Type.String({ minLength: 1 }), Type.Null()], {
        default: "pool.ntp.org",
        description: "measured against while the time source is automatic; null: not measured",
      }),
      replyTimeoutMs: Type.Integer({ minimum: 50, maximum: 30_000, default: 2000 }),
      samples: Type.Integer({ minimum: 1, maximum: 8, default: 3 }),
    }),
    telemetry: Section({
      diskMount: Type.String({ minLength: 1, default: "/", description: "the file system reported as disk" }),
    }),
  },
  { additionalProperties: false },
);

export type AgentConfig = Readonly<Static<typeof AgentConfigSchema>>;

export class AgentConfigError extends Error {
  override name = "AgentConfigError";
}

/** Applies defaults and validates; `source` names the file in messages. */
export function parseAgentConfig(raw: unknown, source = "agent config"): AgentConfig {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new AgentConfigError(`${source}: must be a JSON object`);
  }
  const withDefaults = Value.Default(AgentConfigSchema, structuredClone(raw));
  const problems: string[] = [];
  for (const error of Value.Errors(AgentConfigSchema, withDefaults)) {
    // Each unknown key is reported once, by the object that holds it.
    if (error.keyword === "boolean") continue;
    const path = error.instancePath.slice(1).replaceAll("/", ".");
    const unknown = (error.params as { additionalProperties?: string[] }).additionalProperties;
    if (unknown) {
      for (const key of unknown) problems.push(`${path ? `${path}.` : ""}${key}: unknown option`);
    } else {
      problems.push(`${path || "(top level)"}: ${error.message}`);
    }
  }
  if (problems.length === 0) {
    const config = withDefaults as AgentConfig;
    if (!cron.validate(config.clock.schedule)) {
      problems.push(`clock.schedule: '${config.clock.schedule}' is not a cron expression`);
    }
    if (config.clock.automaticNtpServer !== null) {
      try {
        parseNtpServer(config.clock.automaticNtpServer);
      } catch (err) {
        problems.push(`clock.automaticNtpServer: ${(err as Error).message}`);
      }
    }
  }
  if (problems.length > 0) {
    throw new AgentConfigError(`${source} is invalid:\n${problems.map((p) => `  ${p}`).join("\n")}`);
  }
  return deepFreeze(withDefaults as AgentConfig);
}

export async function loadAgentConfigFile(file: string): Promise<AgentConfig> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new AgentConfigError(`cannot read the agent config ${file}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new AgentConfigError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  return parseAgentConfig(raw, file);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
