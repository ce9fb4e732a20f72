/**
 * Security headers on every answer (console, assets, API JSON, errors, docs, /healthz), by
 * @fastify/helmet. The Content-Security-Policy allows what the built console loads and nothing
 * else: its own hashed script and stylesheet (no inline script or style element; Preact sets
 * styles through the CSSOM, which CSP does not govern), the inline SVG favicon (`data:`), fetch
 * and the events WebSocket to this server. The docs page (swagger-ui) gets its own policy.
 * No page may be framed. HSTS only over TLS: browsers ignore it over plain HTTP (RFC 6797 §8.1).
 */
import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import helmet from "@fastify/helmet";
import type { App } from "./context.js";

/** A year, the usual HSTS lifetime; sub-domains are left out, they are not this server's. */
const HSTS_MAX_AGE_SECONDS = 365 * 24 * 3600;

/** A Host header that can go into a CSP source as is: a name or address and an optional port. */
const PLAIN_HOST = /^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/**
 * The events WebSocket at this host. CSP level 3 lets `'self'` match ws: and wss: of the same
 * host (Chromium and Firefox do); browsers that implement level 2 only (Safari before 15.4)
 * need the scheme spelled out.
 */
function sameHostWebSocket(tls: boolean): (request: IncomingMessage) => string {
  return (request) => {
    const host = request.headers.host ?? "";
    return PLAIN_HOST.test(host) ? `${tls ? "wss" : "ws"}://${host}` : "";
  };
}

type Directives = Record<string, (string | ((request: IncomingMessage) => string))[]>;

function withTransport(directives: Directives, tls: boolean): Directives {
  // Over plain HTTP, upgrading the page's own requests to https would break every one of them.
  return tls ? { ...directives, "upgrade-insecure-requests": [] } : directives;
}

export function consoleDirectives(tls: boolean): Directives {
  return withTransport(
    {
      "default-src": ["'none'"],
      "script-src": ["'self'"],
      "script-src-attr": ["'none'"],
      "style-src": ["'self'"],
      "img-src": ["'self'", "data:"],
      "font-src": ["'self'"],
      "connect-src": ["'self'", sameHostWebSocket(tls)],
      "manifest-src": ["'self'"],
      "base-uri": ["'none'"],
      "form-action": ["'self'"],
      "frame-ancestors": ["'none'"],
    },
    tls,
  );
}

/**
 * The one inline style element of swagger-ui: the SVG logo its standalone layout draws in the
 * top bar (swagger-ui-standalone-preset.js) before @fastify/swagger-ui puts its own logo there.
 * Allowed by its hash, so no other inline style is; a swagger-ui that changes it shows up as a
 * violation in test/e2e/csp.test.ts.
 */
const SWAGGER_LOGO_STYLE = ".logo_small_svg__cls-2{fill:#fff}.logo_small_svg__cls-3{fill:#85ea2d}";

/**
 * swagger-ui: its bundle, stylesheet and initializer are files of the docs route (no inline
 * script); React sets its inline styles through the CSSOM; its icons and the logo are `data:`
 * images; it fetches the OpenAPI document from this server. No validator badge is loaded
 * (`validatorUrl` is null), so no other host is needed.
 */
export function docsContentSecurityPolicy(tls: boolean): string {
  const logoStyleHash = createHash("sha256").update(SWAGGER_LOGO_STYLE).digest("base64");
  const directives = withTransport(
    {
      "default-src": ["'none'"],
      "script-src": ["'self'"],
      "script-src-attr": ["'none'"],
      "style-src": ["'self'", `'sha256-${logoStyleHash}'`],
      "img-src": ["'self'", "data:"],
      "font-src": ["'self'"],
      "connect-src": ["'self'"],
      "base-uri": ["'none'"],
      "form-action": ["'self'"],
      "frame-ancestors": ["'none'"],
    },
    tls,
  );
  return Object.entries(directives)
    .map(([name, values]) => [name, ...values].join(" "))
    .join("; ");
}

/**
 * The headers of an answer that fastify's router gives before any hook runs (a malformed URL):
 * always a JSON error, so the strictest policy.
 */
export function bareErrorHeaders(tls: boolean): Record<string, string> {
  return {
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cross-origin-resource-policy": "same-origin",
    ...(tls ? { "strict-transport-security": `max-age=${HSTS_MAX_AGE_SECONDS}` } : {}),
  };
}

export async function registerSecurityHeaders(app: App, options: { tls: boolean }): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: consoleDirectives(options.tls) },
    strictTransportSecurity: options.tls ? { maxAge: HSTS_MAX_AGE_SECONDS, includeSubDomains: false } : false,
    // Other sites learn nothing of the console's paths (device ids); its own requests keep theirs.
    referrerPolicy: { policy: "same-origin" },
    xFrameOptions: { action: "deny" },
  });
}
