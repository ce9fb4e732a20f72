/**
 * Console development: Vite's dev server with instant reload on 127.0.0.1:5173, passing
 * /api (and the event stream) to a running portal-mdm server.
 *
 *   npm start                 # terminal 1
 *   npm run console:dev       # terminal 2; PMDM_API=http://host:port to point elsewhere
 */
import { createServer } from "vite";
import { viteConfig } from "./build.js";

const target = process.env.PMDM_API ?? "http://127.0.0.1:8080";
const server = await createServer({
  ...viteConfig,
  logLevel: "info",
  // The Host header stays the dev server's, so the API's same-origin check sees one origin.
  server: { host: "127.0.0.1", port: 5173, proxy: { "/api": { target, ws: true } } },
});
await server.listen();
server.printUrls();
