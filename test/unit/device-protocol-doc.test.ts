/**
 * docs/device-protocol.md is the contract other teams implement from, so its catalogue of error
 * codes must be the code's: every code a device may send (DEVICE_RESULT_CODES), every code the
 * server sets on commands (SERVER_COMMAND_CODES) and every HTTP code the device-side enrollment
 * routes can answer, each with its status, and no code that none of them has.
 *
 * The enrollment codes are derived from the source rather than listed here: the public routes of
 * server/api/routes/enrollment.ts name the service methods they call; those methods (and the
 * EnrollmentService and DeviceService methods they call in turn) name the MdmError codes they
 * throw; server/api/http-app.ts names the codes every route can answer (validation, malformed
 * bodies, rate limits, failures).
 *
 * The fields a device reads must be the code's too: the credentials answer (its example and its
 * table) has exactly the fields of the API's `Credentials` schema, and the document's
 * `DesiredConfig` has exactly the fields of proto/portal.proto, with their numbers.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEVICE_RESULT_CODES, SERVER_COMMAND_CODES } from "../../proto/result-codes.js";
import { Credentials } from "../../server/api/schemas.js";
import { ERROR_STATUS, type ErrorCode } from "../../server/errors.js";

const root = new URL("../../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), "utf8");

const DOC_PATH = "docs/device-protocol.md";

// ---- what the code says ---------------------------------------------------------------------

const isErrorCode = (code: string): code is ErrorCode => Object.hasOwn(ERROR_STATUS, code);

/** The body of a class method at the top level of a class (two-space indent, biome-formatted). */
function methodBody(source: string, name: string): string | null {
  const start = new RegExp(
    `^  (?:(?:private|protected|public|static|async|readonly)\\s+)*${name}\\s*[<(]`,
    "m",
  ).exec(source);
  if (!start) return null;
  const end = source.indexOf("\n  }\n", start.index);
  return source.slice(start.index, end === -1 ? undefined : end);
}

const thrownCodes = (body: string) =>
  [...body.matchAll(/new MdmError\(\s*"([a-z_]+)"/g)].map((m) => m[1]!).filter(isErrorCode);

interface Sources {
  enrollmentRoutes: string;
  enrollmentService: string;
  deviceService: string;
  httpApp: string;
}

function readSources(): Sources {
  return {
    enrollmentRoutes: read("server/api/routes/enrollment.ts"),
    enrollmentService: read("server/enrollment/enrollment-service.ts"),
    deviceService: read("server/devices/device-service.ts"),
    httpApp: read("server/api/http-app.ts"),
  };
}

/** The EnrollmentService methods that the public (device-side) enrollment routes call. */
function deviceSideMethods(routes: string): string[] {
  const blocks = routes.split(/\n {2}app\.(?:get|post|put|patch|delete)\(/).slice(1);
  const methods = blocks
    .filter((block) => block.includes('access: "public"'))
    .flatMap((block) => [...block.matchAll(/\benrollment\.(\w+)\(/g)].map((m) => m[1]!));
  return [...new Set(methods)];
}

/** Every code the device-side enrollment routes can answer, with where each was found. */
function enrollmentHttpCodes(sources: Sources): Map<ErrorCode, string> {
  const found = new Map<ErrorCode, string>();
  const visited = new Set<string>();
  const classes = { EnrollmentService: sources.enrollmentService, DeviceService: sources.deviceService };
  const walk = (className: keyof typeof classes, method: string, required: boolean) => {
    const key = `${className}.${method}`;
    if (visited.has(key)) return;
    visited.add(key);
    const body = methodBody(classes[className], method);
    if (!body) {
      // The entry points must exist; other `this.x(` calls may be fields holding functions.
      if (required) throw new Error(`${key} not found: the derivation needs updating`);
      return;
    }
    for (const code of thrownCodes(body)) if (!found.has(code)) found.set(code, key);
    for (const m of body.matchAll(/\bthis\.(\w+)\(/g)) walk(className, m[1]!, false);
    if (className === "EnrollmentService") {
      for (const m of body.matchAll(/\bthis\.deps\.devices\.(\w+)\(/g)) walk("DeviceService", m[1]!, false);
    }
  };
  for (const method of deviceSideMethods(sources.enrollmentRoutes)) walk("EnrollmentService", method, true);
  // What the HTTP layer answers on any route: its literals that are catalogue codes.
  for (const m of sources.httpApp.matchAll(/"([a-z_]+)"/g)) {
    const code = m[1]!;
    if (isErrorCode(code) && !found.has(code)) found.set(code, "server/api/http-app.ts");
  }
  return found;
}

// ---- what the document says ------------------------------------------------------------------

const KINDS = ["device result", "server command", "enrollment HTTP"] as const;
type Kind = (typeof KINDS)[number];

interface CatalogueRow {
  code: string;
  kind: string;
  status: string;
}

/** The rows of the table in the document's "Error codes" section. */
function catalogueRows(doc: string): CatalogueRow[] {
  const section = /^## Error codes\n([\s\S]*?)(?=^## )/m.exec(doc)?.[1];
  if (!section) throw new Error(`${DOC_PATH} has no "## Error codes" section`);
  const table = section.split(/^### /m)[0]!;
  return table
    .split("\n")
    .filter((line) => /^\| `/.test(line))
    .map((line) => {
      const cells = line
        .split("|")
        .slice(1, -1)
        .map((c) => c.trim());
      return {
        code: cells[0]!.replace(/^`|`$/g, ""),
        kind: cells[1] ?? "",
        status: cells[2] ?? "",
      };
    });
}

interface Required {
  deviceResult: Record<string, string>;
  serverCommand: Record<string, string>;
  enrollmentHttp: ReadonlySet<ErrorCode>;
}

/** Everything wrong with the document's catalogue; empty when it matches the code. */
function catalogueProblems(doc: string, required: Required): string[] {
  const rows = catalogueRows(doc);
  const problems: string[] = [];
  const seen = new Set<string>();
  const byKind = new Map<Kind, Set<string>>(KINDS.map((k) => [k, new Set()]));
  for (const row of rows) {
    const label = `\`${row.code}\` (${row.kind})`;
    if (!(KINDS as readonly string[]).includes(row.kind)) {
      problems.push(`${label}: kind must be one of ${KINDS.join(", ")}`);
      continue;
    }
    const kind = row.kind as Kind;
    if (seen.has(`${kind}/${row.code}`)) problems.push(`${label}: listed twice`);
    seen.add(`${kind}/${row.code}`);
    byKind.get(kind)!.add(row.code);
    if (kind === "device result" || kind === "server command") {
      const catalogue = kind === "device result" ? required.deviceResult : required.serverCommand;
      const description = catalogue[row.code];
      if (description === undefined) {
        problems.push(`${label}: in no catalogue of proto/result-codes.ts`);
        continue;
      }
      // Each description starts with the outcome it goes with: "rejected: …", "canceled: …".
      const outcome = description.slice(0, description.indexOf(":"));
      const expected = kind === "device result" ? outcome.toUpperCase() : outcome;
      if (row.status !== expected) problems.push(`${label}: status is ${expected}, not ${row.status}`);
    } else {
      if (!isErrorCode(row.code)) {
        problems.push(`${label}: not in server/errors.ts`);
        continue;
      }
      if (!required.enrollmentHttp.has(row.code)) {
        problems.push(`${label}: no device-side enrollment route answers it`);
      }
      const status = String(ERROR_STATUS[row.code]);
      if (row.status !== status) problems.push(`${label}: HTTP status is ${status}, not ${row.status}`);
    }
  }
  const expectAll = (kind: Kind, codes: Iterable<string>) => {
    for (const code of codes) {
      if (!byKind.get(kind)!.has(code)) problems.push(`\`${code}\` (${kind}) is missing`);
    }
  };
  expectAll("device result", Object.keys(required.deviceResult));
  expectAll("server command", Object.keys(required.serverCommand));
  expectAll("enrollment HTTP", required.enrollmentHttp);
  return problems;
}

// ---- the tests --------------------------------------------------------------------------------

const sources = readSources();
const enrollmentCodes = enrollmentHttpCodes(sources);
const required: Required = {
  deviceResult: DEVICE_RESULT_CODES,
  serverCommand: SERVER_COMMAND_CODES,
  enrollmentHttp: new Set(enrollmentCodes.keys()),
};
const doc = read(DOC_PATH);

describe("the enrollment codes derived from the source", () => {
  it("come from the device-side routes and everything they call", () => {
    expect(deviceSideMethods(sources.enrollmentRoutes).sort()).toEqual(
      ["enrollWithToken", "poll", "startDeviceCode"].sort(),
    );
    // Thrown in the enrollment service, in the device service it calls, and by the HTTP layer.
    expect(enrollmentCodes.get("slow_down")).toBe("EnrollmentService.poll");
    expect(enrollmentCodes.get("device_already_enrolled")).toMatch(/^DeviceService\./);
    expect(enrollmentCodes.get("device_deactivated")).toMatch(/^DeviceService\./);
    expect(enrollmentCodes.get("rate_limited")).toBe("server/api/http-app.ts");
    expect(enrollmentCodes.get("validation_failed")).toBe("server/api/http-app.ts");
  });

  it("leave out what only admins are answered", () => {
    // The claim and the token routes need a right; their codes are not a device's.
    expect(enrollmentCodes.has("device_code_already_claimed")).toBe(false);
    expect(enrollmentCodes.has("enrollment_token_not_found")).toBe(false);
    expect(enrollmentCodes.has("unauthorized")).toBe(false);
  });
});

describe(`the error code catalogue of ${DOC_PATH}`, () => {
  it("has every code of the code's catalogues, with its status, and no other", () => {
    expect(catalogueProblems(doc, required)).toEqual([]);
  });

  it("is read from the document's table", () => {
    const rows = catalogueRows(doc);
    expect(rows.find((r) => r.code === "bad_signature")).toEqual({
      code: "bad_signature",
      kind: "device result",
      status: "REJECTED",
    });
    expect(rows.filter((r) => r.code === "device_deactivated").map((r) => r.kind)).toEqual([
      "server command",
      "enrollment HTTP",
    ]);
  });

  it("would name a code missing from the document", () => {
    const withoutRow = doc.replace(/^\| `reboot_not_observed` .*\n/m, "");
    expect(withoutRow).not.toBe(doc);
    expect(catalogueProblems(withoutRow, required)).toEqual([
      "`reboot_not_observed` (device result) is missing",
    ]);
  });

  it("would name a code that no catalogue has, and a wrong status", () => {
    const invented = doc.replace(
      /^(\| `timed_out` .*\n)/m,
      "$1| `battery_low` | device result | FAILED | made up | — |\n| `token_gone` | enrollment HTTP | 410 | made up | — |\n",
    );
    const wrongStatus = doc.replace(
      /^\| `slow_down` \| enrollment HTTP \| 429 \|/m,
      "| `slow_down` | enrollment HTTP | 400 |",
    );
    expect(catalogueProblems(invented, required)).toEqual([
      "`battery_low` (device result): in no catalogue of proto/result-codes.ts",
      "`token_gone` (enrollment HTTP): not in server/errors.ts",
    ]);
    expect(catalogueProblems(wrongStatus, required)).toEqual([
      "`slow_down` (enrollment HTTP): HTTP status is 429, not 400",
    ]);
  });
});

// ---- fields ---------------------------------------------------------------------------------

/** The text of a section, from its heading to the next heading of the same or a higher level. */
function section(doc: string, heading: string): string {
  const level = heading.match(/^#+/)![0].length;
  const start = doc.indexOf(`\n${heading}\n`);
  if (start === -1) throw new Error(`${DOC_PATH} has no "${heading}" section`);
  const rest = doc.slice(start + heading.length + 2);
  const next = new RegExp(`^#{1,${level}} `, "m").exec(rest);
  return next ? rest.slice(0, next.index) : rest;
}

/** The top-level fields of the credentials answer: its JSON example's keys and its table's rows. */
function credentialsFields(doc: string): { example: string[]; table: string[] } {
  const text = section(doc, "### The credentials answer");
  const json = /```json\n([\s\S]*?)```/.exec(text)?.[1];
  if (!json) throw new Error("the credentials answer has no JSON example");
  const table = text
    .split("\n")
    .filter((line) => /^\| `/.test(line))
    .map((line) => line.split("|")[1]!.trim().replace(/`/g, "").split(/[.[]/)[0]!);
  return { example: Object.keys(JSON.parse(json) as object).sort(), table: [...new Set(table)].sort() };
}

/** `type name = number` of each field of a message in proto text (comments dropped). */
function messageFields(proto: string, message: string): string[] {
  const body = new RegExp(`message ${message} \\{([\\s\\S]*?)\\n\\}`).exec(proto)?.[1];
  if (body === undefined) throw new Error(`no message ${message}`);
  return body
    .split("\n")
    .map((line) => line.replace(/\/\/.*$/, "").trim())
    .filter(Boolean)
    .map((line) => line.replace(/;$/, "").replace(/\s+/g, " "))
    .sort();
}

function desiredConfigInDoc(doc: string): string[] {
  const proto = /```proto\n([\s\S]*?)```/.exec(section(doc, "## Desired config"))?.[1];
  if (!proto) throw new Error("the desired config section has no proto block");
  return messageFields(proto, "DesiredConfig");
}

const credentialsSchemaFields = Object.keys(Credentials.properties).sort();
const desiredConfigInProto = messageFields(read("proto/portal.proto"), "DesiredConfig");

describe(`the fields ${DOC_PATH} describes`, () => {
  it("are those of the credentials answer, in its example and its table", () => {
    expect(credentialsSchemaFields).toContain("mqttUrls");
    expect(credentialsFields(doc)).toEqual({
      example: credentialsSchemaFields,
      table: credentialsSchemaFields,
    });
  });

  it("are those of DesiredConfig in proto/portal.proto, with their numbers", () => {
    expect(desiredConfigInProto).toContain("repeated string mqtt_urls = 5");
    expect(desiredConfigInDoc(doc)).toEqual(desiredConfigInProto);
  });

  it("would show a field missing from the document", () => {
    const withoutRow = doc.replace(/^\| `mqttUrls` .*\n/m, "");
    expect(withoutRow).not.toBe(doc);
    expect(credentialsFields(withoutRow).table).not.toContain("mqttUrls");
    const withoutField = doc.replace(/^ {2}repeated string mqtt_urls = 5;.*\n/m, "");
    expect(withoutField).not.toBe(doc);
    expect(desiredConfigInDoc(withoutField)).not.toContain("repeated string mqtt_urls = 5");
  });
});
