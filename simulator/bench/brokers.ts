/** Starts the baseline brokers on loopback: bare aedes (always) and Mosquitto (when installed). */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export interface RunningBroker {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

function waitForLine(
  child: ChildProcess,
  pattern: RegExp,
  stream: "stdout" | "stderr",
): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let buffer = "";
    child[stream]?.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      const match = pattern.exec(buffer);
      if (match) resolve(match);
    });
    child.once("exit", (code) => reject(new Error(`broker exited with ${code}: ${buffer}`)));
  });
}

/** Stops the broker on request, and in any case when this process exits. */
const stopper = (child: ChildProcess) => {
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  child.once("exit", () => process.off("exit", killOnExit));
  return stopFor(child);
};

const stopFor = (child: ChildProcess) => () =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });

export async function startBareAedes(): Promise<RunningBroker> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", fileURLToPath(new URL("./bare-aedes.ts", import.meta.url))],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const match = await waitForLine(child, /listening (\d+)/, "stdout");
  return { url: `mqtt://127.0.0.1:${match[1]}`, pid: child.pid!, stop: stopper(child) };
}

export function mosquittoPath(): string | null {
  for (const candidate of ["/usr/sbin/mosquitto", "/usr/bin/mosquitto"]) {
    try {
      execFileSync(candidate, ["-h"], { stdio: "ignore" });
      return candidate;
    } catch (err) {
      // `mosquitto -h` exits non-zero after printing help; only a missing file is fatal.
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") return candidate;
    }
  }
  return null;
}

export async function startMosquitto(port: number): Promise<RunningBroker | null> {
  const binary = mosquittoPath();
  if (!binary) return null;
  const config = join(tmpdir(), `pmdm-bench-mosquitto-${process.pid}.conf`);
  writeFileSync(
    config,
    [
      `listener ${port} 127.0.0.1`,
      "allow_anonymous true",
      "max_queued_messages 100000",
      "max_inflight_messages 0",
      "connection_messages false",
      "persistence false",
      "log_dest stderr",
      "log_type error",
      "",
    ].join("\n"),
  );
  const child = spawn(binary, ["-c", config], { stdio: ["ignore", "ignore", "pipe"] });
  // Mosquitto prints nothing on a quiet start: poll the port instead.
  const { connect } = await import("node:net");
  for (let attempt = 0; attempt < 50; attempt++) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return { url: `mqtt://127.0.0.1:${port}`, pid: child.pid!, stop: stopper(child) };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill("SIGKILL");
  throw new Error("mosquitto did not start");
}
