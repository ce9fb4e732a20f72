/**
 * The MQTT broker URLs a device may be told to connect to, at enrollment and in its desired
 * config. One rule for both ends: the server checks its configuration with it, and the agent
 * checks every list it receives, so that no answer or config can point a device at anything but
 * a broker (no other scheme, no credentials or query in the URL, no host a URL parser could read
 * two ways).
 */

/** The schemes a broker URL may have: TCP, TLS, WebSocket and WebSocket over TLS. */
export const BROKER_URL_SCHEMES = ["mqtt", "mqtts", "ws", "wss"] as const;

/** Enough for every node of a cluster; a longer list is a mistake, not a cluster. */
export const MAX_BROKER_URLS = 16;

/** A DNS name (253), a scheme, a port and a WebSocket path fit well within this. */
export const MAX_BROKER_URL_LENGTH = 512;

export type BrokerUrlsCheck = { ok: true; urls: string[] } | { ok: false; reason: string };

/** The scheme, spelled in lower case, and `//`: the same scheme for every URL parser. */
const SCHEME_PREFIX = /^(mqtt|mqtts|ws|wss):\/\//;
/** Printable ASCII without spaces: no control characters, no look-alikes. */
const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;
/** A DNS name or an IPv4 address, or an IPv6 address in brackets. */
const HOST_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/;
const IPV6_HOST = /^\[[0-9A-Fa-f:.]+\]$/;

/** Why `url` is not a broker URL a device may use; null when it is one. */
export function brokerUrlProblem(url: unknown): string | null {
  if (typeof url !== "string") return "is not a string";
  if (url.length === 0) return "is empty";
  if (url.length > MAX_BROKER_URL_LENGTH) return `is longer than ${MAX_BROKER_URL_LENGTH} characters`;
  const shown = JSON.stringify(url);
  if (!PRINTABLE_ASCII.test(url)) return `${shown} has spaces or characters outside printable ASCII`;
  const scheme = SCHEME_PREFIX.exec(url)?.[1];
  if (!scheme) return `${shown} is not an ${BROKER_URL_SCHEMES.join("://, ")}:// URL`;
  // Credentials belong in CONNECT, and a query can override client options (MQTT.js reads
  // `?clientId=`): neither has a place in a broker URL.
  if (url.includes("@")) return `${shown} carries credentials`;
  if (url.includes("?") || url.includes("#")) return `${shown} has a query or a fragment`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `${shown} is not a URL`;
  }
  if (!HOST_NAME.test(parsed.hostname) && !IPV6_HOST.test(parsed.hostname)) {
    return `${shown} has no valid host`;
  }
  if (parsed.port === "0") return `${shown} has port 0`;
  const isWebSocket = scheme === "ws" || scheme === "wss";
  if (!isWebSocket && parsed.pathname !== "" && parsed.pathname !== "/") {
    return `${shown} has a path, which only ws:// and wss:// URLs may have`;
  }
  return null;
}

/**
 * A list of broker URLs, preferred first: 1 to MAX_BROKER_URLS entries, each a broker URL, none
 * twice. URLs are compared as written.
 */
export function checkBrokerUrls(urls: unknown): BrokerUrlsCheck {
  if (!Array.isArray(urls)) return { ok: false, reason: "the broker URLs are not a list" };
  if (urls.length === 0) return { ok: false, reason: "the list of broker URLs is empty" };
  if (urls.length > MAX_BROKER_URLS) {
    return { ok: false, reason: `${urls.length} broker URLs, more than ${MAX_BROKER_URLS}` };
  }
  const seen = new Set<string>();
  for (const [index, url] of urls.entries()) {
    const problem = brokerUrlProblem(url);
    if (problem) return { ok: false, reason: `broker URL ${index + 1} ${problem}` };
    if (seen.has(url)) return { ok: false, reason: `broker URL ${JSON.stringify(url)} is listed twice` };
    seen.add(url);
  }
  return { ok: true, urls: [...seen] };
}

/** Same URLs in the same order. */
export function sameBrokerUrls(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((url, i) => url === b[i]);
}
