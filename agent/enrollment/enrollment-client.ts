import { type Dispatcher, fetch as undiciFetch } from "undici";
import { checkBrokerUrls } from "../../proto/broker-urls.js";
import { ED25519_PUBLIC_KEY_BYTES } from "../../proto/ed25519.js";
import type { PinnedKeys } from "../storage/agent-storage.js";

/**
 * The device side of the server's enrollment API. Answers are checked here, at the edge, so
 * the rest of the agent sees typed values; errors come back as `{error: {code, message}}`.
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
  /** The broker URLs to try, preferred first: the answer's `mqttUrls`, or `mqttUrl` alone from a server without them. */
  mqttUrls: string[];
  name: string;
  /** The server's command-signing keys, to pin. */
  signingKeys: PinnedKeys;
}

export interface DeviceCodeGrant {
  deviceCode: string;
  /** What the screen shows and an admin types in, e.g. `ABCD-EFGH`. */
  userCode: string;
  expiresInSeconds: number;
  intervalSeconds: number;
}

export type PollOutcome = { status: "pending" } | ({ status: "approved" } & EnrollmentGrant);

/**
 * The server answered with an error code (`device_deactivated`, `invalid_enrollment_token`,
 * `slow_down`, `device_code_expired`, ...). Act on `code`, never on the message.
 */
export class EnrollmentRefusedError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus: number,
    /** How long the server asked to wait (`Retry-After`), when it said. */
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
    this.name = "EnrollmentRefusedError";
  }
}

/** The server could not be reached or failed (network, timeout, 5xx): worth trying again. */
export class EnrollmentUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "EnrollmentUnavailableError";
  }
}

/** Worth another attempt later: the server was unreachable, failing, or asked to wait. */
export function isRetryableEnrollmentError(err: unknown): boolean {
  if (err instanceof EnrollmentUnavailableError) return true;
  return err instanceof EnrollmentRefusedError && (err.httpStatus === 408 || err.httpStatus === 429);
}

export interface EnrollmentClientOptions {
  /** Default 15 000. */
  requestTimeoutMs?: number;
  /** Replaces global fetch. */
  fetch?: typeof fetch;
  /**
   * How connections are made and kept (undici): TLS trust, keep-alive. Default: Node's shared
   * pool, which keeps idle connections open for reuse.
   */
  dispatcher?: Dispatcher;
}

export class EnrollmentClient {
  constructor(
    readonly serverUrl: string,
    private readonly options: EnrollmentClientOptions = {},
  ) {}

  async enrollWithToken(token: string, device: DeviceInfo, signal?: AbortSignal): Promise<EnrollmentGrant> {
    return parseGrant(await this.post("/api/v1/enrollment/enroll", { token, ...device }, signal));
  }

  async requestDeviceCode(device: DeviceInfo, signal?: AbortSignal): Promise<DeviceCodeGrant> {
    const body = await this.post("/api/v1/enrollment/device-codes", device, signal);
    return {
      deviceCode: field(body, "deviceCode", "string"),
      userCode: field(body, "userCode", "string"),
      expiresInSeconds: field(body, "expiresInSeconds", "number"),
      intervalSeconds: field(body, "intervalSeconds", "number"),
    };
  }

  async poll(deviceCode: string, signal?: AbortSignal): Promise<PollOutcome> {
    const body = await this.post("/api/v1/enrollment/device-codes/poll", { deviceCode }, signal);
    const status = field(body, "status", "string");
    if (status === "pending") return { status };
    if (status === "approved") return { status, ...parseGrant(body) };
    throw new EnrollmentUnavailableError(`unexpected poll status '${status}'`);
  }

  private async post(path: string, body: unknown, signal?: AbortSignal): Promise<Record<string, unknown>> {
    const url = new URL(path, this.serverUrl);
    const timeout = AbortSignal.timeout(this.options.requestTimeoutMs ?? 15_000);
    const request = {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    };
    const { fetch: fetchImpl, dispatcher } = this.options;
    let response: Pick<Response, "ok" | "status" | "text" | "headers">;
    let text: string;
    try {
      response = fetchImpl
        ? await fetchImpl(url, request)
        : dispatcher
          ? await undiciFetch(url, { ...request, dispatcher })
          : await fetch(url, request);
      text = await response.text();
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      const reason =
        err instanceof Error ? (err.cause instanceof Error ? err.cause : err).message : String(err);
      throw new EnrollmentUnavailableError(`cannot reach ${url.origin}: ${reason}`, { cause: err });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new EnrollmentUnavailableError(`${url.origin} answered ${response.status} without JSON`);
    }
    if (response.ok) {
      if (typeof parsed !== "object" || parsed === null) {
        throw new EnrollmentUnavailableError(`${url.origin} answered with a JSON ${typeof parsed}`);
      }
      return parsed as Record<string, unknown>;
    }
    const error = (parsed as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    const code = typeof error?.code === "string" ? error.code : `http_${response.status}`;
    const message = typeof error?.message === "string" ? error.message : `server answered ${response.status}`;
    if (response.status >= 500) throw new EnrollmentUnavailableError(`${code}: ${message}`);
    throw new EnrollmentRefusedError(code, message, response.status, retryAfterMs(response.headers));
  }
}

/** `Retry-After` in seconds (the server never sends an HTTP date), capped at an hour. */
function retryAfterMs(headers: Pick<Headers, "get"> | undefined): number | null {
  const seconds = Number(headers?.get("retry-after") ?? Number.NaN);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds, 3600) * 1000 : null;
}

function field<T extends "string" | "number">(
  body: Record<string, unknown>,
  name: string,
  type: T,
): T extends "string" ? string : number {
  const value = body[name];
  if (typeof value !== type) {
    throw new EnrollmentUnavailableError(`the server's answer has no ${type} '${name}'`);
  }
  return value as T extends "string" ? string : number;
}

function parseGrant(body: Record<string, unknown>): EnrollmentGrant {
  const mqttUrl = field(body, "mqttUrl", "string");
  return {
    deviceId: field(body, "deviceId", "string"),
    secret: field(body, "secret", "string"),
    mqttUrl,
    mqttUrls: parseMqttUrls(body.mqttUrls ?? [mqttUrl]),
    name: typeof body.name === "string" ? body.name : "",
    signingKeys: parseSigningKeys(body.signingKeys),
  };
}

/**
 * Only broker URLs (see proto/broker-urls.ts): an answer that would send the device anywhere
 * else is treated like a failing server, as one without keys is.
 */
function parseMqttUrls(value: unknown): string[] {
  const checked = checkBrokerUrls(value);
  if (!checked.ok)
    throw new EnrollmentUnavailableError(`the server's answer has no valid 'mqttUrls': ${checked.reason}`);
  return checked.urls;
}

/** At least one Ed25519 public key (32 bytes in base64), each with an id. */
function parseSigningKeys(value: unknown): PinnedKeys {
  const invalid = () => new EnrollmentUnavailableError("the server's answer has no valid 'signingKeys'");
  const set = value as { version?: unknown; keys?: unknown } | null;
  if (typeof set !== "object" || set === null) throw invalid();
  if (!Number.isInteger(set.version) || !Array.isArray(set.keys) || set.keys.length === 0) throw invalid();
  const keys = set.keys.map((entry: unknown) => {
    const key = entry as { keyId?: unknown; publicKey?: unknown } | null;
    if (typeof key?.keyId !== "string" || !key.keyId || typeof key.publicKey !== "string") throw invalid();
    if (Buffer.from(key.publicKey, "base64").length !== ED25519_PUBLIC_KEY_BYTES) throw invalid();
    return { keyId: key.keyId, publicKey: key.publicKey };
  });
  return { version: set.version as number, keys };
}
