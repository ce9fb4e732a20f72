/**
 * The broker URLs one device is given: the node's list with its first URL kept first (the node
 * itself, or the load balancer), and the others in an order of the device's own. Devices fail over
 * down their list, so if every device of a node had the same list, all of them would land on
 * the same next node when it dies; rotated per device, they spread evenly over the others.
 */
import { createHash } from "node:crypto";

export function failoverOrder(urls: readonly string[], deviceId: string): string[] {
  if (urls.length <= 2) return [...urls];
  const [first, ...rest] = urls;
  const turn = createHash("sha256").update(deviceId).digest().readUInt32BE(0) % rest.length;
  return [first!, ...rest.slice(turn), ...rest.slice(0, turn)];
}
