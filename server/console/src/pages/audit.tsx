/**
 * The audit log: every admin action, newest first, with new rows arriving live. Each row says
 * who did what in words, names its target with a link to it, and opens on its details (the
 * parameters as a list, or as JSON). The filters live in the address, and the CSV export takes
 * the same ones.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { query } from "../api";
import {
  actionLabel,
  commandTypeOf,
  errorCodeLabel,
  paramLabel,
  paramValue,
  TARGET_KIND_LABELS,
  targetHref,
} from "../audit-words";
import { COMMAND_LABELS, formatDateTime } from "../format";
import { useResync, useServerEvents, useThrottled, useTitle } from "../hooks";
import { setSearchParams, useLocation } from "../router";
import { useSession } from "../session";
import "../styles/audit.css";
import type { AuditEntry, Page } from "../types";
import { Badge, EmptyState, ErrorNote, Link, PageHeader, Spinner } from "../ui";

const PAGE_SIZE = 100;
/** New rows arrive in bursts (a script's run); the newest page is fetched at most this often. */
const LIVE_RELOAD_MS = 500;

const FILTER_KEYS = ["actor", "action", "target", "outcome", "since", "until"] as const;
type FilterKey = (typeof FILTER_KEYS)[number];
type Filters = Record<FilterKey, string>;

function filtersOf(search: URLSearchParams): Filters {
  return Object.fromEntries(FILTER_KEYS.map((key) => [key, search.get(key) ?? ""])) as Filters;
}

/**
 * The API's query for the console's filters: text filters match any part in any case; the
 * times typed are local and sent as instants.
 */
function apiFilters(filters: Filters): Record<string, string> {
  const localTime = (value: string) => {
    const ms = value ? new Date(value).getTime() : Number.NaN;
    return Number.isFinite(ms) ? new Date(ms).toISOString() : "";
  };
  return {
    actorContains: filters.actor.trim(),
    actionContains: filters.action.trim(),
    targetContains: filters.target.trim(),
    outcome: filters.outcome === "success" || filters.outcome === "failure" ? filters.outcome : "",
    since: localTime(filters.since),
    until: localTime(filters.until),
  };
}

export function AuditPage() {
  useTitle("Audit log");
  const session = useSession();
  const { api } = session;
  const { search } = useLocation();
  const applied = filtersOf(search);
  const appliedKey = JSON.stringify(applied);
  const [draft, setDraft] = useState<Filters>(applied);
  const [items, setItems] = useState<AuditEntry[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [exportError, setExportError] = useState<unknown>(null);
  /** Answers to requests for other filters are dropped. */
  const generation = useRef(0);
  const itemsRef = useRef(items);
  itemsRef.current = items;

  // Back and Forward change the address: the form follows it. Not on the first render: the
  // draft already starts from the address, and what was typed before effects ran would be lost.
  const draftFollows = useRef(appliedKey);
  useEffect(() => {
    if (draftFollows.current === appliedKey) return;
    draftFollows.current = appliedKey;
    setDraft(applied);
  }, [appliedKey]);

  const listPath = (extra: Record<string, string | number | null> = {}) =>
    `/audit${query({ ...apiFilters(applied), limit: PAGE_SIZE, ...extra })}`;

  const load = async () => {
    const mine = ++generation.current;
    try {
      const page = await api.get<Page<AuditEntry>>(listPath());
      if (mine !== generation.current) return;
      setItems(page.items);
      setCursor(page.nextCursor);
      setError(null);
    } catch (err) {
      if (mine === generation.current) setError(err);
    }
  };
  useEffect(() => {
    setItems(null);
    void load();
  }, [appliedKey]);
  useResync(() => void load());

  /** The newest page again; rows above the newest shown are added on top. */
  const addNewest = async () => {
    const shown = itemsRef.current;
    if (!shown) return;
    const mine = generation.current;
    const page = await api.get<Page<AuditEntry>>(listPath()).catch(() => null);
    if (!page || mine !== generation.current) return;
    const top = Number(shown[0]?.id ?? 0);
    const newer = page.items.filter((e) => Number(e.id) > top);
    // More new rows than a page: the list starts again from the newest.
    if (newer.length === page.items.length && page.nextCursor !== null && shown.length > 0) {
      setItems(page.items);
      setCursor(page.nextCursor);
      return;
    }
    if (newer.length > 0) setItems((list) => [...newer, ...(list ?? [])]);
  };
  const addNewestSoon = useThrottled(() => void addNewest(), LIVE_RELOAD_MS);
  useServerEvents(["audit.appended"], addNewestSoon);

  const loadOlder = async () => {
    if (!cursor) return;
    const mine = generation.current;
    try {
      const page = await api.get<Page<AuditEntry>>(listPath({ cursor }));
      if (mine !== generation.current) return;
      setItems((list) => [...(list ?? []), ...page.items]);
      setCursor(page.nextCursor);
    } catch (err) {
      setError(err);
    }
  };

  const exportPath = `/api/v1/audit/export.csv${query(apiFilters(applied))}`;
  /** With an API token the browser sends no cookie: the file is fetched with the token instead. */
  const exportWithToken = async (event: MouseEvent) => {
    if (!session.viaToken) return;
    event.preventDefault();
    setExportError(null);
    try {
      const response = await fetch(exportPath, { headers: { authorization: `Bearer ${api.token}` } });
      if (!response.ok) throw new Error(`The export failed (${response.status}).`);
      const url = URL.createObjectURL(await response.blob());
      const link = document.createElement("a");
      link.href = url;
      link.download = "audit.csv";
      link.click();
      window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      setExportError(err);
    }
  };

  const anyFilter = FILTER_KEYS.some((key) => applied[key]);
  const textInput = (key: "actor" | "action" | "target", label: string, placeholder: string) => (
    <div class="filter">
      <label for={`audit-${key}`} class="small muted">
        {label}
      </label>
      <input
        id={`audit-${key}`}
        class="input"
        type="search"
        placeholder={placeholder}
        value={draft[key]}
        onInput={(e) => setDraft({ ...draft, [key]: e.currentTarget.value })}
      />
    </div>
  );
  const timeInput = (key: "since" | "until", label: string) => (
    <div class="filter">
      <label for={`audit-${key}`} class="small muted">
        {label}
      </label>
      <input
        id={`audit-${key}`}
        class="input"
        type="datetime-local"
        value={draft[key]}
        onInput={(e) => setDraft({ ...draft, [key]: e.currentTarget.value })}
      />
    </div>
  );

  return (
    <>
      <PageHeader
        title="Audit log"
        subtitle="Every action taken by an admin or a token, newest first"
        actions={
          <a class="button" href={exportPath} download onClick={exportWithToken}>
            Export CSV
          </a>
        }
      />
      <ErrorNote error={exportError} />
      <form
        class="toolbar toolbar-labelled audit-filters"
        aria-label="Filter the audit log"
        onSubmit={(e) => {
          e.preventDefault();
          // A step of its own: Back returns to the log as it was before.
          setSearchParams(draft, { replace: false });
        }}
      >
        {textInput("actor", "Actor", "part of an email")}
        {textInput("action", "Action", "e.g. login, command")}
        {textInput("target", "Target", "name or id")}
        <div class="filter">
          <label for="audit-outcome" class="small muted">
            Outcome
          </label>
          <select
            id="audit-outcome"
            class="input"
            value={draft.outcome}
            onChange={(e) => setDraft({ ...draft, outcome: e.currentTarget.value })}
          >
            <option value="">Any</option>
            <option value="success">Success</option>
            <option value="failure">Failure</option>
          </select>
        </div>
        {timeInput("since", "Since")}
        {timeInput("until", "Until")}
        <div class="audit-filter-buttons">
          <button type="submit" class="button">
            Apply
          </button>
          {anyFilter && (
            <button
              type="button"
              class="button"
              onClick={() =>
                setSearchParams(Object.fromEntries(FILTER_KEYS.map((key) => [key, null])), { replace: false })
              }
            >
              Clear filters
            </button>
          )}
        </div>
      </form>
      <ErrorNote error={error} />
      {!items ? (
        error ? null : (
          <Spinner label="Loading the audit log" />
        )
      ) : items.length === 0 ? (
        <EmptyState title="Nothing in the audit log matches" />
      ) : (
        <div class="table-card">
          <table class="table audit-table" aria-label="Audit log">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Outcome</th>
                <th scope="col">
                  <span class="visually-hidden">Details</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((entry) => (
                <AuditRow key={entry.id} entry={entry} />
              ))}
            </tbody>
          </table>
          {cursor && (
            <footer class="table-footer">
              <button type="button" class="button button-small" onClick={() => void loadOlder()}>
                Load older entries
              </button>
            </footer>
          )}
        </div>
      )}
    </>
  );
}

function AuditRow(props: { entry: AuditEntry }) {
  const { entry } = props;
  const [open, setOpen] = useState(false);
  const detailsId = `audit-details-${entry.id}`;
  const label = actionLabel(entry);
  const commandType = commandTypeOf(entry);
  const command = commandType ? (COMMAND_LABELS[commandType] ?? commandType) : null;
  return (
    <>
      <tr class={`audit-row ${open ? "is-open" : ""}`} data-audit-id={entry.id} data-action={entry.action}>
        <td class="audit-when" data-label="When">
          <time dateTime={entry.at}>{formatDateTime(entry.at)}</time>
        </td>
        <td class="audit-actor" data-label="Actor">
          <Actor entry={entry} />
        </td>
        <td class="audit-action" data-label="Action">
          {label}
          {command && <span class="muted"> · {command}</span>}
        </td>
        <td class="audit-target" data-label="Target">
          <Target entry={entry} />
        </td>
        <td class="audit-outcome" data-label="Outcome">
          <Badge tone={entry.outcome === "success" ? "green" : "red"}>
            {entry.outcome === "success" ? "Success" : "Failed"}
          </Badge>
          {entry.errorCode && (
            <span class="audit-reason small" data-error-code={entry.errorCode}>
              {errorCodeLabel(entry.errorCode)} <code class="mono muted">{entry.errorCode}</code>
            </span>
          )}
        </td>
        <td class="audit-toggle">
          <button
            type="button"
            class="button button-small"
            aria-expanded={open}
            aria-controls={detailsId}
            onClick={() => setOpen(!open)}
          >
            Details
            <span class="visually-hidden">
              {" "}
              of {label}, {formatDateTime(entry.at)}
            </span>
          </button>
        </td>
      </tr>
      <tr id={detailsId} class="audit-details-row" hidden={!open}>
        <td colSpan={6}>{open && <AuditDetails entry={entry} />}</td>
      </tr>
    </>
  );
}

function Actor(props: { entry: AuditEntry }) {
  const { entry } = props;
  if (entry.actor) return <span class="audit-email">{entry.actor.email}</span>;
  if (entry.actorEmail) {
    return (
      <span class="audit-email">
        {entry.actorEmail} <span class="muted small">(email tried)</span>
      </span>
    );
  }
  return <span class="muted">System</span>;
}

function Target(props: { entry: AuditEntry }) {
  const session = useSession();
  const { entry } = props;
  if (entry.target === null) return <span class="muted">—</span>;
  const href = targetHref(entry);
  const name = entry.targetName ?? entry.target;
  return (
    <span class="audit-target-name">
      {entry.targetKind && (
        <span class="muted small">{TARGET_KIND_LABELS[entry.targetKind] ?? entry.targetKind} </span>
      )}
      {href && session.mayOpen(href) ? (
        <Link href={href}>{name}</Link>
      ) : (
        <span class={entry.targetName ? "" : "mono small"}>{name}</span>
      )}
    </span>
  );
}

function AuditDetails(props: { entry: AuditEntry }) {
  const { entry } = props;
  const [asJson, setAsJson] = useState(false);
  const params = (entry.params ?? {}) as Record<string, unknown>;
  const keys = Object.keys(params);
  return (
    <div class="audit-details">
      <dl class="audit-facts">
        <dt>Action</dt>
        <dd>
          {actionLabel(entry)} <code class="mono muted">{entry.action}</code>
        </dd>
        {entry.target !== null && (
          <>
            <dt>Target id</dt>
            <dd class="mono">{entry.target}</dd>
          </>
        )}
        {entry.errorCode && (
          <>
            <dt>Failure</dt>
            <dd>
              {errorCodeLabel(entry.errorCode)} <code class="mono muted">{entry.errorCode}</code>
            </dd>
          </>
        )}
        <dt>From</dt>
        <dd class="mono">{entry.sourceAddress ?? "—"}</dd>
        {entry.credentialId && (
          <>
            <dt>Credential</dt>
            <dd class="mono">{entry.credentialId}</dd>
          </>
        )}
      </dl>
      <div class="audit-params-header">
        <h3 class="audit-params-title">Parameters</h3>
        {keys.length > 0 && (
          <button
            type="button"
            class="button button-small"
            aria-pressed={asJson}
            onClick={() => setAsJson(!asJson)}
          >
            Show as JSON
          </button>
        )}
      </div>
      {keys.length === 0 ? (
        <p class="muted small">None</p>
      ) : asJson ? (
        <pre class="audit-json mono" data-testid="audit-json">
          {JSON.stringify(params, null, 2)}
        </pre>
      ) : (
        <dl class="audit-params-list">
          {keys.map((key) => (
            <div key={key} class="audit-param">
              <dt>{paramLabel(key)}</dt>
              <dd>{paramValue(params[key])}</dd>
            </div>
          ))}
        </dl>
      )}
    </div>
  );
}
