import { Agent, request } from "node:http";
import { describe, expect, it } from "vitest";
import { startTestServer } from "../helpers/test-server.js";

describe("server shutdown", () => {
  it("completes while HTTP clients still hold keep-alive connections", async () => {
    const t = await startTestServer();
    const agent = new Agent({ keepAlive: true, maxSockets: 100 });
    const { port } = new URL(t.server.httpUrl);
    // Open many connections and leave them alive in the client's pool.
    await Promise.all(
      Array.from(
        { length: 100 },
        () =>
          new Promise<void>((resolve, reject) => {
            const req = request({ host: "127.0.0.1", port, path: "/healthz", agent }, (res) => {
              res.resume();
              res.on("end", () => resolve());
            });
            req.on("error", reject);
            req.end();
          }),
      ),
    );
    expect(
      Object.values(agent.sockets).flat().length + Object.values(agent.freeSockets).flat().length,
    ).toBeGreaterThan(1);
    await t.cleanup(); // the test fails by timing out if close() hangs
    agent.destroy();
  });
});
