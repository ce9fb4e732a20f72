/** What a device reports is cut to its bounds, and never stored as broken text. */
import { describe, expect, it } from "vitest";
import {
  boundCommandResult,
  boundDeviceState,
  REPORTED_LIMITS,
} from "../../../server/devices/reported-bounds.js";
import { validState } from "../../../simulator/fuzz/payload-fuzzer.js";

describe("boundDeviceState", () => {
  it("keeps a state within its bounds as it is, and says nothing was cut", () => {
    const state = validState("Lobby");
    expect(boundDeviceState(state)).toEqual({ state, cut: [] });
  });

  it("cuts each string over its bound and names the fields", () => {
    const { state, cut } = boundDeviceState({
      ...validState("x"),
      name: "n".repeat(500),
      agentVersion: "v".repeat(65),
    });
    expect(state.name).toHaveLength(REPORTED_LIMITS.name);
    expect(state.agentVersion).toHaveLength(REPORTED_LIMITS.agentVersion);
    expect(cut.sort()).toEqual(["agentVersion", "name"]);
  });

  it("cuts why a desired config did not apply, and keeps its version", () => {
    const { state, cut } = boundDeviceState({
      ...validState("x"),
      configError: { version: 7, message: `no\u0000${"r".repeat(2000)}` },
    });
    expect(state.configError?.version).toBe(7);
    expect(state.configError?.message).toHaveLength(REPORTED_LIMITS.configError);
    expect(state.configError?.message.startsWith("no\ufffdr")).toBe(true);
    expect(cut).toEqual(["configError"]);
  });

  it("replaces control characters and lone surrogates, and never cuts a surrogate pair in half", () => {
    const emoji = "\u{1F600}";
    const name = "a".repeat(REPORTED_LIMITS.name - 1) + emoji;
    const { state } = boundDeviceState({ ...validState("x"), name, timezone: "Europe/\u0007Paris\ud800" });
    expect(state.name).toBe("a".repeat(REPORTED_LIMITS.name - 1));
    expect(state.timezone).toBe("Europe/\ufffdParis\ufffd");
  });

  it("cuts lists of interfaces and addresses", () => {
    const base = validState("x");
    const interfaces = Array.from({ length: 30 }, (_, i) => ({
      name: `if${i}`,
      mac: "m",
      addresses: Array(20).fill("a"),
    }));
    const { state, cut } = boundDeviceState({ ...base, telemetry: { ...base.telemetry!, interfaces } });
    expect(state.telemetry!.interfaces).toHaveLength(REPORTED_LIMITS["telemetry.interfaces"]);
    expect(state.telemetry!.interfaces[0]!.addresses).toHaveLength(
      REPORTED_LIMITS["telemetry.interfaces.addresses"],
    );
    expect(cut.sort()).toEqual(["telemetry.interfaces", "telemetry.interfaces.addresses"]);
  });
});

describe("boundCommandResult", () => {
  it("cuts the error code, the message and the state it carries", () => {
    const { result, cut } = boundCommandResult({
      commandId: "cmd_1",
      status: "failed",
      errorCode: "e".repeat(1000),
      message: "m".repeat(100_000),
      atMs: 1,
      state: { ...validState("x"), name: "n".repeat(100) },
    });
    expect(result.errorCode).toHaveLength(REPORTED_LIMITS["result.errorCode"]);
    expect(result.message).toHaveLength(REPORTED_LIMITS["result.message"]);
    expect(result.state?.name).toHaveLength(REPORTED_LIMITS.name);
    expect(cut.sort()).toEqual(["name", "result.errorCode", "result.message"]);
  });
});
