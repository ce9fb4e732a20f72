/**
 * Authentication and rights for the API. Every route under /api/v1 declares what it needs in
 * its config, and the server refuses to start if one does not:
 * - `access: "public"`: no credential (device enrollment, login);
 * - `access: "signed-in"`: any valid credential (me, logout, own tokens);
 * - `right: "devices:read"`: a credential holding that right;
 * - `right: { oneOf, resolve }`: a right that depends on the request (a command's type), checked
 *   after validation and before the handler.
 * A request without a valid credential gets 401, one lacking the right 403, both before the
 * handler runs, so a refused request changes nothing.
 *
 * Credentials: `Authorization: Bearer <token>` (API tokens and session tokens) or the session
 * cookie. Cookie-authenticated requests that change something must come from the server's own
 * origin (SameSite=Strict already keeps the cookie off cross-site requests; the Origin check
 * and JSON-only bodies are the second line against cross-site request forgery).
 */
import type { IncomingHttpHeaders } from "node:http";
import { parseCookie, stringifySetCookie } from "cookie";
import type { FastifyReply, FastifyRequest } from "fastify";
import { type Principal, requireRight } from "../admins/principal.js";
import type { Right } from "../admins/rights.js";
import { SESSION_TTL_MS } from "../admins/sessions.js";
import { MdmError } from "../errors.js";
import type { ApiServices, App } from "./context.js";

export const SESSION_COOKIE = "pmdm_session";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** A right chosen from the request once it is validated (a command needs its type's right). */
export interface RightByRequest {
  /** Every right the route may need; a credential with none of them is refused early. */
  oneOf: readonly Right[];
  resolve(request: FastifyRequest): Right | Promise<Right>;
}

export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1]! : null;
}

export function sessionCookie(header: string | undefined): string | null {
  if (!header) return null;
  return parseCookie(header)[SESSION_COOKIE] ?? null;
}

/** The secret a request presents, and whether it came in the cookie. Bearer wins. */
export function presentedCredential(
  headers: IncomingHttpHeaders,
): { secret: string; viaCookie: boolean } | null {
  const bearer = bearerToken(headers.authorization);
  if (bearer) return { secret: bearer, viaCookie: false };
  const cookie = sessionCookie(headers.cookie);
  return cookie ? { secret: cookie, viaCookie: true } : null;
}

/** True when the Origin header, if any, names this server (same host and port). */
export function sameOrigin(headers: IncomingHttpHeaders): boolean {
  const origin = headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === headers.host;
  } catch {
    return false;
  }
}

function hasBody(headers: IncomingHttpHeaders): boolean {
  return headers["transfer-encoding"] !== undefined || Number(headers["content-length"] ?? 0) > 0;
}

function isJson(contentType: string | undefined): boolean {
  return contentType !== undefined && /^application\/json\s*(;|$)/i.test(contentType);
}

function isSecure(request: FastifyRequest): boolean {
  return request.protocol === "https";
}

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, token: string): void {
  reply.header(
    "set-cookie",
    stringifySetCookie({
      name: SESSION_COOKIE,
      value: token,
      httpOnly: true,
      sameSite: "strict",
      path: "/",
      maxAge: Math.floor(SESSION_TTL_MS / 1000),
      secure: isSecure(request),
    }),
  );
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.header(
    "set-cookie",
    stringifySetCookie({
      name: SESSION_COOKIE,
      value: "",
      httpOnly: true,
      sameSite: "strict",
      path: "/",
      maxAge: 0,
      secure: isSecure(request),
    }),
  );
}

/** The principal of an authenticated route (the hook has set it). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.admin) throw new MdmError("unauthorized", "no credential");
  return request.admin;
}

function describeAccess(config: { right?: Right | RightByRequest; access?: string }): string {
  if (config.access === "public") return "No credential needed.";
  if (config.access === "signed-in") return "Any valid credential.";
  const right = config.right!;
  return typeof right === "string"
    ? `Needs the right \`${right}\`.`
    : `Needs one of ${right.oneOf.map((r) => `\`${r}\``).join(", ")}, depending on the request.`;
}

export function registerAuth(app: App, services: ApiServices): void {
  app.decorateRequest("admin", null);

  app.addHook("onRoute", (route) => {
    const config = (route.config ?? {}) as { right?: Right | RightByRequest; access?: string };
    const declared = (config.right ? 1 : 0) + (config.access ? 1 : 0);
    if (declared !== 1) {
      throw new Error(
        `route ${route.method} ${route.url} must declare exactly one of config.right or config.access`,
      );
    }
    route.schema ??= {};
    const schema = route.schema as { description?: string; security?: unknown[] };
    // A GET route's HEAD twin shares its schema object: say it once.
    const access = describeAccess(config);
    if (!schema.description?.endsWith(access)) {
      schema.description = [schema.description, access].filter(Boolean).join("\n\n");
    }
    if (config.access === "public") schema.security = [];
  });

  app.addHook("onRequest", async (request: FastifyRequest) => {
    const config = request.routeOptions.config;
    if (config.access === "public") return;
    const presented = presentedCredential(request.headers);
    if (!presented) {
      throw new MdmError(
        "unauthorized",
        "missing credential: send 'Authorization: Bearer <token>' or sign in (POST /api/v1/auth/login)",
      );
    }
    const principal = await services.authenticator.authenticate(presented.secret);
    if (!principal) throw new MdmError("unauthorized", "invalid, expired or revoked credential");
    if (presented.viaCookie && !SAFE_METHODS.has(request.method)) {
      if (!sameOrigin(request.headers)) {
        throw new MdmError(
          "cross_site_request",
          `a signed-in console request must come from this server's origin, not '${request.headers.origin}'`,
        );
      }
      // A cross-site form can send only form or text bodies; a JSON body needs a CORS
      // preflight this server never grants.
      if (hasBody(request.headers) && !isJson(request.headers["content-type"])) {
        throw new MdmError("unsupported_media_type", "send the body as application/json");
      }
    }
    if (
      principal.mustResetPassword &&
      principal.credential.type === "session" &&
      !config.duringPasswordReset
    ) {
      throw new MdmError(
        "password_reset_required",
        "change your password first (POST /api/v1/auth/password)",
      );
    }
    const right = config.right;
    if (typeof right === "string") requireRight(principal, right);
    else if (right && !right.oneOf.some((r) => principal.rights.has(r))) {
      throw new MdmError("forbidden", `this credential holds none of the rights ${right.oneOf.join(", ")}`, {
        right: right.oneOf,
      });
    }
    request.admin = principal;
  });

  app.addHook("preHandler", async (request: FastifyRequest) => {
    const right = request.routeOptions.config.right;
    if (right && typeof right !== "string") requireRight(principalOf(request), await right.resolve(request));
  });
}
