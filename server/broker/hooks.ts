/**
 * The broker's rules, as aedes hooks. Nothing else decides who may connect, subscribe or
 * publish. Each hook is a plain function of (client, packet) so it can be tested directly.
 */
import type { AedesOptions, AuthErrorCode, AuthenticateError, Client } from "aedes";
import { DEVICE_TO_SERVER, deviceTopic, parseDeviceTopic, SERVER_TO_DEVICE } from "../../proto/topics.js";
import type { Logger } from "../logger.js";
import { RefusalLog } from "../refusal-log.js";
import type { DeviceCredentialVerifier } from "./device-gateway.js";
import type { PublishRateLimiter } from "./publish-rate-limit.js";

const SYS_PREFIX = "$SYS";
/** Client ids and topics come from the client: a log line keeps this much of them. */
const MAX_LOGGED_TEXT = 200;

function clip(text: string): string {
  return text.length > MAX_LOGGED_TEXT ? `${text.slice(0, MAX_LOGGED_TEXT)}…` : text;
}

/** The peer's address: the socket's over TCP and TLS, the upgrade request's over WebSocket. */
function sourceAddress(client: Client): string | undefined {
  const socket = client.req?.socket ?? (client.conn as { remoteAddress?: string } | undefined);
  return socket?.remoteAddress;
}

export type AuthenticateHandler = NonNullable<AedesOptions["authenticate"]>;
export type AuthorizePublishHandler = NonNullable<AedesOptions["authorizePublish"]>;
export type AuthorizeSubscribeHandler = NonNullable<AedesOptions["authorizeSubscribe"]>;

/** CONNACK return codes of MQTT 3.1.1 (§3.2.2.3). */
const CONNACK_BAD_USERNAME_OR_PASSWORD = 4 as AuthErrorCode;
const CONNACK_NOT_AUTHORIZED = 5 as AuthErrorCode;

class ConnectRefused extends Error implements AuthenticateError {
  constructor(
    readonly returnCode: AuthErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "ConnectRefused";
  }
}

/**
 * `refusals` logs each refused CONNECT (rate-limited); `logger` has the failures of the check
 * itself.
 */
export function createAuthenticate(
  verify: DeviceCredentialVerifier,
  logger: Logger,
  refusals = new RefusalLog(logger),
): AuthenticateHandler {
  return (client, username, password, done) => {
    const refuse = (code: AuthErrorCode, reason: string) => {
      refusals.refused(
        "mqtt_connect",
        {
          clientId: clip(client.id),
          ...(username !== undefined && username !== client.id ? { username: clip(username) } : {}),
          sourceAddress: sourceAddress(client),
          credential: password ? "device_secret" : "none",
          reason,
        },
        "MQTT connection refused",
      );
      done(new ConnectRefused(code, reason), false);
    };
    if (!username || !password) return refuse(CONNACK_BAD_USERNAME_OR_PASSWORD, "anonymous");
    // aedes kicks an online client when another CONNECT brings the same id [MQTT-3.1.4-2];
    // binding the id to the credential keeps one device from taking over another's session.
    if (client.id !== username) return refuse(CONNACK_NOT_AUTHORIZED, "client id differs from username");
    verify(username, password.toString("utf8")).then(
      (ok) =>
        ok ? done(null, true) : refuse(CONNACK_BAD_USERNAME_OR_PASSWORD, "wrong or revoked credential"),
      (err: unknown) => {
        logger.error({ err, clientId: client.id }, "credential check failed");
        refuse(CONNACK_NOT_AUTHORIZED, "credential check failed");
      },
    );
  };
}

/** A device subscribes to its own `cmd` and `cfg` topics and nothing else, wildcards included. */
export const authorizeSubscribe: AuthorizeSubscribeHandler = (client, sub, done) => {
  const topic = client ? parseDeviceTopic(sub.topic) : null;
  const allowed =
    client !== null &&
    topic !== null &&
    topic.deviceId === client.id &&
    SERVER_TO_DEVICE.has(topic.channel) &&
    sub.topic === deviceTopic(client.id, topic.channel);
  // A null subscription makes aedes answer 0x80 (failure) for it [MQTT-3.9.3]; the
  // connection stays up so the device learns what it may not do.
  done(null, allowed ? sub : null);
};

/** The rules of {@link authorizeSubscribe}, with each refused topic in the log (rate-limited). */
export function createAuthorizeSubscribe(refusals: RefusalLog): AuthorizeSubscribeHandler {
  return (client, sub, done) => {
    authorizeSubscribe(client, sub, (err, granted) => {
      if (!granted) {
        refusals.refused(
          "mqtt_subscribe",
          {
            clientId: client ? clip(client.id) : null,
            sourceAddress: client ? sourceAddress(client) : undefined,
            topic: clip(sub.topic),
            credential: "device_secret",
            reason: "a device subscribes to its own cmd and cfg topics only",
          },
          "MQTT subscription refused",
        );
      }
      done(err, granted);
    });
  };
}

/**
 * A device publishes to its own `res` and `state` topics, never retained. Anything else is an
 * error, and aedes closes the connection of a client whose publish is refused: a device that
 * writes to someone else's topic is misbehaving, not mistaken. The server's own publishes (no
 * client) are always allowed. Re-adds aedes's default `$SYS` block, which overriding drops.
 */
export const authorizePublish: AuthorizePublishHandler = (client, packet, done) => {
  if (packet.topic.startsWith(SYS_PREFIX)) return done(new Error(`${SYS_PREFIX} topics are reserved`));
  if (!client) return done(null);
  const topic = parseDeviceTopic(packet.topic);
  if (!topic || topic.deviceId !== client.id || !DEVICE_TO_SERVER.has(topic.channel)) {
    return done(new Error(`device '${client.id}' may not publish to '${clip(packet.topic)}'`));
  }
  if (packet.retain) return done(new Error("devices may not publish retained messages"));
  done(null);
};

export class PublishRateExceeded extends Error {
  constructor(deviceId: string, limiter: PublishRateLimiter) {
    const { perSecond, burst } = limiter.limit;
    super(`device '${deviceId}' exceeded its publish rate (${perSecond}/s, burst ${burst})`);
    this.name = "PublishRateExceeded";
  }
}

/**
 * The topic rules of {@link authorizePublish}, then the device's publish budget. A device over
 * its budget is disconnected (aedes closes the connection of a refused publish), with a logged
 * reason: a flood costs the server one token check per message and nothing more, and an agent
 * loses nothing by it, because it sends unacknowledged results again after reconnecting.
 * Both refusals go to `refusals` (rate-limited); the budget's at warn.
 */
export function createAuthorizePublish(
  limiter: PublishRateLimiter,
  logger: Logger,
  refusals = new RefusalLog(logger),
): AuthorizePublishHandler {
  return (client, packet, done) => {
    authorizePublish(client, packet, (err) => {
      const from = client
        ? { clientId: clip(client.id), sourceAddress: sourceAddress(client), credential: "device_secret" }
        : { clientId: null };
      if (err) {
        refusals.refused(
          "mqtt_publish",
          { ...from, topic: clip(packet.topic), reason: err.message },
          "MQTT publish refused",
        );
        return done(err);
      }
      if (!client || limiter.take(client.id)) return done(null);
      const exceeded = new PublishRateExceeded(client.id, limiter);
      refusals.refused(
        "mqtt_publish_rate",
        { ...from, reason: exceeded.message },
        "MQTT client disconnected",
      );
      done(exceeded);
    });
  };
}
