/**
 * The embedded aedes broker, as the server's DeviceGateway. MQTT over TCP on its own port, over
 * TLS on another (when a certificate is configured), and over WebSocket at `/mqtt` on the HTTP
 * port. Device messages are decoded here, at the edge; services only ever see typed objects.
 */

import type { IncomingMessage } from "node:http";
import { createServer, type Server, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { createServer as createTlsServer } from "node:tls";
import { Aedes, type AedesPublishPacket, type Client } from "aedes";
import { createWebSocketStream, WebSocketServer } from "ws";
import {
  decodeCommandResult,
  decodeDeviceState,
  encodeCommandBody,
  encodeDesiredConfig,
  encodeSignedCommand,
  WireDecodeError,
} from "../../proto/codec.js";
import { deviceTopic, parseDeviceTopic } from "../../proto/topics.js";
import type { DesiredConfig, DeviceCommand } from "../../proto/wire.js";
import type { Logger } from "../logger.js";
import { RefusalLog } from "../refusal-log.js";
import type { CommandSigner } from "../signing/command-signer.js";
import type { DeviceCredentialVerifier, DeviceEventHandler, DeviceGateway } from "./device-gateway.js";
import { createAuthenticate, createAuthorizePublish, createAuthorizeSubscribe } from "./hooks.js";
import { guardPacketSize } from "./packet-size-guard.js";
import { type PublishRateLimit, PublishRateLimiter } from "./publish-rate-limit.js";

/** How often the publish budgets of devices that have been quiet long enough are forgotten. */
const RATE_LIMIT_PRUNE_INTERVAL_MS = 60_000;

/**
 * Pending connections the kernel queues for the MQTT port (it caps this at
 * net.core.somaxconn). Node's default, 511, overflows when a fleet reconnects at once: dropped
 * SYNs are retried after 1, 3, 7, 15... seconds, which stretched a 19 900-device reconnect
 * storm to over a minute.
 */
const MQTT_LISTEN_BACKLOG = 8192;

export interface EmbeddedBrokerOptions {
  /** Bind address of the MQTT TCP listener. Default "0.0.0.0". */
  host?: string;
  /** MQTT TCP port; 0 picks a free one. Default 1883. */
  mqttPort?: number;
  /** Plain MQTT on `mqttPort`. Default true. */
  plainMqtt?: boolean;
  /** MQTT over TLS on its own port (0 picks a free one), with this certificate and key (PEM). */
  tls?: { cert: Buffer; key: Buffer; port: number };
  /** Largest packet accepted from a client, bytes; larger closes that connection. Default 64 KiB. */
  maxPacketSizeBytes?: number;
  /** A socket that has not sent CONNECT within this time is closed. Default 10 000 ms. */
  connectTimeoutMs?: number;
  /**
   * Topic depth cap (1–100). Device topics have 5 levels; a little headroom lets aedes answer
   * a deeper topic with a clean refusal. Default 8.
   */
  maxTopicLevels?: number;
  /**
   * mqemitter concurrency: how many messages aedes routes at once. The default of 100 stalls
   * fan-out to thousands of devices. Default 10 000.
   */
  concurrency?: number;
  /** A client that has not drained its socket within this time is dropped. Default 10 000 ms. */
  drainTimeoutMs?: number;
  /**
   * Bytes that may wait in a client's output buffer (written by the server, not yet taken by
   * the network). A device over it when the server publishes to it is reading too slowly and
   * is dropped; it gets everything again when it reconnects. Default 1 MiB.
   */
  maxQueuedBytesPerClient?: number;
  /** Per-device publish budget; a device over it is disconnected. Default 50/s, burst 200. */
  publishRate?: PublishRateLimit;
  logger: Logger;
  verifyCredential: DeviceCredentialVerifier;
  /**
   * Signs every command's bytes and adds the signed key set to every desired config. When
   * absent, envelopes carry no signature (and devices reject them).
   */
  signer?: Pick<CommandSigner, "sign" | "signedKeySet">;
}

export interface EmbeddedBroker extends DeviceGateway {
  /** The plain MQTT port; 0 when plain MQTT is off. */
  readonly mqttPort: number;
  /** The MQTT over TLS port; null without TLS. */
  readonly mqttTlsPort: number | null;
  /** Serves MQTT over WebSocket for an HTTP upgrade request (the HTTP server routes `/mqtt` here). */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  stats(): { connectedClients: number; onlineDevices: number };
  close(): Promise<void>;
}

export async function createEmbeddedBroker(
  options: EmbeddedBrokerOptions,
  handler: DeviceEventHandler,
): Promise<EmbeddedBroker> {
  const logger = options.logger;
  const maxPacketSizeBytes = options.maxPacketSizeBytes ?? 64 * 1024;
  const maxQueuedBytesPerClient = options.maxQueuedBytesPerClient ?? 1024 * 1024;
  const publishRateLimiter = new PublishRateLimiter(options.publishRate ?? { perSecond: 50, burst: 200 });
  const pruneRateLimits = setInterval(() => publishRateLimiter.prune(), RATE_LIMIT_PRUNE_INTERVAL_MS);
  pruneRateLimits.unref();
  const refusals = new RefusalLog(logger);
  /** The live client of each device; a reconnect replaces it. */
  const clientByDevice = new Map<string, Client>();
  /** Which of its two inbound topics each client has subscribed to: publishes go only there. */
  const subscribedByClient = new WeakMap<Client, { cmd: boolean; cfg: boolean }>();

  const call = (what: string, deviceId: string, fn: () => void | Promise<void>) => {
    try {
      const result = fn();
      if (result instanceof Promise) {
        result.catch((err: unknown) => logger.error({ err, deviceId }, `${what} handler failed`));
      }
    } catch (err) {
      logger.error({ err, deviceId }, `${what} handler failed`);
    }
  };

  const aedes = await Aedes.createBroker({
    concurrency: options.concurrency ?? 10_000,
    connectTimeout: options.connectTimeoutMs ?? 10_000,
    drainTimeout: options.drainTimeoutMs ?? 10_000,
    maxTopicLevels: options.maxTopicLevels ?? 8,
    authenticate: createAuthenticate(options.verifyCredential, logger, refusals),
    authorizeSubscribe: createAuthorizeSubscribe(refusals),
    authorizePublish: createAuthorizePublish(publishRateLimiter, logger, refusals),
    published(packet: AedesPublishPacket, client: Client | null, done: (err?: Error | null) => void) {
      // Only device publishes reach here with a client; the server's own have none.
      if (client) onDeviceMessage(client.id, packet);
      done(null);
    },
  });

  function onDeviceMessage(deviceId: string, packet: AedesPublishPacket): void {
    const topic = parseDeviceTopic(packet.topic);
    if (!topic) return;
    const payload = packet.payload as Buffer;
    try {
      if (topic.channel === "res") {
        const result = decodeCommandResult(payload);
        call("commandResult", deviceId, () => handler.commandResult(deviceId, result));
      } else if (topic.channel === "state") {
        const state = decodeDeviceState(payload);
        call("deviceState", deviceId, () => handler.deviceState(deviceId, state));
      }
    } catch (err) {
      if (!(err instanceof WireDecodeError)) throw err;
      logger.warn(
        { deviceId, topic: packet.topic, bytes: payload.length, reason: err.message },
        "dropped malformed message",
      );
    }
  }

  aedes.on("client", (client) => {
    clientByDevice.set(client.id, client);
  });
  // The hooks only let a device subscribe to its own cmd and cfg, so every granted
  // subscription here is one of those two. The device can receive once it has both.
  aedes.on("subscribe", (subscriptions, client) => {
    if (!client) return;
    const subscribed = subscribedByClient.get(client) ?? { cmd: false, cfg: false };
    const wasReady = subscribed.cmd && subscribed.cfg;
    for (const sub of subscriptions) {
      const topic = parseDeviceTopic(sub.topic);
      if (topic?.deviceId === client.id && (topic.channel === "cmd" || topic.channel === "cfg")) {
        subscribed[topic.channel] = true;
      }
    }
    subscribedByClient.set(client, subscribed);
    if (!wasReady && subscribed.cmd && subscribed.cfg) {
      call("deviceReady", client.id, () => handler.deviceReady(client.id));
    }
  });
  aedes.on("unsubscribe", (topics, client) => {
    const subscribed = client ? subscribedByClient.get(client) : undefined;
    if (!client || !subscribed) return;
    const wasReady = subscribed.cmd && subscribed.cfg;
    for (const t of topics) {
      const topic = parseDeviceTopic(t);
      if (topic?.deviceId === client.id && (topic.channel === "cmd" || topic.channel === "cfg")) {
        subscribed[topic.channel] = false;
      }
    }
    // Commands must not be marked sent to a device that no longer listens; it is ready again,
    // and gets everything open, once it subscribes again.
    if (wasReady && clientByDevice.get(client.id) === client) {
      call("deviceNotListening", client.id, () => handler.deviceNotListening(client.id));
    }
  });
  aedes.on("clientDisconnect", (client) => {
    // A device that reconnected has a new client already; the old one leaving is no news.
    if (clientByDevice.get(client.id) !== client) return;
    clientByDevice.delete(client.id);
    call("deviceOffline", client.id, () => handler.deviceOffline(client.id));
  });
  aedes.on("clientError", (client, err) => {
    logger.debug({ clientId: client.id, err: err.message }, "MQTT client error");
  });
  aedes.on("connectionError", (client, err) => {
    logger.debug({ clientId: client.id, err: err.message }, "MQTT connection error");
  });

  const handleConnection = (stream: Duplex | Socket, request?: IncomingMessage) => {
    const client = aedes.handle(stream, request);
    guardPacketSize(client, maxPacketSizeBytes);
  };

  const listeners: Server[] = [];
  const listen = async (server: Server, port: number): Promise<number> => {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ port, host: options.host ?? "0.0.0.0", backlog: MQTT_LISTEN_BACKLOG }, () => {
        server.off("error", reject);
        resolve();
      });
    });
    listeners.push(server);
    const address = server.address();
    return typeof address === "object" && address ? address.port : 0;
  };
  const mqttPort =
    options.plainMqtt === false
      ? 0
      : await listen(
          createServer((socket) => handleConnection(socket)),
          options.mqttPort ?? 1883,
        );
  let mqttTlsPort: number | null = null;
  if (options.tls) {
    const tlsServer = createTlsServer(
      {
        cert: options.tls.cert,
        key: options.tls.key,
        // A socket stalling in the handshake gets no longer than one stalling before CONNECT.
        handshakeTimeout: options.connectTimeoutMs ?? 10_000,
      },
      (socket) => handleConnection(socket),
    );
    // A client that fails the handshake (plain MQTT on the TLS port, an untrusted peer) is
    // closed by Node; the error only says why.
    tlsServer.on("tlsClientError", (err) => logger.debug({ err: err.message }, "MQTT TLS handshake failed"));
    mqttTlsPort = await listen(tlsServer, options.tls.port);
  }

  // The WebSocket frame limit mirrors the packet limit (plus header room).
  const wss = new WebSocketServer({ noServer: true, maxPayload: maxPacketSizeBytes + 16 });

  const publishTo = (deviceId: string, channel: "cmd" | "cfg", payload: Uint8Array): Promise<boolean> => {
    const client = clientByDevice.get(deviceId);
    // Offline or not listening: nothing to do. The store re-sends everything when the device
    // has subscribed again.
    if (!client || !subscribedByClient.get(client)?.[channel]) return Promise.resolve(false);
    const queuedBytes = client.conn.writableLength;
    if (queuedBytes > maxQueuedBytesPerClient) {
      // A device that does not read what it is sent would hold its backlog in server memory.
      // Dropping it keeps that bounded; the store re-sends everything when it reconnects.
      logger.warn(
        { clientId: deviceId, queuedBytes, maxQueuedBytesPerClient },
        "MQTT client disconnected: reading too slowly",
      );
      client.close();
      return Promise.resolve(false);
    }
    const topic = deviceTopic(deviceId, channel);
    return new Promise((resolve, reject) => {
      // Straight to the device's client: no topic matching, and the ACL cannot be bypassed
      // because the topic is the device's own.
      client.publish(
        { cmd: "publish", topic, payload: Buffer.from(payload), qos: 0, retain: false, dup: false },
        (err?: Error) => (err ? reject(err) : resolve(true)),
      );
    });
  };

  return {
    mqttPort,
    mqttTlsPort,
    publishCommand(command: DeviceCommand) {
      const commandBytes = encodeCommandBody(command);
      const signature = options.signer?.sign(commandBytes);
      const envelope = encodeSignedCommand({ commandBytes, ...signature });
      return publishTo(command.deviceId, "cmd", envelope);
    },
    publishConfig(deviceId: string, config: DesiredConfig) {
      const signingKeys = options.signer?.signedKeySet;
      return publishTo(
        deviceId,
        "cfg",
        encodeDesiredConfig(signingKeys ? { ...config, signingKeys } : config),
      );
    },
    disconnect(deviceId: string) {
      clientByDevice.get(deviceId)?.close();
    },
    isOnline: (deviceId) => clientByDevice.has(deviceId),
    onlineCount: () => clientByDevice.size,
    handleUpgrade(request, socket, head) {
      wss.handleUpgrade(request, socket, head, (ws) => {
        handleConnection(createWebSocketStream(ws), request);
      });
    },
    stats: () => ({ connectedClients: aedes.connectedClients, onlineDevices: clientByDevice.size }),
    async close() {
      clearInterval(pruneRateLimits);
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      // A listener's close completes only once every connection is gone, which closing aedes
      // (it ends every client) brings about.
      const listenersClosed = Promise.all(
        listeners.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
      );
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await listenersClosed;
      refusals.close();
    },
  };
}
