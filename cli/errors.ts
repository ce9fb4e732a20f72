/**
 * How portalctl ends: every failure is one line `error: <message> (<code>)` on stderr and an
 * exit code a script can branch on.
 */

/** portalctl's exit codes (README, "portalctl"). */
export const EXIT = {
  ok: 0,
  /** Anything else: the server refused the request, it cannot be reached, a command did not succeed. */
  failed: 1,
  /** A usage error: unknown option, missing argument, a destructive command without --yes and no TTY. */
  usage: 2,
  /** Not signed in, a credential the server refuses (401), or a right the credential lacks (403). */
  denied: 3,
  /** What was asked for does not exist (404). */
  notFound: 4,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class CliError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly exitCode: ExitCode = EXIT.failed,
  ) {
    super(message);
  }
}

/** The exit code of an HTTP error status. */
export function exitCodeOfStatus(status: number): ExitCode {
  if (status === 401 || status === 403) return EXIT.denied;
  if (status === 404) return EXIT.notFound;
  return EXIT.failed;
}

export function errorLine(err: unknown): { line: string; exitCode: ExitCode } {
  if (err instanceof CliError) return { line: `error: ${err.message} (${err.code})`, exitCode: err.exitCode };
  const message = err instanceof Error ? err.message : String(err);
  return { line: `error: ${message} (internal)`, exitCode: EXIT.failed };
}
