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
import type { Database, WriteContext } from "../store/database.js";
import { type AdminRow, SELECT_ADMIN } from "./accounts.js";
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
  db: Database;
  limiter: LoginLimiter;
  events: EventBus<ServerEvents>;
  clock: () => number;
}

export class SessionService {
  constructor(private readonly deps: SessionServiceDeps) {}

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
    const row = await this.deps.db.get<AdminRow>(`${SELECT_ADMIN} WHERE a.email = ?`, [email]);
    const trustedDeviceHash =
      row && loginDeviceToken ? await this.trustedDevice(row.id, loginDeviceToken) : null;
    // Admitting counts the attempt at once, so attempts sent in parallel cannot all be admitted.
    const admission = this.deps.limiter.admitLogin(email, sourceAddress, trustedDeviceHash);
    if (!admission.admitted) {
      return {
        ok: false,
        adminId: row?.id ?? null,
        retryAfterSeconds: admission.retryAfterSeconds,
        error: loginRefused(admission, email),
      };
    }
    // An unknown email costs the same scrypt as a wrong password, so timing does not tell
    // which accounts exist.
    const matches = await verifyPassword(password, row?.password_hash ?? (await decoyPasswordHash()));
    if (!row?.password_hash || !matches || row.active !== 1) {
      const outcome = admission.failed();
      if (outcome.clientDistrusted && trustedDeviceHash) await this.forgetLoginDevice(trustedDeviceHash);
      const throttled =
        row && outcome.throttled ? { adminId: row.id, email: row.email, ...outcome.throttled } : undefined;
      const error =
        row?.password_hash && matches
          ? new MdmError("account_deactivated", `admin account '${row.email}' is deactivated`)
          : new MdmError("invalid_credentials", "wrong email or password");
      return { ok: false, adminId: row?.id ?? null, error, throttled };
    }
    admission.succeeded();
    const opened = await this.open(row, sourceAddress, trustedDeviceHash, loginDeviceToken);
    return { ok: true, adminId: row.id, email: row.email, ...opened };
  }

  /** The hash of the token when it names an unexpired login device of this admin. */
  private async trustedDevice(adminId: string, token: string): Promise<string | null> {
    const tokenHash = hashSecret(token);
    const device = await this.deps.db.get<{ token_hash: string }>(
      "SELECT token_hash FROM admin_login_devices WHERE token_hash = ? AND admin_id = ? AND expires_at > ?",
      [tokenHash, adminId, this.deps.clock()],
    );
    return device ? tokenHash : null;
  }

  private async open(
    admin: AdminRow,
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
    await this.deps.db.write(async (tx) => {
      await tx.run(
        `INSERT INTO admin_sessions (id, admin_id, token_hash, created_at, expires_at, source_address)
         VALUES (?, ?, ?, ?, ?, ?)`,
        [sessionId, admin.id, hashSecret(token), now, expiresAtMs, sourceAddress],
      );
      await tx.run("UPDATE admins SET last_login_at = ? WHERE id = ?", [now, admin.id]);
      if (trustedDeviceHash) {
        await tx.run("UPDATE admin_login_devices SET last_used_at = ?, expires_at = ? WHERE token_hash = ?", [
          now,
          loginDevice.expiresAtMs,
          trustedDeviceHash,
        ]);
        return;
      }
      // The client's cookie is about to be replaced: whatever login device it named is gone.
      if (presentedDeviceToken) {
        await tx.run("DELETE FROM admin_login_devices WHERE token_hash = ?", [
          hashSecret(presentedDeviceToken),
        ]);
      }
      await tx.run(
        `INSERT INTO admin_login_devices (token_hash, admin_id, created_at, last_used_at, expires_at)
         VALUES (?, ?, ?, ?, ?)`,
        [hashSecret(loginDevice.token), admin.id, now, now, loginDevice.expiresAtMs],
      );
      // Clients that keep no cookies (scripts) would otherwise add a row at every sign-in.
      await tx.run(
        `DELETE FROM admin_login_devices WHERE admin_id = ? AND token_hash NOT IN (
           SELECT token_hash FROM admin_login_devices WHERE admin_id = ?
           ORDER BY last_used_at DESC, created_at DESC LIMIT ?)`,
        [admin.id, admin.id, maxLoginDevicesPerAdmin],
      );
    });
    return { sessionId, token, expiresAtMs, loginDevice };
  }

  private async forgetLoginDevice(tokenHash: string): Promise<void> {
    await this.deps.db.write((tx) =>
      tx.run("DELETE FROM admin_login_devices WHERE token_hash = ?", [tokenHash]),
    );
  }

  /**
   * Inside a caller's write: no browser stays trusted for the admin (their password was set by
   * someone else, or they were deactivated).
   */
  async forgetLoginDevices(tx: WriteContext, adminId: string): Promise<number> {
    const result = await tx.run("DELETE FROM admin_login_devices WHERE admin_id = ?", [adminId]);
    return result.changes;
  }

  /** Ends one session; true if it was open. */
  async end(sessionId: string): Promise<boolean> {
    const result = await this.deps.db.write((tx) =>
      tx.run("UPDATE admin_sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL", [
        this.deps.clock(),
        sessionId,
      ]),
    );
    this.deps.events.emit("access.changed", { reason: "logout" });
    return result.changes > 0;
  }

  /** Ends every open session of an admin; returns how many. */
  async endAllNow(adminId: string): Promise<number> {
    const ended = await this.deps.db.write((tx) => this.endAll(tx, adminId));
    this.deps.events.emit("access.changed", { reason: "logout everywhere" });
    return ended;
  }

  /** Inside a caller's write: ends an admin's sessions, all or all but one. */
  async endAll(tx: WriteContext, adminId: string, exceptSessionId: string | null = null): Promise<number> {
    const result = await tx.run(
      "UPDATE admin_sessions SET ended_at = ? WHERE admin_id = ? AND ended_at IS NULL AND id != ?",
      [this.deps.clock(), adminId, exceptSessionId ?? ""],
    );
    return result.changes;
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
    const row = await this.deps.db.get<{ password_hash: string | null }>(
      "SELECT password_hash FROM admins WHERE id = ?",
      [principal.adminId],
    );
    const admission = this.deps.limiter.admitPasswordCheck(
      principal.email,
      sourceAddress,
      `${principal.credential.type}:${principal.credential.id}`,
    );
    if (!admission.admitted) throw passwordCheckRefused(admission);
    if (!row?.password_hash || !(await verifyPassword(currentPassword, row.password_hash))) {
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
    await this.deps.db.write(async (tx) => {
      await tx.run(
        "UPDATE admins SET password_hash = ?, must_reset_password = 0, updated_at = ? WHERE id = ?",
        [passwordHash, this.deps.clock(), principal.adminId],
      );
      await this.endAll(tx, principal.adminId, keep);
    });
    this.deps.events.emit("access.changed", { reason: "password changed" });
  }

  /** Forgets sessions that ended or expired more than a day ago, and expired login devices. */
  async prune(): Promise<number> {
    const now = this.deps.clock();
    const before = now - 86_400_000;
    return this.deps.db.write(async (tx) => {
      const sessions = await tx.run("DELETE FROM admin_sessions WHERE expires_at < ? OR ended_at < ?", [
        before,
        before,
      ]);
      const devices = await tx.run("DELETE FROM admin_login_devices WHERE expires_at <= ?", [now]);
      return sessions.changes + devices.changes;
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
