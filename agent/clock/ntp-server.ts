/**
 * An NTP server as the server sends it in the time settings: `host`, `host:port`, `[v6]` or
 * `[v6]:port` (the server validates and normalizes; see server/settings/time-validation.ts).
 */

export const NTP_PORT = 123;

export interface NtpServerAddress {
  /** A host name, an IPv4 address or an IPv6 address without brackets. */
  host: string;
  /** null when the setting names no port (the standard 123 applies). */
  port: number | null;
}

export function parseNtpServer(server: string): NtpServerAddress {
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(server);
  const plain = /^([^:[\]\s]+)(?::(\d{1,5}))?$/.exec(server);
  const match = bracketed ?? plain;
  const port = match?.[2] === undefined ? null : Number(match[2]);
  if (!match || (port !== null && (port < 1 || port > 65535))) {
    throw new Error(`'${server}' is not an NTP server (host, host:port, [v6] or [v6]:port)`);
  }
  return { host: match[1]!, port };
}

export function isIpv6Literal(host: string): boolean {
  return host.includes(":");
}
