import type { IncomingMessage, ServerResponse } from "node:http";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { FastifyBaseLogger, FastifyInstance, RawServerDefault } from "fastify";
import type { AdminService } from "../admins/accounts.js";
import type { ApiTokenService } from "../admins/api-tokens.js";
import type { AuditLog } from "../admins/audit-log.js";
import type { Authenticator } from "../admins/credentials.js";
import type { Principal } from "../admins/principal.js";
import type { Right } from "../admins/rights.js";
import type { RoleService } from "../admins/roles.js";
import type { SessionService } from "../admins/sessions.js";
import type { BatchService } from "../commands/batch-service.js";
import type { CommandService } from "../commands/command-service.js";
import type { DeviceGroups } from "../devices/device-groups.js";
import type { DeviceLabels } from "../devices/device-labels.js";
import type { DeviceService } from "../devices/device-service.js";
import type { EnrollmentService } from "../enrollment/enrollment-service.js";
import type { EventBus } from "../events/event-bus.js";
import type { ServerEvents } from "../events/server-events.js";
import type { Rollouts } from "../rollouts/rollout-service.js";
import type { Schedules } from "../schedules/schedule-service.js";
import type { SettingsService } from "../settings/settings-service.js";
import type { Sites } from "../sites/site-service.js";
import type { RightByRequest } from "./auth.js";

/** What the API layer is given: services, never the store or the broker. */
export interface ApiServices {
  devices: DeviceService;
  labels: DeviceLabels;
  groups: DeviceGroups;
  sites: Sites;
  schedules: Schedules;
  rollouts: Rollouts;
  commands: CommandService;
  batches: BatchService;
  enrollment: EnrollmentService;
  settings: SettingsService;
  events: EventBus<ServerEvents>;
  authenticator: Authenticator;
  sessions: SessionService;
  admins: AdminService;
  roles: RoleService;
  tokens: ApiTokenService;
  audit: AuditLog;
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
    /** The right a caller needs (see server/api/auth.ts). A route declares this or `access`. */
    right?: Right | RightByRequest;
    /** Routes open to anyone (`public`) or to any valid credential (`signed-in`). */
    access?: "public" | "signed-in";
    /** Still answers a session whose password must be changed first (me, password, logout). */
    duringPasswordReset?: boolean;
  }
  interface FastifyRequest {
    /** Who is asking, once the auth hook has accepted the credential. */
    admin: Principal | null;
  }
}
