/**
 * A PostgreSQL URL as it may be shown: the password hidden, wherever the URL carries it (after
 * the user name, or as a `password` parameter, which node-postgres reads too).
 */

export const HIDDEN_PASSWORD = "***";

export function withPasswordHidden(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "(a database URL that cannot be parsed)";
  }
  if (parsed.password) parsed.password = HIDDEN_PASSWORD;
  if (parsed.searchParams.has("password")) parsed.searchParams.set("password", HIDDEN_PASSWORD);
  // URLSearchParams writes "*" as "%2A"; keep the mark readable.
  return parsed.toString().replaceAll("%2A%2A%2A", HIDDEN_PASSWORD);
}

/** The passwords a URL carries, as written and decoded: what must never reach an output. */
function passwordsIn(url: string): string[] {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [];
  }
  const found = new Set<string>();
  const add = (value: string | null) => {
    if (!value) return;
    found.add(value);
    try {
      found.add(decodeURIComponent(value));
    } catch {
      // Not valid percent-encoding: the value as written is enough.
    }
  };
  add(parsed.password);
  add(parsed.searchParams.get("password"));
  return [...found].filter((p) => p.length > 0);
}

/** `text` (an error message, say) with the URL and any password it carries hidden. */
export function hidePassword(text: string, url: string): string {
  let out = text.replaceAll(url, withPasswordHidden(url));
  for (const password of passwordsIn(url)) out = out.replaceAll(password, HIDDEN_PASSWORD);
  return out;
}
