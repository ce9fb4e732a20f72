/**
 * The baseline broker: aedes with nothing added (no auth, no store, no protobuf), on
 * 127.0.0.1 at the port given, with the same mqemitter concurrency as the server's broker.
 */
import { createServer } from "node:net";
import { Aedes } from "aedes";

const port = Number(process.argv[2] ?? 0);
const aedes = await Aedes.createBroker({ concurrency: 10_000 });
const server = createServer((socket) => aedes.handle(socket));
server.listen(port, "127.0.0.1", () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === "object" && address ? address.port : port}\n`);
});
process.on("SIGTERM", () => {
  aedes.close(() => server.close(() => process.exit(0)));
});
