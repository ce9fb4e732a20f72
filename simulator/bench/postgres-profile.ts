/**
 * Where a phase's PostgreSQL time goes (`npm run bench -- --postgres-profile`): the statements
 * that took the most execution time (pg_stat_statements, reset at the phase's start), and what
 * the server's pooled connections were doing, sampled from pg_stat_activity every
 * {@link SAMPLE_EVERY_MS}. All of the pool busy in a sample means requests were likely waiting
 * for a connection in the server.
 */
import pg from "pg";

const SAMPLE_EVERY_MS = 50;
const TOP_STATEMENTS = 12;

export interface StatementCost {
  query: string;
  calls: number;
  totalMs: number;
  meanMs: number;
  rows: number;
  /** Share of the phase's statement time. */
  share: number;
  walBytes: number;
  blocksRead: number;
}

export interface PhaseProfile {
  phase: string;
  statementMs: number;
  statementCalls: number;
  top: StatementCost[];
  activity: {
    samples: number;
    /** Connections of the server's database, by state, averaged over the samples. */
    meanActive: number;
    meanIdleInTransaction: number;
    maxActive: number;
    /** Share of the samples with every pooled connection active or in a transaction. */
    poolSaturated: number;
    /** Wait events seen on active connections ("LWLock:WALWrite", "IO:WALSync", "Client:ClientRead", ...). */
    waits: Record<string, number>;
  };
}

export class PostgresProfiler {
  private constructor(
    private readonly client: pg.Client,
    private readonly adminUrl: string,
    private readonly database: string,
    private readonly poolSize: number,
  ) {}

  /** Connects to the cluster's admin database, where the extension goes (its view is cluster-wide). */
  static async open(adminUrl: string, databaseUrl: string, poolSize: number): Promise<PostgresProfiler> {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    await client.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
    return new PostgresProfiler(client, adminUrl, new URL(databaseUrl).pathname.slice(1), poolSize);
  }

  /** Starts a phase: statement counters reset, activity sampled until the returned stop. */
  async start(phase: string): Promise<() => Promise<PhaseProfile>> {
    await this.client.query("SELECT pg_stat_statements_reset()");
    const samples: { active: number; idleInTx: number; waits: string[] }[] = [];
    // Its own connection, so a sample never waits behind the statement query at the end.
    const sampler = new pg.Client({ connectionString: this.adminUrl });
    await sampler.connect();
    let sampling = true;
    const loop = (async () => {
      while (sampling) {
        const { rows } = await sampler.query<{ state: string | null; wait: string | null }>(
          `SELECT state, wait_event_type || ':' || wait_event AS wait FROM pg_stat_activity
           WHERE datname = $1 AND backend_type = 'client backend' AND pid <> pg_backend_pid()`,
          [this.database],
        );
        const active = rows.filter((r) => r.state === "active");
        samples.push({
          active: active.length,
          idleInTx: rows.filter((r) => r.state?.startsWith("idle in transaction")).length,
          waits: active.map((r) => r.wait ?? "CPU"),
        });
        await new Promise((r) => setTimeout(r, SAMPLE_EVERY_MS));
      }
    })();
    return async () => {
      sampling = false;
      await loop;
      await sampler.end();
      return { phase, ...(await this.statements()), activity: summarizeActivity(samples, this.poolSize) };
    };
  }

  private async statements(): Promise<Pick<PhaseProfile, "statementMs" | "statementCalls" | "top">> {
    const { rows } = await this.client.query<{
      query: string;
      calls: string;
      total_ms: number;
      mean_ms: number;
      rows: string;
      wal_bytes: string;
      blks_read: string;
    }>(
      `SELECT query, calls, total_exec_time AS total_ms, mean_exec_time AS mean_ms, rows,
              wal_bytes, shared_blks_read AS blks_read
       FROM pg_stat_statements
       WHERE dbid = (SELECT oid FROM pg_database WHERE datname = $1)
       ORDER BY total_exec_time DESC`,
      [this.database],
    );
    const statementMs = rows.reduce((sum, r) => sum + r.total_ms, 0);
    return {
      statementMs,
      statementCalls: rows.reduce((sum, r) => sum + Number(r.calls), 0),
      top: rows.slice(0, TOP_STATEMENTS).map((r) => ({
        query: r.query.replace(/\s+/g, " ").slice(0, 240),
        calls: Number(r.calls),
        totalMs: r.total_ms,
        meanMs: r.mean_ms,
        rows: Number(r.rows),
        share: statementMs > 0 ? r.total_ms / statementMs : 0,
        walBytes: Number(r.wal_bytes),
        blocksRead: Number(r.blks_read),
      })),
    };
  }

  close(): Promise<void> {
    return this.client.end();
  }
}

function summarizeActivity(
  samples: { active: number; idleInTx: number; waits: string[] }[],
  poolSize: number,
): PhaseProfile["activity"] {
  const n = Math.max(1, samples.length);
  const waits: Record<string, number> = {};
  for (const sample of samples) for (const wait of sample.waits) waits[wait] = (waits[wait] ?? 0) + 1;
  return {
    samples: samples.length,
    meanActive: samples.reduce((sum, s) => sum + s.active, 0) / n,
    meanIdleInTransaction: samples.reduce((sum, s) => sum + s.idleInTx, 0) / n,
    maxActive: Math.max(0, ...samples.map((s) => s.active)),
    poolSaturated: samples.filter((s) => s.active + s.idleInTx >= poolSize).length / n,
    waits: Object.fromEntries(Object.entries(waits).sort((a, b) => b[1] - a[1])),
  };
}

/** A few lines per phase for the terminal; the whole profile goes to the results file. */
export function describeProfile(profile: PhaseProfile): string {
  const a = profile.activity;
  const waits = Object.entries(a.waits)
    .slice(0, 5)
    .map(([wait, count]) => `${wait} ${((100 * count) / Math.max(1, a.samples)).toFixed(0)}%`)
    .join(", ");
  const lines = [
    `PostgreSQL, ${profile.phase}: ${profile.statementCalls} statements, ${profile.statementMs.toFixed(0)} ms executing; ` +
      `connections active ${a.meanActive.toFixed(1)} on average (max ${a.maxActive}), idle in transaction ${a.meanIdleInTransaction.toFixed(1)}, ` +
      `pool saturated in ${(100 * a.poolSaturated).toFixed(0)}% of samples; waits per sample: ${waits || "none"}`,
  ];
  for (const s of profile.top.slice(0, 6)) {
    lines.push(
      `  ${(100 * s.share).toFixed(0).padStart(3)}%  ${s.totalMs.toFixed(0).padStart(6)} ms  ${String(s.calls).padStart(6)} calls  ` +
        `${s.meanMs.toFixed(2)} ms each  ${s.query.slice(0, 140)}`,
    );
  }
  return lines.join("\n");
}
