/**
 * Whether an error says the store cannot be reached right now (PostgreSQL down, restarting,
 * unreachable, or the pool out of connections), as opposed to a statement that is wrong. Such
 * requests answer 503 and are worth trying again; everything else stays a 500.
 */
const UNAVAILABLE_SQLSTATES = new Set([
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
  "08000", // connection_exception
  "08001", // sqlclient_unable_to_establish_sqlconnection
  "08003", // connection_does_not_exist
  "08006", // connection_failure
  "53300", // too_many_connections
]);
const UNAVAILABLE_SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "EPIPE",
]);
/** node-postgres says these in words only. */
const UNAVAILABLE_MESSAGES = [
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /Client has encountered a connection error/i,
];

export function isStoreUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown; errors?: unknown } | null;
  if (!e) return false;
  if (
    typeof e.code === "string" &&
    (UNAVAILABLE_SQLSTATES.has(e.code) || UNAVAILABLE_SOCKET_CODES.has(e.code))
  ) {
    return true;
  }
  // Connecting to a host with several addresses fails with all of them at once.
  if (Array.isArray(e.errors) && e.errors.length > 0 && e.errors.every(isStoreUnavailable)) return true;
  return typeof e.message === "string" && UNAVAILABLE_MESSAGES.some((m) => m.test(e.message as string));
}
