/**
 * The HTTP side: the management API under /api/v1, its OpenAPI document and docs page,
 * /healthz, and the web console at `/`. Errors always answer `{error: {code, message}}`.
 */
import rateLimit from "@fastify/rate-limit";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyHttpOptions,
  type FastifyReply,
  LogController,
  type RawServerDefault,
} from "fastify";
import type { Redis } from "ioredis";
import Type from "typebox";
import { ERROR_STATUS, type ErrorCode, isMdmError, MdmError } from "../errors.js";
import type { Logger } from "../logger.js";
import { RefusalLog } from "../refusal-log.js";
import { isStoreUnavailable } from "../store/unavailable.js";
import { registerAuth } from "./auth.js";
import { registerConsole } from "./console-static.js";
import type { ApiServices, App } from "./context.js";
import { registerFiniteQueryNumbers } from "./finite-query-numbers.js";
import { logIfRefused } from "./request-refusals.js";
import { adminRoutes } from "./routes/admins.js";
import { auditRoutes } from "./routes/audit.js";
import { authRoutes } from "./routes/auth.js";
import { commandRoutes } from "./routes/commands.js";
import { deviceRoutes } from "./routes/devices.js";
import { type EnrollmentRates, enrollmentRoutes } from "./routes/enrollment.js";
import { groupRoutes } from "./routes/groups.js";
import { labelRoutes } from "./routes/labels.js";
import { roleRoutes } from "./routes/roles.js";
import { rolloutRoutes } from "./routes/rollouts.js";
import { scheduleRoutes } from "./routes/schedules.js";
import { settingsRoutes } from "./routes/settings.js";
import { siteRoutes } from "./routes/sites.js";
import { tokenRoutes } from "./routes/tokens.js";
import { ErrorBody } from "./schemas.js";
import { bareErrorHeaders, docsContentSecurityPolicy, registerSecurityHeaders } from "./security-headers.js";

export const API_PREFIX = "/api/v1";
/** The largest request body, bytes; larger ones are refused with 413 before being read. */
export const MAX_BODY_BYTES = 1024 * 1024;

const FRAMEWORK_ERROR_CODES: Partial<Record<number, ErrorCode>> = {
  404: "not_found",
  413: "payload_too_large",
  415: "unsupported_media_type",
};

export interface HttpAppOptions {
  logger: Logger;
  /** Serve HTTPS with this certificate and key (PEM); plain HTTP without. */
  tls?: { cert: Buffer; key: Buffer };
  version: string;
  health: () => Record<string, unknown>;
  /** Where per-address rate limits are counted when several nodes share them; null: in memory. */
  rateLimitStore?: { redis: Redis; nameSpace: string } | null;
  /**
   * Reverse proxies (addresses, CIDR ranges) whose X-Forwarded-For names the client: the
   * address that rate limits, login limits and the audit log see. Empty: the socket's peer.
   */
  trustProxy: readonly string[];
  /** Requests per client address per minute on the public enrollment routes. */
  enrollmentRates: EnrollmentRates;
}

export async function buildHttpApp(services: ApiServices, options: HttpAppOptions): Promise<App> {
  const routerErrorHeaders = bareErrorHeaders(options.tls !== undefined);
  // With `https` fastify builds an https.Server, which serves requests and upgrades like the
  // http.Server the App type names; its types only tell the two apart by this option.
  const serverOptions = {
    ...(options.tls ? { https: { cert: options.tls.cert, key: options.tls.key } } : {}),
    loggerInstance: options.logger.child({ component: "http" }) as FastifyBaseLogger,
    bodyLimit: MAX_BODY_BYTES,
    ...(options.trustProxy.length > 0 ? { trustProxy: [...options.trustProxy] } : {}),
    // Per-request lines would drown the log under device enrollment polling; errors are
    // logged by the error handler below.
    logController: new LogController({ disableRequestLogging: true }),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: "array", allErrors: false } },
    // The router's own refusals (a malformed URL, a path parameter over 100 characters) would
    // otherwise answer outside the error catalogue.
    frameworkErrors: (err, _request, reply) => {
      // The reply's generic types follow route schemas this handler does not have.
      void (reply as unknown as FastifyReply)
        .code(400)
        .headers(routerErrorHeaders)
        .send({ error: { code: "bad_request", message: err.message } });
    },
  } as FastifyHttpOptions<RawServerDefault>;
  const app: App = Fastify(serverOptions).withTypeProvider<TypeBoxTypeProvider>();

  // Bodies are JSON only: fastify would also parse text/plain, and a schema would then refuse
  // the string with a misleading 400. Without a parser, any other type is a 415.
  app.removeContentTypeParser("text/plain");

  // Before every route and hook that can answer: the headers go on every answer.
  await registerSecurityHeaders(app, { tls: options.tls !== undefined });

  const refusals = new RefusalLog(options.logger.child({ component: "http" }));
  app.addHook("onClose", async () => refusals.close());
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (isMdmError(err)) {
      logIfRefused(refusals, request, { status: err.httpStatus, code: err.code, message: err.message });
      return reply.code(err.httpStatus).send({
        error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) },
      });
    }
    if (err.validation) {
      const first = err.validation[0];
      const path = first?.instancePath?.replace(/^\//, "").replaceAll("/", ".") ?? "";
      const missing = (first?.params as { missingProperty?: string } | undefined)?.missingProperty;
      const field = [path, missing].filter(Boolean).join(".") || err.validationContext || "body";
      return reply.code(400).send({
        error: {
          code: "validation_failed",
          message: `${err.validationContext ?? "request"}${field ? ` field '${field}'` : ""} ${first?.message ?? "is invalid"}`,
          details: { field, in: err.validationContext },
        },
      });
    }
    // fastify's own refusals (body too large, content type, malformed JSON), in the catalogue.
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      const code = FRAMEWORK_ERROR_CODES[err.statusCode] ?? "bad_request";
      logIfRefused(refusals, request, { status: err.statusCode, code, message: err.message });
      return reply.code(err.statusCode).send({ error: { code, message: err.message } });
    }
    if (isStoreUnavailable(err)) {
      request.log.warn({ err: (err as Error).message }, "store unavailable");
      return reply
        .code(ERROR_STATUS.store_unavailable)
        .header("retry-after", "5")
        .send({
          error: {
            code: "store_unavailable",
            message: "the database cannot be reached right now; try again shortly",
          },
        });
    }
    request.log.error({ err }, "unhandled error");
    return reply
      .code(ERROR_STATUS.internal)
      .send({ error: { code: "internal", message: "internal server error" } });
  });
  const consolePage = await registerConsole(app);
  app.setNotFoundHandler((request, reply) =>
    consolePage.wants(request)
      ? consolePage.send(reply)
      : reply
          .code(404)
          .send({ error: { code: "not_found", message: `no route ${request.method} ${request.url}` } }),
  );

  // Limits per client address, on the routes that declare `config.rateLimit` (the public
  // enrollment routes). Counters live in memory, in an LRU of addresses; with several nodes in
  // Redis, counted by all together (an unreachable Redis lets requests through rather than
  // refusing every enrollment).
  await app.register(rateLimit, {
    global: false,
    ...(options.rateLimitStore
      ? {
          redis: options.rateLimitStore.redis,
          nameSpace: options.rateLimitStore.nameSpace,
          skipOnError: true,
        }
      : {}),
    errorResponseBuilder: (_request, context) =>
      new MdmError(
        "rate_limited",
        `too many requests from this address (at most ${context.max} per minute); retry in ${Math.ceil(context.ttl / 1000)} s`,
        { retryAfterSeconds: Math.ceil(context.ttl / 1000) },
      ),
  });

  await app.register(swagger, {
    openapi: {
      info: { title: "portal-mdm API", version: options.version },
      components: {
        securitySchemes: {
          bearer: { type: "http", scheme: "bearer" },
          session: { type: "apiKey", in: "cookie", name: "pmdm_session" },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
    // Components under their schema's $id (Device, Command, Error) rather than a counter
    // (def-1, def-2): names that generated clients can rely on.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(swaggerUi, {
    routePrefix: "/api/docs",
    staticCSP: docsContentSecurityPolicy(options.tls !== undefined),
  });
  app.addSchema(ErrorBody);

  app.get(
    "/healthz",
    { schema: { hide: true, response: { 200: Type.Record(Type.String(), Type.Unknown()) } } },
    async () => ({ status: "ok", ...options.health() }),
  );
  app.get("/api/openapi.json", { schema: { hide: true } }, async () => app.swagger());

  await app.register(
    async (api) => {
      registerAuth(api as App, services);
      registerFiniteQueryNumbers(api as App);
      deviceRoutes(api as App, services);
      labelRoutes(api as App, services);
      groupRoutes(api as App, services);
      siteRoutes(api as App, services);
      scheduleRoutes(api as App, services);
      rolloutRoutes(api as App, services);
      commandRoutes(api as App, services);
      enrollmentRoutes(api as App, services, options.enrollmentRates);
      settingsRoutes(api as App, services);
      authRoutes(api as App, services);
      adminRoutes(api as App, services);
      roleRoutes(api as App, services);
      tokenRoutes(api as App, services);
      auditRoutes(api as App, services);
    },
    { prefix: API_PREFIX },
  );
  return app;
}
