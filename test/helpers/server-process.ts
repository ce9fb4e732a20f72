/**
 * The server as its own process, shared with the benchmark. In tests it runs on the run's store:
 * with `PMDM_TEST_STORE=postgres` the data dir's PostgreSQL database (the same one again when it
 * is started again on that dir; `removeDataDir` of test-server.ts drops it).
 */
import { spawnServer as spawnServerProcess } from "../../simulator/bench/server-process.js";
import { databaseUrlFor } from "./test-store.js";

export { freePort, type ServerProcess } from "../../simulator/bench/server-process.js";

export async function spawnServer(
  options: Parameters<typeof spawnServerProcess>[0],
): ReturnType<typeof spawnServerProcess> {
  const databaseUrl = await databaseUrlFor(options.dataDir);
  const env = databaseUrl ? { PMDM_DATABASE_URL: databaseUrl, ...options.env } : options.env;
  return spawnServerProcess({ ...options, env });
}
