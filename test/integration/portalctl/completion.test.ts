/**
 * `portalctl completion bash|zsh`: scripts the shells accept (`bash -n`, `zsh -n`), and a bash
 * completion run as bash runs it (COMP_WORDS and COMP_CWORD set, the function called) that
 * offers portalctl's commands, flags and the choices of `-o`/`--output`.
 */
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Portalctl, portalctlHome } from "../../helpers/portalctl.js";

const exec = promisify(execFile);

let cli: Portalctl;
let bashScript: string;
let zshScript: string;

beforeAll(async () => {
  cli = await portalctlHome();
  const [bash, zsh] = await Promise.all([cli.run(["completion", "bash"]), cli.run(["completion", "zsh"])]);
  expect(bash.code, bash.stderr).toBe(0);
  expect(zsh.code, zsh.stderr).toBe(0);
  bashScript = join(cli.home, "portalctl.bash");
  zshScript = join(cli.home, "_portalctl");
  await Promise.all([writeFile(bashScript, bash.stdout), writeFile(zshScript, zsh.stdout)]);
});
afterAll(async () => {
  await cli?.cleanup();
});

/** What the bash completion offers for the command line `words`, the last one being completed. */
async function complete(...words: string[]): Promise<string[]> {
  const quoted = words.map((w) => `'${w.replaceAll("'", "'\\''")}'`).join(" ");
  const { stdout } = await exec("bash", [
    "-c",
    `source "$1"; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _portalctl; printf '%s\\n' "\${COMPREPLY[@]}"`,
    "bash",
    bashScript,
  ]);
  return stdout.split("\n").filter((w) => w !== "");
}

describe("portalctl completion", () => {
  it("prints a bash script that bash accepts and a zsh script that zsh accepts", async () => {
    await expect(exec("bash", ["-n", bashScript])).resolves.toMatchObject({ stderr: "" });
    await expect(exec("zsh", ["-n", zshScript])).resolves.toMatchObject({ stderr: "" });
  });

  it("completes commands, subcommands, flags and the output formats in bash", async () => {
    const [top, sub, flags, output, short, afterGlobal, long] = await Promise.all([
      complete("portalctl", "roll"),
      complete("portalctl", "rollouts", ""),
      complete("portalctl", "rollouts", "list", "-"),
      complete("portalctl", "rollouts", "list", "--output", ""),
      complete("portalctl", "devices", "get", "-o", "y"),
      complete("portalctl", "--server", "https://mdm.example.com", "audit", "-o", ""),
      complete("portalctl", "sites", "list", "--out"),
    ]);
    expect(top).toEqual(["rollouts"]);
    expect(sub).toEqual(expect.arrayContaining(["list", "get", "status", "create", "approve", "cancel"]));
    expect(flags).toEqual(expect.arrayContaining(["-o", "--output", "--server", "--token", "--help"]));
    expect(output).toEqual(["table", "json", "yaml", "csv"]);
    expect(short).toEqual(["yaml"]);
    expect(afterGlobal).toEqual(["table", "json", "yaml", "csv"]);
    expect(long).toEqual(["--output"]);
  });

  it("refuses a shell it has no script for", async () => {
    const fish = await cli.run(["completion", "fish"]);
    expect(fish.code).toBe(2);
    expect(fish.stdout).toBe("");
    expect(fish.stderr).toMatch(/^error: no completion for 'fish': bash or zsh \(usage\)\n$/);
  });
});
