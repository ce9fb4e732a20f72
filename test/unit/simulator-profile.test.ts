import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadProfile, parseProfile, pickByShare } from "../../simulator/profile.js";

describe("fleet profiles", () => {
  it.each(readdirSync("simulator/profiles"))("ships a valid %s", async (file) => {
    const profile = await loadProfile(`simulator/profiles/${file}`);
    expect(profile.groups.length).toBeGreaterThan(0);
  });

  it("refuses an invalid profile, naming the field", () => {
    expect(() => parseProfile({ name: "x", models: [], groups: [] }, "bad.json")).toThrow(
      /bad.json[\s\S]*models/,
    );
  });

  it("picks by normalized share", () => {
    const items = [
      { id: "a", share: 3 },
      { id: "b", share: 1 },
    ];
    expect(pickByShare(items, 0.7).id).toBe("a");
    expect(pickByShare(items, 0.8).id).toBe("b");
    expect(pickByShare(items, 0.9999).id).toBe("b");
  });
});
