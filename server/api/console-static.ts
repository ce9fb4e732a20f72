/**
 * Serves the web console (built by server/console/build.ts) at `/`: hashed assets with a
 * long cache life, and index.html for every other page path so that the console's own
 * router can answer deep links such as /devices/dev_123. API paths never get the page.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fastifyStatic from "@fastify/static";
import type { FastifyReply, FastifyRequest } from "fastify";
import { CONSOLE_DIST } from "../console/paths.js";
import type { App } from "./context.js";

const NOT_BUILT_PAGE = `<!doctype html><meta charset="utf-8"><title>portal-mdm</title>
<p>The web console has not been built. Run <code>npm run build:console</code> (npm start does it).</p>`;

export interface ConsolePage {
  /** True when the request is a page load the console should answer. */
  wants(request: FastifyRequest): boolean;
  send(reply: FastifyReply): FastifyReply;
}

export async function registerConsole(app: App, distDir = CONSOLE_DIST): Promise<ConsolePage> {
  const indexFile = join(distDir, "index.html");
  const built = existsSync(indexFile);
  if (built) {
    await app.register(fastifyStatic, {
      root: distDir,
      prefix: "/",
      index: "index.html",
      decorateReply: false,
      setHeaders(res, path) {
        // Vite names assets by content hash: they never change under one name. The page
        // itself names the current assets, so it is checked every time.
        if (path.includes("/assets/")) res.header("cache-control", "public, max-age=31536000, immutable");
        else res.header("cache-control", "no-cache");
      },
    });
  }
  // Read once: the page is small, and a rebuild comes with a restart.
  const page = built ? readFileSync(indexFile, "utf8") : NOT_BUILT_PAGE;
  return {
    wants(request) {
      if (request.method !== "GET" && request.method !== "HEAD") return false;
      const path = request.url.split("?")[0] ?? "/";
      if (path.startsWith("/api/") || path === "/api" || path === "/healthz") return false;
      // A missing asset is a 404, not the page.
      return !/\.[a-z0-9]+$/i.test(path);
    },
    send(reply) {
      return reply.code(200).header("cache-control", "no-cache").type("text/html; charset=utf-8").send(page);
    },
  };
}
