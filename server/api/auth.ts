/**
 * Bearer-token authentication for admin routes. A route declares `config.right`; a request
 * without a valid token gets 401 and one whose token lacks the right gets 403, both before the
 * handler runs, so a refused request has no side effect.
 */
import type { FastifyRequest } from "fastify";
import { MdmError } from "../errors.js";
import type { ApiServices, App } from "./context.js";

export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1]! : null;
}

export function registerAuth(app: App, services: ApiServices): void {
  app.decorateRequest("admin", null);
  app.addHook("onRequest", async (request: FastifyRequest) => {
    const right = request.routeOptions.config.right;
    if (!right) return;
    const token = bearerToken(request.headers.authorization);
    if (!token)
      throw new MdmError("unauthorized", "missing bearer token: send 'Authorization: Bearer <token>'");
    const admin = await services.adminTokens.authenticate(token);
    if (!admin) throw new MdmError("unauthorized", "invalid or revoked token");
    // Every admin token holds every right until roles exist.
    request.admin = admin;
  });
}
