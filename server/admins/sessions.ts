/**
 * Password logins and the sessions they open. A session is a 256-bit random token (sent as an
 * HTTP-only cookie to the console, or as a bearer token), stored only as its SHA-256, valid for
 * {@link SESSION_TTL_MS} unless ended sooner. Failed attempts are limited per account and per
 * source address.
 */
import { MdmError } from "../errors.js";
import type { EventBus } from "../events/event-bus.js";
import type { ServerEvents } from "../events/server-events.js";
import { hashSecret, newSecret, newTimeOrderedId } from "../ids.js";
import type { Database, WriteContext } from "../store/database.js";
import { type AdminRow, SELECT_ADMIN } from "./accounts.js";
import type { LoginLimiter } from "./login-limiter.js";
import { checkNewPassword, decoyPasswordHash, hashPassword, verifyPassword } from "./passwords.js";
import type { Principal } from "./principal.js";

export const SESSION_TOKEN_PREFIX = "pms_";
export const SESSION_TTL_MS = 12 * 3600_000;

export type LoginResult =
  | { ok: true; adminId: string; email: string; sessionId: string; token: string; expiresAtMs: number }
  | { ok: false; error: MdmError; adminId: string | null; retryAfterSeconds?: number };

export interface SessionServiceDeps {
  db: Database;
  limiter: LoginLimiter;
  events: EventBus<ServerEvents>;
  clock: () => number;
}

export class SessionService {
  constructor(private readonly deps: SessionServiceDeps) {}

  /**
   * Checks the password and opens a session. Refusals are returned, not thrown, so the caller
   * can audit them with the account they were for.
   */
  async login(emailInput: string, password: string, sourceAddress: string): Promise<LoginResult> {
    const email = emailInput.trim().toLowerCase();
    const retryAfterSeconds = this.deps.limiter.retryAfterSeconds(email, sourceAddress);
    const row = await this.deps.db.get<AdminRow>(`${SELECT_ADMIN} WHERE a.email = ?`, [email]);
    if (retryAfterSeconds > 0) {
      return {
        ok: false,
        adminId: row?.id ?? null,
        retryAfterSeconds,
        error: new MdmError(
          "too_many_attempts",
          `too many failed logins; try again in ${retryAfterSeconds} s`,
          {
            retryAfterSeconds,
          },
        ),
      };
    }
    // An unknown email costs the same scrypt as a wrong password, so timing does not tell
    // which accounts exist.
    const matches = await verifyPassword(password, row?.password_hash ?? (await decoyPasswordHash()));
    if (!row?.password_hash || !matches) {
      this.deps.limiter.failed(email, sourceAddress);
      return {
        ok: false,
        adminId: row?.id ?? null,
        error: new MdmError("invalid_credentials", "wrong email or password"),
      };
    }
    if (row.active !== 1) {
      return {
        ok: false,
        adminId: row.id,
        error: new MdmError("account_deactivated", `admin account '${row.email}' is deactivated`),
      };
    }
    this.deps.limiter.succeeded(email);
    const opened = await this.open(row, sourceAddress);
    return { ok: true, adminId: row.id, email: row.email, ...opened };
  }

  private async open(
    admin: AdminRow,
    sourceAddress: string,
  ): Promise<{ sessionId: string; token: string; expiresAtMs: number }> {
    const now = this.deps.clock();
    const token = newSecret(SESSION_TOKEN_PREFIX);
    const sessionId = newTimeOrderedId("ses", now);
    const expiresAtMs = now + SESSION_TTL_MS;
    await this.deps.db.write(async (tx) => {
      await tx.run(
        `INSERT INTO admin_sessions (id, admin_id, token_hash, created_at, expires_at, source_address)
         VALUES (?, ?, ?, ?, ?, ?)`,
        [sessionId, admin.id, hashSecret(token), now, expiresAtMs, sourceAddress],
      );
      await tx.run("UPDATE admins SET last_login_at = ? WHERE id = ?", [now, admin.id]);
    });
    return { sessionId, token, expiresAtMs };
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
   * The signed-in admin changes their own password: the current one is checked (and failures
   * count against the login limit), the new one must differ, the reset flag is cleared, and
   * every other session of the admin ends.
   */
  async changeOwnPassword(
    principal: Principal,
    currentPassword: string,
    newPassword: string,
    sourceAddress: string,
  ): Promise<void> {
    const retryAfterSeconds = this.deps.limiter.retryAfterSeconds(principal.email, sourceAddress);
    if (retryAfterSeconds > 0) {
      throw new MdmError(
        "too_many_attempts",
        `too many failed attempts; try again in ${retryAfterSeconds} s`,
        {
          retryAfterSeconds,
        },
      );
    }
    const row = await this.deps.db.get<{ password_hash: string | null }>(
      "SELECT password_hash FROM admins WHERE id = ?",
      [principal.adminId],
    );
    if (!row?.password_hash || !(await verifyPassword(currentPassword, row.password_hash))) {
      this.deps.limiter.failed(principal.email, sourceAddress);
      throw new MdmError("wrong_password", "the current password is wrong", { field: "currentPassword" });
    }
    checkNewPassword(newPassword, "newPassword");
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

  /** Forgets sessions that ended or expired more than a day ago. */
  async prune(): Promise<number> {
    const before = this.deps.clock() - 86_400_000;
    const result = await this.deps.db.write((tx) =>
      tx.run("DELETE FROM admin_sessions WHERE expires_at < ? OR ended_at < ?", [before, before]),
    );
    return result.changes;
  }
}
