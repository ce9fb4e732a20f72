import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { presentedCredential, registerAuth, sameOrigin } from "../../../../server/api/auth.js";
import type { ApiServices, App } from "../../../../server/api/context.js";

describe("API auth", () => {
  it("refuses to start with a route that declares neither a right nor its access", async () => {
    const app = Fastify() as unknown as App;
    registerAuth(app, {} as ApiServices);
    app.get("/declared", { config: { right: "devices:read" } }, async () => "ok");
    app.get("/open", { config: { access: "public" } }, async () => "ok");
    expect(() => app.get("/forgotten", async () => "oops")).toThrow(
      /GET \/forgotten must declare exactly one of config.right or config.access/,
    );
    expect(() =>
      app.get("/both", { config: { right: "devices:read", access: "public" } }, async () => "oops"),
    ).toThrow(/exactly one/);
    await app.close();
  });

  it("takes the bearer token over the session cookie", () => {
    expect(presentedCredential({ authorization: "Bearer pat_a", cookie: "pmdm_session=pms_b" })).toEqual({
      secret: "pat_a",
      viaCookie: false,
    });
    expect(presentedCredential({ cookie: "theme=dark; pmdm_session=pms_b" })).toEqual({
      secret: "pms_b",
      viaCookie: true,
    });
    expect(presentedCredential({ authorization: "Basic abc" })).toBeNull();
  });

  it("accepts only this server's own origin", () => {
    expect(sameOrigin({ host: "mdm.example:8080" })).toBe(true);
    expect(sameOrigin({ host: "mdm.example:8080", origin: "https://mdm.example:8080" })).toBe(true);
    expect(sameOrigin({ host: "mdm.example:8080", origin: "https://evil.example" })).toBe(false);
    expect(sameOrigin({ host: "mdm.example:8080", origin: "null" })).toBe(false);
  });
});
