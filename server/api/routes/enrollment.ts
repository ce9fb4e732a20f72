import Type from "typebox";
import { audited } from "../audit-request.js";
import type { ApiServices, App } from "../context.js";
import { Credentials, DeviceIdentityBody } from "../schemas.js";

export function enrollmentRoutes(app: App, { enrollment, audit }: ApiServices): void {
  app.post(
    "/enrollment-tokens",
    {
      config: { right: "enrollment:manage" },
      schema: {
        tags: ["enrollment"],
        summary: "Create an enrollment token for bulk or automated enrollment (shown once)",
        body: Type.Object({
          maxUses: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
          expiresInSeconds: Type.Integer({ minimum: 60, maximum: 365 * 24 * 3600 }),
        }),
        response: {
          201: Type.Object({
            id: Type.String(),
            token: Type.String(),
            maxUses: Type.Integer(),
            uses: Type.Integer(),
            expiresAt: Type.String(),
          }),
        },
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
        () => enrollment.createToken(request.body),
      );
      return reply.code(201).send(created);
    },
  );

  app.post(
    "/enrollment/enroll",
    {
      config: { access: "public" },
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
      config: { access: "public" },
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
      config: { access: "public" },
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
        body: Type.Object({ code: Type.String({ minLength: 1, maxLength: 32 }) }),
        response: {
          201: Type.Object({
            deviceId: Type.String(),
            serial: Type.String(),
            model: Type.String(),
            name: Type.String(),
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
          params: { code: request.body.code },
          fromResult: (d) => ({ target: d.deviceId, params: { serial: d.serial, model: d.model } }),
        },
        () => enrollment.claim(request.body.code),
      );
      return reply.code(201).send(claimed);
    },
  );
}
