/**
 * Enrollment by admin-issued token (bulk, automated) and by device code (RFC 8628 style: the
 * device shows a short code, an admin types it, the device's poll returns its credential).
 * Device secrets are created when handed out and only their hash is ever stored.
 */
import type { TimeSettings } from "../../proto/wire.js";
import { type CommandService, Consequences } from "../commands/command-service.js";
import type { DeviceService, EnrolledDevice } from "../devices/device-service.js";
import { MdmError } from "../errors.js";
import type { EventBus } from "../events/event-bus.js";
import type { ServerEvents } from "../events/server-events.js";
import { hashSecret, newSecret, newTimeOrderedId } from "../ids.js";
import type { PublishedKeySet } from "../signing/command-signer.js";
import type { Database, SqlValue, WriteContext } from "../store/database.js";
import { isoOrNull } from "../time-format.js";
import { newUserCode, normalizeUserCode } from "./user-code.js";

export interface DeviceIdentityInput {
  serial: string;
  model: string;
  agentVersion: string;
}

export interface Enrollment extends EnrolledDevice {
  mqttUrl: string;
  /** The keys the device pins: it obeys only commands signed by one of them. */
  signingKeys: PublishedKeySet;
}

export interface EnrollmentServiceDeps {
  db: Database;
  devices: DeviceService;
  /** Ends a replaced device's open commands in the claiming transaction. */
  commands: Pick<CommandService, "endForReplacement" | "settle">;
  events: EventBus<ServerEvents>;
  clock: () => number;
  mqttUrl: () => string;
  /** The global time settings, which a newly enrolled device starts with. */
  /** The global date and time settings, read in the given write unit. */
  globalTime: (tx: WriteContext) => Promise<TimeSettings>;
  /** The server's command-signing keys, handed to every enrolling device. */
  signingKeys: () => PublishedKeySet;
  deviceCodeTtlSeconds: number;
  deviceCodePollIntervalSeconds: number;
}

interface TokenRow {
  id: string;
  name: string;
  max_uses: number;
  uses: number;
  expires_at: number;
  created_at: number;
  created_by: string | null;
  last_used_at: number | null;
  revoked_at: number | null;
}

/** An enrollment token as listed: never its secret, which is shown once at creation. */
export interface EnrollmentTokenView {
  id: string;
  name: string;
  maxUses: number;
  uses: number;
  usesLeft: number;
  expiresAt: string;
  createdAt: string;
  createdBy: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  /** usable, used_up, expired or revoked */
  state: "usable" | "used_up" | "expired" | "revoked";
}

export const ENROLLMENT_TOKEN_STATES = ["usable", "used_up", "expired", "revoked"] as const;

interface DeviceCodeRow {
  device_code_hash: string;
  user_code: string;
  serial: string;
  model: string;
  agent_version: string;
  created_at: number;
  expires_at: number;
  last_poll_at: number | null;
  claimed_device_id: string | null;
  consumed_at: number | null;
}

export type PollResult = { status: "pending" } | ({ status: "approved" } & Enrollment);

export class EnrollmentService {
  constructor(private readonly deps: EnrollmentServiceDeps) {}

  // ---- enrollment tokens --------------------------------------------------------------------

  async createToken(
    input: { maxUses: number; expiresInSeconds: number; name?: string },
    createdBy: string | null = null,
  ): Promise<EnrollmentTokenView & { token: string }> {
    const token = newSecret("pet_");
    const now = this.deps.clock();
    const id = newTimeOrderedId("tok", now);
    const expiresAt = now + input.expiresInSeconds * 1000;
    const row = await this.deps.db.write((tx) =>
      tx.get<TokenRow>(
        `INSERT INTO enrollment_tokens (id, token_hash, name, max_uses, expires_at, created_at, created_by)
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *`,
        [id, hashSecret(token), input.name ?? "", input.maxUses, expiresAt, now, createdBy],
      ),
    );
    return { ...this.tokenView(row!), token };
  }

  /** Tokens, newest first; `state` narrows to usable, used up, expired or revoked ones. */
  async listTokens(query: {
    state?: EnrollmentTokenView["state"];
    limit: number;
    cursor: string | null;
  }): Promise<{ items: EnrollmentTokenView[]; nextCursor: string | null }> {
    const now = this.deps.clock();
    const where: string[] = [];
    const params: SqlValue[] = [];
    if (query.cursor) {
      where.push("id < ?");
      params.push(query.cursor);
    }
    const byState: Record<EnrollmentTokenView["state"], string> = {
      revoked: "revoked_at IS NOT NULL",
      expired: "revoked_at IS NULL AND expires_at <= ?",
      used_up: "revoked_at IS NULL AND expires_at > ? AND uses >= max_uses",
      usable: "revoked_at IS NULL AND expires_at > ? AND uses < max_uses",
    };
    if (query.state) {
      where.push(byState[query.state]);
      if (query.state !== "revoked") params.push(now);
    }
    const rows = await this.deps.db.all<TokenRow>(
      `SELECT * FROM enrollment_tokens ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
       ORDER BY id DESC LIMIT ?`,
      [...params, query.limit + 1],
    );
    const page = rows.slice(0, query.limit);
    return {
      items: page.map((r) => this.tokenView(r)),
      nextCursor: rows.length > query.limit ? (page.at(-1)?.id ?? null) : null,
    };
  }

  /** Revokes a token at once: the next enrollment with it is refused. Revoking twice is a no-op. */
  async revokeToken(id: string): Promise<EnrollmentTokenView> {
    const row = await this.deps.db.write(async (tx) => {
      await tx.run("UPDATE enrollment_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", [
        this.deps.clock(),
        id,
      ]);
      return tx.get<TokenRow>("SELECT * FROM enrollment_tokens WHERE id = ?", [id]);
    });
    if (!row) throw new MdmError("enrollment_token_not_found", `enrollment token '${id}' does not exist`);
    return this.tokenView(row);
  }

  private tokenView(row: TokenRow): EnrollmentTokenView {
    const now = this.deps.clock();
    const state =
      row.revoked_at !== null
        ? "revoked"
        : row.expires_at <= now
          ? "expired"
          : row.uses >= row.max_uses
            ? "used_up"
            : "usable";
    return {
      id: row.id,
      name: row.name,
      maxUses: row.max_uses,
      uses: row.uses,
      usesLeft: state === "usable" ? row.max_uses - row.uses : 0,
      expiresAt: new Date(row.expires_at).toISOString(),
      createdAt: new Date(row.created_at).toISOString(),
      createdBy: row.created_by,
      lastUsedAt: isoOrNull(row.last_used_at),
      revokedAt: isoOrNull(row.revoked_at),
      state,
    };
  }

  /**
   * A device enrolls with a token. A serial that belongs to a managed device is refused
   * (`device_already_enrolled`): a token holder must never take over a device's identity. Bad
   * tokens are refused on a read, without taking the store's write lock.
   */
  async enrollWithToken(token: string, device: DeviceIdentityInput): Promise<Enrollment> {
    const hash = hashSecret(token);
    const check = async (reader: Pick<WriteContext, "get">) => {
      const row = await reader.get<TokenRow>("SELECT * FROM enrollment_tokens WHERE token_hash = ?", [hash]);
      const now = this.deps.clock();
      const invalid = (why: string) => new MdmError("invalid_enrollment_token", `enrollment token ${why}`);
      if (!row) throw invalid("is not valid");
      if (row.revoked_at !== null) throw invalid("was revoked");
      if (row.expires_at <= now) throw invalid("has expired");
      if (row.uses >= row.max_uses) throw invalid(`has been used ${row.uses} of ${row.max_uses} times`);
      return row;
    };
    // Refusals on reads first: a flood of bad attempts never takes the store's write lock.
    await check(this.deps.db);
    await this.deps.devices.assertSerialAllowed(this.deps.db, device.serial);
    await this.deps.devices.managedDeviceWithSerial(this.deps.db, device.serial);
    const enrolled = await this.deps.db.write(async (tx) => {
      const row = await check(tx);
      const result = await this.deps.devices.enroll(tx, { ...device, time: await this.deps.globalTime(tx) });
      await tx.run("UPDATE enrollment_tokens SET uses = uses + 1, last_used_at = ? WHERE id = ?", [
        this.deps.clock(),
        row.id,
      ]);
      return result;
    });
    await this.deps.devices.emitUpdated(enrolled.deviceId);
    return {
      deviceId: enrolled.deviceId,
      secret: enrolled.secret,
      name: enrolled.name,
      mqttUrl: this.deps.mqttUrl(),
      signingKeys: this.deps.signingKeys(),
    };
  }

  // ---- device codes -------------------------------------------------------------------------

  async startDeviceCode(device: DeviceIdentityInput) {
    // Refuse at once rather than showing a code that can never be claimed.
    await this.deps.devices.assertSerialAllowed(this.deps.db, device.serial);
    const now = this.deps.clock();
    const deviceCode = newSecret("pdc_");
    const expiresAt = now + this.deps.deviceCodeTtlSeconds * 1000;
    for (let attempt = 0; ; attempt++) {
      const userCode = newUserCode();
      try {
        await this.deps.db.write(async (tx) => {
          // Expired codes free their user code for reuse.
          await tx.run("DELETE FROM device_codes WHERE expires_at <= ?", [now]);
          await tx.run(
            `INSERT INTO device_codes (device_code_hash, user_code, serial, model, agent_version, created_at, expires_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)`,
            [
              hashSecret(deviceCode),
              userCode,
              device.serial,
              device.model,
              device.agentVersion,
              now,
              expiresAt,
            ],
          );
        });
        return {
          deviceCode,
          userCode,
          expiresInSeconds: this.deps.deviceCodeTtlSeconds,
          intervalSeconds: this.deps.deviceCodePollIntervalSeconds,
        };
      } catch (err) {
        // A clash on the unique user code is retried with a new code; anything else is real.
        if (attempt >= 5 || !String((err as { message?: string }).message).includes("UNIQUE")) throw err;
      }
    }
  }

  /**
   * An admin typed the code shown on a device: the device record is created (or restored). When
   * the serial belongs to a managed device, the claim is refused with `device_already_enrolled`
   * (naming the device, and whether it is online) unless `replaceDeviceId` names that device:
   * then the new one takes over its record, and the old one's credential, connection and open
   * commands end. The code stays claimable meanwhile.
   */
  async claim(
    userCodeInput: string,
    options: { replaceDeviceId?: string } = {},
  ): Promise<{ deviceId: string; serial: string; model: string; name: string; replaced: boolean }> {
    const userCode = normalizeUserCode(userCodeInput);
    const notFound = () =>
      new MdmError(
        "device_code_not_found",
        `no device is showing code '${userCodeInput}'; check the code on the screen`,
      );
    if (!userCode) throw notFound();
    const now = this.deps.clock();
    const consequences = new Consequences();
    const claimed = await this.deps.db.write(async (tx) => {
      const row = await tx.get<DeviceCodeRow>("SELECT * FROM device_codes WHERE user_code = ?", [userCode]);
      if (!row) throw notFound();
      if (row.expires_at <= now) {
        throw new MdmError(
          "device_code_expired",
          `code '${userCode}' has expired; the device will show a new one`,
        );
      }
      if (row.claimed_device_id) {
        throw new MdmError("device_code_already_claimed", `code '${userCode}' was already used`);
      }
      const replacing = await this.deps.devices.managedDeviceWithSerial(
        tx,
        row.serial,
        options.replaceDeviceId,
      );
      if (replacing) await this.deps.commands.endForReplacement(tx, replacing.id, consequences);
      // The credential issued here is replaced by the one the device receives when it polls.
      const enrolled = await this.deps.devices.enroll(tx, {
        serial: row.serial,
        model: row.model,
        time: await this.deps.globalTime(tx),
        replacing: replacing?.id,
      });
      await tx.run("UPDATE device_codes SET claimed_device_id = ?, claimed_at = ? WHERE user_code = ?", [
        enrolled.deviceId,
        now,
        userCode,
      ]);
      return {
        deviceId: enrolled.deviceId,
        serial: row.serial,
        model: row.model,
        name: enrolled.name,
        replaced: replacing !== null,
      };
    });
    await this.deps.commands.settle(consequences);
    await this.deps.devices.emitUpdated(claimed.deviceId);
    return claimed;
  }

  async poll(deviceCode: string): Promise<PollResult> {
    const now = this.deps.clock();
    const hash = hashSecret(deviceCode);
    const outcome = await this.deps.db.write(async (tx) => {
      const row = await tx.get<DeviceCodeRow>("SELECT * FROM device_codes WHERE device_code_hash = ?", [
        hash,
      ]);
      if (!row || row.consumed_at !== null) {
        throw new MdmError("device_code_not_found", "unknown device code; request a new one");
      }
      await this.deps.devices.assertSerialAllowed(tx, row.serial);
      if (row.expires_at <= now && !row.claimed_device_id) {
        throw new MdmError("device_code_expired", "device code expired; request a new one");
      }
      // RFC 8628 §3.5: a client polling faster than the interval is told to slow down.
      const intervalMs = this.deps.deviceCodePollIntervalSeconds * 1000;
      if (row.last_poll_at !== null && now - row.last_poll_at < intervalMs * 0.9) {
        throw new MdmError("slow_down", `poll at most every ${this.deps.deviceCodePollIntervalSeconds} s`);
      }
      await tx.run("UPDATE device_codes SET last_poll_at = ? WHERE device_code_hash = ?", [now, hash]);
      if (!row.claimed_device_id) return { status: "pending" as const };
      const secret = newSecret("pds_");
      await tx.run("UPDATE device_credentials SET secret_hash = ?, created_at = ? WHERE device_id = ?", [
        hashSecret(secret),
        now,
        row.claimed_device_id,
      ]);
      await tx.run("UPDATE device_codes SET consumed_at = ? WHERE device_code_hash = ?", [now, hash]);
      const device = await this.deps.devices.getRow(row.claimed_device_id, tx);
      return { status: "approved" as const, deviceId: device.id, secret, name: device.name };
    });
    if (outcome.status === "pending") return outcome;
    return { ...outcome, mqttUrl: this.deps.mqttUrl(), signingKeys: this.deps.signingKeys() };
  }
}
