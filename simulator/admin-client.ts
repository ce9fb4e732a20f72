/** The few admin API calls the simulator and the benchmark make. */
import { readFile } from "node:fs/promises";
import { join } from "node:path";

export class AdminClient {
  constructor(
    readonly serverUrl: string,
    readonly token: string,
  ) {}

  /** The token given, or the one the server wrote to its data dir on first start. */
  static async fromDataDir(serverUrl: string, dataDir: string, token?: string): Promise<AdminClient> {
    if (token) return new AdminClient(serverUrl, token);
    const file = join(dataDir, "admin-token");
    try {
      return new AdminClient(serverUrl, (await readFile(file, "utf8")).trim());
    } catch {
      throw new Error(
        `no admin token: pass --admin-token, or --data-dir pointing at the server's data dir (${file})`,
      );
    }
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(new URL(`/api/v1${path}`, this.serverUrl), {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body ? { "content-type": "application/json" } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const parsed = (await response.json()) as T & { error?: { message: string } };
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${parsed.error?.message ?? ""}`);
    return parsed;
  }

  async createEnrollmentToken(maxUses: number, expiresInSeconds = 24 * 3600): Promise<string> {
    const res = await this.request<{ token: string }>("POST", "/enrollment-tokens", {
      maxUses,
      expiresInSeconds,
    });
    return res.token;
  }
}
