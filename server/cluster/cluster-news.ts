/**
 * What this node does with news from the others: only what concerns the device connections it
 * holds (everything else about a device is in the store already).
 */
import type { LoginLimiter } from "../admins/login-limiter.js";
import type { DeviceGateway } from "../broker/device-gateway.js";
import type { CommandDelivery } from "../commands/command-delivery.js";
import type { DeviceService } from "../devices/device-service.js";
import type { Logger } from "../logger.js";
import type { SettingsService } from "../settings/settings-service.js";
import type { ClusterLinkHandlers, DeviceWork } from "./cluster-link.js";
import type { EventRelay } from "./event-relay.js";

export interface ClusterNewsDeps {
  delivery: CommandDelivery;
  devices: DeviceService;
  settings: SettingsService;
  gateway: () => DeviceGateway;
  relay: EventRelay;
  limiter: LoginLimiter;
  logger: Logger;
}

export function clusterNewsHandlers(deps: ClusterNewsDeps): ClusterLinkHandlers {
  const failed = (what: string) => (err: unknown) =>
    deps.logger.error({ err }, `acting on another node's news failed (${what})`);

  const pushConfigs = (deviceIds: Iterable<string>) =>
    Promise.all([...deviceIds].map((id) => deps.devices.pushDesiredConfigHere(id))).catch(failed("config"));

  const work = (news: DeviceWork): void => {
    const gateway = deps.gateway();
    for (const id of news.disconnect) if (gateway.isOnline(id)) gateway.disconnect(id);
    if (news.settings.includes("clock_drift")) void deps.settings.loadClockDrift().catch(failed("settings"));
    // Config first, then commands, as at a connect: a command may depend on the config.
    void pushConfigs(news.config).then(() => deps.delivery.recheck(news.commands));
  };

  return {
    work,
    events: (events) => deps.relay.received(events),
    loginLimits: (changes) => deps.limiter.applyShared(changes),
    eventDemand: (othersWant) => deps.relay.othersWant(othersWant),
    resync: () => {
      const held = deps.delivery.heldDevices();
      deps.logger.info({ devices: held.length }, "resyncing the devices held here");
      work({ commands: held, config: held, disconnect: [], settings: ["clock_drift"] });
    },
  };
}
