import { describe, expect, it } from "vitest";
import { type AdmissionContext, admitCommand } from "../../../../agent/core/admission.js";
import type { JournalEntry } from "../../../../agent/storage/agent-storage.js";
import type { DeviceCommand, ReceivedCommand } from "../../../../proto/wire.js";

const NOW_MS = 1_800_000_000_000;

/** The signature itself is checked by the context (see signatures.test.ts). */
function command(overrides: Partial<DeviceCommand> = {}): ReceivedCommand {
  return {
    command: {
      id: "cmd_1",
      deviceId: "dev_1",
      seq: 10,
      issuedAtMs: NOW_MS - 1000,
      expiresAtMs: NOW_MS + 1000,
      action: { type: "lock" },
      ...overrides,
    },
    commandBytes: new Uint8Array([1, 2, 3]),
    signature: new Uint8Array(64),
    keyId: "ed25519:test",
  };
}

function context(entries: JournalEntry[] = [], lastSeq = 0, signatureValid = true): AdmissionContext {
  return {
    deviceId: "dev_1",
    nowMs: NOW_MS,
    lastSeq,
    journalEntry: (id) => entries.find((e) => e.commandId === id),
    checkSignature: () =>
      signatureValid ? null : { errorCode: "bad_signature", message: "the signature does not match" },
  };
}

const seen: JournalEntry = { commandId: "cmd_1", seq: 10, type: "lock", state: "accepted" };

describe("admitting a command", () => {
  it("executes a fresh, timely command with a higher seq", () => {
    expect(admitCommand(command(), context([], 9))).toEqual({ verdict: "execute" });
  });

  it("accepts any gap in seq", () => {
    expect(admitCommand(command({ seq: 1000 }), context([], 9)).verdict).toBe("execute");
  });

  it("checks the signature before anything else, even the journal, and never records a forgery", () => {
    const verdict = admitCommand(command({ deviceId: "dev_2", expiresAtMs: 0 }), context([seen], 50, false));
    expect(verdict).toEqual({
      verdict: "reject",
      errorCode: "bad_signature",
      message: "the signature does not match",
      record: false,
    });
  });

  it("hands the exact envelope to the signature check", () => {
    const received = command();
    let checked: unknown;
    admitCommand(received, {
      ...context(),
      checkSignature: (signed) => {
        checked = signed;
        return null;
      },
    });
    expect(checked).toEqual({
      bytes: received.commandBytes,
      signature: received.signature,
      keyId: received.keyId,
    });
  });

  it("checks the device right after the signature", () => {
    const verdict = admitCommand(command({ deviceId: "dev_2", expiresAtMs: 0, seq: 1 }), context([seen], 50));
    expect(verdict).toMatchObject({ verdict: "reject", errorCode: "wrong_device", record: false });
  });

  it("answers a known id from the journal even when it has expired since", () => {
    expect(admitCommand(command({ expiresAtMs: 0 }), context([seen], 10))).toEqual({
      verdict: "duplicate",
      entry: seen,
    });
  });

  it("rejects a command whose expiry is now or past, before looking at seq", () => {
    expect(admitCommand(command({ expiresAtMs: NOW_MS, seq: 1 }), context([], 5))).toMatchObject({
      verdict: "reject",
      errorCode: "expired",
      record: true,
    });
  });

  it("rejects a seq that is not after the last one", () => {
    expect(admitCommand(command({ seq: 10 }), context([], 10))).toMatchObject({
      verdict: "reject",
      errorCode: "out_of_order",
      message: "seq 10 is not after 10",
    });
  });
});
