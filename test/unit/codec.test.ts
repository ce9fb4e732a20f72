import fc from "fast-check";
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
import { deviceStateArbitrary } from "../../simulator/fuzz/payload-cases.js";

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

const telemetry = () => ({
  cpuLoadPercent: 12.5,
  memoryTotalBytes: 2e9,
  memoryUsedBytes: 1e9,
  diskTotalBytes: 8e9,
  diskUsedBytes: 4e9,
  uptimeSeconds: 3600,
  os: "Linux",
  osVersion: "6.1",
  batteryPercent: -1,
  interfaces: [],
});

const sampleState = (): DeviceState => ({
  atMs: 1_700_000_000_000,
  name: "Room 1",
  locked: false,
  timezone: "UTC",
  timezoneAutomatic: true,
  ntpServer: null,
  clockOffsetMs: 3,
  lastTimeSyncAtMs: 1_700_000_000_000,
  timeSyncError: null,
  bootTimeMs: 1_690_000_000_000,
  agentVersion: "1.0.0",
  appliedConfigVersion: 1,
  signingKeysVersion: 1,
  model: "Portal",
  serial: "S1",
  telemetry: telemetry(),
});

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
    // Why a desired config did not apply: the version and the reason, or nothing at all.
    const failing = {
      ...state,
      configError: { version: 4, message: "time zone 'Asia/Kolkata' is not installed" },
    };
    expect(decodeDeviceState(encodeDeviceState(failing))).toEqual(failing);
    expect(decodeDeviceState(encodeDeviceState({ ...state, configError: null })).configError).toBeUndefined();
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

  it("refuses a state whose times no Date can hold, whose offset or versions no store's integer holds, or whose load is not a number", () => {
    const base = decodeDeviceState(encodeDeviceState(sampleState()));
    const bad: Partial<DeviceState>[] = [
      { bootTimeMs: 8.64e15 + 1 },
      { atMs: 2 ** 62 },
      { lastTimeSyncAtMs: 2 ** 63 },
      // -2^63 would make abs() overflow in SQLite and BIGINT overflow in PostgreSQL.
      { clockOffsetMs: -(2 ** 63) },
      { clockOffsetMs: 8.64e15 + 1 },
      { appliedConfigVersion: 2 ** 60 },
      { signingKeysVersion: 2 ** 54 },
      { telemetry: { ...telemetry(), cpuLoadPercent: Number.NaN } },
      { telemetry: { ...telemetry(), cpuLoadPercent: Number.POSITIVE_INFINITY } },
    ];
    for (const change of bad) {
      const bytes = encodeDeviceState({ ...base, ...change });
      expect(() => decodeDeviceState(bytes), JSON.stringify(change)).toThrow(WireDecodeError);
      // The same state carried by a command result is refused with the whole result.
      const result = encodeCommandResult({
        commandId: "cmd_1",
        status: "succeeded",
        errorCode: "",
        message: "",
        atMs: 1,
        state: { ...base, ...change },
      });
      expect(() => decodeCommandResult(result), JSON.stringify(change)).toThrow(WireDecodeError);
    }
  });

  it("decodes any encodable state into one the store keeps exactly, or refuses it", () => {
    fc.assert(
      fc.property(deviceStateArbitrary, (state) => {
        let decoded: DeviceState;
        try {
          decoded = decodeDeviceState(encodeDeviceState(state));
        } catch (err) {
          return err instanceof WireDecodeError;
        }
        // What recordState does with it: ISO times and a JSON round trip without loss.
        for (const ms of [decoded.atMs, decoded.bootTimeMs, decoded.lastTimeSyncAtMs ?? 0]) {
          new Date(ms).toISOString();
        }
        return JSON.stringify(JSON.parse(JSON.stringify(decoded))) === JSON.stringify(decoded);
      }),
      { seed: 20_261_123, numRuns: 500 },
    );
  });
});
