/**
 * The order in which a device tries its broker URLs: first the preferred one, the next one after
 * a failed attempt (round robin), the same one once more after an accepted connection dropped,
 * and a new list that keeps the URL in use when it has it.
 */
import { describe, expect, it } from "vitest";
import { BrokerRotation } from "../../../../agent/transport/broker-rotation.js";

const A = "mqtt://a:1883";
const B = "mqtt://b:1883";
const C = "wss://c:443/mqtt";
const D = "mqtts://d:8883";

/** Plays attempts against the rotation: `ok` is accepted (and then dropped), `fail` is not. */
function play(rotation: BrokerRotation, outcomes: ("ok" | "fail")[]): string[] {
  const tried: string[] = [];
  for (const outcome of outcomes) {
    tried.push(rotation.current());
    if (outcome === "ok") rotation.connected();
    rotation.ended(outcome === "ok");
  }
  return tried;
}

describe("BrokerRotation", () => {
  it("starts with the first URL and moves round robin after each failed attempt", () => {
    const rotation = new BrokerRotation([A, B, C]);
    expect(play(rotation, ["fail", "fail", "fail", "fail", "fail"])).toEqual([A, B, C, A, B]);
  });

  it("tries the same URL once more after an accepted connection drops, then moves on", () => {
    const rotation = new BrokerRotation([A, B, C]);
    // A works, drops; A again fails; B works, drops; B again works (a restart); drops; B fails; C.
    expect(play(rotation, ["ok", "fail", "ok", "ok", "fail", "fail"])).toEqual([A, A, B, B, B, C]);
  });

  it("stays on a later URL while it works", () => {
    const rotation = new BrokerRotation([A, B]);
    expect(play(rotation, ["fail", "ok", "ok", "ok"])).toEqual([A, B, B, B]);
    expect(rotation.current()).toBe(B);
  });

  it("with one URL, always tries that one", () => {
    const rotation = new BrokerRotation([A]);
    expect(play(rotation, ["fail", "ok", "fail", "fail"])).toEqual([A, A, A, A]);
  });

  it("tells of every move to another URL, and not of a retry of the same one", () => {
    const moves: unknown[] = [];
    const rotation = new BrokerRotation([A, B], (move) => moves.push(move));
    play(rotation, ["ok", "fail", "fail"]);
    expect(moves).toEqual([
      { from: A, to: B, reason: "failed" },
      { from: B, to: A, reason: "failed" },
    ]);
  });

  it("keeps the URL in use at its place in a new list that has it", () => {
    const rotation = new BrokerRotation([A, B, C]);
    play(rotation, ["fail"]);
    rotation.connected();
    expect(rotation.current()).toBe(B);
    rotation.replace([D, B, A]);
    expect(rotation.current()).toBe(B);
    expect(rotation.list()).toEqual([D, B, A]);
    // The connection on B drops, B fails again: the next of the new list follows.
    rotation.ended(true);
    expect(play(rotation, ["fail", "fail", "fail"])).toEqual([B, A, D]);
  });

  it("keeps a live connection to a URL the new list lacks until it ends, then starts the new list", () => {
    const moves: unknown[] = [];
    const rotation = new BrokerRotation([A, B], (move) => moves.push(move));
    rotation.connected();
    rotation.replace([C, D]);
    expect(rotation.current()).toBe(A);
    expect(moves).toEqual([]);
    rotation.ended(true);
    expect(moves).toEqual([{ from: A, to: C, reason: "list_replaced" }]);
    expect(play(rotation, ["fail", "fail", "fail"])).toEqual([C, D, C]);
  });

  it("goes to the new list's first URL at once when no connection is up", () => {
    const rotation = new BrokerRotation([A, B]);
    play(rotation, ["fail"]);
    rotation.replace([C, D]);
    expect(rotation.current()).toBe(C);
  });

  it("takes back a URL it was leaving when a later list names it again", () => {
    const rotation = new BrokerRotation([A, B]);
    rotation.connected();
    rotation.replace([C]);
    rotation.replace([C, A]);
    expect(rotation.current()).toBe(A);
    rotation.ended(true);
    expect(play(rotation, ["fail", "fail"])).toEqual([A, C]);
  });

  it("refuses an empty list", () => {
    expect(() => new BrokerRotation([])).toThrow(/at least one URL/);
    expect(() => new BrokerRotation([A]).replace([])).toThrow(/at least one URL/);
  });
});
