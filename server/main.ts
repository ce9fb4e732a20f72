/**
 * `npm start`: the portal-mdm server with its embedded MQTT broker, on SQLite in the data dir or
 * on PostgreSQL (`--database-url`).
 * Every option has a default; see `npm start -- --help` and the README.
 */
import { Command, Option } from "commander";
import { CONFIG_ENV, ConfigError, loadServerConfig, type ServerConfig } from "./config.js";
import { createLogger } from "./logger.js";
import { startServer } from "./server.js";
import { SERVER_VERSION } from "./version.js";

const program = new Command("portal-mdm")
  .description("Device management server for Portal-class smart displays")
  .version(SERVER_VERSION);

const flags: [keyof ServerConfig, string, string][] = [
  ["dataDir", "--data-dir <dir>", "database and admin token (default ./data)"],
  ["databaseUrl", "--database-url <url>", "PostgreSQL for the store (default: SQLite in the data dir)"],
  ["redisUrl", "--redis-url <url>", "Redis that links server nodes on one database (default: one node)"],
  [
    "redisPrefix",
    "--redis-prefix <prefix>",
    "prefix of this service's channels and keys in Redis (default pmdm)",
  ],
  ["host", "--host <address>", "bind address for HTTP and MQTT (default 0.0.0.0)"],
  ["httpPort", "--http-port <port>", "HTTP port; 0 picks a free one (default 8080)"],
  ["mqttPort", "--mqtt-port <port>", "MQTT port; 0 picks a free one (default 1883)"],
  ["mqttTlsPort", "--mqtt-tls-port <port>", "MQTT over TLS port, with a certificate (default 8883)"],
  ["tlsCertFile", "--tls-cert <file>", "certificate chain (PEM): HTTPS and MQTT over TLS"],
  ["tlsKeyFile", "--tls-key <file>", "private key (PEM) of --tls-cert"],
  ["plainMqtt", "--plain-mqtt <on|off>", "plain MQTT on --mqtt-port (default on without TLS, off with it)"],
  [
    "publicMqttUrl",
    "--public-mqtt-url <url>",
    "MQTT URL given to devices (default mqtt://<host>:<mqtt port>)",
  ],
  ["logLevel", "--log-level <level>", "fatal|error|warn|info|debug|trace|silent (default info)"],
  ["commandTtlSeconds", "--command-ttl-seconds <n>", "default command TTL (default 604800 = 7 days)"],
  [
    "trustProxy",
    "--trust-proxy <addresses>",
    "reverse proxies trusted for X-Forwarded-For (CIDRs, comma-separated)",
  ],
];
for (const [key, flag, description] of flags) {
  program.addOption(new Option(flag, description).env(CONFIG_ENV[key]));
}
program.parse();

let config: ServerConfig;
try {
  config = loadServerConfig(program.opts());
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  throw err;
}

const logger = createLogger(config.logLevel);
const server = await startServer(config, logger).catch((err: unknown) => {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(2);
});
if (server.createdAdmin) {
  // Printed once, on purpose outside the JSON log: this is the only time it is shown.
  process.stdout.write(
    `\nFirst system admin: ${server.createdAdmin.email}, one-time password: ${server.createdAdmin.password}\n` +
      `(sign in at ${server.httpUrl}/ and choose a new password; \`npm run admin -- create\` adds admins)\n`,
  );
}
if (server.createdAdminToken) {
  process.stdout.write(
    `\nSystem-admin API token (also saved to ${server.adminTokenFile}, mode 0600):\n\n  ${server.createdAdminToken}\n\n` +
      `Try: curl -H "Authorization: Bearer $(cat ${server.adminTokenFile})" ${server.httpUrl}/api/v1/devices\n\n`,
  );
}

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  });
}
