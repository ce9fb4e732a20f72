/** Builds the web console once before the suite (skipped when it is up to date), so the
 * end-to-end tests drive what `npm start` serves. */
import { buildConsole } from "../server/console/build.js";

export default async function setup(): Promise<void> {
  await buildConsole();
}
