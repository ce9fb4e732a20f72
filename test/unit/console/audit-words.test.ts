/**
 * The console words every audit action and every server error code: a new one that is not
 * worded would show as a bare code in the audit log.
 */
import { describe, expect, it } from "vitest";
import { AUDIT_ACTIONS } from "../../../server/admins/audit-log.js";
import { AUDIT_TARGET_KINDS } from "../../../server/admins/audit-targets.js";
import {
  AUDIT_ACTION_LABELS,
  actionLabel,
  errorCodeLabel,
  paramLabel,
  TARGET_KIND_LABELS,
} from "../../../server/console/src/audit-words.js";
import { ERROR_STATUS } from "../../../server/errors.js";

describe("audit log words", () => {
  it("has words for every action the server records, and no others", () => {
    expect(Object.keys(AUDIT_ACTION_LABELS).sort()).toEqual([...AUDIT_ACTIONS].sort());
  });

  it("has words for every error code and every target kind", () => {
    const unworded = Object.keys(ERROR_STATUS).filter((code) => errorCodeLabel(code) === code);
    expect(unworded).toEqual([]);
    expect(Object.keys(TARGET_KIND_LABELS).sort()).toEqual([...AUDIT_TARGET_KINDS].sort());
  });

  it("says a failed sign-in in its own words", () => {
    expect(actionLabel({ action: "auth.login", outcome: "success" })).toBe("Signed in");
    expect(actionLabel({ action: "auth.login", outcome: "failure" })).toBe("Failed sign-in");
    expect(actionLabel({ action: "some.future_action", outcome: "success" })).toBe("some.future_action");
    expect(paramLabel("maxUses")).toBe("Max uses");
    expect(paramLabel("ntpServer")).toBe("NTP server");
  });
});
