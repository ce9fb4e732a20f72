/**
 * Enrollment as a device goes through it: by token, or by showing a code that an admin types
 * into the console while the device polls (RFC 8628 style). A server that is down or failing
 * is waited out; only a refusal (bad token, deactivated serial, ...) ends the attempt.
 */
import { setTimeout as delay } from "node:timers/promises";
import {
  type DeviceCodeGrant,
  type DeviceInfo,
  type EnrollmentClient,
  type EnrollmentGrant,
  EnrollmentRefusedError,
  EnrollmentUnavailableError,
  isRetryableEnrollmentError,
} from "./enrollment-client.js";

/** Waits `ms`; rejects with the signal's reason when it aborts first. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const realSleep: Sleep = async (ms, signal) => {
  try {
    await delay(ms, undefined, { signal });
  } catch (err) {
    throw signal?.aborted ? signal.reason : err;
  }
};

/** RFC 8628 §3.5: on `slow_down` the interval grows by 5 seconds for the rest of this code. */
export const SLOW_DOWN_STEP_MS = 5000;

export interface EnrollOptions {
  signal?: AbortSignal;
  sleep?: Sleep;
  /** Wall clock, ms; tells when a shown code has expired. Default Date.now. */
  now?: () => number;
  /** First wait after the server was unreachable; doubles up to maxRetryDelayMs. Default 1000. */
  retryDelayMs?: number;
  /** Default 60 000. */
  maxRetryDelayMs?: number;
  /** Called before each wait for an unreachable or failing server. */
  onUnavailable?: (err: Error, retryInMs: number) => void;
}

/** Runs `attempt` until it succeeds or fails for a reason other than an unavailable server. */
export async function retryWhileUnavailable<T>(
  attempt: () => Promise<T>,
  options: EnrollOptions,
): Promise<T> {
  const sleep = options.sleep ?? realSleep;
  const firstDelayMs = options.retryDelayMs ?? 1000;
  let delayMs = firstDelayMs;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (options.signal?.aborted || !isRetryableEnrollmentError(err)) throw err;
      // A server that says how long to wait (429 with Retry-After) is taken at its word.
      const waitMs = Math.max(delayMs, (err instanceof EnrollmentRefusedError && err.retryAfterMs) || 0);
      options.onUnavailable?.(err as Error, waitMs);
      await sleep(waitMs, options.signal);
      delayMs = Math.min(options.maxRetryDelayMs ?? 60_000, delayMs * 2);
    }
  }
}

export function enrollWithToken(
  client: EnrollmentClient,
  token: string,
  device: DeviceInfo,
  options: EnrollOptions = {},
): Promise<EnrollmentGrant> {
  return retryWhileUnavailable(() => client.enrollWithToken(token, device, options.signal), options);
}

/**
 * Shows a code and polls until an admin claims it. Slows down when told to, asks for a new
 * code when one expires, keeps polling through server outages, and gives up only when the
 * server refuses the device (e.g. `device_deactivated`), by throwing EnrollmentRefusedError.
 */
export async function enrollWithDeviceCode(
  client: EnrollmentClient,
  device: DeviceInfo,
  showCode: (grant: DeviceCodeGrant) => void,
  options: EnrollOptions = {},
): Promise<EnrollmentGrant> {
  const sleep = options.sleep ?? realSleep;
  const now = options.now ?? Date.now;
  for (;;) {
    const grant = await retryWhileUnavailable(
      () => client.requestDeviceCode(device, options.signal),
      options,
    );
    showCode(grant);
    const expiresAtMs = now() + grant.expiresInSeconds * 1000;
    let intervalMs = grant.intervalSeconds * 1000;
    for (;;) {
      await sleep(intervalMs, options.signal);
      // A code that expired while the device waited can no longer be claimed: show a new one.
      if (now() >= expiresAtMs) break;
      let outcome: Awaited<ReturnType<EnrollmentClient["poll"]>>;
      try {
        outcome = await client.poll(grant.deviceCode, options.signal);
      } catch (err) {
        if (options.signal?.aborted) throw err;
        if (err instanceof EnrollmentRefusedError && err.code === "slow_down") {
          intervalMs += SLOW_DOWN_STEP_MS;
          continue;
        }
        if (err instanceof EnrollmentRefusedError && CODE_GONE.has(err.code)) break;
        if (err instanceof EnrollmentRefusedError && err.code === "rate_limited") {
          // Too many requests from this address (many devices behind one NAT): wait as told.
          options.onUnavailable?.(err, err.retryAfterMs ?? intervalMs);
          await sleep(Math.max(0, (err.retryAfterMs ?? intervalMs) - intervalMs), options.signal);
          continue;
        }
        if (err instanceof EnrollmentUnavailableError) {
          options.onUnavailable?.(err, intervalMs);
          continue;
        }
        throw err;
      }
      if (outcome.status === "approved") {
        const { status: _approved, ...enrollment } = outcome;
        return enrollment;
      }
    }
  }
}

/** The code can no longer be claimed; a new one is needed. */
const CODE_GONE: ReadonlySet<string> = new Set(["device_code_expired", "device_code_not_found"]);
