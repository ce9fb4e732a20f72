#!/usr/bin/env node
// portalctl's executable (package.json "bin"): runs the TypeScript sources through tsx.
import { register } from "tsx/esm/api";

register();
await import("./main.ts");
