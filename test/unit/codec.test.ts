import { describe, expect, it } from "vitest";
import {
  decodeCommandResult,
  decodeDesiredConfig,
  decodeDeviceState,
  decodeSignedCommand,
  decodeSigningKeySet,
  encodeCommandBody,
  encodeCommandResult,
  encodeDesiredConfig,
  encodeDeviceState,
  encodeSignedCommand,
  encodeSigningKeySet,
  WireDecodeError,
} from "../../proto/codec.js";
import type { CommandAction, DeviceState } from "../../proto/wire.js";

const actions: CommandAction[] = [
  { type: "lock" },
  { type: "reboot" },
  { type: "factory_reset" },
  { type: "rename", name: "Lobby – east" },
  { type: "set_time", timezone: "Europe/Paris", ntpServer: "time.example.com:123" },
  { type: "set_time", timezone: "auto", ntpServer: null },
  { type: "stop_managing" },
  { type: "deactivate" },
  { type: "refresh_state" },
];

describe("codec", () => {
  it.each(actions)("round-trips a command with action $type", (action) => {
    const command = {
      id: "cmd_1",
      deviceId: "dev_1",
      seq: 7,
      issuedAtMs: 1_700_000_000_000,
      expiresAtMs: 1_800_000_000_000,
      action,
    };
    const bytes = encodeSignedCommand({ commandBytes: encodeCommandBody(command) });
    expect(decodeSignedCommand(bytes).command).toEqual(command);
  });

  it("round-trips results, desired config and state", () => {
    const result = {
      commandId: "cmd_1",
      status: "failed" as const,
      errorCode: "platform_error",
      message: "no",
      atMs: 5,
      state: null,
    };
    expect(decodeCommandResult(encodeCommandResult(result))).toEqual(result);
    const config = { version: 3, name: "Room 1", time: { timezone: "auto", ntpServer: null } };
    expect(decodeDesiredConfig(encodeDesiredConfig(config))).toEqual(config);
    const state: DeviceState = {
      atMs: 1,
      name: "Room 1",
      locked: true,
      timezone: "UTC",
      timezoneAutomatic: true,
      ntpServer: null,
      clockOffsetMs: -12,
      lastTimeSyncAtMs: null,
      timeSyncError: "timeout",
      bootTimeMs: 1000,
      agentVersion: "1.0.0",
      appliedConfigVersion: 3,
      model: "Portal",
      serial: "S1",
      telemetry: null,
      signingKeysVersion: 2,
    };
    expect(decodeDeviceState(encodeDeviceState(state))).toEqual(state);
    const withState = { ...result, status: "succeeded" as const, errorCode: "", message: "", state };
    expect(decodeCommandResult(encodeCommandResult(withState))).toEqual(withState);
  });

  it("round-trips a desired config with the signed key set, and the key set itself", () => {
    const keySet = { version: 2, keys: [{ keyId: "ed25519:00", publicKey: Buffer.alloc(32, 9) }] };
    const keySetBytes = encodeSigningKeySet(keySet);
    expect(decodeSigningKeySet(keySetBytes)).toEqual(keySet);
    const config = {
      version: 4,
      name: "Room 2",
      time: { timezone: "UTC", ntpServer: null },
      signingKeys: { keySetBytes, signature: Buffer.alloc(64, 1), keyId: "ed25519:00" },
    };
    expect(decodeDesiredConfig(encodeDesiredConfig(config))).toEqual(config);
    expect(() => decodeSigningKeySet(Uint8Array.from([0x12, 0x02, 0x12, 0x00]))).toThrow(WireDecodeError);
  });

  it("throws WireDecodeError, never a protobufjs error, on garbage", () => {
    const garbage = [
      Uint8Array.from([0xff, 0xff, 0xff]),
      Uint8Array.from([0x0a, 0x05, 0x01]),
      new Uint8Array(0),
    ];
    for (const bytes of garbage) {
      expect(() => decodeSignedCommand(bytes)).toThrow(WireDecodeError);
      expect(() => decodeCommandResult(bytes)).toThrow(WireDecodeError);
    }
    expect(() => decodeDeviceState(Uint8Array.from([0x08]))).toThrow(WireDecodeError);
  });
});
