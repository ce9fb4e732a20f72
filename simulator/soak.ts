/**
 * Soak: keeps a running fleet busy with periodic fleet commands for a while, prints memory
 * over time, and at the end counts stuck commands (still open long after they were issued),
 * which must be zero.
 */
import type { AdminClient } from "./admin-client.js";

export interface SoakOptions {
  admin: AdminClient;
  durationMs: number;
  /** A fleet command this often. Default 60 s. */
  commandEveryMs?: number;
  /** A memory line this often. Default 30 s. */
  sampleEveryMs?: number;
  /** How long commands may take before they count as stuck. Default 120 s. */
  graceMs?: number;
  print: (line: string) => void;
}

export interface SoakReport {
  batches: number;
  commands: number;
  stuck: number;
  samples: { elapsedS: number; serverRssMb: number; simulatorRssMb: number; online: number }[];
}

interface BatchCounts {
  done: boolean;
  total: number;
  counts: Record<string, number>;
}

const COMMAND_ROTATION = [{ type: "refresh_state" }, { type: "lock" }] as const;

/** "30m", "90s", "2h", "500ms" → milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (!match) throw new Error(`'${text}' is not a duration: use e.g. 90s, 30m or 2h`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as "ms" | "s" | "m" | "h"];
  return Number(match[1]) * unit;
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const { admin, durationMs, print } = options;
  const commandEveryMs = options.commandEveryMs ?? 60_000;
  const sampleEveryMs = options.sampleEveryMs ?? 30_000;
  const graceMs = options.graceMs ?? 120_000;
  const startedMs = Date.now();
  const batchIds: string[] = [];
  const report: SoakReport = { batches: 0, commands: 0, stuck: 0, samples: [] };

  const sample = async () => {
    const health = (await (await fetch(new URL("/healthz", admin.serverUrl))).json()) as {
      rssBytes: number;
      devicesOnline: number;
    };
    const line = {
      elapsedS: Math.round((Date.now() - startedMs) / 1000),
      serverRssMb: Math.round(health.rssBytes / 1024 ** 2),
      simulatorRssMb: Math.round(process.memoryUsage().rss / 1024 ** 2),
      online: health.devicesOnline,
    };
    report.samples.push(line);
    print(
      `soak ${line.elapsedS}s: server RSS ${line.serverRssMb} MB, simulator RSS ${line.simulatorRssMb} MB, ` +
        `online ${line.online}, fleet commands ${report.batches}`,
    );
  };

  let nextCommandMs = startedMs;
  let nextSampleMs = startedMs;
  while (Date.now() - startedMs < durationMs) {
    const now = Date.now();
    if (now >= nextCommandMs) {
      const command = COMMAND_ROTATION[report.batches % COMMAND_ROTATION.length]!;
      const batch = await admin.request<{ id: string; total: number }>("POST", "/batches", {
        target: { all: true },
        command,
      });
      batchIds.push(batch.id);
      report.batches++;
      report.commands += batch.total;
      nextCommandMs = now + commandEveryMs;
    }
    if (now >= nextSampleMs) {
      await sample();
      nextSampleMs = now + sampleEveryMs;
    }
    await new Promise((r) => setTimeout(r, Math.max(10, Math.min(nextCommandMs, nextSampleMs) - Date.now())));
  }

  // Give the last commands their grace, then count what is still open.
  const deadline = Date.now() + graceMs;
  for (;;) {
    const open = await openCommands(admin, batchIds);
    if (open === 0 || Date.now() > deadline) {
      report.stuck = open;
      break;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  await sample();
  print(
    `soak done: ${report.batches} fleet commands, ${report.commands} commands, stuck commands: ${report.stuck}`,
  );
  return report;
}

async function openCommands(admin: AdminClient, batchIds: readonly string[]): Promise<number> {
  let open = 0;
  for (const id of batchIds) {
    const batch = await admin.request<BatchCounts>("GET", `/batches/${id}`);
    if (!batch.done)
      open += (batch.counts.queued ?? 0) + (batch.counts.sent ?? 0) + (batch.counts.accepted ?? 0);
  }
  return open;
}
