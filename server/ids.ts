import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** `dev_7f3a…`: random, 64 bits, safe as an MQTT client id and a topic level. */
export function newDeviceId(): string {
  return `dev_${randomBytes(8).toString("hex")}`;
}

/**
 * Time-ordered ids (`cmd_`, `bat_`, …): 48-bit millisecond time then 64 random bits, hex,
 * so that sorting by id sorts by creation time.
 */
export function newTimeOrderedId(prefix: string, nowMs: number = Date.now()): string {
  return `${prefix}_${nowMs.toString(16).padStart(12, "0")}${randomBytes(8).toString("hex")}`;
}

/** 256-bit secret for device credentials, API and enrollment tokens. */
export function newSecret(prefix = ""): string {
  return `${prefix}${randomBytes(32).toString("base64url")}`;
}

/**
 * Device secrets and tokens are 256-bit random values, so a fast hash is enough: there is
 * nothing to brute-force, and a reconnect storm of thousands of devices stays cheap.
 */
export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

export function secretMatchesHash(secret: string, expectedHashHex: string): boolean {
  const actual = Buffer.from(hashSecret(secret), "hex");
  const expected = Buffer.from(expectedHashHex, "hex");
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
