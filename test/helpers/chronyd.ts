/**
 * A real chronyd serving its local clock on 127.0.0.1 on a free, non-standard port: in the
 * foreground (`-d`), never touching the system clock (`-x`), with its own config, pid file and
 * no drift file or command port, all in a temp dir. Installed by .ci/run (Debian package
 * `chrony`).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { access, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const CHRONYD_CANDIDATES = ["/usr/sbin/chronyd", "/sbin/chronyd", "/usr/bin/chronyd"];

export interface Chronyd {
  port: number;
  /** "127.0.0.1:port", as an admin would type it. */
  server: string;
  /** Stops chronyd (SIGTERM, then SIGKILL) and waits until it has exited. */
  stop(): Promise<void>;
  /** Stops it and removes its temp dir. */
  cleanup(): Promise<void>;
}

async function chronydPath(): Promise<string> {
  for (const candidate of CHRONYD_CANDIDATES) {
    if (
      await access(candidate).then(
        () => true,
        () => false,
      )
    )
      return candidate;
  }
  throw new Error(`chronyd not found (${CHRONYD_CANDIDATES.join(", ")}); install the Debian package chrony`);
}

/** A UDP port nobody holds on 127.0.0.1 right now. */
async function freeUdpPort(): Promise<number> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, "127.0.0.1", resolve);
  });
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** Resolves once chronyd answers an NTP client request on the port. */
async function answersNtp(port: number, timeoutMs: number): Promise<boolean> {
  const socket = createSocket("udp4");
  try {
    return await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      socket.once("message", () => {
        clearTimeout(timer);
        resolve(true);
      });
      socket.once("error", () => {
        clearTimeout(timer);
        resolve(false);
      });
      // A minimal NTPv4 client request: LI 0, version 4, mode 3.
      const request = Buffer.alloc(48);
      request[0] = 0x23;
      socket.send(request, port, "127.0.0.1");
    });
  } finally {
    socket.close();
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

export async function startChronyd(): Promise<Chronyd> {
  const binary = await chronydPath();
  const dir = await mkdtemp(join(tmpdir(), "pmdm-chronyd-"));
  const port = await freeUdpPort();
  const config = join(dir, "chrony.conf");
  await writeFile(
    config,
    [
      `port ${port}`,
      "bindaddress 127.0.0.1",
      "allow 127.0.0.1",
      "local stratum 8",
      "cmdport 0",
      `pidfile ${join(dir, "chronyd.pid")}`,
      "",
    ].join("\n"),
  );
  const output: string[] = [];
  const child = spawn(binary, ["-f", config, "-d", "-x"], { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  const spawnFailed = new Promise<never>((_, reject) => {
    child.once("error", (err) => reject(new Error(`chronyd did not start: ${err.message}`)));
    child.once("exit", (code, signal) =>
      reject(new Error(`chronyd exited (${code ?? signal}) before serving: ${output.join("").trim()}`)),
    );
  });
  spawnFailed.catch(() => {});

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const killLater = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited(child);
    clearTimeout(killLater);
  };

  try {
    let serving = false;
    for (let attempt = 0; attempt < 50 && !serving; attempt++) {
      serving = await Promise.race([answersNtp(port, 200), spawnFailed]);
    }
    if (!serving) throw new Error(`chronyd does not answer on 127.0.0.1:${port}: ${output.join("").trim()}`);
  } catch (err) {
    await stop();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }

  return {
    port,
    server: `127.0.0.1:${port}`,
    stop,
    async cleanup() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
