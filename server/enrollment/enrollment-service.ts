/**
 * Enrollment by admin-issued token (bulk, automated) and by device code (RFC 8628 style: the
 * device shows a short code, an admin types it, the device's poll returns its credential).
 * Device secrets are created when handed out and only their hash is ever stored.
 */

import type { TimeSettings } from "../../proto/wire.js";
import { failoverOrder } from "../cluster/failover-order.js";
import { type CommandService, Consequences } from "../commands/command-service.js";
import { type DeviceLabels, normalizeLabel } from "../devices/device-labels.js";
import type { DeviceService, EnrolledDevice } from "../devices/device-service.js";
import { MdmError } from "../errors.js";
import type { EventBus } from "../events/event-bus.js";
import type { ServerEvents } from "../events/server-events.js";
import { hashSecret, newSecret, newTimeOrderedId } from "../ids.js";
import { pageFrom } from "../paging.js";
import type { PublishedKeySet } from "../signing/command-signer.js";
import type { Sites } from "../sites/site-service.js";
import type {
  EnrollmentRepository,
  EnrollmentTokenRecord,
  EnrollmentTokenState,
} from "../store/repositories/enrollment-repository.js";
import type { Queryable, Store } from "../store/store.js";
import { isUniqueViolation } from "../store/unique-violation.js";
import { isoOrNull } from "../time-format.js";
import { newUserCode, normalizeUserCode } from "./user-code.js";

export interface DeviceIdentityInput {
  serial: string;
  model: string;
  agentVersion: string;
}

export interface Enrollment extends EnrolledDevice {
  /** The first of `mqttUrls`, for agents that know one broker URL only. */
  mqttUrl: string;
  /** Every broker URL the device may connect to, preferred first; it fails over along them. */
  mqttUrls: string[];
  /** The keys the device pins: it obeys only commands signed by one of them. */
  signingKeys: PublishedKeySet;
}

export interface EnrollmentServiceDeps {
  store: Store;
  repository: EnrollmentRepository;
  devices: DeviceService;
  /** Gives enrolled devices their token's labels, in the enrolling unit. */
  labels: Pick<DeviceLabels, "addAtEnrollment">;
  /** Puts enrolled devices in their token's (or claim's) site, in the enrolling unit. */
  sites: Pick<Sites, "joinAtEnrollment" | "requireExists">;
  /** Ends a replaced device's open commands in the claiming transaction. */
  commands: Pick<CommandService, "endForReplacement" | "settle">;
  events: EventBus<ServerEvents>;
  clock: () => number;
  /** The broker URLs handed to enrolling devices, preferred first (at least one once the server listens). */
  mqttUrls: () => string[];
  /** The global date and time settings, which a newly enrolled device starts with, read in the unit. */
  globalTime: (tx: Queryable) => Promise<TimeSettings>;
  /** The server's command-signing keys, handed to every enrolling device. */
  signingKeys: () => PublishedKeySet;
  deviceCodeTtlSeconds: number;
  deviceCodePollIntervalSeconds: number;
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
  state: EnrollmentTokenState;
  /** Labels each device it enrolls gets. */
  labels: string[];
  /** The site each device it enrolls joins; null: none. */
  siteId: string | null;
}

export const ENROLLMENT_TOKEN_STATES = ["usable", "used_up", "expired", "revoked"] as const;

export type PollResult = { status: "pending" } | ({ status: "approved" } & Enrollment);

/** How often a new user code is drawn when the one drawn is taken. */
const USER_CODE_ATTEMPTS = 6;

export class EnrollmentService {
  constructor(private readonly deps: EnrollmentServiceDeps) {}

  private get repo(): EnrollmentRepository {
    return this.deps.repository;
  }

  // ---- enrollment tokens --------------------------------------------------------------------

  async createToken(
    input: {
      maxUses: number;
      expiresInSeconds: number;
      name?: string;
      labels?: readonly string[];
      siteId?: string | null;
    },
    createdBy: string | null = null,
  ): Promise<EnrollmentTokenView & { token: string }> {
    const labels = [...new Set((input.labels ?? []).map((l) => normalizeLabel(l, "labels")))];
    const siteId = input.siteId ?? null;
    const token = newSecret("pet_");
    const now = this.deps.clock();
    const record = await this.deps.store.unit(async (tx) => {
      if (siteId !== null) await this.deps.sites.requireExists(siteId, tx);
      return this.repo.insertToken(tx, {
        id: newTimeOrderedId("tok", now),
        tokenHash: hashSecret(token),
        name: input.name ?? "",
        maxUses: input.maxUses,
        expiresAtMs: now + input.expiresInSeconds * 1000,
        createdAtMs: now,
        createdBy,
        labels,
        siteId,
      });
    });
    return { ...this.tokenView(record), token };
  }

  /** Tokens, newest first; `state` narrows to usable, used up, expired or revoked ones. */
  async listTokens(query: {
    state?: EnrollmentTokenState;
    limit: number;
    cursor: string | null;
  }): Promise<{ items: EnrollmentTokenView[]; nextCursor: string | null }> {
    const records = await this.repo.listTokens(this.deps.store.db, {
      ...query,
      nowMs: this.deps.clock(),
      limit: query.limit + 1,
    });
    return pageFrom(
      records,
      query.limit,
      (r) => r.id,
      (r) => this.tokenView(r),
    );
  }

  /** Revokes a token at once: the next enrollment with it is refused. Revoking twice is a no-op. */
  async revokeToken(id: string): Promise<EnrollmentTokenView> {
    const record = await this.deps.store.unit(async (tx) => {
      await this.repo.revokeToken(tx, id, this.deps.clock());
      return this.repo.tokenById(tx, id);
    });
    if (!record) throw new MdmError("enrollment_token_not_found", `enrollment token '${id}' does not exist`);
    return this.tokenView(record);
  }

  private tokenState(record: EnrollmentTokenRecord): EnrollmentTokenState {
    if (record.revokedAtMs !== null) return "revoked";
    if (record.expiresAtMs <= this.deps.clock()) return "expired";
    return record.uses >= record.maxUses ? "used_up" : "usable";
  }

  private tokenView(record: EnrollmentTokenRecord): EnrollmentTokenView {
    const state = this.tokenState(record);
    return {
      id: record.id,
      name: record.name,
      maxUses: record.maxUses,
      uses: record.uses,
      usesLeft: state === "usable" ? record.maxUses - record.uses : 0,
      expiresAt: new Date(record.expiresAtMs).toISOString(),
      createdAt: new Date(record.createdAtMs).toISOString(),
      createdBy: record.createdBy,
      lastUsedAt: isoOrNull(record.lastUsedAtMs),
      revokedAt: isoOrNull(record.revokedAtMs),
      state,
      labels: record.labels,
      siteId: record.siteId,
    };
  }

  /** The token's record if it can enroll a device now; otherwise the refusal says why. */
  private async usableToken(q: Queryable, tokenHash: string): Promise<EnrollmentTokenRecord> {
    const record = await this.repo.tokenByHash(q, tokenHash);
    const invalid = (why: string) => new MdmError("invalid_enrollment_token", `enrollment token ${why}`);
    if (!record) throw invalid("is not valid");
    switch (this.tokenState(record)) {
      case "revoked":
        throw invalid("was revoked");
      case "expired":
        throw invalid("has expired");
      case "used_up":
        throw invalid(`has been used ${record.uses} of ${record.maxUses} times`);
      case "usable":
        return record;
    }
  }

  /**
   * A device enrolls with a token. A serial that belongs to a managed device is refused
   * (`device_already_enrolled`): a token holder must never take over a device's identity. Bad
   * tokens are refused on a read, without taking the store's write lock.
   */
  async enrollWithToken(token: string, device: DeviceIdentityInput): Promise<Enrollment> {
    const tokenHash = hashSecret(token);
    // Refusals on reads first: a flood of bad attempts never takes the store's write lock.
    await this.usableToken(this.deps.store.db, tokenHash);
    await this.deps.devices.assertSerialAllowed(this.deps.store.db, device.serial);
    await this.deps.devices.managedDeviceWithSerial(this.deps.store.db, device.serial);
    const enrolled = await this.deps.store.unit(async (tx) => {
      const record = await this.usableToken(tx, tokenHash);
      const enrolled = await this.deps.devices.enroll(tx, {
        ...device,
        time: await this.deps.globalTime(tx),
      });
      await this.deps.labels.addAtEnrollment(tx, enrolled.deviceId, record.labels);
      await this.deps.sites.joinAtEnrollment(tx, enrolled.deviceId, record.siteId);
      // Counted in place and only while usable: two servers cannot both take its last use. Taken
      // last, so that the token's row stays locked only until the commit right after (devices
      // enrolling on one token take turns on that row); a refusal rolls the enrollment back.
      if (!(await this.repo.takeTokenUse(tx, record.id, this.deps.clock()))) {
        throw new MdmError("invalid_enrollment_token", "enrollment token has no use left");
      }
      return enrolled;
    });
    await this.deps.devices.afterCommit(enrolled.deviceId);
    return {
      deviceId: enrolled.deviceId,
      secret: enrolled.secret,
      name: enrolled.name,
      ...this.brokerUrls(enrolled.deviceId),
      signingKeys: this.deps.signingKeys(),
    };
  }

  // ---- device codes -------------------------------------------------------------------------

  async startDeviceCode(device: DeviceIdentityInput) {
    // Refuse at once rather than showing a code that can never be claimed.
    await this.deps.devices.assertSerialAllowed(this.deps.store.db, device.serial);
    const now = this.deps.clock();
    const deviceCode = newSecret("pdc_");
    const expiresAt = now + this.deps.deviceCodeTtlSeconds * 1000;
    for (let attempt = 1; ; attempt++) {
      const userCode = newUserCode();
      try {
        await this.deps.store.unit(async (tx) => {
          await this.repo.deleteExpiredCodes(tx, now);
          await this.repo.insertCode(tx, {
            deviceCodeHash: hashSecret(deviceCode),
            userCode,
            serial: device.serial,
            model: device.model,
            agentVersion: device.agentVersion,
            createdAtMs: now,
            expiresAtMs: expiresAt,
          });
        });
        return {
          deviceCode,
          userCode,
          expiresInSeconds: this.deps.deviceCodeTtlSeconds,
          intervalSeconds: this.deps.deviceCodePollIntervalSeconds,
        };
      } catch (err) {
        // A user code that is taken is drawn again; anything else is real.
        if (attempt >= USER_CODE_ATTEMPTS || !isUniqueViolation(err)) throw err;
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
    options: { replaceDeviceId?: string; siteId?: string } = {},
  ): Promise<{ deviceId: string; serial: string; model: string; name: string; replaced: boolean }> {
    const userCode = normalizeUserCode(userCodeInput);
    const notFound = () =>
      new MdmError(
        "device_code_not_found",
        `no device is showing code '${userCodeInput}'; check the code on the screen`,
      );
    if (!userCode) throw notFound();
    const now = this.deps.clock();
    const alreadyClaimed = () =>
      new MdmError("device_code_already_claimed", `code '${userCode}' was already used`);
    const consequences = new Consequences();
    const claimed = await this.deps.store.unit(async (tx) => {
      const code = await this.repo.codeByUserCode(tx, userCode);
      if (!code) throw notFound();
      if (code.expiresAtMs <= now) {
        throw new MdmError(
          "device_code_expired",
          `code '${userCode}' has expired; the device will show a new one`,
        );
      }
      if (code.claimedDeviceId) throw alreadyClaimed();
      const replacing = await this.deps.devices.managedDeviceWithSerial(
        tx,
        code.serial,
        options.replaceDeviceId,
      );
      if (replacing) await this.deps.commands.endForReplacement(tx, replacing.id, consequences);
      // The credential issued here is replaced by the one the device receives when it polls.
      const enrolled = await this.deps.devices.enroll(tx, {
        serial: code.serial,
        model: code.model,
        time: await this.deps.globalTime(tx),
        replacing: replacing?.id,
      });
      if (options.siteId !== undefined) {
        await this.deps.sites.requireExists(options.siteId, tx);
        await this.deps.sites.joinAtEnrollment(tx, enrolled.deviceId, options.siteId);
      }
      if (!(await this.repo.markClaimed(tx, userCode, enrolled.deviceId, now))) throw alreadyClaimed();
      return {
        deviceId: enrolled.deviceId,
        serial: code.serial,
        model: code.model,
        name: enrolled.name,
        replaced: replacing !== null,
      };
    });
    await this.deps.commands.settle(consequences);
    await this.deps.devices.afterCommit(claimed.deviceId);
    return claimed;
  }

  async poll(deviceCode: string): Promise<PollResult> {
    const now = this.deps.clock();
    const hash = hashSecret(deviceCode);
    const outcome = await this.deps.store.unit(async (tx) => {
      const code = await this.repo.codeByHash(tx, hash);
      const gone = () => new MdmError("device_code_not_found", "unknown device code; request a new one");
      if (!code || code.consumedAtMs !== null) throw gone();
      await this.deps.devices.assertSerialAllowed(tx, code.serial);
      if (code.expiresAtMs <= now && !code.claimedDeviceId) {
        throw new MdmError("device_code_expired", "device code expired; request a new one");
      }
      // RFC 8628 §3.5: a client polling faster than the interval is told to slow down.
      const intervalMs = this.deps.deviceCodePollIntervalSeconds * 1000;
      if (code.lastPollAtMs !== null && now - code.lastPollAtMs < intervalMs * 0.9) {
        throw new MdmError("slow_down", `poll at most every ${this.deps.deviceCodePollIntervalSeconds} s`);
      }
      await this.repo.markPolled(tx, hash, now);
      if (!code.claimedDeviceId) return { status: "pending" as const };
      // Only one poll hands out the credential, however many arrive at once.
      if (!(await this.repo.markConsumed(tx, hash, now))) throw gone();
      const secret = await this.deps.devices.renewSecret(tx, code.claimedDeviceId);
      const device = await this.deps.devices.getRow(code.claimedDeviceId, tx);
      return { status: "approved" as const, deviceId: device.id, secret, name: device.name };
    });
    if (outcome.status === "pending") return outcome;
    return { ...outcome, ...this.brokerUrls(outcome.deviceId), signingKeys: this.deps.signingKeys() };
  }

  /** Where the enrolled device connects: the whole list, and its first URL for older agents. */
  private brokerUrls(deviceId: string): Pick<Enrollment, "mqttUrl" | "mqttUrls"> {
    const mqttUrls = failoverOrder(this.deps.mqttUrls(), deviceId);
    return { mqttUrl: mqttUrls[0] ?? "", mqttUrls };
  }
}
