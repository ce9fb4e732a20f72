/** The audit log: every admin action, filterable, newest first, with new rows arriving live. */
import { useEffect, useState } from "preact/hooks";
import { query } from "../api";
import { formatDateTime } from "../format";
import { useServerEvents, useTitle } from "../hooks";
import { useSession } from "../session";
import type { AuditEntry, Page } from "../types";
import { Badge, EmptyState, ErrorNote, PageHeader, Spinner } from "../ui";

const EMPTY_FILTERS = { actor: "", action: "", target: "", outcome: "", since: "", until: "" };

export function AuditPage() {
  useTitle("Audit log");
  const { api } = useSession();
  const [filters, setFilters] = useState(EMPTY_FILTERS);
  const [applied, setApplied] = useState(EMPTY_FILTERS);
  const [items, setItems] = useState<AuditEntry[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  const params = (extra: Record<string, string | null> = {}) =>
    query({
      ...applied,
      since: applied.since ? new Date(applied.since).toISOString() : "",
      until: applied.until ? new Date(applied.until).toISOString() : "",
      limit: 100,
      ...extra,
    });
  const load = async () => {
    try {
      const page = await api.get<Page<AuditEntry>>(`/audit${params()}`);
      setItems(page.items);
      setCursor(page.nextCursor);
      setError(null);
    } catch (err) {
      setError(err);
    }
  };
  useEffect(() => void load(), [applied]);
  useServerEvents(["audit.appended"], (event) => {
    const entry = (event.data as { item?: AuditEntry }).item;
    if (!entry?.id || Object.values(applied).some(Boolean)) return;
    setItems((list) => (list && !list.some((e) => e.id === entry.id) ? [entry, ...list] : list));
  });

  const input = (
    key: keyof typeof EMPTY_FILTERS,
    label: string,
    type: "text" | "datetime-local" = "text",
  ) => (
    <div class="filter">
      <label for={`audit-${key}`} class="small muted">
        {label}
      </label>
      {type === "text" ? (
        <input
          id={`audit-${key}`}
          class="input"
          type="text"
          value={filters[key]}
          onInput={(e) => setFilters({ ...filters, [key]: e.currentTarget.value })}
        />
      ) : (
        <input
          id={`audit-${key}`}
          class="input"
          type="datetime-local"
          value={filters[key]}
          onInput={(e) => setFilters({ ...filters, [key]: e.currentTarget.value })}
        />
      )}
    </div>
  );
  return (
    <>
      <PageHeader title="Audit log" subtitle="Every action taken by an admin or a token, newest first" />
      <form
        class="toolbar toolbar-labelled"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(filters);
        }}
      >
        {input("actor", "Actor")}
        {input("action", "Action")}
        {input("target", "Target")}
        <div class="filter">
          <label for="audit-outcome" class="small muted">
            Outcome
          </label>
          <select
            id="audit-outcome"
            class="input"
            value={filters.outcome}
            onChange={(e) => setFilters({ ...filters, outcome: e.currentTarget.value })}
          >
            <option value="">Any</option>
            <option value="success">Success</option>
            <option value="failure">Failure</option>
          </select>
        </div>
        {input("since", "Since", "datetime-local")}
        {input("until", "Until", "datetime-local")}
        <button type="submit" class="button">
          Apply
        </button>
      </form>
      <ErrorNote error={error} />
      {!items ? (
        <Spinner />
      ) : items.length === 0 ? (
        <EmptyState title="Nothing in the audit log matches" />
      ) : (
        <div class="table-card">
          {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region takes focus so a keyboard can scroll the wide log sideways (WCAG 2.1.1) */}
          <section class="table-scroll" tabIndex={0} aria-label="Audit log entries">
            <table class="table" aria-label="Audit log">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Action</th>
                  <th scope="col">Target</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Details</th>
                  <th scope="col">From</th>
                </tr>
              </thead>
              <tbody>
                {items.map((e) => (
                  <tr key={e.id}>
                    <td>{formatDateTime(e.at)}</td>
                    <td>{e.actor?.email ?? <span class="muted">system</span>}</td>
                    <td class="mono small">{e.action}</td>
                    <td class="mono small">{e.target ?? "—"}</td>
                    <td>
                      <Badge
                        tone={e.outcome === "success" ? "green" : "red"}
                        title={e.errorCode ?? undefined}
                      >
                        {e.outcome}
                      </Badge>
                    </td>
                    <td class="mono small audit-params">{e.params ? JSON.stringify(e.params) : ""}</td>
                    <td class="mono small">{e.sourceAddress ?? "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          {cursor && (
            <footer class="table-footer">
              <button
                type="button"
                class="button button-small"
                onClick={async () => {
                  const page = await api.get<Page<AuditEntry>>(`/audit${params({ cursor })}`);
                  setItems((list) => [...(list ?? []), ...page.items]);
                  setCursor(page.nextCursor);
                }}
              >
                Load older entries
              </button>
            </footer>
          )}
        </div>
      )}
    </>
  );
}
