/**
 * QoS 1 echo of a fleet through a plain broker, for comparison with the server's fleet
 * command: N device connections (the same lean transport the simulator uses) each answer
 * the one message they get; a driver connection publishes to all N and waits for N answers.
 */
import { KeepaliveTicker, LeanTransport } from "../../agent/transport/lean-transport.js";
import type { TransportHandlers } from "../../agent/transport/transport.js";

export interface EchoResult {
  connectMs: number;
  echoMs: number;
}

function client(
  url: string,
  clientId: string,
  ticker: KeepaliveTicker,
  onMessage: TransportHandlers["message"],
) {
  let resolveConnected: () => void = () => {};
  const connected = new Promise<void>((r) => {
    resolveConnected = r;
  });
  const transport = new LeanTransport(
    { url, clientId, username: "bench", password: "bench" },
    {
      connected: () => resolveConnected(),
      disconnected: () => {},
      authFailed: () => {},
      message: onMessage,
    },
    { ticker },
  );
  transport.connect();
  return { transport, connected };
}

export async function echoBaseline(url: string, devices: number, concurrency = 200): Promise<EchoResult> {
  const ticker = new KeepaliveTicker();
  const connectStart = performance.now();
  const clients: LeanTransport[] = [];
  let next = 0;
  const connectWorker = async () => {
    while (next < devices) {
      const i = next++;
      const c = client(url, `echo-${i}`, ticker, (_topic, payload) => {
        // Acks still in flight when the run ends are of no interest.
        c.transport.publish(`bench/${i}/out`, payload).catch(() => {});
      });
      clients.push(c.transport);
      await c.connected;
      await c.transport.subscribe([`bench/${i}/in`]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, devices) }, connectWorker));
  const connectMs = performance.now() - connectStart;

  let answers = 0;
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((r) => {
    resolveDone = r;
  });
  const driver = client(url, "echo-driver", ticker, () => {
    answers++;
    if (answers === devices) resolveDone();
  });
  await driver.connected;
  await driver.transport.subscribe(["bench/+/out"]);

  const payload = Buffer.alloc(64, 1);
  const echoStart = performance.now();
  for (let i = 0; i < devices; i++) driver.transport.publish(`bench/${i}/in`, payload).catch(() => {});
  await done;
  const echoMs = performance.now() - echoStart;

  await Promise.all([...clients, driver.transport].map((t) => t.end(true)));
  return { connectMs, echoMs };
}
