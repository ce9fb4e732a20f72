/**
 * Records an admin action in the audit log from the route that performs it: who (the
 * request's principal and credential), from where (the socket's address), what happened
 * (success, or failure with its error code). Refused requests (401, 403) never get here, so
 * they leave nothing behind; the process log has them.
 */
import type { FastifyRequest } from "fastify";
import type { AuditAction, AuditActor, AuditEntry, AuditLog } from "../admins/audit-log.js";
import { isMdmError } from "../errors.js";

export interface AuditSpec<T> {
  action: AuditAction;
  target?: string | null;
  params?: Record<string, unknown>;
  /** Target and parameters that only the result knows (the id of what was created). */
  fromResult?: (result: T) => { target?: string | null; params?: Record<string, unknown> };
}

export function auditActor(request: FastifyRequest): AuditActor | null {
  const admin = request.admin;
  return admin ? { id: admin.adminId, email: admin.email, credentialId: admin.credential.id } : null;
}

/** Appends a row, logging (not throwing) if the log cannot be written: the action is done. */
export async function recordAudit(
  audit: AuditLog,
  request: FastifyRequest,
  entry: Omit<AuditEntry, "actor" | "sourceAddress"> & { actor?: AuditActor | null },
): Promise<void> {
  try {
    await audit.record({ actor: auditActor(request), sourceAddress: request.ip, ...entry });
  } catch (err) {
    request.log.error({ err, action: entry.action }, "audit log write failed");
  }
}

/** Runs an action and records it with its outcome; the action's error is rethrown. */
export async function audited<T>(
  audit: AuditLog,
  request: FastifyRequest,
  spec: AuditSpec<T>,
  run: () => Promise<T>,
): Promise<T> {
  const base = { action: spec.action, target: spec.target ?? null, params: spec.params ?? {} };
  let result: T;
  try {
    result = await run();
  } catch (err) {
    await recordAudit(audit, request, {
      ...base,
      outcome: "failure",
      errorCode: isMdmError(err) ? err.code : "internal",
    });
    throw err;
  }
  const extra = spec.fromResult?.(result);
  await recordAudit(audit, request, {
    ...base,
    target: extra?.target !== undefined ? extra.target : base.target,
    params: { ...base.params, ...extra?.params },
    outcome: "success",
  });
  return result;
}
