import { parseCookie, stringifySetCookie } from "cookie";
import type { FastifyReply, FastifyRequest } from "fastify";
import Type from "typebox";
import type { Principal } from "../../admins/principal.js";
import { normalizeRights } from "../../admins/rights.js";
import type { LoginDevice, LoginThrottle } from "../../admins/sessions.js";
import { MdmError } from "../../errors.js";
import { Email, Me, Password } from "../account-schemas.js";
import { audited, recordAudit } from "../audit-request.js";
import { clearSessionCookie, principalOf, setSessionCookie } from "../auth.js";
import type { ApiServices, App } from "../context.js";

/**
 * The browser's login-device token: HttpOnly, SameSite=Strict, and sent only to the sign-in
 * routes, the one place that reads it.
 */
export const LOGIN_DEVICE_COOKIE = "pmdm_login_device";
const LOGIN_DEVICE_COOKIE_PATH = "/api/v1/auth";

function loginDeviceCookie(request: FastifyRequest): string | null {
  const header = request.headers.cookie;
  return header ? (parseCookie(header)[LOGIN_DEVICE_COOKIE] ?? null) : null;
}

function setLoginDeviceCookie(request: FastifyRequest, reply: FastifyReply, device: LoginDevice): void {
  reply.header(
    "set-cookie",
    stringifySetCookie({
      name: LOGIN_DEVICE_COOKIE,
      value: device.token,
      httpOnly: true,
      sameSite: "strict",
      path: LOGIN_DEVICE_COOKIE_PATH,
      maxAge: Math.floor(device.ttlMs / 1000),
      secure: request.protocol === "https",
    }),
  );
}

export function meFromPrincipal(principal: Principal) {
  return {
    id: principal.adminId,
    email: principal.email,
    name: principal.name,
    role: principal.role,
    rights: normalizeRights(principal.rights),
    mustResetPassword: principal.mustResetPassword,
    // Only an active admin's credential is accepted.
    active: true,
    credential: {
      type: principal.credential.type,
      id: principal.credential.id,
      expiresAt:
        principal.credential.expiresAtMs === null
          ? null
          : new Date(principal.credential.expiresAtMs).toISOString(),
    },
  };
}

export function authRoutes(app: App, { sessions, authenticator, audit }: ApiServices): void {
  /** Once per window per account (the limiter sees to it), so an attacker cannot flood the log. */
  const alertThrottled = async (request: FastifyRequest, throttle: LoginThrottle) => {
    request.log.warn(
      {
        adminId: throttle.adminId,
        email: throttle.email,
        failures: throttle.failures,
        addresses: throttle.addresses,
      },
      `${throttle.failures} failed sign-ins to '${throttle.email}' from ${throttle.addresses} addresses: ` +
        "attempts from browsers that have not signed in to it before are now delayed",
    );
    await recordAudit(audit, request, {
      actor: null,
      action: "auth.login_throttled",
      target: throttle.adminId,
      params: { email: throttle.email, failures: throttle.failures, addresses: throttle.addresses },
      outcome: "failure",
      errorCode: "too_many_attempts",
    });
  };

  app.post(
    "/auth/login",
    {
      config: { access: "public" },
      schema: {
        tags: ["auth"],
        summary: "Sign in with email and password: a session token, also set as an HTTP-only cookie",
        body: Type.Object({ email: Email, password: Password }),
        response: { 200: Type.Object({ admin: Me, token: Type.String(), expiresAt: Type.String() }) },
      },
    },
    async (request, reply) => {
      const { email, password } = request.body;
      const result = await sessions.login(email, password, request.ip, loginDeviceCookie(request));
      if (!result.ok) {
        if (result.throttled) await alertThrottled(request, result.throttled);
        // Attempts refused by the rate limit are not recorded: an attacker could fill the log.
        if (result.error.code !== "too_many_attempts") {
          await recordAudit(audit, request, {
            actor: null,
            attemptedEmail: email,
            action: "auth.login",
            target: result.adminId,
            params: { email },
            outcome: "failure",
            errorCode: result.error.code,
          });
        }
        if (result.retryAfterSeconds) reply.header("retry-after", String(result.retryAfterSeconds));
        throw result.error;
      }
      const principal = await authenticator.authenticate(result.token);
      if (!principal) throw new MdmError("internal", "the new session could not be read back");
      request.admin = principal;
      await recordAudit(audit, request, {
        action: "auth.login",
        target: result.adminId,
        params: { email: result.email },
        outcome: "success",
      });
      setSessionCookie(request, reply, result.token);
      setLoginDeviceCookie(request, reply, result.loginDevice);
      return {
        admin: meFromPrincipal(principal),
        token: result.token,
        expiresAt: new Date(result.expiresAtMs).toISOString(),
      };
    },
  );

  app.get(
    "/auth/me",
    {
      config: { access: "signed-in", duringPasswordReset: true },
      schema: {
        tags: ["auth"],
        summary: "Who this credential belongs to and what it may do",
        response: { 200: Me },
      },
    },
    async (request) => meFromPrincipal(principalOf(request)),
  );

  app.post(
    "/auth/logout",
    {
      config: { access: "signed-in", duringPasswordReset: true },
      schema: {
        tags: ["auth"],
        summary: "End this session and clear its cookie (with an API token: nothing to end)",
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      if (principal.credential.type === "session") {
        await audited(
          audit,
          request,
          {
            action: "auth.logout",
            target: principal.adminId,
            params: { sessionId: principal.credential.id },
          },
          () => sessions.end(principal.credential.id),
        );
      }
      clearSessionCookie(request, reply);
      return reply.code(204).send(null);
    },
  );

  app.post(
    "/auth/logout-all",
    {
      config: { access: "signed-in", duringPasswordReset: true },
      schema: {
        tags: ["auth"],
        summary: "End every session of this admin (API tokens stay; revoke them one by one)",
        response: { 200: Type.Object({ ended: Type.Integer() }) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const ended = await audited(
        audit,
        request,
        {
          action: "auth.logout_all",
          target: principal.adminId,
          fromResult: (n) => ({ params: { ended: n } }),
        },
        () => sessions.endAllNow(principal.adminId),
      );
      clearSessionCookie(request, reply);
      return { ended };
    },
  );

  app.post(
    "/auth/password",
    {
      config: { access: "signed-in", duringPasswordReset: true },
      schema: {
        tags: ["auth"],
        summary: "Change your own password; ends your other sessions and clears a forced reset",
        body: Type.Object({ currentPassword: Password, newPassword: Password }),
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      await audited(
        audit,
        request,
        { action: "auth.password_change", target: principal.adminId },
        async () => {
          try {
            await sessions.changeOwnPassword(
              principal,
              request.body.currentPassword,
              request.body.newPassword,
              request.ip,
            );
          } catch (err) {
            const retry = (err as MdmError).details?.retryAfterSeconds;
            if (typeof retry === "number") reply.header("retry-after", String(retry));
            throw err;
          }
        },
      );
      return reply.code(204).send(null);
    },
  );
}
