// Regenerates proto/gen/ from proto/portal.proto: `npm run proto`.
// The generated files are committed so that running the project needs no code generation;
// test/unit/proto-generated.test.ts checks that they match what this script produces.
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const protoDir = dirname(fileURLToPath(import.meta.url));
const outFile = process.argv[2] ?? join(protoDir, "gen", "portal.js");
mkdirSync(dirname(outFile), { recursive: true });
execFileSync(
  process.execPath,
  [
    join(protoDir, "..", "node_modules", "protobufjs-cli", "bin", "pbjs"),
    "--target",
    "static-module",
    "--wrap",
    "esm",
    "--dependency",
    "protobufjs/minimal.js",
    "--force-number",
    "--no-verify",
    "--no-delimited",
    "--no-typeurl",
    "--no-convert",
    "--dts",
    "--out",
    outFile,
    join(protoDir, "portal.proto"),
  ],
  { stdio: "inherit" },
);
