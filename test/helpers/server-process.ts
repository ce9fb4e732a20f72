/** The server as its own process, shared with the benchmark. */
export { freePort, type ServerProcess, spawnServer } from "../../simulator/bench/server-process.js";
