/**
 * How a Linux device is told which NTP server to use: a systemd-timesyncd drop-in with `NTP=`
 * and a restart, or a chrony sources file and `chronyc reload sources`. The device's config
 * file names the mechanism; each one owns exactly one file, which it removes again when the
 * time source goes back to automatic (the distribution's own servers).
 */
import { NTP_PORT, type NtpServerAddress } from "../../clock/ntp-server.js";
import type { CommandRunner } from "./command-runner.js";

export const NTP_MECHANISMS = ["timesyncd", "chrony"] as const;
export type NtpMechanismName = (typeof NTP_MECHANISMS)[number];

export interface NtpMechanism {
  readonly name: NtpMechanismName;
  /** Throws, before anything changes, when this mechanism cannot use `server`. */
  check(server: NtpServerAddress | null): void;
  /** `null`: back to the automatic time source. */
  apply(runner: CommandRunner, server: NtpServerAddress | null): Promise<void>;
}

const HEADER = "# Written by portal-agent: the NTP server set in portal-mdm. Removed when it is automatic.\n";

export class TimesyncdMechanism implements NtpMechanism {
  readonly name = "timesyncd";

  constructor(readonly dropInFile: string) {}

  check(server: NtpServerAddress | null): void {
    // systemd-timesyncd always talks to port 123 (systemd issue #32218).
    if (server?.port != null && server.port !== NTP_PORT) {
      throw new Error(
        `systemd-timesyncd cannot use NTP port ${server.port}, only ${NTP_PORT}; ` +
          `set ntp.mechanism to "chrony" in the agent's config to use ${server.host}:${server.port}`,
      );
    }
  }

  async apply(runner: CommandRunner, server: NtpServerAddress | null): Promise<void> {
    this.check(server);
    if (server) await runner.writeFile(this.dropInFile, `${HEADER}[Time]\nNTP=${server.host}\n`);
    else await runner.removeFile(this.dropInFile);
    await runner.run("systemctl", ["restart", "systemd-timesyncd.service"]);
  }
}

export class ChronyMechanism implements NtpMechanism {
  readonly name = "chrony";

  constructor(readonly sourcesFile: string) {}

  check(): void {}

  async apply(runner: CommandRunner, server: NtpServerAddress | null): Promise<void> {
    if (server) {
      const port = server.port === null ? "" : ` port ${server.port}`;
      await runner.writeFile(this.sourcesFile, `${HEADER}server ${server.host}${port} iburst prefer\n`);
    } else {
      await runner.removeFile(this.sourcesFile);
    }
    await runner.run("chronyc", ["reload", "sources"]);
  }
}
