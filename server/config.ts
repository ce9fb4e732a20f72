/**
 * Server configuration: one schema, defaults in one place, validated at start with readable
 * messages, frozen afterwards. Every option can come from a flag or an environment variable;
 * flags win. The README's configuration table lists the same options.
 */
import Type, { type Static } from "typebox";
import Value from "typebox/value";
import { brokerUrlProblem, checkBrokerUrls } from "../proto/broker-urls.js";
import type { LogLevel } from "./logger.js";

const Port = (defaultPort: number) => Type.Integer({ minimum: 0, maximum: 65535, default: defaultPort });

export const ServerConfigSchema = Type.Object({
  dataDir: Type.String({
    minLength: 1,
    default: "./data",
    description: "SQLite database, admin token and signing keys",
  }),
  databaseUrl: Type.String({
    default: "",
    pattern: "^(postgres(ql)?://.*)?$",
    description:
      "PostgreSQL to keep the store in (postgres://user:password@host:port/database); empty: SQLite in the data dir",
  }),
  databasePoolSize: Type.Integer({
    minimum: 1,
    maximum: 1000,
    default: 10,
    description: "PostgreSQL connections this server keeps open at most",
  }),
  databaseStatementTimeoutMs: Type.Integer({
    minimum: 100,
    maximum: 600_000,
    default: 10_000,
    description: "longest one PostgreSQL statement may run before it fails",
  }),
  nodeId: Type.String({
    default: "",
    pattern: "^[A-Za-z0-9_.-]{0,64}$",
    description: "this server's id among the nodes of one service; empty: the id kept in the data dir",
  }),
  nodeLeaseSeconds: Type.Integer({
    minimum: 2,
    maximum: 600,
    default: 10,
    description:
      "how long a silent node still counts as alive; then its devices show offline and its jobs move",
  }),
  redisUrl: Type.String({
    default: "",
    pattern: "^(rediss?://.*)?$",
    description:
      "Redis that carries what server nodes tell each other (redis://host:port/db); empty: one node, nothing to tell",
  }),
  redisPrefix: Type.String({
    default: "pmdm",
    pattern: "^[A-Za-z0-9_.-]{1,64}$",
    description: "prefix of this service's channels and keys in Redis (services may share one Redis)",
  }),
  host: Type.String({ minLength: 1, default: "0.0.0.0", description: "bind address for HTTP and MQTT" }),
  httpPort: Port(8080),
  mqttPort: Port(1883),
  mqttTlsPort: Port(8883),
  tlsCertFile: Type.String({
    default: "",
    description: "certificate chain (PEM) for HTTPS and MQTT over TLS; empty: no TLS",
  }),
  tlsKeyFile: Type.String({ default: "", description: "private key (PEM) of the certificate" }),
  plainMqtt: Type.Optional(
    Type.Boolean({ description: "plain MQTT on mqttPort; default: on without TLS, off with TLS" }),
  ),
  publicMqttUrl: Type.String({
    default: "",
    description:
      "MQTT URL given to enrolling devices; empty: mqtts://<host>:<tls port> or mqtt://<host>:<port>",
  }),
  publicMqttUrls: Type.String({
    default: "",
    description:
      "MQTT URLs given to devices, preferred first (comma-separated): they fail over from one to the next; empty: publicMqttUrl alone",
  }),
  logLevel: Type.Union(
    ["fatal", "error", "warn", "info", "debug", "trace", "silent"].map((l) => Type.Literal(l)),
    { default: "info" },
  ),
  commandTtlSeconds: Type.Integer({ minimum: 1, maximum: 365 * 24 * 3600, default: 7 * 24 * 3600 }),
  deviceCodeTtlSeconds: Type.Integer({ minimum: 30, maximum: 3600, default: 600 }),
  deviceCodePollIntervalSeconds: Type.Number({ minimum: 0.05, maximum: 60, default: 5 }),
  maxMqttPacketBytes: Type.Integer({ minimum: 1024, maximum: 16 * 1024 * 1024, default: 64 * 1024 }),
  mqttConnectTimeoutMs: Type.Integer({ minimum: 100, maximum: 120_000, default: 10_000 }),
  mqttDrainTimeoutMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 10_000 }),
  mqttMaxQueuedBytesPerClient: Type.Integer({
    minimum: 1024,
    maximum: 256 * 1024 * 1024,
    default: 1024 * 1024,
  }),
  mqttPublishRatePerSecond: Type.Number({ minimum: 0.01, maximum: 100_000, default: 50 }),
  mqttPublishBurst: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 200 }),
  expirySweepSeconds: Type.Integer({ minimum: 1, maximum: 3600, default: 1 }),
  stateHistoryRetentionDays: Type.Integer({ minimum: 1, maximum: 3650, default: 30 }),
  stateHistoryRowsPerHour: Type.Integer({
    minimum: 1,
    maximum: 3600,
    default: 60,
    description:
      "state history rows kept per device per clock hour; further changes in that hour only update the device",
  }),
  stateHistoryMaxRowsPerDevice: Type.Integer({
    minimum: 10,
    maximum: 1_000_000,
    default: 1000,
    description: "state history rows kept per device at most; the oldest go first",
  }),
  trustProxy: Type.String({
    default: "",
    pattern: "^[0-9A-Fa-f.:/, ]*$",
    description:
      "addresses or CIDR ranges of reverse proxies whose X-Forwarded-For names the client (comma-separated); empty: none",
  }),
  enrollRatePerMinute: Type.Integer({
    minimum: 1,
    maximum: 1_000_000,
    default: 120,
    description: "token enrollments per client address per minute",
  }),
  deviceCodeRatePerMinute: Type.Integer({
    minimum: 1,
    maximum: 1_000_000,
    default: 20,
    description: "device codes requested per client address per minute",
  }),
  deviceCodePollRatePerMinute: Type.Integer({
    minimum: 1,
    maximum: 1_000_000,
    default: 600,
    description: "device code polls per client address per minute",
  }),
});

export type ServerConfig = Readonly<Static<typeof ServerConfigSchema>> & { logLevel: LogLevel };

/** Environment variable for each option. */
export const CONFIG_ENV: Record<keyof ServerConfig, string> = {
  dataDir: "PMDM_DATA_DIR",
  databaseUrl: "PMDM_DATABASE_URL",
  databasePoolSize: "PMDM_DATABASE_POOL_SIZE",
  databaseStatementTimeoutMs: "PMDM_DATABASE_STATEMENT_TIMEOUT_MS",
  nodeId: "PMDM_NODE_ID",
  nodeLeaseSeconds: "PMDM_NODE_LEASE_SECONDS",
  redisUrl: "PMDM_REDIS_URL",
  redisPrefix: "PMDM_REDIS_PREFIX",
  host: "PMDM_HOST",
  httpPort: "PMDM_HTTP_PORT",
  mqttPort: "PMDM_MQTT_PORT",
  mqttTlsPort: "PMDM_MQTT_TLS_PORT",
  tlsCertFile: "PMDM_TLS_CERT_FILE",
  tlsKeyFile: "PMDM_TLS_KEY_FILE",
  plainMqtt: "PMDM_PLAIN_MQTT",
  publicMqttUrl: "PMDM_PUBLIC_MQTT_URL",
  publicMqttUrls: "PMDM_PUBLIC_MQTT_URLS",
  logLevel: "PMDM_LOG_LEVEL",
  commandTtlSeconds: "PMDM_COMMAND_TTL_SECONDS",
  deviceCodeTtlSeconds: "PMDM_DEVICE_CODE_TTL_SECONDS",
  deviceCodePollIntervalSeconds: "PMDM_DEVICE_CODE_POLL_INTERVAL_SECONDS",
  maxMqttPacketBytes: "PMDM_MAX_MQTT_PACKET_BYTES",
  mqttConnectTimeoutMs: "PMDM_MQTT_CONNECT_TIMEOUT_MS",
  mqttDrainTimeoutMs: "PMDM_MQTT_DRAIN_TIMEOUT_MS",
  mqttMaxQueuedBytesPerClient: "PMDM_MQTT_MAX_QUEUED_BYTES_PER_CLIENT",
  mqttPublishRatePerSecond: "PMDM_MQTT_PUBLISH_RATE_PER_SECOND",
  mqttPublishBurst: "PMDM_MQTT_PUBLISH_BURST",
  expirySweepSeconds: "PMDM_EXPIRY_SWEEP_SECONDS",
  stateHistoryRetentionDays: "PMDM_STATE_HISTORY_RETENTION_DAYS",
  stateHistoryRowsPerHour: "PMDM_STATE_HISTORY_ROWS_PER_HOUR",
  stateHistoryMaxRowsPerDevice: "PMDM_STATE_HISTORY_MAX_ROWS_PER_DEVICE",
  trustProxy: "PMDM_TRUST_PROXY",
  enrollRatePerMinute: "PMDM_ENROLL_RATE_PER_MINUTE",
  deviceCodeRatePerMinute: "PMDM_DEVICE_CODE_RATE_PER_MINUTE",
  deviceCodePollRatePerMinute: "PMDM_DEVICE_CODE_POLL_RATE_PER_MINUTE",
};

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Turns strings from flags and env into the schema's types, then validates. */
export function loadServerConfig(
  flags: Partial<Record<keyof ServerConfig, unknown>>,
  env: NodeJS.ProcessEnv = process.env,
): ServerConfig {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(CONFIG_ENV) as (keyof ServerConfig)[]) {
    const value = flags[key] ?? env[CONFIG_ENV[key]];
    if (value === undefined || value === "") continue;
    raw[key] = coerce(key, value);
  }
  const withDefaults = Value.Default(ServerConfigSchema, raw);
  const errors = [...Value.Errors(ServerConfigSchema, withDefaults)];
  if (errors.length > 0) {
    const lines = errors.map((e) => {
      const key = e.instancePath.slice(1) as keyof ServerConfig;
      const source = key in CONFIG_ENV ? ` (${CONFIG_ENV[key]})` : "";
      return `  ${key}${source}: ${e.message}, got ${JSON.stringify(raw[key])}`;
    });
    throw new ConfigError(`invalid configuration:\n${lines.join("\n")}`);
  }
  const config = withDefaults as ServerConfig;
  if (Boolean(config.tlsCertFile) !== Boolean(config.tlsKeyFile)) {
    throw new ConfigError(
      `invalid configuration:\n  tlsCertFile (${CONFIG_ENV.tlsCertFile}) and tlsKeyFile (${CONFIG_ENV.tlsKeyFile}) go together: give both or neither`,
    );
  }
  if (config.redisUrl && !config.databaseUrl) {
    throw new ConfigError(
      `invalid configuration:\n  redisUrl (${CONFIG_ENV.redisUrl}) joins server nodes that share one PostgreSQL database: set databaseUrl (${CONFIG_ENV.databaseUrl}) too`,
    );
  }
  checkPublicMqttUrls(config);
  return Object.freeze(config);
}

/**
 * The MQTT URLs devices are given, preferred first: `publicMqttUrls`, else `publicMqttUrl`;
 * empty when neither is set (the server then gives the URL of its own listener).
 */
export function publicMqttUrlList(config: ServerConfig): string[] {
  const listed = listedPublicMqttUrls(config);
  if (listed.length > 0) return listed;
  return config.publicMqttUrl ? [config.publicMqttUrl] : [];
}

function listedPublicMqttUrls(config: ServerConfig): string[] {
  return config.publicMqttUrls
    .split(",")
    .map((url) => url.trim())
    .filter(Boolean);
}

/** The same rule the agents apply to what they receive (proto/broker-urls.ts). */
function checkPublicMqttUrls(config: ServerConfig): void {
  const problems: string[] = [];
  if (config.publicMqttUrl) {
    const problem = brokerUrlProblem(config.publicMqttUrl);
    if (problem) problems.push(`  publicMqttUrl (${CONFIG_ENV.publicMqttUrl}): the URL ${problem}`);
  }
  if (config.publicMqttUrls.trim()) {
    const checked = checkBrokerUrls(listedPublicMqttUrls(config));
    if (!checked.ok) problems.push(`  publicMqttUrls (${CONFIG_ENV.publicMqttUrls}): ${checked.reason}`);
  }
  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n${problems.join("\n")}`);
}

/** TLS is on when a certificate is configured. */
export function tlsEnabled(config: ServerConfig): boolean {
  return config.tlsCertFile !== "";
}

/** Plain MQTT, unless turned off, or left off by default because TLS is on. */
export function plainMqttEnabled(config: ServerConfig): boolean {
  return config.plainMqtt ?? !tlsEnabled(config);
}

function coerce(key: keyof ServerConfig, value: unknown): unknown {
  const schema = ServerConfigSchema.properties[key];
  if (typeof value !== "string") return value;
  if ("type" in schema && (schema.type === "integer" || schema.type === "number")) {
    const n = Number(value);
    return Number.isFinite(n) ? n : value;
  }
  if ("type" in schema && schema.type === "boolean") {
    if (/^(true|1|yes|on)$/i.test(value)) return true;
    if (/^(false|0|no|off)$/i.test(value)) return false;
  }
  return value;
}
