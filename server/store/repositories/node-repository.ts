/**
 * Server nodes and job leases: the only code that writes `server_nodes` and `job_leases`.
 *
 * A node is alive while its heartbeat is recent; what "recent" is belongs to the caller (the
 * lease time). A job lease is held by one node until it expires: a node takes one that has run
 * out, or renews its own, in one conditional upsert, so two nodes asking at once never both
 * get it.
 */
import { sql } from "kysely";
import type { Queryable } from "../store.js";

export interface NodeRecord {
  id: string;
  startedAtMs: number;
  heartbeatAtMs: number;
  httpUrl: string;
  mqttUrls: string[];
}

export class NodeRepository {
  /** This node's row, created or brought up to date. */
  async heartbeat(q: Queryable, node: NodeRecord): Promise<void> {
    await q
      .insertInto("server_nodes")
      .values({
        id: node.id,
        started_at: node.startedAtMs,
        heartbeat_at: node.heartbeatAtMs,
        http_url: node.httpUrl,
        mqtt_urls_json: JSON.stringify(node.mqttUrls),
      })
      .onConflict((oc) =>
        oc.column("id").doUpdateSet((eb) => ({
          started_at: eb.ref("excluded.started_at"),
          heartbeat_at: eb.ref("excluded.heartbeat_at"),
          http_url: eb.ref("excluded.http_url"),
          mqtt_urls_json: eb.ref("excluded.mqtt_urls_json"),
        })),
      )
      .execute();
  }

  /** Nodes whose heartbeat is at or after `sinceMs`, oldest start first. */
  async aliveSince(q: Queryable, sinceMs: number): Promise<NodeRecord[]> {
    const rows = await q
      .selectFrom("server_nodes")
      .selectAll()
      .where("heartbeat_at", ">=", sinceMs)
      .orderBy("started_at")
      .orderBy("id")
      .execute();
    return rows.map((r) => ({
      id: r.id,
      startedAtMs: Number(r.started_at),
      heartbeatAtMs: Number(r.heartbeat_at),
      httpUrl: r.http_url,
      mqttUrls: JSON.parse(r.mqtt_urls_json) as string[],
    }));
  }

  /** Removes the nodes whose heartbeat is before `beforeMs`; returns their ids. */
  async removeSilentSince(q: Queryable, beforeMs: number): Promise<string[]> {
    const rows = await q
      .deleteFrom("server_nodes")
      .where("heartbeat_at", "<", beforeMs)
      .returning("id")
      .execute();
    return rows.map((r) => r.id);
  }

  async remove(q: Queryable, id: string): Promise<void> {
    await q.deleteFrom("server_nodes").where("id", "=", id).execute();
  }

  /**
   * The lease on job `name` for `holder` until `untilMs`, if nobody else holds one that is
   * still running at `nowMs`. True when `holder` has it now.
   */
  async takeLease(
    q: Queryable,
    name: string,
    holder: string,
    nowMs: number,
    untilMs: number,
  ): Promise<boolean> {
    const row = await q
      .insertInto("job_leases")
      .values({ name, holder, expires_at: untilMs })
      .onConflict((oc) =>
        oc
          .column("name")
          .doUpdateSet((eb) => ({
            holder: eb.ref("excluded.holder"),
            expires_at: eb.ref("excluded.expires_at"),
          }))
          .where((eb) =>
            eb.or([
              eb("job_leases.holder", "=", holder),
              eb("job_leases.expires_at", "<=", sql<number>`${sql.lit(nowMs)}`),
            ]),
          ),
      )
      .returning("holder")
      .executeTakeFirst();
    return row?.holder === holder;
  }

  /** Gives a lease back before it runs out (a node stopping). */
  async releaseLeases(q: Queryable, holder: string): Promise<void> {
    await q.deleteFrom("job_leases").where("holder", "=", holder).execute();
  }

  /** Who holds the lease on `name` now, if anyone. */
  async leaseHolder(q: Queryable, name: string, nowMs: number): Promise<string | null> {
    const row = await q
      .selectFrom("job_leases")
      .select("holder")
      .where("name", "=", name)
      .where("expires_at", ">", nowMs)
      .executeTakeFirst();
    return row?.holder ?? null;
  }
}
