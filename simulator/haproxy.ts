/**
 * HAProxy (Debian's `haproxy` 2.6) in front of server nodes on 127.0.0.1: HTTP (API, console,
 * event stream) balanced round robin with `/healthz` checks, MQTT as TCP balanced by least
 * connections with connection checks; a node that fails its checks loses its sessions at once.
 * The same configuration as docs/cluster.md, without TLS.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./postgres-cluster.js";

export interface ProxiedNode {
  name: string;
  httpPort: number;
  mqttPort: number;
}

export interface HaproxyServer {
  httpUrl: string;
  mqttUrl: string;
  stop(): Promise<void>;
}

/** Debian puts it in /usr/sbin, which a non-root PATH may lack. */
const HAPROXY_BIN =
  process.env.PMDM_HAPROXY ?? (existsSync("/usr/sbin/haproxy") ? "/usr/sbin/haproxy" : "haproxy");

export function haproxyConfig(nodes: readonly ProxiedNode[], ports: { http: number; mqtt: number }): string {
  const servers = (port: (n: ProxiedNode) => number) =>
    nodes.map((n) => `    server ${n.name} 127.0.0.1:${port(n)}`).join("\n");
  return `global
    # Two sockets per proxied connection: within 20 000 open files, under 10 000 connections.
    maxconn 9000

defaults
    timeout connect 2s
    timeout client 5m
    timeout server 5m
    timeout tunnel 1h
    retries 3
    option redispatch

frontend api
    bind 127.0.0.1:${ports.http}
    mode http
    option forwardfor
    default_backend nodes_http

backend nodes_http
    mode http
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
    retry-on conn-failure empty-response
    default-server check inter 500ms fall 2 rise 2
${servers((n) => n.httpPort)}

frontend mqtt
    bind 127.0.0.1:${ports.mqtt}
    mode tcp
    default_backend nodes_mqtt

backend nodes_mqtt
    mode tcp
    balance leastconn
    default-server check inter 500ms fall 2 rise 2 on-marked-down shutdown-sessions
${servers((n) => n.mqttPort)}
`;
}

/** `at`: the proxy's ports, when the nodes must know them before it starts; default free ones. */
export async function startHaproxy(
  nodes: readonly ProxiedNode[],
  at: { httpPort?: number; mqttPort?: number } = {},
): Promise<HaproxyServer> {
  const dir = await mkdtemp(join(tmpdir(), "pmdm-haproxy-"));
  const ports = { http: at.httpPort ?? (await freePort()), mqtt: at.mqttPort ?? (await freePort()) };
  const file = join(dir, "haproxy.cfg");
  await writeFile(file, haproxyConfig(nodes, ports));
  // -db: stay in the foreground; -W: master-worker, so a kill of the master ends the worker.
  const child: ChildProcess = spawn(HAPROXY_BIN, ["-W", "-db", "-f", file], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.once("error", (err) => reject(new Error(`haproxy could not run (${HAPROXY_BIN}): ${err.message}`)));
    const deadline = Date.now() + 15_000;
    const probe = async () => {
      if (child.exitCode !== null)
        return reject(new Error(`haproxy exited with ${child.exitCode}:\n${output}`));
      const answer = await fetch(`http://127.0.0.1:${ports.http}/healthz`).catch(() => null);
      if (answer?.ok) return resolve();
      if (Date.now() > deadline) return reject(new Error(`haproxy did not serve /healthz:\n${output}`));
      setTimeout(() => void probe(), 100);
    };
    void probe();
  });
  return {
    httpUrl: `http://127.0.0.1:${ports.http}`,
    mqttUrl: `mqtt://127.0.0.1:${ports.mqtt}`,
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
