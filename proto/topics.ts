/**
 * MQTT topics of the device protocol. A device owns exactly the four topics under
 * `pmdm/v1/d/{deviceId}/`: it subscribes to `cmd` and `cfg` and publishes to `res` and `state`.
 */
export const TOPIC_PREFIX = "pmdm/v1/d/";

export const DEVICE_CHANNELS = ["cmd", "cfg", "res", "state"] as const;
export type DeviceChannel = (typeof DEVICE_CHANNELS)[number];

/** Channels the server publishes and the device subscribes to. */
export const SERVER_TO_DEVICE: ReadonlySet<DeviceChannel> = new Set(["cmd", "cfg"]);
/** Channels the device publishes and the server consumes. */
export const DEVICE_TO_SERVER: ReadonlySet<DeviceChannel> = new Set(["res", "state"]);

export function deviceTopic(deviceId: string, channel: DeviceChannel): string {
  return `${TOPIC_PREFIX}${deviceId}/${channel}`;
}

export interface ParsedDeviceTopic {
  deviceId: string;
  channel: DeviceChannel;
}

/** Parses `pmdm/v1/d/{deviceId}/{channel}`; anything else (including wildcards) is `null`. */
export function parseDeviceTopic(topic: string): ParsedDeviceTopic | null {
  if (!topic.startsWith(TOPIC_PREFIX)) return null;
  const rest = topic.slice(TOPIC_PREFIX.length);
  const slash = rest.indexOf("/");
  if (slash <= 0) return null;
  const deviceId = rest.slice(0, slash);
  const channel = rest.slice(slash + 1);
  if (deviceId.includes("+") || deviceId.includes("#")) return null;
  if (!(DEVICE_CHANNELS as readonly string[]).includes(channel)) return null;
  return { deviceId, channel: channel as DeviceChannel };
}
