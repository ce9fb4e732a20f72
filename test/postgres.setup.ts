/**
 * One real PostgreSQL cluster for the whole test run (see test/helpers/postgres.ts); suites
 * that use it take a fresh database each, from `inject("postgresAdminUrl")`.
 */
import type { TestProject } from "vitest/node";
import { startPostgresCluster } from "./helpers/postgres.js";

declare module "vitest" {
  export interface ProvidedContext {
    postgresAdminUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cluster = await startPostgresCluster();
  project.provide("postgresAdminUrl", cluster.adminUrl);
  return () => cluster.stop();
}
