import Type from "typebox";
import { MAX_LABEL_LENGTH, MAX_LABELS_PER_DEVICE } from "../../devices/device-labels.js";
import { ENROLLMENT_TOKEN_STATES } from "../../enrollment/enrollment-service.js";
import { audited } from "../audit-request.js";
import type { ApiServices, App } from "../context.js";
import { Credentials, DeviceIdentityBody, Page } from "../schemas.js";

/** Requests per client address per minute on the public enrollment routes. */
export interface EnrollmentRates {
  enrollPerMinute: number;
  deviceCodesPerMinute: number;
  pollsPerMinute: number;
}

const MINUTE_MS = 60_000;

const EnrollmentToken = Type.Object({
  id: Type.String(),
  name: Type.String(),
  maxUses: Type.Integer(),
  uses: Type.Integer(),
  usesLeft: Type.Integer(),
  expiresAt: Type.String(),
  createdAt: Type.String(),
  createdBy: Type.Union([Type.String(), Type.Null()]),
  lastUsedAt: Type.Union([Type.String(), Type.Null()]),
  revokedAt: Type.Union([Type.String(), Type.Null()]),
  state: Type.Enum([...ENROLLMENT_TOKEN_STATES]),
  labels: Type.Array(Type.String(), { description: "labels each device it enrolls gets" }),
  siteId: Type.Union([Type.String(), Type.Null()], { description: "the site each device it enrolls joins" }),
});

export function enrollmentRoutes(app: App, { enrollment, audit }: ApiServices, rates: EnrollmentRates): void {
  app.post(
    "/enrollment-tokens",
    {
      config: { right: "enrollment:manage" },
      schema: {
        tags: ["enrollment"],
        summary: "Create an enrollment token for bulk or automated enrollment (its secret is shown once)",
        body: Type.Object({
          maxUses: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
          expiresInSeconds: Type.Integer({ minimum: 60, maximum: 365 * 24 * 3600 }),
          name: Type.Optional(
            Type.String({ maxLength: 100, description: "what it is for, e.g. 'Berlin office rollout'" }),
          ),
          labels: Type.Optional(
            Type.Array(Type.String({ minLength: 1, maxLength: MAX_LABEL_LENGTH }), {
              maxItems: MAX_LABELS_PER_DEVICE,
              description:
                "labels each device it enrolls gets, added to those it has (as many as fit under the per-device limit)",
            }),
          ),
          siteId: Type.Optional(
            Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()], {
              description:
                "the site each device it enrolls joins (a device that comes back moves to it); a site deleted later leaves the token's devices in none",
            }),
          ),
        }),
        response: { 201: Type.Object({ ...EnrollmentToken.properties, token: Type.String() }) },
      },
    },
    async (request, reply) => {
      const created = await audited(
        audit,
        request,
        {
          action: "enrollment_token.create",
          params: { ...request.body },
          fromResult: (t) => ({ target: t.id }),
        },
        () => enrollment.createToken(request.body, request.admin?.email ?? null),
      );
      return reply.code(201).send(created);
    },
  );

  app.get(
    "/enrollment-tokens",
    {
      config: { right: "enrollment:manage" },
      schema: {
        tags: ["enrollment"],
        summary: "Enrollment tokens, newest first, with their uses left (never their secret)",
        querystring: Type.Object({
          state: Type.Optional(Type.Enum([...ENROLLMENT_TOKEN_STATES])),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
          cursor: Type.Optional(Type.String({ maxLength: 128 })),
        }),
        response: { 200: Page(EnrollmentToken) },
      },
    },
    async (request) =>
      enrollment.listTokens({
        state: request.query.state,
        limit: request.query.limit ?? 50,
        cursor: request.query.cursor ?? null,
      }),
  );

  app.post(
    "/enrollment-tokens/:id/revoke",
    {
      config: { right: "enrollment:manage" },
      schema: {
        tags: ["enrollment"],
        summary: "Revoke an enrollment token now: no device enrolls with it any more",
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
        response: { 200: EnrollmentToken },
      },
    },
    async (request) =>
      audited(audit, request, { action: "enrollment_token.revoke", target: request.params.id }, () =>
        enrollment.revokeToken(request.params.id),
      ),
  );

  app.post(
    "/enrollment/enroll",
    {
      config: { access: "public", rateLimit: { max: rates.enrollPerMinute, timeWindow: MINUTE_MS } },
      schema: {
        tags: ["enrollment"],
        summary: "Device side: enroll with a token",
        body: Type.Object({
          token: Type.String({ minLength: 1, maxLength: 256 }),
          ...DeviceIdentityBody.properties,
        }),
        response: { 201: Credentials },
      },
    },
    async (request, reply) => {
      const { token, ...device } = request.body;
      return reply.code(201).send(await enrollment.enrollWithToken(token, device));
    },
  );

  app.post(
    "/enrollment/device-codes",
    {
      config: { access: "public", rateLimit: { max: rates.deviceCodesPerMinute, timeWindow: MINUTE_MS } },
      schema: {
        tags: ["enrollment"],
        summary: "Device side: get a code to show on screen",
        body: DeviceIdentityBody,
        response: {
          201: Type.Object({
            deviceCode: Type.String(),
            userCode: Type.String(),
            expiresInSeconds: Type.Integer(),
            intervalSeconds: Type.Number(),
          }),
        },
      },
    },
    async (request, reply) => reply.code(201).send(await enrollment.startDeviceCode(request.body)),
  );

  app.post(
    "/enrollment/device-codes/poll",
    {
      config: { access: "public", rateLimit: { max: rates.pollsPerMinute, timeWindow: MINUTE_MS } },
      schema: {
        tags: ["enrollment"],
        summary: "Device side: poll until an admin has claimed the code",
        body: Type.Object({ deviceCode: Type.String({ minLength: 1, maxLength: 256 }) }),
        response: {
          200: Type.Union([
            Type.Object({ status: Type.Literal("pending") }),
            Type.Object({ status: Type.Literal("approved"), ...Credentials.properties }),
          ]),
        },
      },
    },
    async (request) => enrollment.poll(request.body.deviceCode),
  );

  app.post(
    "/enrollment/claims",
    {
      config: { right: "enrollment:manage" },
      schema: {
        tags: ["enrollment"],
        summary: "Admin side: claim the code a device shows",
        description:
          "When the code's serial belongs to a managed device, the answer is 409 device_already_enrolled " +
          "with that device in details (id, name, online, lastSeenAt) and nothing changes. Claiming again " +
          "with replaceDeviceId set to that id replaces it: the new device takes over its record, and the " +
          "old one's credential, connection and open commands end.",
        body: Type.Object({
          code: Type.String({ minLength: 1, maxLength: 32 }),
          replaceDeviceId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          siteId: Type.Optional(
            Type.String({ minLength: 1, maxLength: 64, description: "the site the device joins" }),
          ),
        }),
        response: {
          201: Type.Object({
            deviceId: Type.String(),
            serial: Type.String(),
            model: Type.String(),
            name: Type.String(),
            replaced: Type.Boolean(),
          }),
        },
      },
    },
    async (request, reply) => {
      const claimed = await audited(
        audit,
        request,
        {
          action: "enrollment.claim",
          params: {
            code: request.body.code,
            replaceDeviceId: request.body.replaceDeviceId ?? null,
            siteId: request.body.siteId ?? null,
          },
          fromResult: (d) => ({
            target: d.deviceId,
            params: { serial: d.serial, model: d.model, replaced: d.replaced },
          }),
        },
        () =>
          enrollment.claim(request.body.code, {
            replaceDeviceId: request.body.replaceDeviceId,
            siteId: request.body.siteId,
          }),
      );
      return reply.code(201).send(claimed);
    },
  );
}
