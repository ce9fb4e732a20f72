/**
 * Request and response schemas of accounts, roles, API tokens and the audit log (the rest of
 * the API's are in schemas.ts).
 */
import Type, { type TSchema } from "typebox";
import { AUDIT_ACTIONS } from "../admins/audit-log.js";
import { AUDIT_TARGET_KINDS } from "../admins/audit-targets.js";
import { MAX_PASSWORD_LENGTH } from "../admins/passwords.js";
import { RIGHTS } from "../admins/rights.js";

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const IsoTime = Type.String({ format: "date-time" });

export const RightSchema = Type.Enum(RIGHTS);
export const RightsList = Type.Array(RightSchema, { maxItems: RIGHTS.length * 2, uniqueItems: true });

export const RoleRef = Type.Object({ id: Type.String(), name: Type.String(), builtIn: Type.Boolean() });

export const Me = Type.Object(
  {
    id: Type.String(),
    email: Type.String(),
    name: Type.String(),
    role: RoleRef,
    rights: Type.Array(RightSchema, { description: "what this credential may do now" }),
    mustResetPassword: Type.Boolean(),
    active: Type.Boolean(),
    credential: Type.Object({
      type: Type.Union([Type.Literal("session"), Type.Literal("token")]),
      id: Type.String(),
      expiresAt: Nullable(IsoTime),
    }),
  },
  { $id: "Me" },
);

export const Admin = Type.Object(
  {
    id: Type.String(),
    email: Type.String(),
    name: Type.String(),
    role: RoleRef,
    rights: Type.Array(RightSchema),
    active: Type.Boolean(),
    mustResetPassword: Type.Boolean(),
    createdAt: IsoTime,
    updatedAt: IsoTime,
    lastLoginAt: Nullable(IsoTime),
  },
  { $id: "Admin" },
);

export const Role = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    builtIn: Type.Boolean(),
    rights: Type.Array(RightSchema),
    adminCount: Type.Integer(),
    createdAt: IsoTime,
    updatedAt: IsoTime,
  },
  { $id: "Role" },
);

export const ApiToken = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    rights: Type.Array(RightSchema),
    createdAt: IsoTime,
    expiresAt: Nullable(IsoTime),
    expired: Type.Boolean(),
  },
  { $id: "ApiToken" },
);

export const AuditItem = Type.Object(
  {
    id: Type.String(),
    at: IsoTime,
    actor: Nullable(Type.Object({ id: Type.String(), email: Type.String() })),
    actorEmail: Nullable(
      Type.String({ description: "the actor's email; for a failed sign-in, the email tried (actor null)" }),
    ),
    credentialId: Nullable(Type.String()),
    action: Type.String(),
    target: Nullable(Type.String()),
    targetKind: Nullable(Type.Enum(AUDIT_TARGET_KINDS)),
    targetName: Nullable(
      Type.String({ description: "the target's name now (or as recorded, once it is gone)" }),
    ),
    params: Type.Record(Type.String(), Type.Unknown()),
    outcome: Type.Union([Type.Literal("success"), Type.Literal("failure")]),
    errorCode: Nullable(Type.String()),
    sourceAddress: Nullable(Type.String()),
  },
  { $id: "AuditItem" },
);

export const AuditQuery = Type.Object({
  actor: Type.Optional(Type.String({ minLength: 1, maxLength: 254, description: "admin id or email" })),
  action: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 64,
      description: `one of ${AUDIT_ACTIONS.join(", ")}; or a prefix such as 'admin.*'`,
    }),
  ),
  target: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  // Case-insensitive substring filters, beside the exact ones.
  actorContains: Type.Optional(
    Type.String({ minLength: 1, maxLength: 254, description: "part of the actor's email, any case" }),
  ),
  actionContains: Type.Optional(
    Type.String({ minLength: 1, maxLength: 64, description: "part of the action, any case" }),
  ),
  targetContains: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 128,
      description: "part of the target's id or name (device, admin, role, token), any case",
    }),
  ),
  outcome: Type.Optional(Type.Union([Type.Literal("success"), Type.Literal("failure")])),
  since: Type.Optional(Type.String({ format: "date-time" })),
  until: Type.Optional(Type.String({ format: "date-time" })),
  cursor: Type.Optional(Type.String({ maxLength: 32 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
});

export const Email = Type.String({ minLength: 3, maxLength: 254 });
export const Password = Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH });
export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
