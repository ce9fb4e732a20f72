/**
 * The devices page's filters and order as they live in the address (`/devices?online=false&sort=name`),
 * so that a reload keeps them and Back steps through them, and as the API takes them.
 */

export const FILTER_KEYS = [
  "q",
  "online",
  "status",
  "model",
  "locked",
  "clockDrift",
  "configPending",
  "notSeenForDays",
  "agentVersion",
  "timezone",
  "site",
  "label",
] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];
export type Filters = Record<FilterKey, string>;

export const PAGE_SIZES = [25, 50, 100, 200];
/** The largest page GET /devices answers. */
const MAX_PAGE_SIZE = 1000;

export interface DeviceQuery {
  filters: Filters;
  /** The dynamic group shown (`?group=<id>`): its saved filter and `filters` both hold; "" for none. */
  group: string;
  sort: string;
  order: "asc" | "desc";
  pageSize: number;
}

export function deviceQueryFrom(search: URLSearchParams): DeviceQuery {
  const filters = Object.fromEntries(FILTER_KEYS.map((k) => [k, search.get(k) ?? ""])) as Filters;
  const size = Number(search.get("size"));
  return {
    filters,
    group: search.get("group") ?? "",
    sort: search.get("sort") ?? "name",
    order: search.get("order") === "desc" ? "desc" : "asc",
    // Any size the API takes, not only those the menu offers: an address may ask for 8.
    pageSize: Number.isInteger(size) && size >= 1 && size <= MAX_PAGE_SIZE ? size : 50,
  };
}

/** What identifies one listing: a change starts again from the first page. */
export function listKeyOf(query: DeviceQuery): string {
  return JSON.stringify([
    FILTER_KEYS.map((k) => query.filters[k]),
    query.group,
    query.sort,
    query.order,
    query.pageSize,
  ]);
}

export function activeFilterCount(filters: Filters): number {
  return FILTER_KEYS.filter((k) => filters[k]).length;
}

const BOOLEAN_FILTERS: readonly FilterKey[] = ["online", "locked", "clockDrift", "configPending"];

/**
 * The filters as a fleet command's target filter (`{filter}`), or every device when none is
 * set. Booleans and numbers in their JSON types; the schema refuses strings for them.
 */
export function fleetFilterOf(
  filters: Filters,
): { filter: Record<string, string | number | boolean> } | { all: true } {
  const filter: Record<string, string | number | boolean> = {};
  for (const key of FILTER_KEYS) {
    const value = filters[key];
    if (!value) continue;
    if (BOOLEAN_FILTERS.includes(key)) filter[key] = value === "true";
    else if (key === "notSeenForDays") filter[key] = Number(value);
    else filter[key] = value;
  }
  return Object.keys(filter).length > 0 ? { filter } : { all: true };
}

/** A saved filter's fields as the address holds them (text), for the fields the page shows. */
export function filtersOfSaved(saved: Record<string, string | number | boolean>): Partial<Filters> {
  const out: Partial<Filters> = {};
  for (const key of FILTER_KEYS) {
    const value = saved[key];
    if (value !== undefined) out[key] = String(value);
  }
  return out;
}

const FILTER_WORDS: Record<string, (value: string | number | boolean) => string> = {
  q: (v) => `name or serial contains “${v}”`,
  online: (v) => (v ? "online" : "offline"),
  status: (v) =>
    ({ active: "managed", reset: "factory reset", unmanaged: "not managed", deactivated: "deactivated" })[
      String(v)
    ] ?? `status ${v}`,
  model: (v) => `model ${v}`,
  locked: (v) => (v ? "screen locked" : "screen unlocked"),
  clockDrift: (v) => (v ? "clock drifting" : "clock in sync"),
  configPending: (v) => (v ? "settings not applied" : "settings applied"),
  notSeenForDays: (v) => `not seen for ${v} ${Number(v) === 1 ? "day" : "days"}`,
  agentVersion: (v) => `agent ${v}`,
  timezone: (v) => `time zone ${v}`,
  label: (v) => `label “${v}”`,
  site: (v) => (v === "none" ? "in no site" : `site ${v}`),
};

/** A saved filter in words: "offline · label “lobby” · model Portal". */
export function filterSummary(saved: Record<string, string | number | boolean>): string {
  const parts = Object.entries(saved).map(([key, value]) =>
    Object.hasOwn(FILTER_WORDS, key) ? FILTER_WORDS[key]!(value) : `${key} ${String(value)}`,
  );
  return parts.length > 0 ? parts.join(" · ") : "every device";
}
