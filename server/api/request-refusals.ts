/**
 * Refused API requests (401, 403, 429) in the process log, through the rate-limited
 * {@link RefusalLog}: what was refused, why, from where, and what kind of credential came with
 * it. Never the credential itself, nor the query string (the events stream carries its token
 * there).
 */
import type { FastifyRequest } from "fastify";
import { API_TOKEN_PREFIX } from "../admins/api-tokens.js";
import { SESSION_TOKEN_PREFIX } from "../admins/sessions.js";
import type { RefusalKind, RefusalLog } from "../refusal-log.js";
import { presentedCredential } from "./auth.js";

const KIND_BY_STATUS: Partial<Record<number, RefusalKind>> = {
  401: "http_unauthorized",
  403: "http_forbidden",
  429: "http_rate_limited",
};

/** What the request presented: `none`, `cookie`, `session_token`, `api_token` or another `bearer`. */
export function credentialKind(request: FastifyRequest): string {
  const presented = presentedCredential(request.headers);
  if (!presented) return "none";
  if (presented.viaCookie) return "cookie";
  if (presented.secret.startsWith(SESSION_TOKEN_PREFIX)) return "session_token";
  if (presented.secret.startsWith(API_TOKEN_PREFIX)) return "api_token";
  return "bearer";
}

/** Logs the answer when it is a refusal; other answers are left to the caller. */
export function logIfRefused(
  refusals: RefusalLog,
  request: FastifyRequest,
  answer: { status: number; code: string; message: string },
): void {
  const kind = KIND_BY_STATUS[answer.status];
  if (!kind) return;
  refusals.refused(
    kind,
    {
      status: answer.status,
      code: answer.code,
      reason: answer.message,
      route: `${request.method} ${request.routeOptions.url ?? request.url.split("?")[0]}`,
      sourceAddress: request.ip,
      credential: credentialKind(request),
      ...(request.admin ? { adminId: request.admin.adminId } : {}),
    },
    "HTTP request refused",
  );
}
