/**
 * The devices page's search and filters. The search runs as the admin types (after a pause of
 * {@link SEARCH_DEBOUNCE_MS}), at once on Enter, and clearing the box clears the filter. While
 * a dynamic group is shown, the fields its saved filter sets show the group's values and
 * cannot change.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { FILTER_KEYS, type FilterKey, type Filters } from "./device-query";
import { NO_SITE, useLabels, useSites } from "./organize";

const SEARCH_DEBOUNCE_MS = 250;

export function DeviceFilterBar(props: {
  filters: Filters;
  /** Suggestions from the devices on the page. */
  suggestions: { models: string[]; agentVersions: string[]; timezones: string[] };
  /** `typing`: a search refined while typing, which replaces the history entry. */
  onChange: (changes: Partial<Filters>, options?: { typing?: boolean }) => void;
  /** Fields set by the group shown: they show its values and cannot change. */
  fixed?: ReadonlySet<FilterKey>;
  actions?: preact.ComponentChildren;
}) {
  const { filters, onChange, suggestions } = props;
  const fixed = props.fixed ?? new Set<FilterKey>();
  const own = FILTER_KEYS.filter((k) => !fixed.has(k));
  const [search, setSearch] = useState(filters.q);
  /** The last search this box sent: the address catching up with it must not undo typing. */
  const sent = useRef(filters.q);
  const timer = useRef<number | undefined>(undefined);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => () => window.clearTimeout(timer.current), []);
  useEffect(() => {
    if (filters.q !== sent.current) {
      sent.current = filters.q;
      setSearch(filters.q);
    }
  }, [filters.q]);

  const submit = (value: string, typing: boolean) => {
    window.clearTimeout(timer.current);
    const q = value.trim();
    if (q === sent.current) return;
    // Refining a search replaces its history entry; starting or clearing one is a step of its own.
    const refining = typing && sent.current !== "" && q !== "";
    sent.current = q;
    onChange({ q }, { typing: refining });
  };

  return (
    <search class="toolbar device-toolbar">
      <form
        class="search"
        onSubmit={(e) => {
          e.preventDefault();
          // The field's own value: the state may lag a keystroke behind the Enter key.
          submit(input.current?.value ?? search, false);
        }}
      >
        <label class="visually-hidden" for="device-search">
          Search devices by name or serial
        </label>
        <input
          ref={input}
          id="device-search"
          class="input"
          type="search"
          placeholder="Search name or serial…"
          autocomplete="off"
          disabled={fixed.has("q")}
          title={fixed.has("q") ? "Set by the group" : undefined}
          value={search}
          onInput={(e) => {
            const value = e.currentTarget.value;
            setSearch(value);
            window.clearTimeout(timer.current);
            // Emptied (the ✕, or every character deleted): the list is unfiltered at once.
            if (value.trim() === "") submit("", false);
            else timer.current = window.setTimeout(() => submit(value, true), SEARCH_DEBOUNCE_MS);
          }}
        />
      </form>
      <FilterSelect
        label="Connection"
        value={filters.online}
        disabled={fixed.has("online")}
        onChange={(v) => onChange({ online: v })}
        options={[
          ["", "Any connection"],
          ["true", "Online"],
          ["false", "Offline"],
        ]}
      />
      <FilterSelect
        label="Status"
        value={filters.status}
        disabled={fixed.has("status")}
        onChange={(v) => onChange({ status: v })}
        options={[
          ["", "Any status"],
          ["active", "Managed"],
          ["reset", "Factory reset"],
          ["unmanaged", "Not managed"],
          ["deactivated", "Deactivated"],
        ]}
      />
      <FilterSelect
        label="Screen"
        value={filters.locked}
        disabled={fixed.has("locked")}
        onChange={(v) => onChange({ locked: v })}
        options={[
          ["", "Locked or not"],
          ["true", "Locked"],
          ["false", "Unlocked"],
        ]}
      />
      <FilterSelect
        label="Clock"
        value={filters.clockDrift}
        disabled={fixed.has("clockDrift")}
        onChange={(v) => onChange({ clockDrift: v })}
        options={[
          ["", "Any clock"],
          ["true", "Clock drifting"],
          ["false", "Clock in sync"],
        ]}
      />
      <FilterSelect
        label="Settings"
        value={filters.configPending}
        disabled={fixed.has("configPending")}
        onChange={(v) => onChange({ configPending: v })}
        options={[
          ["", "Any settings"],
          ["true", "Settings not applied"],
          ["false", "Settings applied"],
        ]}
      />
      <FilterSelect
        label="Last seen"
        value={filters.notSeenForDays}
        disabled={fixed.has("notSeenForDays")}
        onChange={(v) => onChange({ notSeenForDays: v })}
        options={[
          ["", "Seen any time"],
          ["1", "Not seen for 1 day"],
          ["7", "Not seen for 7 days"],
          ["30", "Not seen for 30 days"],
          ["90", "Not seen for 90 days"],
        ]}
        extra={
          filters.notSeenForDays && !["1", "7", "30", "90"].includes(filters.notSeenForDays)
            ? [filters.notSeenForDays, `Not seen for ${filters.notSeenForDays} days`]
            : undefined
        }
      />
      <FilterInput
        id="model-filter"
        label="Model"
        placeholder="Any model"
        value={filters.model}
        disabled={fixed.has("model")}
        options={suggestions.models}
        onChange={(v) => onChange({ model: v })}
      />
      <FilterInput
        id="agent-version-filter"
        label="Agent version"
        placeholder="Any agent version"
        value={filters.agentVersion}
        disabled={fixed.has("agentVersion")}
        options={suggestions.agentVersions}
        onChange={(v) => onChange({ agentVersion: v })}
      />
      <FilterInput
        id="timezone-filter"
        label="Time zone"
        placeholder="Any time zone"
        value={filters.timezone}
        disabled={fixed.has("timezone")}
        options={suggestions.timezones}
        onChange={(v) => onChange({ timezone: v })}
      />
      <SiteAndLabelFilters filters={filters} fixed={fixed} onChange={onChange} />
      {own.some((k) => filters[k]) && (
        <button
          type="button"
          class="button button-ghost"
          onClick={() => {
            if (!fixed.has("q")) {
              sent.current = "";
              setSearch("");
            }
            onChange(Object.fromEntries(own.map((k) => [k, ""])));
          }}
        >
          Clear filters
        </button>
      )}
      {props.actions}
    </search>
  );
}

function FilterSelect(props: {
  label: string;
  value: string;
  options: [string, string][];
  /** An option the address asks for that the list does not have. */
  extra?: [string, string];
  disabled?: boolean;
  onChange: (value: string) => void;
}) {
  const id = `filter-${props.label.toLowerCase().replaceAll(" ", "-")}`;
  const options = props.extra ? [...props.options, props.extra] : props.options;
  return (
    <div class="filter">
      <label class="visually-hidden" for={id}>
        {props.label}
      </label>
      <select
        id={id}
        class="input"
        value={props.value}
        disabled={props.disabled}
        title={props.disabled ? "Set by the group" : undefined}
        onChange={(e) => props.onChange(e.currentTarget.value)}
      >
        {options.map(([value, label]) => (
          <option key={value} value={value}>
            {label}
          </option>
        ))}
      </select>
    </div>
  );
}

/** Free text with suggestions, applied when it changes (on blur or Enter), not per keystroke. */
function FilterInput(props: {
  id: string;
  label: string;
  placeholder: string;
  value: string;
  options: string[];
  disabled?: boolean;
  onChange: (value: string) => void;
}) {
  // What is typed stays until it is applied; the address then says the same.
  // The first render already holds the value: following it there would drop what was typed
  // before effects ran.
  const [text, setText] = useState(props.value);
  const followed = useRef(props.value);
  useEffect(() => {
    if (followed.current === props.value) return;
    followed.current = props.value;
    setText(props.value);
  }, [props.value]);
  return (
    <div class="filter">
      <label class="visually-hidden" for={props.id}>
        {props.label}
      </label>
      <input
        id={props.id}
        class="input input-narrow"
        list={`${props.id}-options`}
        placeholder={props.placeholder}
        disabled={props.disabled}
        title={props.disabled ? "Set by the group" : undefined}
        value={text}
        onInput={(e) => setText(e.currentTarget.value)}
        onChange={(e) => {
          const value = e.currentTarget.value.trim();
          if (value !== props.value) props.onChange(value);
        }}
      />
      <datalist id={`${props.id}-options`}>
        {props.options.map((m) => (
          <option key={m} value={m} />
        ))}
      </datalist>
    </div>
  );
}

/** Site (any, none, or one of the sites) and label (one of those in use). */
function SiteAndLabelFilters(props: {
  filters: Filters;
  fixed: ReadonlySet<FilterKey>;
  onChange: (changes: Partial<Filters>) => void;
}) {
  const { filters, fixed, onChange } = props;
  const sites = useSites();
  const labels = useLabels();
  const siteKnown =
    !filters.site || filters.site === NO_SITE || sites.items?.some((s) => s.id === filters.site);
  const labelKnown = !filters.label || labels.items?.some((l) => l.label === filters.label);
  return (
    <>
      <FilterSelect
        label="Site"
        value={filters.site}
        disabled={fixed.has("site")}
        onChange={(v) => onChange({ site: v })}
        options={[
          ["", "Any site"],
          [NO_SITE, "No site"],
          ...(sites.items ?? []).map((s): [string, string] => [s.id, s.name]),
        ]}
        extra={siteKnown ? undefined : [filters.site, sites.items ? "Deleted site" : "Loading…"]}
      />
      <FilterSelect
        label="Label"
        value={filters.label}
        disabled={fixed.has("label")}
        onChange={(v) => onChange({ label: v })}
        options={[
          ["", "Any label"],
          ...(labels.items ?? []).map((l): [string, string] => [l.label, l.label]),
        ]}
        extra={labelKnown ? undefined : [filters.label, filters.label]}
      />
    </>
  );
}
