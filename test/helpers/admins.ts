/**
 * Admin accounts for tests: a custom role with some rights, an admin holding it, and a signed-in
 * API client (session token as bearer), all through the real API with the bootstrap token.
 */
import type { Right } from "../../server/admins/rights.js";
import type { ApiClient, TestServer } from "./test-server.js";

export const TEST_PASSWORD = "correct horse battery staple";
let counter = 0;

export interface TestAdmin {
  id: string;
  email: string;
  roleId: string;
  /** Signed in with a session token. */
  api: ApiClient;
  sessionToken: string;
}

export async function createRole(t: TestServer, rights: Right[], name?: string): Promise<string> {
  counter++;
  const res = await t.api.post<{ id: string }>("/roles", {
    name: name ?? `role ${process.pid}-${counter}`,
    rights,
  });
  if (res.status !== 201) throw new Error(`role creation failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

export async function login(
  t: TestServer,
  email: string,
  password = TEST_PASSWORD,
): Promise<{ api: ApiClient; token: string }> {
  const res = await t.api.withToken(null).post<{ token: string }>("/auth/login", { email, password });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { api: t.api.withToken(res.body.token), token: res.body.token };
}

/** An admin with a role of exactly these rights (or the given role), signed in. */
export async function createAdmin(
  t: TestServer,
  access: { rights: Right[] } | { roleId: string },
  email?: string,
): Promise<TestAdmin> {
  counter++;
  const roleId = "roleId" in access ? access.roleId : await createRole(t, access.rights);
  const address = email ?? `admin-${process.pid}-${counter}@example.test`;
  const res = await t.api.post<{ id: string }>("/admins", {
    email: address,
    name: `Admin ${counter}`,
    roleId,
    password: TEST_PASSWORD,
    mustResetPassword: false,
  });
  if (res.status !== 201) throw new Error(`admin creation failed: ${res.status} ${JSON.stringify(res.body)}`);
  const session = await login(t, address);
  return { id: res.body.id, email: address, roleId, api: session.api, sessionToken: session.token };
}
