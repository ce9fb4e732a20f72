/**
 * `npm run demo`: a server (data in ./data-demo) and 50 simulated displays with a mixed
 * profile, for a first look at portal-mdm. Ctrl-C stops both.
 */
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { loadServerConfig } from "../server/config.js";
import { createLogger } from "../server/logger.js";
import { startServer } from "../server/server.js";
import { AdminClient } from "./admin-client.js";
import { Fleet } from "./fleet.js";
import { loadProfile } from "./profile.js";
import { progressBar } from "./progress.js";

const DEMO_DEVICES = 50;

const config = loadServerConfig({ dataDir: process.env.PMDM_DATA_DIR ?? "./data-demo", logLevel: "warn" });
const server = await startServer(config, createLogger(config.logLevel));
const admin = await AdminClient.fromDataDir(server.httpUrl, config.dataDir);
const profile = await loadProfile(fileURLToPath(new URL("./profiles/mixed.json", import.meta.url)));

const bar = progressBar("enrolling demo devices", DEMO_DEVICES);
const fleet = new Fleet({
  serverUrl: server.httpUrl,
  enrollmentToken: await admin.createEnrollmentToken(DEMO_DEVICES),
  profile,
  size: DEMO_DEVICES,
  serialPrefix: "DEMO",
  logger: pino({ level: "warn" }),
  stateReportIntervalMs: 30_000,
  onProgress: (online) => bar.update(online),
});
await fleet.start();
bar.stop();

process.stdout.write(
  `\nportal-mdm demo: ${DEMO_DEVICES} simulated displays online (profile "${profile.name}").\n` +
    `  API docs:    ${server.httpUrl}/api/docs\n` +
    `  Admin token: ${config.dataDir}/admin-token\n` +
    `  Try:  curl -H "Authorization: Bearer $(cat ${config.dataDir}/admin-token)" ${server.httpUrl}/api/v1/devices?limit=5\n\n`,
);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void fleet
      .stop()
      .then(() => server.close())
      .then(() => process.exit(0));
  });
}
