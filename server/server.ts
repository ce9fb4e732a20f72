/**
 * Builds and starts the whole server: store, services, embedded broker, HTTP API and jobs.
 * `server/main.ts` calls it with the parsed configuration; tests call it with port 0.
 */
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { AdminService } from "./admins/accounts.js";
import { ApiTokenService } from "./admins/api-tokens.js";
import { AuditLog } from "./admins/audit-log.js";
import { ADMIN_TOKEN_FILE, bootstrapFirstAdmin } from "./admins/bootstrap.js";
import { Authenticator } from "./admins/credentials.js";
import { DEFAULT_LOGIN_LIMITS, LoginLimiter } from "./admins/login-limiter.js";
import { RoleService } from "./admins/roles.js";
import { SessionService } from "./admins/sessions.js";
import { EVENTS_PATH, EventsSocket } from "./api/events-socket.js";
import { buildHttpApp } from "./api/http-app.js";
import { createEmbeddedBroker, type EmbeddedBroker } from "./broker/embedded-broker.js";
import { type ClusterLink, SingleNodeLink } from "./cluster/cluster-link.js";
import { clusterNewsHandlers } from "./cluster/cluster-news.js";
import { EventRelay } from "./cluster/event-relay.js";
import { NodeRegistry, resolveNodeId } from "./cluster/node-registry.js";
import { RedisClusterLink } from "./cluster/redis-cluster-link.js";
import { BatchService } from "./commands/batch-service.js";
import { CommandService } from "./commands/command-service.js";
import {
  CONFIG_ENV,
  ConfigError,
  plainMqttEnabled,
  publicMqttUrlList,
  type ServerConfig,
  tlsEnabled,
} from "./config.js";
import { DeviceLink } from "./device-link.js";
import { DeviceGroups } from "./devices/device-groups.js";
import { DeviceLabels } from "./devices/device-labels.js";
import { DeviceService } from "./devices/device-service.js";
import { EnrollmentService } from "./enrollment/enrollment-service.js";
import { EventBus } from "./events/event-bus.js";
import type { ServerEvents } from "./events/server-events.js";
import type { Logger } from "./logger.js";
import { RefusalLog } from "./refusal-log.js";
import { Rollouts } from "./rollouts/rollout-service.js";
import { everySeconds, Scheduler } from "./scheduler.js";
import { Schedules } from "./schedules/schedule-service.js";
import { SettingsService } from "./settings/settings-service.js";
import { openSharedSigner, type SharedCommandSigner } from "./signing/shared-signer.js";
import { MaintenanceWindows, SiteWindows } from "./sites/maintenance-windows.js";
import { Sites } from "./sites/site-service.js";
import { SERVER_PID_FILE } from "./store/backup.js";
import { dialectOf } from "./store/dialect.js";
import type { ExternalChanges } from "./store/external-changes.js";
import { DATABASE_FILE, type OpenedStore, openConfiguredStore } from "./store/open-store.js";
import { withPasswordHidden } from "./store/postgres/database-url.js";
import { PostgresExternalCommits } from "./store/postgres/external-commits.js";
import { AuditTargetNames } from "./store/read-models/audit-target-names.js";
import { AdminRepository } from "./store/repositories/admin-repository.js";
import { ApiTokenRepository } from "./store/repositories/api-token-repository.js";
import { AuditRepository } from "./store/repositories/audit-repository.js";
import { CommandRepository } from "./store/repositories/command-repository.js";
import { DeviceGroupRepository } from "./store/repositories/device-group-repository.js";
import { DeviceLabelRepository } from "./store/repositories/device-label-repository.js";
import { DeviceRepository } from "./store/repositories/device-repository.js";
import { EnrollmentRepository } from "./store/repositories/enrollment-repository.js";
import { NodeRepository } from "./store/repositories/node-repository.js";
import { RoleRepository } from "./store/repositories/role-repository.js";
import { RolloutRepository } from "./store/repositories/rollout-repository.js";
import { ScheduleRepository } from "./store/repositories/schedule-repository.js";
import { SessionRepository } from "./store/repositories/session-repository.js";
import { SettingsRepository } from "./store/repositories/settings-repository.js";
import { SiteRepository } from "./store/repositories/site-repository.js";
import { StateHistoryRepository } from "./store/repositories/state-history-repository.js";
import { ExternalCommits } from "./store/sqlite/external-commits.js";
import { SERVER_VERSION } from "./version.js";

export { DATABASE_FILE };

const WS_MQTT_PATH = "/mqtt";
const HTTP_CLOSE_GRACE_MS = 2000;
/** How often one node looks for scheduled runs that are due. */
const SCHEDULE_LOOK_SECONDS = 5;
/** How often one node moves every open staged rollout on by a step. */
const ROLLOUT_LOOK_SECONDS = 2;
/** How often one node holds and releases the commands that wait for maintenance windows. */
const WINDOW_LOOK_SECONDS = 15;

export interface RunningServer {
  httpPort: number;
  /** The plain MQTT port; 0 when plain MQTT is off. */
  mqttPort: number;
  /** The MQTT over TLS port; null without TLS. */
  mqttTlsPort: number | null;
  /** Base URL of the HTTP API as reachable on this host (https:// with TLS). */
  httpUrl: string;
  /** MQTT URL handed to enrolling devices: the first of `mqttUrls`. */
  mqttUrl: string;
  /** The broker URLs devices get at enrollment and in every desired config, preferred first. */
  mqttUrls: string[];
  /** The bootstrap admin token, only when the first start of a data dir wrote a new one. */
  createdAdminToken: string | null;
  /** The first system admin and its one-time password, only on the first start of a data dir. */
  createdAdmin: { email: string; password: string } | null;
  adminTokenFile: string;
  services: {
    devices: DeviceService;
    labels: DeviceLabels;
    groups: DeviceGroups;
    sites: Sites;
    windows: MaintenanceWindows;
    schedules: Schedules;
    rollouts: Rollouts;
    commands: CommandService;
    batches: BatchService;
    enrollment: EnrollmentService;
    settings: SettingsService;
    events: EventBus<ServerEvents>;
    admins: AdminService;
    roles: RoleService;
    sessions: SessionService;
    tokens: ApiTokenService;
    audit: AuditLog;
  };
  /** The store the server runs on (SQLite in the data dir, or PostgreSQL), for tools and tests. */
  store: OpenedStore;
  /** The device gateway (the embedded broker), for tools and tests that act as the server. */
  gateway: EmbeddedBroker;
  /** Signs commands with the active key of the store's key ring, following rotations (see server/signing). */
  signer: SharedCommandSigner;
  close(): Promise<void>;
}

export async function startServer(
  config: ServerConfig,
  logger: Logger,
  clock: () => number = Date.now,
): Promise<RunningServer> {
  const dataDir = resolve(config.dataDir);
  const tls = await readTlsFiles(config);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const store = await openConfiguredStore(config, dataDir);
  logger.info(
    store.dialect === "sqlite"
      ? { store: "sqlite", file: join(dataDir, DATABASE_FILE) }
      : {
          store: "postgres",
          url: withPasswordHidden(config.databaseUrl),
          poolSize: config.databasePoolSize,
        },
    "store opened",
  );
  // Tells `npm run admin -- restore` that this data dir is in use.
  const pidFile = join(dataDir, SERVER_PID_FILE);
  await writeFile(pidFile, `${process.pid}\n`, { mode: 0o600 });
  if (store.migrated.from !== store.migrated.to) logger.info(store.migrated, "database migrated");
  const dialect = dialectOf(store.dialect);
  const nodeId = await resolveNodeId(config.nodeId, dataDir);
  const events = new EventBus<ServerEvents>(logger);
  // Several nodes tell each other through Redis; one node alone has nobody to tell.
  const cluster: ClusterLink = config.redisUrl
    ? new RedisClusterLink({
        url: config.redisUrl,
        prefix: config.redisPrefix,
        nodeId,
        logger: logger.child({ component: "cluster" }),
      })
    : new SingleNodeLink();
  const signer = await openSharedSigner({
    store,
    dataDir,
    logger: logger.child({ component: "signing" }),
    clock,
  });

  // The broker needs the services' handler and the services need the broker: the services
  // reach the gateway through this accessor, which is set before any device can connect.
  let broker: EmbeddedBroker | undefined;
  const gateway = () => {
    if (!broker) throw new Error("broker not started");
    return broker;
  };
  // The configured broker URLs; none configured: this server's own listener, once it listens.
  let mqttUrls = publicMqttUrlList(config);

  const deviceRepository = new DeviceRepository(dialect);
  const settingsRepository = new SettingsRepository(dialect);
  const devices = new DeviceService({
    store,
    nodeId,
    repository: deviceRepository,
    history: new StateHistoryRepository(dialect),
    settings: settingsRepository,
    gateway,
    cluster,
    events,
    logger,
    clock,
    mqttUrls: () => mqttUrls,
    stateHistory: {
      rowsPerHour: config.stateHistoryRowsPerHour,
      maxRowsPerDevice: config.stateHistoryMaxRowsPerDevice,
    },
  });
  const settings = new SettingsService({
    store,
    repository: settingsRepository,
    deviceRepository,
    devices,
    cluster,
    events,
    clock,
  });
  const commandRepository = new CommandRepository(dialect);
  const siteRepository = new SiteRepository(dialect);
  const siteWindows = new SiteWindows(siteRepository, deviceRepository);
  const commands = new CommandService({
    store,
    repository: commandRepository,
    devices,
    gateway,
    cluster,
    events,
    logger,
    clock,
    defaultTtlSeconds: config.commandTtlSeconds,
    windows: siteWindows,
  });
  const windows = new MaintenanceWindows({
    store,
    windows: siteWindows,
    repository: commandRepository,
    deviceRepository,
    commands,
    logger: logger.child({ component: "maintenance-windows" }),
    clock,
  });
  const groups = new DeviceGroups({
    store,
    repository: new DeviceGroupRepository(dialect),
    devices,
    events,
    clock,
  });
  const batches = new BatchService(store, commandRepository, devices, commands, clock, groups);
  const labels = new DeviceLabels({
    store,
    repository: new DeviceLabelRepository(dialect),
    devices,
    groups,
    clock,
  });
  const schedules = new Schedules({
    store,
    repository: new ScheduleRepository(dialect),
    batches,
    commands,
    events,
    logger: logger.child({ component: "schedules" }),
    clock,
  });
  const enrollmentRepository = new EnrollmentRepository(dialect);
  const sites = new Sites({
    store,
    repository: siteRepository,
    deviceRepository,
    enrollmentRepository,
    devices,
    groups,
    globalTime: (q) => settings.time(q),
    events,
    clock,
    windowsChanged: () => windows.tick(),
  });
  const enrollment = new EnrollmentService({
    store,
    repository: enrollmentRepository,
    devices,
    labels,
    sites,
    commands,
    events,
    clock,
    mqttUrls: () => mqttUrls,
    globalTime: (tx) => settings.time(tx),
    signingKeys: () => signer.publishedKeySet(),
    deviceCodeTtlSeconds: config.deviceCodeTtlSeconds,
    deviceCodePollIntervalSeconds: config.deviceCodePollIntervalSeconds,
  });
  const audit = new AuditLog({
    store,
    repository: new AuditRepository(dialect),
    targetNames: new AuditTargetNames(dialect),
    events,
    clock,
  });
  const rollouts = new Rollouts({
    store,
    repository: new RolloutRepository(dialect),
    commandRepository,
    devices,
    groups,
    commands,
    audit,
    events,
    logger: logger.child({ component: "rollouts" }),
    clock,
  });
  const adminRepository = new AdminRepository(dialect);
  const authenticator = new Authenticator(store, adminRepository, clock);
  const limiter = new LoginLimiter(DEFAULT_LOGIN_LIMITS, clock);
  limiter.shareWith((changes) => cluster.sendLoginLimits(changes));
  const sessions = new SessionService({
    store,
    repository: new SessionRepository(dialect),
    admins: adminRepository,
    events,
    clock,
    limiter,
  });
  const roles = new RoleService(store, new RoleRepository(dialect), events, clock);
  const tokens = new ApiTokenService(store, new ApiTokenRepository(dialect), events, clock);
  const admins = new AdminService({
    store,
    repository: adminRepository,
    roles,
    sessions,
    tokens,
    events,
    clock,
  });

  // Before the API listens: the first admin and the token file exist from the first request on.
  const bootstrap = await bootstrapFirstAdmin({ store, admins, tokens, audit }, dataDir);
  await devices.markOwnDevicesOffline();
  const nodes = new NodeRegistry({
    store,
    repository: new NodeRepository(),
    nodeId,
    clock,
    logger: logger.child({ component: "cluster" }),
    leaseMs: config.nodeLeaseSeconds * 1000,
    markOfflineHeldBy: (ids) => devices.markOfflineHeldBy(ids),
  });
  await settings.loadClockDrift();
  const reportCuts = new RefusalLog(logger.child({ component: "devices" }));
  const deviceLink = new DeviceLink(devices, commands, gateway, (deviceId, what, fields) =>
    reportCuts.refused(
      "device_report_cut",
      { deviceId, what, fields },
      `a device's ${what} had fields over their bounds; they were cut before it was stored`,
    ),
  );
  broker = await createEmbeddedBroker(
    {
      host: config.host,
      mqttPort: config.mqttPort,
      plainMqtt: plainMqttEnabled(config),
      tls: tls ? { ...tls, port: config.mqttTlsPort } : undefined,
      maxPacketSizeBytes: config.maxMqttPacketBytes,
      connectTimeoutMs: config.mqttConnectTimeoutMs,
      drainTimeoutMs: config.mqttDrainTimeoutMs,
      maxQueuedBytesPerClient: config.mqttMaxQueuedBytesPerClient,
      publishRate: { perSecond: config.mqttPublishRatePerSecond, burst: config.mqttPublishBurst },
      logger: logger.child({ component: "broker" }),
      verifyCredential: (deviceId, secret) => devices.verifyCredential(deviceId, secret),
      signer,
    },
    deviceLink,
  );
  const relay = new EventRelay(events, cluster);
  await cluster.start(
    clusterNewsHandlers({
      delivery: commands.delivery,
      devices,
      settings,
      gateway,
      relay,
      limiter,
      logger: logger.child({ component: "cluster" }),
    }),
  );

  const app = await buildHttpApp(
    {
      devices,
      labels,
      groups,
      sites,
      schedules,
      rollouts,
      commands,
      batches,
      enrollment,
      settings,
      events,
      authenticator,
      sessions,
      admins,
      roles,
      tokens,
      audit,
    },
    {
      logger,
      tls,
      version: SERVER_VERSION,
      trustProxy: config.trustProxy
        .split(",")
        .map((entry) => entry.trim())
        .filter(Boolean),
      enrollmentRates: {
        enrollPerMinute: config.enrollRatePerMinute,
        deviceCodesPerMinute: config.deviceCodeRatePerMinute,
        pollsPerMinute: config.deviceCodePollRatePerMinute,
      },
      // Per-address limits counted in Redis by every node together; in memory for one node.
      rateLimitStore: cluster.redis
        ? { redis: cluster.redis, nameSpace: `${config.redisPrefix}:rate:` }
        : null,
      health: () => ({
        version: SERVER_VERSION,
        nodeId,
        // Redis between the nodes: "none" for one node alone.
        clusterLink: cluster.shared ? (cluster.connected() ? "up" : "down") : "none",
        devicesOnline: broker?.onlineCount() ?? 0,
        rssBytes: process.memoryUsage().rss,
        ...deviceLink.counters,
      }),
    },
  );
  const eventsSocket = new EventsSocket(events, authenticator, logger, clock, (wanted) =>
    cluster.setEventDemand(wanted),
  );
  app.server.on("upgrade", (request, socket, head) => {
    const path = (request.url ?? "").split("?")[0];
    if (path === WS_MQTT_PATH) broker!.handleUpgrade(request, socket, head);
    else if (path === EVENTS_PATH) void eventsSocket.handleUpgrade(request, socket, head);
    else socket.destroy();
  });
  await app.listen({ host: config.host, port: config.httpPort });
  const httpPort = (app.server.address() as AddressInfo).port;
  const reachableHost = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host;
  if (mqttUrls.length === 0) {
    mqttUrls = [
      broker.mqttTlsPort !== null
        ? `mqtts://${reachableHost}:${broker.mqttTlsPort}`
        : `mqtt://${reachableHost}:${broker.mqttPort}`,
    ];
  }
  const mqttUrl = mqttUrls[0]!;
  const httpUrl = `${tls ? "https" : "http"}://${reachableHost}:${httpPort}`;

  await nodes.start({ httpUrl, mqttUrls: [mqttUrl] });
  const scheduler = new Scheduler(logger, (name, leaseMs) => nodes.claim(name, leaseMs));
  // A frequent job's lease outlives a few of its runs, so its runner keeps it while alive; a
  // daily job's lease covers the run, and at the next day's run anyone may take it.
  const frequentLeaseMs = (seconds: number) => Math.max(5_000, 3 * seconds * 1000);
  scheduler.start([
    {
      name: "command-deadlines",
      expression: everySeconds(config.expirySweepSeconds),
      leaseMs: frequentLeaseMs(config.expirySweepSeconds),
      run: () => commands.sweepDeadlines(),
    },
    {
      name: "silent-nodes",
      expression: everySeconds(Math.min(59, Math.max(1, Math.floor(config.nodeLeaseSeconds / 2)))),
      leaseMs: config.nodeLeaseSeconds * 1000,
      run: () => nodes.sweepSilentNodes(),
    },
    {
      name: "schedules",
      expression: everySeconds(SCHEDULE_LOOK_SECONDS),
      leaseMs: frequentLeaseMs(SCHEDULE_LOOK_SECONDS),
      run: () => schedules.runDue(),
    },
    {
      name: "rollouts",
      expression: everySeconds(ROLLOUT_LOOK_SECONDS),
      leaseMs: frequentLeaseMs(ROLLOUT_LOOK_SECONDS),
      run: () => rollouts.runDue(),
    },
    {
      name: "maintenance-windows",
      expression: everySeconds(WINDOW_LOOK_SECONDS),
      leaseMs: frequentLeaseMs(WINDOW_LOOK_SECONDS),
      run: () => windows.tick(),
    },
    {
      name: "prune-state-history",
      expression: "0 17 3 * * *",
      leaseMs: 600_000,
      run: () => devices.pruneStateHistory(clock() - config.stateHistoryRetentionDays * 86_400_000),
    },
    {
      name: "prune-admin-sessions",
      expression: "0 47 3 * * *",
      leaseMs: 600_000,
      run: () => sessions.prune(),
    },
  ]);
  // `npm run admin` writes to the same file while the server runs.
  const externalCommits: ExternalChanges =
    store.dialect === "sqlite"
      ? new ExternalCommits({ store, events, audit, logger })
      : new PostgresExternalCommits({ events, audit, logger });
  await externalCommits.start();
  // A rotation reaches this node's devices the way a key set always does: with their desired
  // config. Every node follows the key ring, each for the devices it holds.
  signer.follow(async () => {
    const managed = await devices.idsMatching({ status: "active" });
    await Promise.all(managed.map((id) => devices.pushDesiredConfigHere(id)));
  });

  logger.info(
    {
      httpPort,
      mqttPort: broker.mqttPort,
      mqttTlsPort: broker.mqttTlsPort,
      dataDir,
      mqttUrls,
      version: SERVER_VERSION,
      signingKeyId: signer.activeKeyId,
    },
    `portal-mdm listening: ${httpUrl} (API docs at /api/docs), ${mqttUrl}`,
  );

  return {
    httpPort,
    mqttPort: broker.mqttPort,
    mqttTlsPort: broker.mqttTlsPort,
    httpUrl,
    mqttUrl,
    mqttUrls,
    createdAdminToken: bootstrap?.token ?? null,
    createdAdmin: bootstrap ? { email: bootstrap.email, password: bootstrap.password } : null,
    adminTokenFile: join(dataDir, ADMIN_TOKEN_FILE),
    services: {
      devices,
      labels,
      groups,
      sites,
      windows,
      schedules,
      rollouts,
      commands,
      batches,
      enrollment,
      settings,
      events,
      admins,
      roles,
      sessions,
      tokens,
      audit,
    },
    store,
    gateway: broker,
    signer,
    async close() {
      await scheduler.stop();
      await nodes.stop();
      await externalCommits.stop();
      await signer.stop();
      reportCuts.close();
      await eventsSocket.close();
      relay.stop();
      // Requests in flight get a moment to finish; keep-alive connections that linger after
      // that (an HTTP client pool, say) must not hold the shutdown open.
      const forceClose = setTimeout(() => app.server.closeAllConnections(), HTTP_CLOSE_GRACE_MS);
      await app.close();
      clearTimeout(forceClose);
      await broker?.close();
      await cluster.stop();
      await commands.drainWrites();
      await devices.drainWrites();
      await store.close();
      await rm(pidFile, { force: true });
    },
  };
}

/** The certificate and key when TLS is configured; a file that cannot be read stops the start. */
async function readTlsFiles(config: ServerConfig): Promise<{ cert: Buffer; key: Buffer } | undefined> {
  if (!tlsEnabled(config)) return undefined;
  const read = async (key: "tlsCertFile" | "tlsKeyFile") => {
    try {
      return await readFile(config[key]);
    } catch (err) {
      throw new ConfigError(
        `invalid configuration:\n  ${key} (${CONFIG_ENV[key]}): cannot read ${config[key]}: ${(err as Error).message}`,
      );
    }
  };
  return { cert: await read("tlsCertFile"), key: await read("tlsKeyFile") };
}
