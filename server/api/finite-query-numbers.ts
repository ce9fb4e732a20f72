/**
 * Refuses a numeric query parameter that reads as ±Infinity (`?limit=1e400`). ajv coerces the
 * string to Infinity, counts it as an integer and lets it past `minimum`/`maximum`, and the
 * value then fails deep in SQLite with a 500. Checked before validation, on the raw strings,
 * for the parameters whose schema is a number or an integer.
 */
import type { FastifyRequest } from "fastify";
import { MdmError } from "../errors.js";
import type { App } from "./context.js";

interface QuerySchema {
  properties?: Record<string, { type?: unknown }>;
}

const NUMERIC_TYPES: ReadonlySet<unknown> = new Set(["number", "integer"]);

export function registerFiniteQueryNumbers(app: App): void {
  app.addHook("preValidation", async (request: FastifyRequest) => {
    const properties = (request.routeOptions.schema?.querystring as QuerySchema | undefined)?.properties;
    if (!properties) return;
    const query = request.query as Record<string, unknown>;
    for (const [name, value] of Object.entries(query)) {
      if (!NUMERIC_TYPES.has(properties[name]?.type)) continue;
      for (const item of Array.isArray(value) ? value : [value]) {
        const number = typeof item === "string" ? Number(item) : Number.NaN;
        if (number === Number.POSITIVE_INFINITY || number === Number.NEGATIVE_INFINITY) {
          throw new MdmError("validation_failed", `querystring field '${name}' must be a finite number`, {
            field: name,
            in: "querystring",
          });
        }
      }
    }
  });
}
