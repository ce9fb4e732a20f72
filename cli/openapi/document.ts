/**
 * What portalctl reads from the OpenAPI document at run time, so that its flags follow the API
 * instead of a second list: a route's query parameters (the device list's filters become
 * `devices list` flags) and the fields of a fleet command's `{filter}` target (`--filter k=v`).
 * Values given as text are converted by the field's schema (boolean, integer, enum).
 */
import { readFileSync } from "node:fs";
import { CliError, EXIT } from "../errors.js";

interface JsonSchema {
  type?: string;
  enum?: unknown[];
  description?: string;
  anyOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
}

interface Operation {
  parameters?: { name: string; in: string; schema: JsonSchema; description?: string }[];
  requestBody?: { content: { "application/json": { schema: JsonSchema } } };
}

interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, JsonSchema> };
}

let cached: Document | undefined;
function document(): Document {
  cached ??= JSON.parse(readFileSync(new URL("./openapi.json", import.meta.url), "utf8")) as Document;
  return cached;
}

export interface Field {
  name: string;
  schema: JsonSchema;
  description: string | undefined;
}

function operation(path: string, method: string): Operation {
  const op = document().paths[path]?.[method];
  if (!op) throw new Error(`the OpenAPI document has no ${method.toUpperCase()} ${path}`);
  return op;
}

/** The query parameters of a route, in the document's order. */
export function queryFields(path: string, method = "get"): Field[] {
  return (operation(path, method).parameters ?? [])
    .filter((p) => p.in === "query")
    .map((p) => ({ name: p.name, schema: p.schema, description: p.description ?? p.schema.description }));
}

/** The fields a fleet command's `{filter: {...}}` target takes. */
export function deviceFilterFields(): Field[] {
  const body = operation("/api/v1/batches", "post").requestBody?.content["application/json"].schema;
  const filter = body?.properties?.target?.anyOf?.find((t) => t.properties?.filter)?.properties?.filter;
  return Object.entries(filter?.properties ?? {}).map(([name, schema]) => ({
    name,
    schema,
    description: schema.description,
  }));
}

/** What a field's value looks like, for help texts: `true|false`, `active|reset`, `N`, `TEXT`. */
export function valueHint(field: Field): string {
  if (field.schema.enum) return field.schema.enum.join("|");
  if (field.schema.type === "boolean") return "true|false";
  if (field.schema.type === "integer" || field.schema.type === "number") return "N";
  return "text";
}

/** A value given as text, as the field's schema wants it. */
export function convertValue(field: Field, text: string): string | number | boolean {
  const bad = (what: string) =>
    new CliError(`${field.name} must be ${what}, not '${text}'`, "invalid_value", EXIT.usage);
  const { type, enum: choices } = field.schema;
  if (type === "boolean") {
    if (text === "true" || text === "false") return text === "true";
    throw bad("true or false");
  }
  if (type === "integer" || type === "number") {
    const n = Number(text);
    if (text.trim() === "" || !Number.isFinite(n) || (type === "integer" && !Number.isInteger(n))) {
      throw bad(type === "integer" ? "a whole number" : "a number");
    }
    return n;
  }
  if (choices && !choices.includes(text)) throw bad(`one of ${choices.join(", ")}`);
  return text;
}

/** `key=value` pairs into an object of the fields' types; a key no field has is refused. */
export function parsePairs(pairs: readonly string[], fields: readonly Field[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    const key = at > 0 ? pair.slice(0, at) : "";
    const field = fields.find((f) => f.name === key);
    if (!field) {
      throw new CliError(
        `--filter takes key=value with a key of ${fields.map((f) => f.name).join(", ")}; got '${pair}'`,
        "invalid_filter",
        EXIT.usage,
      );
    }
    out[key] = convertValue(field, pair.slice(at + 1));
  }
  return out;
}

/** A component schema's enum field, e.g. the command states in the order the API lists them. */
export function componentEnum(component: string, property: string): string[] {
  const values = document().components.schemas[component]?.properties?.[property]?.enum;
  if (!values) throw new Error(`the OpenAPI document has no enum ${component}.${property}`);
  return values.map(String);
}
