/**
 * `npm run bench [-- --devices N] [--stores sqlite,postgres]`: measures the server with a
 * simulated fleet on each store named (SQLite by default; PostgreSQL in a cluster of its own,
 * started for the run) and, in the same run, the same fleet echoing through a bare aedes broker
 * and through Mosquitto. With more than one store it prints them side by side with the ratio of
 * each to the first. Then, on each store, what a staged rollout over 10 000 devices costs beside
 * a fleet command (see rollout-cost.ts). Prints markdown tables and writes
 * bench/results/<timestamp>.json.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { Command, Option } from "commander";
import { loadServerConfig } from "../../server/config.js";
import {
  BENCH_STORE_NAMES,
  type BenchStore,
  type BenchStoreName,
  type PostgresBench,
  postgresBenchStore,
  STORE_LABELS,
  sqliteBenchStore,
} from "./bench-stores.js";
import { mosquittoPath, startBareAedes, startMosquitto } from "./brokers.js";
import { clusterOption, runClusterBench, stormDevicesOption } from "./cluster-bench.js";
import { echoBaseline } from "./echo-baseline.js";
import { describeProfile, PostgresProfiler } from "./postgres-profile.js";
import { type RolloutFigures, rolloutRows, runRolloutBench } from "./rollout-cost.js";
import { runServerPhases, type StoreFigures } from "./server-phases.js";
import { freePort } from "./server-process.js";
import { markdownTable, ms, type ResultRow } from "./stats.js";
import { compareStores, comparisonTable, median } from "./store-comparison.js";

function storeList(value: string): BenchStoreName[] {
  const names = [...new Set(value.split(",").map((s) => s.trim().toLowerCase()))];
  for (const name of names) {
    if (!(BENCH_STORE_NAMES as readonly string[]).includes(name)) {
      throw new Error(
        `--stores: unknown store ${JSON.stringify(name)} (one of ${BENCH_STORE_NAMES.join(", ")})`,
      );
    }
  }
  return names as BenchStoreName[];
}

function setting(value: string, previous: Record<string, string>): Record<string, string> {
  const match = /^([a-z_][a-z0-9_.]*)=(.+)$/.exec(value);
  if (!match) throw new Error(`--postgres-setting: expected name=value, got ${JSON.stringify(value)}`);
  return { ...previous, [match[1]!]: match[2]! };
}

const serverDefaults = loadServerConfig({}, {});
const program = new Command("portal-bench")
  .description("Benchmarks portal-mdm on its stores against bare aedes and Mosquitto on this machine")
  .addOption(
    new Option("--devices <n>", "fleet size (19900 for the full run)").argParser(Number).default(2000),
  )
  .addOption(new Option("--single-samples <n>", "single-command samples").argParser(Number).default(1000))
  .addOption(new Option("--reports-per-device <n>", "state reports per device").argParser(Number).default(5))
  .addOption(
    new Option("--stores <list>", "stores to run the server on, in turn, compared with the first")
      .argParser(storeList)
      .default(["sqlite"], "sqlite"),
  )
  .addOption(
    new Option("--postgres-pool <n>", "PostgreSQL connections of the server's pool")
      .argParser(Number)
      .default(serverDefaults.databasePoolSize),
  )
  .addOption(
    new Option("--postgres-setting <name=value>", "a PostgreSQL setting over the benchmark's (repeatable)")
      .argParser(setting)
      .default({}),
  )
  .addOption(
    new Option(
      "--rounds <n>",
      "run every store this many times, alternating the order; the table shows medians",
    )
      .argParser(Number)
      .default(1),
  )
  .option("--postgres-profile", "per phase: PostgreSQL's costliest statements and its connections' waits")
  .option(
    "--postgres-keep",
    "leave the PostgreSQL cluster running with the run's database, and print its URL",
  )
  .addOption(
    new Option("--rollout-devices <n>", "fleet size of the staged-rollout figures (0: none)")
      .argParser(Number)
      .default(10_000),
  )
  .addOption(
    new Option("--rollout-rounds <n>", "rounds of the staged-rollout figures").argParser(Number).default(3),
  )
  .option("--out <dir>", "where results go", "bench/results")
  .addOption(clusterOption)
  .addOption(stormDevicesOption)
  .option(
    "--profile-server <dir>",
    "write a CPU profile of the server process (node --cpu-prof) to this dir (one dir per store)",
  )
  .parse();
const opts = program.opts<{
  devices: number;
  singleSamples: number;
  reportsPerDevice: number;
  stores: BenchStoreName[];
  rounds: number;
  postgresPool: number;
  postgresSetting: Record<string, string>;
  postgresProfile?: boolean;
  postgresKeep?: boolean;
  out: string;
  rolloutDevices: number;
  rolloutRounds: number;
  profileServer?: string;
  cluster?: number;
  stormDevices?: number;
}>();
const N = opts.devices;
const say = (line: string) => process.stderr.write(`${line}\n`);
if (opts.cluster !== undefined) process.exit(await runClusterBench({ ...opts, nodes: opts.cluster, say }));

// ---- the server with a fleet, on each store -------------------------------------------------

let postgres: PostgresBench | null = null;
const stores: BenchStore[] = [];
for (const name of opts.stores) {
  if (name === "sqlite") stores.push(sqliteBenchStore());
  else {
    postgres = await postgresBenchStore({
      poolSize: opts.postgresPool,
      overrides: opts.postgresSetting,
      profile: Boolean(opts.postgresProfile),
      keep: Boolean(opts.postgresKeep),
    });
    stores.push(postgres);
  }
}
const postgresLine = postgres
  ? `PostgreSQL ${postgres.version}, a cluster of its own on this machine's disk, the server's pool ` +
    `${postgres.poolSize} connections; ${Object.entries(postgres.cluster.settings)
      .map(([k, v]) => `${k}=${v}`)
      .join(", ")}`
  : null;
if (postgresLine) say(postgresLine);

const startedAt = new Date().toISOString().replace(/[:.]/g, "-");
/** PostgreSQL's log is kept beside the servers' logs: deadlocks and lock waits are in it. */
const postgresLog = join(tmpdir(), `pmdm-bench-${startedAt}-postgres.log`);

// Interrupted, the run must not leave its cluster behind (its server processes die with it).
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    say(`${signal}: stopping`);
    void (postgres?.stopCluster(postgresLog) ?? Promise.resolve()).finally(() => process.exit(130));
  });
}

/** One store's run in one round. */
interface StoreRun {
  store: BenchStore;
  round: number;
  figures: StoreFigures;
  rows: ResultRow[];
}
const runs: StoreRun[] = [];
const failures: { store: BenchStoreName; round: number; error: string; serverLog: string }[] = [];
const rolloutFigures: { store: BenchStoreName; figures: RolloutFigures }[] = [];
/** Rounds alternate the order (A B, B A, ...), so a machine getting busier favours no store. */
const schedule = Array.from({ length: opts.rounds }, (_, i) =>
  (i % 2 === 0 ? stores : [...stores].reverse()).map((store) => ({ store, round: i + 1 })),
).flat();
try {
  for (const { store, round } of schedule) {
    const name = opts.rounds > 1 ? `${store.name}-${round}` : store.name;
    const profileDir = opts.profileServer
      ? schedule.length > 1
        ? join(opts.profileServer, name)
        : opts.profileServer
      : null;
    if (opts.rounds > 1) say(`round ${round} of ${opts.rounds}: ${store.label}`);
    const serverLogFile = join(tmpdir(), `pmdm-bench-${startedAt}-${name}-server.log`);
    let profiler: PostgresProfiler | null = null;
    const run = await runServerPhases({
      store,
      devices: N,
      singleSamples: opts.singleSamples,
      reportsPerDevice: opts.reportsPerDevice,
      serverLogFile,
      serverNodeArgs: profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [],
      say,
      ...(opts.postgresProfile && store === postgres
        ? {
            profilePhase: async (phase: string) => {
              const pg = postgres!;
              profiler ??= await PostgresProfiler.open(pg.cluster.adminUrl, pg.databaseUrl(), pg.poolSize);
              const stop = await profiler.start(phase);
              return async () => {
                const profile = await stop();
                say(describeProfile(profile));
                return profile;
              };
            },
          }
        : {}),
    })
      .catch((err: unknown) => {
        // One run failing (the server answering 500, say) is a finding: the other runs still count.
        const message = (err instanceof Error ? err.message : String(err))
          .split("\n")
          .map((line) => line.trim())
          .filter(Boolean)
          .slice(0, 4)
          .join(" / ");
        failures.push({ store: store.name, round, error: message, serverLog: serverLogFile });
        say(`${store.label}${opts.rounds > 1 ? `, round ${round}` : ""}: failed: ${message}`);
        return null;
      })
      .finally(() => (profiler as PostgresProfiler | null)?.close());
    if (run) runs.push({ store, round, ...run });
  }
  // Staged rollouts over a bigger fleet, on each store: their cost beside the fleet command.
  if (opts.rolloutDevices > 0) {
    for (const store of stores) {
      const figures = await runRolloutBench({
        store,
        devices: opts.rolloutDevices,
        rounds: opts.rolloutRounds,
        say,
      }).catch((err: unknown) => {
        const message = err instanceof Error ? err.message : String(err);
        failures.push({ store: store.name, round: 0, error: `rollouts: ${message}`, serverLog: "" });
        say(`${store.label}: rollouts failed: ${message}`);
        return null;
      });
      if (figures) rolloutFigures.push({ store: store.name, figures });
    }
  }
} finally {
  await postgres?.stopCluster(postgresLog);
  if (postgres && opts.postgresKeep) {
    say(
      `PostgreSQL left running: ${postgres.cluster.adminUrl} (data and log in ${postgres.cluster.dataDir}/..; ` +
        `stop it with: runuser -u postgres -- pg_ctl -D ${postgres.cluster.dataDir} stop)`,
    );
  } else if (postgres) say(`PostgreSQL's log: ${postgresLog}`);
}
const roundsOf = (store: BenchStore) => runs.filter((r) => r.store === store).map((r) => r.figures);

// ---- baselines: the same fleet echoing through plain brokers --------------------------------

say("baseline: bare aedes echo");
const bare = await startBareAedes();
const bareEcho = await echoBaseline(bare.url, N);
await bare.stop();
const baselineRows: ResultRow[] = [
  { metric: `bare aedes QoS 1 echo of ${N}`, value: ms(bareEcho.echoMs, 0) },
];

let mosquittoEcho: { echoMs: number } | null = null;
if (mosquittoPath()) {
  say("baseline: Mosquitto echo");
  const mosquitto = await startMosquitto(await freePort());
  if (mosquitto) {
    mosquittoEcho = await echoBaseline(mosquitto.url, N);
    await mosquitto.stop();
    baselineRows.push({ metric: `Mosquitto QoS 1 echo of ${N}`, value: ms(mosquittoEcho.echoMs, 0) });
  }
} else {
  say("Mosquitto is not installed (apt-get install mosquitto): its baseline is skipped");
}

for (const store of stores.filter((s) => roundsOf(s).length > 0)) {
  const which = stores.length > 1 ? ` (${store.label})` : "";
  const fleetMs = median(roundsOf(store).map((f) => f.fleetCommand.lastFinishedMs));
  const vsBare = fleetMs / bareEcho.echoMs;
  baselineRows.push({
    metric: `fleet command${which} / bare aedes echo`,
    value: `${vsBare.toFixed(2)}×`,
    target: "≤ 1×",
    verdict: vsBare <= 1 ? "met" : "missed",
  });
  if (mosquittoEcho) {
    const vsMosquitto = fleetMs / mosquittoEcho.echoMs;
    baselineRows.push({
      metric: `fleet command${which} / Mosquitto echo`,
      value: `${vsMosquitto.toFixed(2)}×`,
      target: "≤ 1.5×",
      verdict: vsMosquitto <= 1.5 ? "met" : "missed",
    });
  }
}

// ---- output ---------------------------------------------------------------------------------

const machine = `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, node ${process.version}`;
/** The stores with at least one run that went through, in their order. */
const measured = stores.filter((store) => roundsOf(store).length > 0);
const comparison = compareStores(measured.map((store) => ({ name: store.name, rounds: roundsOf(store) })));
const sections: string[] = [`## portal-mdm benchmark, ${N} devices`, `Machine: ${machine}`];
if (postgresLine) sections.push(postgresLine);
if (runs.length === 1 && schedule.length === 1) {
  sections.push(markdownTable([...runs[0]!.rows, ...baselineRows]));
} else {
  if (measured.length > 1) {
    const rounds = opts.rounds > 1 ? ` (medians of the rounds that went through)` : "";
    sections.push(
      `### ${measured.map((s) => s.label).join(" and ")}${rounds}`,
      comparisonTable(comparison, measured),
    );
  }
  for (const run of runs) {
    const round = opts.rounds > 1 ? `, round ${run.round}` : "";
    sections.push(`### ${run.store.label}${round}`, markdownTable(run.rows));
  }
  sections.push("### Baselines", markdownTable(baselineRows));
}
for (const { store, figures } of rolloutFigures) {
  sections.push(
    `### Staged rollouts, ${STORE_LABELS[store]} (medians of ${figures.rounds} rounds)`,
    markdownTable(rolloutRows(figures)),
  );
}
if (failures.length > 0) {
  sections.push(
    "### Runs that failed",
    failures
      .map(
        (f) =>
          `- ${STORE_LABELS[f.store]}${f.round > 0 ? `, round ${f.round}` : ""}: ${f.error}` +
          (f.serverLog ? ` (server output: ${f.serverLog})` : ""),
      )
      .join("\n"),
  );
}
const table = sections.slice(1).join("\n\n");
process.stdout.write(`\n${sections.join("\n\n")}\n`);

await mkdir(opts.out, { recursive: true });
const file = join(opts.out, `${startedAt}.json`);
await writeFile(
  file,
  JSON.stringify(
    {
      devices: N,
      machine,
      at: new Date().toISOString(),
      stores: stores.map((s) => s.name),
      rounds: opts.rounds,
      postgres: postgres
        ? { version: postgres.version, poolSize: postgres.poolSize, settings: postgres.cluster.settings }
        : null,
      /** Each store's figures, one entry per round. */
      results: Object.fromEntries(stores.map((s) => [s.name, roundsOf(s)])),
      baselines: { bareAedesEcho: bareEcho, mosquittoEcho },
      comparison: measured.length > 1 ? comparison : null,
      rollouts: Object.fromEntries(rolloutFigures.map((r) => [r.store, r.figures])),
      failures,
      table,
    },
    null,
    2,
  ),
);
say(`\nresults written to ${file}`);
process.exit(failures.length > 0 ? 1 : 0);
