/** Where the console's sources and built files live; shared by the build and the server. */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const CONSOLE_ROOT = dirname(fileURLToPath(import.meta.url));
export const CONSOLE_DIST = join(CONSOLE_ROOT, "dist");
