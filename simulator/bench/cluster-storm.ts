/**
 * The storm after a node dies: one node is killed with SIGKILL, its devices fail over to the
 * next broker URL in their list by themselves, and a fleet command is issued right after the
 * kill through a surviving node (one not taking the victim's devices, when there is one). Timed
 * from the kill: until the surviving brokers hold every device (their /healthz), until the store
 * shows every device online on a surviving node (the device list's `connectedNode`), and until
 * the fleet command has every command succeeded.
 */
import { progressBar } from "../progress.js";
import { holders, issueFleetCommand, succeededOf, until, waitForBatches } from "./cluster-api.js";
import { health } from "./cluster-nodes.js";
import { grouped, liveHealth, PHASE_TIMEOUT_MS, type PhaseContext } from "./cluster-phases.js";
import { ms } from "./stats.js";

export interface StormFigures {
  victim: string;
  failoverTo: string;
  /** Devices connected when the node was killed, and those it held. */
  devices: number;
  victimHeld: number;
  /** Devices disconnected before the kill, so the survivors can hold the rest. */
  disconnectedFirst: number;
  /** Kill → the surviving brokers hold half of the victim's devices again. */
  halfBackMs: number;
  brokersAllOnlineMs: number;
  storeAllOnlineMs: number;
  fleetCommandSucceededMs: number;
  fleetCommandSucceeded: number;
  /** Devices each surviving node holds afterwards, as the store says. */
  heldAfter: Record<string, number>;
}

const sumOf = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

export async function stormAfterKill(ctx: PhaseContext): Promise<StormFigures> {
  const { plan, service, fleet, say } = ctx;
  const K = plan.storm.devices;
  const victim = service.nodes[plan.storm.victim]!;
  const failoverTo = service.nodes[plan.storm.failoverTo]!;
  const survivors = service.nodes.filter((n) => n !== victim);
  // The API calls of the phase go to a survivor that is not taking the victim's devices, if any.
  const observer = survivors.find((n) => n !== failoverTo) ?? failoverTo;
  const admin = ctx.admins[observer.index]!;
  const brokersHold = async () => sumOf((await liveHealth(service)).map((h) => h.health.devicesOnline));

  let disconnectedFirst = 0;
  if (K < plan.devices) {
    say(
      `storm: disconnecting the devices from fleet index ${grouped(K)} on first, so ${survivors.length} nodes can hold the rest`,
    );
    disconnectedFirst = await fleet.disconnectFrom(K);
    let online = 0;
    const onlineNow = async () => {
      online = await brokersHold();
      return online === K;
    };
    await until(`only ${grouped(K)} devices online`, onlineNow, {
      intervalMs: 100,
      timeoutMs: PHASE_TIMEOUT_MS,
      state: () => `${online} online`,
    });
  }
  const victimHeld = (await health(victim)).devicesOnline;
  say(`storm: killing ${victim.id} (SIGKILL) with ${grouped(victimHeld)} devices`);

  const bar = progressBar("storm: online on the other nodes", K);
  const start = performance.now();
  await service.kill(victim);
  const batchIds = await issueFleetCommand(admin, K === plan.devices ? "all" : fleet.deviceIds.slice(0, K), {
    type: "refresh_state",
  });
  const since = () => performance.now() - start;
  const wait = { timeoutMs: PHASE_TIMEOUT_MS };
  let brokersOnline = 0;
  let halfBackMs = Number.NaN;
  let heldAfter: Record<string, number> = {};
  /** The brokers' view first, then the store's: reading the device list meanwhile would load the nodes. */
  const online = async () => {
    await until(
      "the surviving brokers to hold every device",
      async () => {
        brokersOnline = await brokersHold();
        bar.update(brokersOnline);
        if (Number.isNaN(halfBackMs) && brokersOnline >= K - victimHeld / 2) halfBackMs = since();
        return brokersOnline === K;
      },
      { ...wait, intervalMs: 50, state: () => `${brokersOnline} of ${K}` },
    );
    const brokersMs = since();
    await until(
      "the store to show every device online on a surviving node",
      async () => {
        const held = [...(await holders(admin)).values()];
        heldAfter = Object.fromEntries(survivors.map((n) => [n.id, held.filter((h) => h === n.id).length]));
        return sumOf(Object.values(heldAfter)) === K;
      },
      { ...wait, intervalMs: 100, state: () => JSON.stringify(heldAfter) },
    );
    return { brokersMs, storeMs: since() };
  };
  const [back, commands] = await Promise.all([
    online(),
    waitForBatches(admin, batchIds, { ...wait, intervalMs: 100 }).then((views) => ({
      ms: since(),
      succeeded: sumOf(views.map(succeededOf)),
    })),
  ]).finally(() => bar.stop());

  const spread = Object.entries(heldAfter)
    .map(([id, n]) => `${id} ${grouped(n)}`)
    .join(", ");
  const first = disconnectedFirst > 0 ? `; the other ${grouped(disconnectedFirst)} disconnected first` : "";
  ctx.rows.push({
    metric: `storm: ${victim.id} killed (SIGKILL) holding ${grouped(victimHeld)}, all ${grouped(K)} online on the others${first}`,
    value:
      `${ms(back.storeMs, 0)} in the store (brokers: half back ${ms(halfBackMs, 0)}, all ${ms(back.brokersMs, 0)}); ` +
      `then ${spread}`,
  });
  ctx.rows.push({
    metric: `storm: fleet command to ${grouped(K)} issued right after the kill, all succeeded`,
    value: `${ms(commands.ms, 0)}; ${grouped(commands.succeeded)}/${grouped(K)} succeeded`,
  });
  return {
    victim: victim.id,
    failoverTo: failoverTo.id,
    devices: K,
    victimHeld,
    disconnectedFirst,
    halfBackMs,
    brokersAllOnlineMs: back.brokersMs,
    storeAllOnlineMs: back.storeMs,
    fleetCommandSucceededMs: commands.ms,
    fleetCommandSucceeded: commands.succeeded,
    heldAfter,
  };
}
