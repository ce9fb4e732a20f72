/**
 * A command and the devices it goes to, picked in a form that sends it later or in parts: the
 * command types the admin holds the right of, with each one's fields (a rename's name, the date
 * & time to set) and, where offered, "Only in the maintenance window"; and a target (every
 * device, a site, a label, a group, listed devices). A form that edits one starts from it. Both
 * are told in words too, with the names of the sites and groups a target names.
 */
import type { ComponentChildren } from "preact";
import { useId, useState } from "preact/hooks";
import { ACTS_WHEN_ISSUED, RIGHT_OF } from "./device-actions";
import { filterSummary } from "./devices/device-query";
import { NO_SITE, SiteSelect, timeSettingWords, useLabels, useSites } from "./devices/organize";
import { errorOfField } from "./form-errors";
import { COMMAND_LABELS, plural } from "./format";
import { useServerEvents } from "./hooks";
import { useList } from "./pages/admins";
import { Choice, NtpField, useTimeZones, ZonePicker } from "./pages/time-settings";
import { useSession } from "./session";
import type { CommandType, DeviceGroup, Site, TimeZone } from "./types";
import { Field } from "./ui";

/** A command as the API takes it: its type and its fields. */
export type CommandBody = { type: CommandType } & Record<string, unknown>;

/** A target as the fleet commands take it. */
export type TargetBody =
  | { all: true }
  | { filter: Record<string, string | number | boolean> }
  | { group: string }
  | { serials: string[] }
  | { deviceIds: string[] };

/** The command types the signed-in admin holds the right of. */
export function useCommandTypes(): CommandType[] {
  const session = useSession();
  return (Object.keys(RIGHT_OF) as CommandType[]).filter((type) => session.can(RIGHT_OF[type]));
}

/**
 * "Only in the maintenance window": the command waits for each device's site's window. `note`
 * says how, where it is offered. Nothing for a command that acts when it is issued.
 */
export function InWindowCheck(props: {
  type: CommandType;
  checked: boolean;
  onChange: (checked: boolean) => void;
  note: string;
}) {
  const id = useId();
  if (ACTS_WHEN_ISSUED.has(props.type)) return null;
  return (
    <div class="check">
      <input
        type="checkbox"
        id={id}
        checked={props.checked}
        onChange={(e) => props.onChange(e.currentTarget.checked)}
      />
      <label for={id}>
        Only in the maintenance window <span class="muted small">({props.note})</span>
      </label>
    </div>
  );
}

type TimeMode = "region" | "auto" | "ntp";

/** A command's fields as the form holds them; a new command's defaults without one. */
function commandForm(command: CommandBody | undefined) {
  const timezone =
    command?.type === "set_time" && typeof command.timezone === "string" ? command.timezone : null;
  const ntp = timezone !== null && typeof command?.ntpServer === "string" ? command.ntpServer : "";
  return {
    newName: command?.type === "rename" && typeof command.name === "string" ? command.name : "",
    timeMode: (timezone !== "auto" ? "region" : ntp ? "ntp" : "auto") as TimeMode,
    zone: timezone === null || timezone === "auto" ? "" : timezone,
    ntp,
    inWindow: command?.inWindow === true,
  };
}

/** The fields of a command the picker sets, besides its type. */
const PICKED_FIELDS = ["name", "timezone", "ntpServer"] as const;

/**
 * The command fields of a form: its type, and a rename's name or the date & time to set; with
 * `windowNote`, "Only in the maintenance window" too. `command` is null while a field it needs
 * is empty. `error` is the form's last refusal: one about `command.<field>` shows beside that
 * field (`fields` lists those shown now). With `initial` (a command edited) the form starts
 * from it, its type cannot change, and `changed` says whether the command differs from it.
 */
export function useCommandPicker(options: {
  name: string;
  error: unknown;
  onError: (err: unknown) => void;
  /** The command edited: its type stays. */
  initial?: CommandBody;
  /** Under the command type, e.g. why it cannot change. */
  typeHint?: string;
  /** Offers "Only in the maintenance window", with what it does here. */
  windowNote?: string;
}): {
  command: CommandBody | null;
  changed: boolean;
  fields: string[];
  /** The server's time zones (null until loaded), for the form's other fields too. */
  zones: TimeZone[] | null;
  view: ComponentChildren;
} {
  const { initial, error } = options;
  const allowed = useCommandTypes();
  const types = initial ? [initial.type] : allowed;
  const [start] = useState(() => commandForm(initial));
  const [type, setType] = useState<CommandType>(types[0] ?? "lock");
  const [newName, setNewName] = useState(start.newName);
  const [timeMode, setTimeMode] = useState<TimeMode>(start.timeMode);
  const [zone, setZone] = useState(start.zone);
  const [ntp, setNtp] = useState(start.ntp);
  const [inWindow, setInWindow] = useState(start.inWindow);
  const zones = useTimeZones(options.onError);

  const waits =
    options.windowNote !== undefined && inWindow && !ACTS_WHEN_ISSUED.has(type) ? { inWindow: true } : {};
  const command: CommandBody | null =
    type === "rename"
      ? newName.trim()
        ? { type, name: newName.trim(), ...waits }
        : null
      : type === "set_time"
        ? (timeMode === "region" && !zone) || (timeMode === "ntp" && !ntp.trim())
          ? null
          : {
              type,
              timezone: timeMode === "region" ? zone : "auto",
              ntpServer: timeMode === "ntp" ? ntp.trim() : null,
              ...waits,
            }
        : { type, ...waits };
  const changed =
    !initial ||
    !command ||
    PICKED_FIELDS.some((field) => (command[field] ?? null) !== (initial[field] ?? null)) ||
    (command.inWindow === true) !== (initial.inWindow === true);

  const view = (
    <>
      <Field label="Command" hint={options.typeHint} error={errorOfField(error, "command.type")}>
        {(id) => (
          <select
            id={id}
            class="input"
            value={type}
            disabled={Boolean(initial)}
            onChange={(e) => setType(e.currentTarget.value as CommandType)}
          >
            {types.map((t) => (
              <option key={t} value={t}>
                {COMMAND_LABELS[t] ?? t}
              </option>
            ))}
          </select>
        )}
      </Field>
      {type === "rename" && (
        <Field
          label="New device name"
          hint="Every device of the target gets this name."
          error={errorOfField(error, "command.name")}
        >
          {(id) => (
            <input
              id={id}
              class="input"
              maxLength={256}
              value={newName}
              onInput={(e) => setNewName(e.currentTarget.value)}
            />
          )}
        </Field>
      )}
      {options.windowNote !== undefined && (
        <InWindowCheck type={type} checked={inWindow} onChange={setInWindow} note={options.windowNote} />
      )}
      {type === "set_time" && (
        <fieldset class="choices">
          <legend class="field-label">Date and time to set</legend>
          <Choice
            name={`${options.name}-time`}
            mode="region"
            current={timeMode}
            onSelect={setTimeMode}
            title="A time zone"
            text="A fixed time zone; time from the network."
          >
            {timeMode === "region" && <ZonePicker zones={zones} value={zone} onChange={setZone} />}
          </Choice>
          <Choice
            name={`${options.name}-time`}
            mode="auto"
            current={timeMode}
            onSelect={setTimeMode}
            title="Automatic"
            text="Time zone and time from the network."
          />
          <Choice
            name={`${options.name}-time`}
            mode="ntp"
            current={timeMode}
            onSelect={setTimeMode}
            title="Automatic, with an NTP server"
            text="Time zone from the network; time from your NTP server."
          >
            {timeMode === "ntp" && <NtpField value={ntp} onChange={setNtp} />}
          </Choice>
        </fieldset>
      )}
    </>
  );
  const fields = ["command.type", ...(type === "rename" ? ["command.name"] : [])];
  return { command, changed, fields, zones, view };
}

/** "kept": a target edited that no other choice can hold, sent on as it is. */
type TargetKind = "all" | "site" | "label" | "group" | "devices" | "kept";

/** "A1, A2\nA3" → ["A1", "A2", "A3"]. */
const listed = (text: string) => [...new Set(text.split(/[\s,;]+/).filter(Boolean))];

/** A target's choice and fields as the form holds them; every device without one. */
function targetForm(target: unknown) {
  const form = {
    kind: "all" as TargetKind,
    siteId: "",
    label: "",
    groupId: "",
    listedBy: "serials" as "serials" | "deviceIds",
    devicesText: "",
  };
  if (target === undefined) return form;
  const t = (target ?? {}) as {
    all?: boolean;
    deviceIds?: string[];
    serials?: string[];
    group?: string;
    filter?: Record<string, unknown>;
  };
  const filterKeys = t.filter ? Object.keys(t.filter) : [];
  if (t.all) form.kind = "all";
  else if (filterKeys.length === 1 && typeof t.filter?.site === "string") {
    form.kind = "site";
    form.siteId = t.filter.site;
  } else if (filterKeys.length === 1 && typeof t.filter?.label === "string") {
    form.kind = "label";
    form.label = t.filter.label;
  } else if (typeof t.group === "string") {
    form.kind = "group";
    form.groupId = t.group;
  } else if (t.serials || t.deviceIds) {
    form.kind = "devices";
    form.listedBy = t.serials ? "serials" : "deviceIds";
    form.devicesText = (t.serials ?? t.deviceIds ?? []).join("\n");
  } else form.kind = "kept";
  return form;
}

/**
 * A select of labels or groups, each with its device count; the value is kept as an option of
 * its own while the list does not hold it (a label no device carries any more).
 */
function CountedField(props: {
  label: string;
  /** The hint when the list is empty. */
  none: string;
  items: { value: string; name: string; devices: number }[] | undefined;
  value: string;
  onChange: (value: string) => void;
}) {
  const { items, value } = props;
  return (
    <Field label={props.label} hint={items?.length === 0 ? props.none : undefined}>
      {(id) => (
        <select id={id} class="input" value={value} onChange={(e) => props.onChange(e.currentTarget.value)}>
          {value && !items?.some((item) => item.value === value) && (
            <option value={value}>{items ? value : "Loading…"}</option>
          )}
          {items?.map((item) => (
            <option key={item.value} value={item.value}>
              {item.name} ({plural(item.devices, "device")})
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

/**
 * The target fields of a form: every device, a site, a label, a group or listed devices, as
 * radio choices under `legend`. `when` ends each choice's text: "when it starts". `target` is
 * null while the choice needs something not picked yet. With `initial` (a target edited) the
 * form starts from it, or offers "As it is" (told by `keptText`) for one no choice can hold;
 * `changed` says whether the target differs from it.
 */
export function useTargetPicker(options: {
  name: string;
  legend: string;
  when: string;
  error?: unknown;
  /** The target edited. */
  initial?: unknown;
  /** The edited target in words, for "As it is". */
  keptText?: string;
}): {
  target: TargetBody | null;
  changed: boolean;
  fields: string[];
  view: ComponentChildren;
} {
  const [start] = useState(() => targetForm(options.initial));
  const [kind, setKind] = useState<TargetKind>(start.kind);
  const [siteId, setSiteId] = useState(start.siteId);
  const [label, setLabel] = useState(start.label);
  const [groupId, setGroupId] = useState(start.groupId);
  const [listedBy, setListedBy] = useState(start.listedBy);
  const [devicesText, setDevicesText] = useState(start.devicesText);
  const sites = useSites({ enabled: kind === "site" });
  const labels = useLabels({ enabled: kind === "label" });
  const groups = useList<DeviceGroup>("/groups");

  const site = siteId || sites.items?.[0]?.id || NO_SITE;
  const labelValue = label || labels.items?.[0]?.label || "";
  const group = groupId || groups.items?.[0]?.id || "";
  const devices = listed(devicesText);
  const target: TargetBody | null =
    kind === "kept"
      ? (options.initial as TargetBody)
      : kind === "all"
        ? { all: true }
        : kind === "site"
          ? { filter: { site } }
          : kind === "label"
            ? labelValue
              ? { filter: { label: labelValue } }
              : null
            : kind === "group"
              ? group
                ? { group }
                : null
              : devices.length > 0
                ? listedBy === "serials"
                  ? { serials: devices }
                  : { deviceIds: devices }
                : null;
  const changed =
    options.initial === undefined ||
    (kind !== "kept" && JSON.stringify(target) !== JSON.stringify(options.initial));
  const when = options.when;
  /** A radio choice of the target; `fields` show while it is picked. */
  const choice = (mode: TargetKind, title: string, text: string, fields?: ComponentChildren) => (
    <Choice
      name={`${options.name}-target`}
      mode={mode}
      current={kind}
      onSelect={setKind}
      title={title}
      text={text}
    >
      {kind === mode && fields}
    </Choice>
  );

  const view = (
    <fieldset class="choices">
      <legend class="field-label">{options.legend}</legend>
      {start.kind === "kept" && choice("kept", "As it is", options.keptText ?? "The target it has now.")}
      {choice("all", "All devices", `Every managed device ${when}.`)}
      {choice(
        "site",
        "A site",
        `The devices in the site ${when}.`,
        <Field label="Site">
          {(id) => (
            <SiteSelect
              id={id}
              sites={sites.items}
              value={site}
              noneLabel="Devices in no site"
              onChange={setSiteId}
            />
          )}
        </Field>,
      )}
      {choice(
        "label",
        "A label",
        `The devices carrying the label ${when}.`,
        <CountedField
          label="Label"
          none="No device carries a label yet."
          items={labels.items?.map((l) => ({ value: l.label, name: l.label, devices: l.devices }))}
          value={labelValue}
          onChange={setLabel}
        />,
      )}
      {choice(
        "group",
        "A group",
        `The devices its filter matches ${when}.`,
        <CountedField
          label="Group"
          none="There are no groups yet."
          items={groups.items?.map((g) => ({ value: g.id, name: g.name, devices: g.devices }))}
          value={group}
          onChange={setGroupId}
        />,
      )}
      {choice(
        "devices",
        "Listed devices",
        "Serial numbers or device ids, pasted.",
        <>
          <Field label="Listed by">
            {(id) => (
              <select
                id={id}
                class="input"
                value={listedBy}
                onChange={(e) => setListedBy(e.currentTarget.value as "serials" | "deviceIds")}
              >
                <option value="serials">Serial number</option>
                <option value="deviceIds">Device id</option>
              </select>
            )}
          </Field>
          <Field
            label="Devices"
            hint={`One a line, or separated by commas${devices.length > 0 ? ` · ${plural(devices.length, "device")}` : ""}`}
            error={errorOfField(options.error, `target.${listedBy}`)}
          >
            {(id) => (
              <textarea
                id={id}
                class="input mono"
                rows={4}
                value={devicesText}
                onInput={(e) => setDevicesText(e.currentTarget.value)}
              />
            )}
          </Field>
        </>,
      )}
    </fieldset>
  );
  const fields = kind === "devices" ? [`target.${listedBy}`] : [];
  return { target, changed, fields, view };
}

/** "Reboot", "Rename to “Lobby”", "Set date & time: Europe/Berlin". */
export function commandWords(command: CommandBody): string {
  const label = COMMAND_LABELS[command.type] ?? command.type;
  if (command.type === "rename" && typeof command.name === "string") return `${label} to “${command.name}”`;
  if (command.type === "set_time" && typeof command.timezone === "string") {
    const ntp = typeof command.ntpServer === "string" ? command.ntpServer : null;
    return `${label}: ${timeSettingWords({ timezone: command.timezone, ntpServer: ntp })}`;
  }
  return label;
}

/** The sites and groups a target may name, so it reads with their names rather than ids. */
export interface TargetNames {
  sites: readonly Site[] | null;
  groups: readonly DeviceGroup[] | null;
}

export function useTargetNames(): TargetNames {
  const sites = useSites();
  const groups = useList<DeviceGroup>("/groups");
  useServerEvents(["group.created", "group.updated", "group.deleted"], () => void groups.reload());
  return { sites: sites.items, groups: groups.items };
}

/** A target in words: "every device", "3 devices", "group Lobby screens", "site Berlin office". */
export function targetWords(target: unknown, names: TargetNames): string {
  const t = (target ?? {}) as {
    all?: boolean;
    deviceIds?: string[];
    serials?: string[];
    group?: string;
    /** A group as a rollout recorded it: its name then. */
    name?: string;
    filter?: Record<string, string | number | boolean>;
  };
  if (t.all) return "every device";
  if (t.deviceIds) return plural(t.deviceIds.length, "device");
  if (t.serials) return `${plural(t.serials.length, "device")} by serial number`;
  if (t.group !== undefined) {
    const group = names.groups?.find((g) => g.id === t.group);
    return `group ${group?.name ?? t.name ?? t.group}`;
  }
  if (t.filter) {
    const site = names.sites?.find((s) => s.id === t.filter?.site);
    return filterSummary(site ? { ...t.filter, site: site.name } : t.filter);
  }
  return "—";
}
