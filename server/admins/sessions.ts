/**
 * Password logins and the sessions they open. A session is a 256-bit random token (sent as an
 * HTTP-only cookie to the console, or as a bearer token), stored only as its SHA-256, valid for
 * {@link SESSION_TTL_MS} unless ended sooner. Failed attempts are limited by the
 * {@link LoginLimiter}.
 *
 * A successful sign-in also makes the client a trusted login device of the account: another
 * 256-bit token (a cookie for the browser), stored as its SHA-256 in `admin_login_devices`. Its
 * later attempts on that account are limited only by their own counter, so a stranger's failures
 * never lock the admin out of a browser that signed in before.
 */
import { MdmError } from "../errors.js";
import type { EventBus } from "../events/event-bus.js";
import type { ServerEvents } from "../events/server-events.js";
import { hashSecret, newSecret, newTimeOrderedId } from "../ids.js";
import type { AdminRecord, AdminRepository } from "../store/repositories/admin-repository.js";
import type { SessionRepository } from "../store/repositories/session-repository.js";
import type { Queryable, Store } from "../store/store.js";
import type { LoginLimiter, LoginLimitScope, LoginRefusal } from "./login-limiter.js";
import { checkNewPassword, decoyPasswordHash, hashPassword, verifyPassword } from "./passwords.js";
import type { Principal } from "./principal.js";

export const SESSION_TOKEN_PREFIX = "pms_";
export const SESSION_TTL_MS = 12 * 3600_000;
export const LOGIN_DEVICE_TOKEN_PREFIX = "pld_";

export interface LoginDevice {
  token: string;
  expiresAtMs: number;
  ttlMs: number;
}

/** An account whose sign-ins from untrusted clients have just started to be delayed. */
export interface LoginThrottle {
  adminId: string;
  email: string;
  failures: number;
  addresses: number;
}

export type LoginResult =
  | {
      ok: true;
      adminId: string;
      email: string;
      sessionId: string;
      token: string;
      expiresAtMs: number;
      /** The client's login device for the account, new or renewed. */
      loginDevice: LoginDevice;
    }
  | {
      ok: false;
      error: MdmError;
      adminId: string | null;
      retryAfterSeconds?: number;
      /** Once per window per account, for the alert. */
      throttled?: LoginThrottle;
    };

export interface SessionServiceDeps {
  store: Store;
  repository: SessionRepository;
  /** The accounts signing in: looked up by email, their sign-in and own password recorded. */
  admins: AdminRepository;
  limiter: LoginLimiter;
  events: EventBus<ServerEvents>;
  clock: () => number;
}

export class SessionService {
  constructor(private readonly deps: SessionServiceDeps) {}

  private get repo(): SessionRepository {
    return this.deps.repository;
  }

  /**
   * Checks the password and opens a session. `loginDeviceToken`: the client's login-device
   * token, if it sent one. Refusals are returned, not thrown, so the caller can audit them with
   * the account they were for.
   */
  async login(
    emailInput: string,
    password: string,
    sourceAddress: string,
    loginDeviceToken: string | null = null,
  ): Promise<LoginResult> {
    const email = emailInput.trim().toLowerCase();
    const admin = await this.deps.admins.adminByEmail(this.deps.store.db, email);
    const trustedDeviceHash =
      admin && loginDeviceToken ? await this.trustedDevice(admin.id, loginDeviceToken) : null;
    // Admitting counts the attempt at once, so attempts sent in parallel cannot all be admitted.
    const admission = this.deps.limiter.admitLogin(email, sourceAddress, trustedDeviceHash);
    if (!admission.admitted) {
      return {
        ok: false,
        adminId: admin?.id ?? null,
        retryAfterSeconds: admission.retryAfterSeconds,
        error: loginRefused(admission, email),
      };
    }
    // An unknown email costs the same scrypt as a wrong password, so timing does not tell
    // which accounts exist.
    const matches = await verifyPassword(password, admin?.passwordHash ?? (await decoyPasswordHash()));
    if (!admin?.passwordHash || !matches || !admin.active) {
      const outcome = admission.failed();
      if (outcome.clientDistrusted && trustedDeviceHash) await this.forgetLoginDevice(trustedDeviceHash);
      const throttled =
        admin && outcome.throttled
          ? { adminId: admin.id, email: admin.email, ...outcome.throttled }
          : undefined;
      const error =
        admin?.passwordHash && matches
          ? new MdmError("account_deactivated", `admin account '${admin.email}' is deactivated`)
          : new MdmError("invalid_credentials", "wrong email or password");
      return { ok: false, adminId: admin?.id ?? null, error, throttled };
    }
    admission.succeeded();
    const opened = await this.open(admin, sourceAddress, trustedDeviceHash, loginDeviceToken);
    return { ok: true, adminId: admin.id, email: admin.email, ...opened };
  }

  /** The hash of the token when it names an unexpired login device of this admin. */
  private async trustedDevice(adminId: string, token: string): Promise<string | null> {
    const tokenHash = hashSecret(token);
    const trusted = await this.repo.isTrustedLoginDevice(
      this.deps.store.db,
      tokenHash,
      adminId,
      this.deps.clock(),
    );
    return trusted ? tokenHash : null;
  }

  private async open(
    admin: AdminRecord,
    sourceAddress: string,
    trustedDeviceHash: string | null,
    presentedDeviceToken: string | null,
  ): Promise<{ sessionId: string; token: string; expiresAtMs: number; loginDevice: LoginDevice }> {
    const now = this.deps.clock();
    const token = newSecret(SESSION_TOKEN_PREFIX);
    const sessionId = newTimeOrderedId("ses", now);
    const expiresAtMs = now + SESSION_TTL_MS;
    const { loginDeviceTtlMs, maxLoginDevicesPerAdmin } = this.deps.limiter.limits;
    const loginDevice = {
      token: trustedDeviceHash ? presentedDeviceToken! : newSecret(LOGIN_DEVICE_TOKEN_PREFIX),
      expiresAtMs: now + loginDeviceTtlMs,
      ttlMs: loginDeviceTtlMs,
    };
    await this.deps.store.unit(async (tx) => {
      // First: sign-ins of one admin at once take their turn here (see markSignedIn), so the
      // cap on login devices below counts every other sign-in's device.
      await this.deps.admins.markSignedIn(tx, admin.id, now);
      await this.repo.insertSession(tx, {
        id: sessionId,
        adminId: admin.id,
        tokenHash: hashSecret(token),
        createdAtMs: now,
        expiresAtMs,
        sourceAddress,
      });
      if (trustedDeviceHash) {
        await this.repo.renewLoginDevice(tx, trustedDeviceHash, now, loginDevice.expiresAtMs);
        return;
      }
      // The client's cookie is about to be replaced: whatever login device it named is gone.
      if (presentedDeviceToken) await this.repo.deleteLoginDevice(tx, hashSecret(presentedDeviceToken));
      await this.repo.insertLoginDevice(tx, {
        tokenHash: hashSecret(loginDevice.token),
        adminId: admin.id,
        nowMs: now,
        expiresAtMs: loginDevice.expiresAtMs,
      });
      // Clients that keep no cookies (scripts) would otherwise add a row at every sign-in.
      await this.repo.keepNewestLoginDevices(tx, admin.id, maxLoginDevicesPerAdmin);
    });
    return { sessionId, token, expiresAtMs, loginDevice };
  }

  private async forgetLoginDevice(tokenHash: string): Promise<void> {
    await this.deps.store.unit((tx) => this.repo.deleteLoginDevice(tx, tokenHash));
  }

  /**
   * Inside a caller's unit: no browser stays trusted for the admin (their password was set by
   * someone else, or they were deactivated).
   */
  async forgetLoginDevices(q: Queryable, adminId: string): Promise<number> {
    return this.repo.deleteLoginDevicesOf(q, adminId);
  }

  /** Ends one session; true if it was open. */
  async end(sessionId: string): Promise<boolean> {
    const ended = await this.deps.store.unit((tx) => this.repo.endSession(tx, sessionId, this.deps.clock()));
    this.deps.events.emit("access.changed", { reason: "logout" });
    return ended;
  }

  /** Ends every open session of an admin; returns how many. */
  async endAllNow(adminId: string): Promise<number> {
    const ended = await this.deps.store.unit((tx) => this.endAll(tx, adminId));
    this.deps.events.emit("access.changed", { reason: "logout everywhere" });
    return ended;
  }

  /** Inside a caller's unit: ends an admin's sessions, all or all but one. */
  async endAll(q: Queryable, adminId: string, exceptSessionId: string | null = null): Promise<number> {
    return this.repo.endSessionsOf(q, adminId, this.deps.clock(), exceptSessionId);
  }

  /**
   * The signed-in admin changes their own password: the current one is checked (failures are
   * limited per session, per account and address, and per address; see
   * {@link LoginLimiter.admitPasswordCheck}), the new one must differ, the reset flag is
   * cleared, and every other session of the admin ends.
   */
  async changeOwnPassword(
    principal: Principal,
    currentPassword: string,
    newPassword: string,
    sourceAddress: string,
  ): Promise<void> {
    const admin = await this.deps.admins.adminById(this.deps.store.db, principal.adminId);
    const admission = this.deps.limiter.admitPasswordCheck(
      principal.email,
      sourceAddress,
      `${principal.credential.type}:${principal.credential.id}`,
    );
    if (!admission.admitted) throw passwordCheckRefused(admission);
    if (!admin?.passwordHash || !(await verifyPassword(currentPassword, admin.passwordHash))) {
      admission.failed();
      throw new MdmError("wrong_password", "the current password is wrong", { field: "currentPassword" });
    }
    admission.succeeded();
    checkNewPassword(newPassword, "newPassword", principal);
    if (newPassword === currentPassword) {
      throw new MdmError("weak_password", "the new password must differ from the current one", {
        field: "newPassword",
      });
    }
    const passwordHash = await hashPassword(newPassword);
    const keep = principal.credential.type === "session" ? principal.credential.id : null;
    await this.deps.store.unit(async (tx) => {
      await this.deps.admins.setPassword(
        tx,
        principal.adminId,
        { hash: passwordHash, mustReset: false },
        this.deps.clock(),
      );
      await this.endAll(tx, principal.adminId, keep);
    });
    this.deps.events.emit("access.changed", { reason: "password changed" });
  }

  /** Forgets sessions that ended or expired more than a day ago, and expired login devices. */
  async prune(): Promise<number> {
    const now = this.deps.clock();
    return this.deps.store.unit(async (tx) => {
      const sessions = await this.repo.deleteSessionsBefore(tx, now - 86_400_000);
      const devices = await this.repo.deleteExpiredLoginDevices(tx, now);
      return sessions + devices;
    });
  }
}

const REFUSED_LOGIN_REASON: Record<LoginLimitScope, (email: string) => string> = {
  account_address: (email) => `too many failed sign-ins to '${email}' from this address`,
  address: () => "too many failed sign-ins from this address",
  account: (email) => `too many failed sign-ins to '${email}' from browsers that have not signed in to it`,
};

function loginRefused(refusal: LoginRefusal<LoginLimitScope>, email: string): MdmError {
  const { retryAfterSeconds } = refusal;
  return new MdmError(
    "too_many_attempts",
    `${REFUSED_LOGIN_REASON[refusal.scope](email)}; try again in ${retryAfterSeconds} s ` +
      "(a browser that signed in to this account before is not affected)",
    { retryAfterSeconds },
  );
}

function passwordCheckRefused(refusal: LoginRefusal): MdmError {
  const { retryAfterSeconds } = refusal;
  const where = refusal.scope === "client" ? "with this credential" : "from this address";
  return new MdmError(
    "too_many_attempts",
    `too many wrong current passwords ${where}; try again in ${retryAfterSeconds} s`,
    { retryAfterSeconds },
  );
}
