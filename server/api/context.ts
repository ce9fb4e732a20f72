import type { IncomingMessage, ServerResponse } from "node:http";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyBaseLogger, FastifyInstance, RawServerDefault } from "fastify";
import type { AdminPrincipal, AdminTokens } from "../admins/admin-tokens.js";
import type { Right } from "../admins/rights.js";
import type { BatchService } from "../commands/batch-service.js";
import type { CommandService } from "../commands/command-service.js";
import type { DeviceService } from "../devices/device-service.js";
import type { EnrollmentService } from "../enrollment/enrollment-service.js";
import type { EventBus } from "../events/event-bus.js";
import type { ServerEvents } from "../events/server-events.js";
import type { SettingsService } from "../settings/settings-service.js";

/** What the API layer is given: services, never the store or the broker. */
export interface ApiServices {
  devices: DeviceService;
  commands: CommandService;
  batches: BatchService;
  enrollment: EnrollmentService;
  settings: SettingsService;
  adminTokens: AdminTokens;
  events: EventBus<ServerEvents>;
}

export type App = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

declare module "fastify" {
  interface FastifyContextConfig {
    /** The right a caller needs; routes without one are public (device enrollment, health). */
    right?: Right;
  }
  interface FastifyRequest {
    admin: AdminPrincipal | null;
  }
}
