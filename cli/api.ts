/**
 * The HTTP API as portalctl sees it: an openapi-fetch client typed by the generated
 * cli/openapi/api-types.ts (paths, parameters, bodies and answers from the server's own OpenAPI
 * document), and the one place that turns a refusal into a {@link CliError}: the API's
 * `{error: {code, message}}` becomes `error: <message> (<code>)`, its status the exit code.
 */
import createClient, { type Client } from "openapi-fetch";
import { type Connection, type ConnectionFlags, resolveConnection } from "./contexts.js";
import { CliError, exitCodeOfStatus } from "./errors.js";
import type { components, paths } from "./openapi/api-types.js";

export type Api = Client<paths>;
export type Schemas = components["schemas"];

/** A client for one server; `token`: a bearer (API token or session token), or none. */
export function createApi(server: string, token: string | null): Api {
  const client = createClient<paths>({
    baseUrl: server,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    fetch: async (request) => {
      try {
        return await fetch(request);
      } catch (err) {
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        throw new CliError(
          `cannot reach ${server}: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
          "unreachable",
        );
      }
    },
  });
  return client;
}

export const apiFor = (connection: Connection): Api => createApi(connection.server, connection.token);

interface Result<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The answer's body, or a CliError with the API's code and message and the status's exit code. */
export async function unwrap<T>(pending: Promise<Result<T>>): Promise<T> {
  const { data, error, response } = await pending;
  if (response.ok) return data as T;
  throw apiError(response.status, error);
}

export function apiError(status: number, body: unknown): CliError {
  const refusal = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (refusal && typeof refusal.code === "string" && typeof refusal.message === "string") {
    return new CliError(refusal.message, refusal.code, exitCodeOfStatus(status));
  }
  return new CliError(`the server answered ${status}`, `http_${status}`, exitCodeOfStatus(status));
}

/** Every item of a paged list (`{items, nextCursor}`), page after page. */
export async function allPages<T>(
  page: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor: string | null }>,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const next = await page(cursor);
    items.push(...next.items);
    cursor = next.nextCursor ?? undefined;
  } while (cursor);
  return items;
}

/** The client of a command, from its global flags, the environment and the config file. */
export async function connect(flags: ConnectionFlags): Promise<Api> {
  return apiFor(await resolveConnection(flags));
}
