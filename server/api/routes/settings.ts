import Type from "typebox";
import { audited } from "../audit-request.js";
import type { ApiServices, App } from "../context.js";
import {
  ClockDriftBody,
  ClockDriftView,
  Device,
  LimitCursor,
  Page,
  TimeSettingsBody,
  TimeSettingsView,
  TimeZoneList,
} from "../schemas.js";

export function settingsRoutes(app: App, { settings, audit }: ApiServices): void {
  app.get(
    "/settings/time",
    {
      config: { right: "devices:read" },
      schema: {
        tags: ["settings"],
        summary: "Global date & time, and how many devices run it",
        response: { 200: TimeSettingsView },
      },
    },
    async () => settings.timeView(),
  );

  app.get(
    "/settings/timezones",
    {
      config: { right: "devices:read" },
      schema: {
        tags: ["settings"],
        summary: "The IANA time zones a date & time setting accepts",
        description:
          "Each zone under its current name (Asia/Kolkata, Europe/Kyiv), with its older names (accepted " +
          "too, stored as the current name), its city, and its UTC offset now, outside and during " +
          "daylight saving time.",
        response: { 200: TimeZoneList },
      },
    },
    async () => ({ zones: settings.timeZones.list() }),
  );

  app.get(
    "/settings/time/pending",
    {
      config: { right: "devices:read" },
      schema: {
        tags: ["settings"],
        summary: "Managed devices that have not applied the global date & time (yet)",
        querystring: Type.Object(LimitCursor),
        response: { 200: Page(Device) },
      },
    },
    async (request) => settings.pendingDevices(request.query.limit ?? 50, request.query.cursor ?? null),
  );

  app.put(
    "/settings/time",
    {
      config: { right: "settings:manage" },
      schema: {
        tags: ["settings"],
        summary: "Set date & time for every device",
        body: TimeSettingsBody,
        response: { 200: TimeSettingsView },
      },
    },
    async (request) =>
      audited(
        audit,
        request,
        { action: "settings.time.update", target: "settings/time", params: { ...request.body } },
        () => settings.setTime(request.body),
      ),
  );

  app.get(
    "/settings/clock-drift",
    {
      config: { right: "devices:read" },
      schema: {
        tags: ["settings"],
        summary: "Clock drift threshold, and how many devices exceed it",
        response: { 200: ClockDriftView },
      },
    },
    async () => settings.clockDriftView(),
  );

  app.put(
    "/settings/clock-drift",
    {
      config: { right: "settings:manage" },
      schema: {
        tags: ["settings"],
        summary: "Set the clock offset beyond which a device is flagged (default 1000 ms)",
        body: ClockDriftBody,
        response: { 200: ClockDriftView },
      },
    },
    async (request) =>
      audited(
        audit,
        request,
        {
          action: "settings.clock_drift.update",
          target: "settings/clock-drift",
          params: { ...request.body },
        },
        () => settings.setClockDrift(request.body),
      ),
  );
}
