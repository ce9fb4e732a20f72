/**
 * portalctl as a child process against a real server: login (by token and by email and
 * password) and named contexts in a 0600 file, and which credential wins (flags over the
 * environment over the file).
 */
import { readFile, stat } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAdmin, TEST_PASSWORD } from "../../helpers/admins.js";
import { type Portalctl, portalctlHome } from "../../helpers/portalctl.js";
import { startTestServer, type TestServer } from "../../helpers/test-server.js";

let t: TestServer;
let cli: Portalctl;

beforeAll(async () => {
  t = await startTestServer();
  cli = await portalctlHome();
});
afterAll(async () => {
  await cli?.cleanup();
  await t?.cleanup();
});

interface ConfigFile {
  currentContext: string;
  contexts: Record<string, { server: string; token: string }>;
}
const readConfig = async () => JSON.parse(await readFile(cli.configFile, "utf8")) as ConfigFile;

describe("portalctl login and contexts", () => {
  it("logs in with a token, checked first, into a 0600 file in a 0700 dir", async () => {
    const bad = await cli.run(["login", "--server", t.server.httpUrl, "--token", "pat_wrong"]);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/^error: .+ \(unauthorized\)\n$/);

    const res = await cli.run(["login", "--server", t.server.httpUrl, "--token", t.api.token!]);
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    expect(res.stdout).toContain("as admin@localhost");
    expect((await stat(cli.configFile)).mode & 0o777).toBe(0o600);
    expect((await stat(cli.configFile.replace(/\/config\.json$/, ""))).mode & 0o777).toBe(0o700);
    expect(await readConfig()).toEqual({
      currentContext: "default",
      contexts: { default: { server: t.server.httpUrl, token: t.api.token } },
    });
  });

  it("logs in with email and a password from stdin, keeping an API token and no session", async () => {
    const ops = await createAdmin(t, { rights: ["devices:read"] });
    const res = await cli.run(
      ["login", "--server", t.server.httpUrl, "--email", ops.email, "--name", "ops"],
      { stdin: `${TEST_PASSWORD}\n` },
    );
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    const config = await readConfig();
    expect(config.currentContext).toBe("ops");
    const token = config.contexts.ops!.token;
    expect(token).toMatch(/^pat_/);
    const me = await t.api.withToken(token).get<{ email: string; rights: string[] }>("/auth/me");
    expect(me.body).toMatchObject({ email: ops.email, rights: ["devices:read"] });
    // The session it signed in with was ended again.
    const logouts = await t.api.get<{ items: { actorEmail: string }[] }>("/audit?action=auth.logout");
    expect(logouts.body.items.map((i) => i.actorEmail)).toContain(ops.email);

    const contexts = await cli.run(["config", "get-contexts", "-o", "json"]);
    expect(JSON.parse(contexts.stdout)).toEqual([
      { name: "default", current: false, server: t.server.httpUrl, token: `${t.api.token!.slice(0, 8)}…` },
      { name: "ops", current: true, server: t.server.httpUrl, token: `${token.slice(0, 8)}…` },
    ]);
    const used = await cli.run(["config", "use-context", "default"]);
    expect(used.code).toBe(0);
    expect((await cli.run(["config", "current-context"])).stdout).toBe("default\n");
    const missing = await cli.run(["config", "use-context", "nope"]);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/\(context_not_found\)\n$/);
  });

  it("takes the flag over the environment, and the environment over the file", async () => {
    const envOverFile = await cli.run(["devices", "list", "-o", "json"], {
      env: { PORTALCTL_TOKEN: "pat_not_a_token" },
    });
    expect(envOverFile.code).toBe(3);
    expect(envOverFile.stderr).toMatch(/^error: .+ \(unauthorized\)\n$/);
    const flagOverEnv = await cli.run(["devices", "list", "-o", "json", "--token", t.api.token!], {
      env: { PORTALCTL_TOKEN: "pat_not_a_token", PORTALCTL_SERVER: "http://127.0.0.1:1" },
    });
    // The server still comes from the environment (unreachable), the token from the flag.
    expect(flagOverEnv.code).toBe(1);
    expect(flagOverEnv.stderr).toMatch(/^error: cannot reach http:\/\/127\.0\.0\.1:1: .+ \(unreachable\)\n$/);
    const both = await cli.run(
      ["devices", "list", "-o", "json", "--token", t.api.token!, "--server", t.server.httpUrl],
      { env: { PORTALCTL_TOKEN: "pat_not_a_token", PORTALCTL_SERVER: "http://127.0.0.1:1" } },
    );
    expect(both.code).toBe(0);
  });
});
