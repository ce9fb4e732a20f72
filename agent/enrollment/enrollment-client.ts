/**
 * The device side of enrollment over the server's HTTP API: with a token, or by showing a
 * code that an admin types into the console and polling until it is claimed (RFC 8628 style).
 */
export interface DeviceInfo {
  serial: string;
  model: string;
  agentVersion: string;
}

export interface EnrollmentGrant {
  deviceId: string;
  secret: string;
  mqttUrl: string;
  name: string;
}

export interface DeviceCodeGrant {
  deviceCode: string;
  userCode: string;
  expiresInSeconds: number;
  intervalSeconds: number;
}

/** The server said no, with a stable code (`device_deactivated`, `invalid_enrollment_token`, ...). */
export class EnrollmentRefusedError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus: number,
  ) {
    super(message);
    this.name = "EnrollmentRefusedError";
  }
}

export type PollOutcome = { status: "pending" } | ({ status: "approved" } & EnrollmentGrant);

export class EnrollmentClient {
  constructor(
    readonly serverUrl: string,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  enrollWithToken(token: string, device: DeviceInfo): Promise<EnrollmentGrant> {
    return this.post<EnrollmentGrant>("/api/v1/enrollment/enroll", { token, ...device });
  }

  requestDeviceCode(device: DeviceInfo): Promise<DeviceCodeGrant> {
    return this.post<DeviceCodeGrant>("/api/v1/enrollment/device-codes", device);
  }

  poll(deviceCode: string): Promise<PollOutcome> {
    return this.post<PollOutcome>("/api/v1/enrollment/device-codes/poll", { deviceCode });
  }

  private async post<T>(path: string, body: unknown): Promise<T> {
    const response = await this.fetchImpl(new URL(path, this.serverUrl), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error(`server answered ${response.status} with a non-JSON body`);
    }
    if (!response.ok) {
      const error = (parsed as { error?: { code?: string; message?: string } }).error;
      throw new EnrollmentRefusedError(
        error?.code ?? `http_${response.status}`,
        error?.message ?? `server answered ${response.status}`,
        response.status,
      );
    }
    return parsed as T;
  }
}

/** Sleeps, unless the signal aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export interface DeviceCodeCallbacks {
  /** A code to show on screen; called again when a fresh code replaces an expired one. */
  showCode(grant: DeviceCodeGrant): void;
}

/**
 * Shows a code and polls until it is claimed. Slows down when told to (RFC 8628 §3.5: +5 s),
 * asks for a new code when one expires, and gives up only when the server refuses the device.
 */
export async function enrollWithDeviceCode(
  client: EnrollmentClient,
  device: DeviceInfo,
  callbacks: DeviceCodeCallbacks,
  signal?: AbortSignal,
): Promise<EnrollmentGrant> {
  for (;;) {
    const grant = await client.requestDeviceCode(device);
    callbacks.showCode(grant);
    let intervalMs = grant.intervalSeconds * 1000;
    for (;;) {
      await sleep(intervalMs, signal);
      try {
        const outcome = await client.poll(grant.deviceCode);
        if (outcome.status === "approved") {
          const { status: _status, ...enrollment } = outcome;
          return enrollment;
        }
      } catch (err) {
        if (!(err instanceof EnrollmentRefusedError)) throw err;
        if (err.code === "slow_down") intervalMs += 5000;
        else if (err.code === "device_code_expired" || err.code === "device_code_not_found") break;
        else throw err;
      }
    }
  }
}
