/**
 * Enrollment tokens, for bulk and automated setups that enroll without a code: create one (its
 * secret is shown once), see each token's uses and state, revoke one that must stop working.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { query } from "../api";
import { LabelChips, NO_SITE, parseLabels, SiteSelect, useLabels, useSites } from "../devices/organize";
import { errorOfField, formError } from "../form-errors";
import { formatCount, formatDateTime, timeAgo } from "../format";
import { useNow, useResync, useServerEvents, useThrottled } from "../hooks";
import { useSearchParam } from "../router";
import { useSession } from "../session";
import {
  ENROLLMENT_TOKEN_STATES,
  type EnrollmentToken,
  type EnrollmentTokenState,
  type Page,
  type Site,
} from "../types";
import {
  Badge,
  Card,
  ConfirmDialog,
  EmptyState,
  ErrorNote,
  Field,
  Link,
  SecretBox,
  Spinner,
  type Tone,
} from "../ui";

/** Tokens per page; a reload asks for as many as are shown, up to the API's most. */
const TOKEN_PAGE_SIZE = 25;
const MAX_PAGE_SIZE = 200;
/** Enrollments announce only the device they made: the list reloads at most this often. */
const RELOAD_INTERVAL_MS = 1000;

const STATE_LABELS: Record<EnrollmentTokenState, string> = {
  usable: "Usable",
  used_up: "Used up",
  expired: "Expired",
  revoked: "Revoked",
};
const STATE_TONES: Record<EnrollmentTokenState, Tone> = {
  usable: "green",
  used_up: "neutral",
  expired: "amber",
  revoked: "red",
};

type StateFilter = EnrollmentTokenState | "all";

/** The creation form's fields, as the API names them in a refusal. */
const TOKEN_FORM_FIELDS = ["name", "maxUses", "expiresInSeconds", "labels", "siteId"];

function isStateFilter(value: string): value is StateFilter {
  return value === "all" || (ENROLLMENT_TOKEN_STATES as readonly string[]).includes(value);
}

/** What a token is called in sentences: its name, or its id when it has none. */
function tokenLabel(token: EnrollmentToken): string {
  return token.name || `token ${token.id}`;
}

/** The state now: a usable token whose expiry has passed since it was listed is expired. */
function stateAt(token: EnrollmentToken, nowMs: number): EnrollmentTokenState {
  return token.state === "usable" && Date.parse(token.expiresAt) <= nowMs ? "expired" : token.state;
}

export function EnrollmentTokens() {
  const session = useSession();
  const { api } = session;
  // In the address (`?tokens=`), so a reload or Back keeps it; usable when absent.
  const [filterParam, setFilterParam] = useSearchParam("tokens");
  const filter: StateFilter = isStateFilter(filterParam) ? filterParam : "usable";
  const setFilter = (next: StateFilter) => setFilterParam(next === "usable" ? null : next);
  const [tokens, setTokens] = useState<EnrollmentToken[] | null>(null);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [created, setCreated] = useState<{ label: string; token: string } | null>(null);
  const [revoking, setRevoking] = useState<EnrollmentToken | null>(null);
  const now = useNow(15_000);
  // Site names need devices:read; without it a token's site shows as its id.
  const sites = useSites({ enabled: session.can("devices:read") });
  const siteName = (id: string) => sites.items?.find((s) => s.id === id)?.name;
  /** Answers to older requests (another filter, an earlier reload) are dropped. */
  const generation = useRef(0);
  const shown = useRef(0);
  shown.current = tokens?.length ?? 0;

  const path = (limit: number, cursor?: string) =>
    `/enrollment-tokens${query({ state: filter === "all" ? undefined : filter, limit, cursor })}`;

  /** The first page again, as long as what is shown: paging on keeps its place. */
  const reload = async () => {
    const mine = ++generation.current;
    const limit = Math.min(MAX_PAGE_SIZE, Math.max(TOKEN_PAGE_SIZE, shown.current));
    try {
      const page = await api.get<Page<EnrollmentToken>>(path(limit));
      if (mine !== generation.current) return;
      setTokens(page.items);
      setNextCursor(page.nextCursor);
      setError(null);
    } catch (err) {
      if (mine === generation.current) setError(err);
    }
  };
  const loadMore = async () => {
    if (!nextCursor || loadingMore) return;
    const mine = generation.current;
    setLoadingMore(true);
    try {
      const page = await api.get<Page<EnrollmentToken>>(path(TOKEN_PAGE_SIZE, nextCursor));
      if (mine !== generation.current) return;
      setTokens((list) => [...(list ?? []), ...page.items]);
      setNextCursor(page.nextCursor);
    } catch (err) {
      setError(err);
    } finally {
      setLoadingMore(false);
    }
  };

  useEffect(() => {
    setTokens(null);
    shown.current = 0;
    void reload();
  }, [filter]);
  useResync(() => void reload());
  // A device that enrolls with a token is announced as an updated device; its token's uses moved.
  const reloadSoon = useThrottled(() => void reload(), RELOAD_INTERVAL_MS);
  useServerEvents(["device.updated"], reloadSoon);

  return (
    <>
      <Card title="Enrollment token for many devices">
        <CreateTokenForm
          sites={sites.items}
          onCreated={async (label, token) => {
            setCreated({ label, token });
            await reload();
          }}
        />
        {created && (
          <div class="notice notice-success" role="status">
            <p>
              Token <strong>{created.label}</strong> created. Copy it now: it is shown only once. Give it to
              the agent with --enroll-token.
            </p>
            <SecretBox label={`Enrollment token ${created.label}`} value={created.token} />
          </div>
        )}
      </Card>
      <Card
        title="Enrollment tokens"
        class="card-flush"
        actions={
          <div class="header-filter">
            <label for="enrollment-token-state" class="small muted">
              State
            </label>
            <select
              id="enrollment-token-state"
              class="input input-small"
              value={filter}
              onChange={(e) => setFilter(e.currentTarget.value as StateFilter)}
            >
              {ENROLLMENT_TOKEN_STATES.map((state) => (
                <option key={state} value={state}>
                  {STATE_LABELS[state]}
                </option>
              ))}
              <option value="all">All</option>
            </select>
          </div>
        }
      >
        {error !== null && (
          <div class="card-body">
            <ErrorNote error={error} />
          </div>
        )}
        {!tokens ? (
          <div class="card-body">
            <Spinner label="Loading enrollment tokens" />
          </div>
        ) : tokens.length === 0 ? (
          <EmptyState
            title={
              filter === "all" ? "No enrollment tokens" : `No ${STATE_LABELS[filter].toLowerCase()} tokens`
            }
          >
            {filter === "usable" ? "Create one above for a rollout of many devices." : undefined}
          </EmptyState>
        ) : (
          <div class="table-scroll">
            <table class="table" aria-label="Enrollment tokens">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">State</th>
                  <th scope="col">Site and labels</th>
                  <th scope="col">Uses</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Created by</th>
                  <th scope="col">Last used</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {tokens.map((token) => {
                  const state = stateAt(token, now);
                  return (
                    <tr key={token.id} data-token-id={token.id}>
                      <td>
                        {token.name ? <strong>{token.name}</strong> : <span class="muted">Unnamed</span>}
                        <div class="small muted mono">{token.id}</div>
                      </td>
                      <td>
                        <Badge
                          tone={STATE_TONES[state]}
                          title={token.revokedAt ? `Revoked ${formatDateTime(token.revokedAt)}` : undefined}
                        >
                          {STATE_LABELS[state]}
                        </Badge>
                      </td>
                      <td>
                        {token.siteId ? (
                          siteName(token.siteId) ? (
                            <Link href={`/sites/${encodeURIComponent(token.siteId)}`}>
                              {siteName(token.siteId)}
                            </Link>
                          ) : (
                            <span class="mono small">{token.siteId}</span>
                          )
                        ) : (
                          <span class="muted">No site</span>
                        )}
                        <LabelChips labels={token.labels ?? []} />
                      </td>
                      <td>
                        {formatCount(token.uses)} of {formatCount(token.maxUses)}
                        {state === "usable" && (
                          <div class="small muted">{formatCount(token.usesLeft)} left</div>
                        )}
                      </td>
                      <td title={formatDateTime(token.expiresAt)}>{timeAgo(token.expiresAt, now)}</td>
                      <td>{token.createdBy ?? "—"}</td>
                      <td title={token.lastUsedAt ? formatDateTime(token.lastUsedAt) : undefined}>
                        {timeAgo(token.lastUsedAt, now)}
                      </td>
                      <td>
                        {state === "usable" && (
                          <button
                            type="button"
                            class="button button-small button-danger-outline"
                            onClick={() => setRevoking(token)}
                          >
                            Revoke
                          </button>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
        {nextCursor && (
          <div class="card-body">
            <button
              type="button"
              class="button button-small"
              disabled={loadingMore}
              onClick={() => void loadMore()}
            >
              {loadingMore ? "Loading…" : "Load more"}
            </button>
          </div>
        )}
        {revoking && (
          <ConfirmDialog
            title={`Revoke ${tokenLabel(revoking)}?`}
            confirmLabel="Revoke token"
            danger
            onClose={() => setRevoking(null)}
            onConfirm={async () => {
              const revoked = await api.post<EnrollmentToken>(
                `/enrollment-tokens/${encodeURIComponent(revoking.id)}/revoke`,
              );
              // Shown as revoked in place until the next reload, which follows the filter.
              setTokens((list) => list?.map((t) => (t.id === revoked.id ? revoked : t)) ?? null);
              session.toast(`${tokenLabel(revoked)} revoked`, "success");
            }}
          >
            <p>
              Devices can no longer enroll with <strong>{tokenLabel(revoking)}</strong>.
              {revoking.uses > 0 &&
                ` The ${revoking.uses === 1 ? "device" : `${formatCount(revoking.uses)} devices`} that already enrolled with it stay managed.`}
            </p>
          </ConfirmDialog>
        )}
      </Card>
    </>
  );
}

function CreateTokenForm(props: {
  /** The sites to pick from; null while loading, or without devices:read. */
  sites: readonly Site[] | null;
  onCreated: (label: string, token: string) => Promise<void>;
}) {
  const session = useSession();
  const [name, setName] = useState("");
  const [siteId, setSiteId] = useState(NO_SITE);
  const [labels, setLabels] = useState("");
  const labelList = useLabels({ enabled: session.can("devices:read") });
  const [maxUses, setMaxUses] = useState(10);
  const [hours, setHours] = useState(24);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  return (
    <form
      class="inline-form token-form"
      onSubmit={async (e) => {
        e.preventDefault();
        if (busy) return;
        setBusy(true);
        setError(null);
        try {
          const trimmed = name.trim();
          const created = await session.api.post<EnrollmentToken & { token: string }>("/enrollment-tokens", {
            maxUses,
            expiresInSeconds: Math.round(hours * 3600),
            ...(trimmed ? { name: trimmed } : {}),
            ...(parseLabels(labels).length > 0 ? { labels: parseLabels(labels) } : {}),
            ...(siteId !== NO_SITE ? { siteId } : {}),
          });
          setName("");
          setLabels("");
          await props.onCreated(tokenLabel(created), created.token);
        } catch (err) {
          setError(err);
        } finally {
          setBusy(false);
        }
      }}
    >
      <Field label="Token name" error={errorOfField(error, "name")}>
        {(id) => (
          <input
            id={id}
            class="input"
            maxLength={100}
            placeholder="e.g. Berlin office rollout"
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
          />
        )}
      </Field>
      <Field label="Devices" error={errorOfField(error, "maxUses")}>
        {(id) => (
          <input
            id={id}
            class="input input-narrow"
            type="number"
            min={1}
            max={1000000}
            value={maxUses}
            onInput={(e) => setMaxUses(Number(e.currentTarget.value))}
          />
        )}
      </Field>
      <Field label="Valid for (hours)" error={errorOfField(error, "expiresInSeconds")}>
        {(id) => (
          <input
            id={id}
            class="input input-narrow"
            type="number"
            min={1}
            max={8760}
            value={hours}
            onInput={(e) => setHours(Number(e.currentTarget.value))}
          />
        )}
      </Field>
      {props.sites && (
        <Field label="Site of its devices" error={errorOfField(error, "siteId")}>
          {(id) => <SiteSelect id={id} sites={props.sites} value={siteId} onChange={setSiteId} />}
        </Field>
      )}
      <Field label="Labels" error={errorOfField(error, "labels")}>
        {(id) => (
          <input
            id={id}
            class="input token-labels"
            list="token-label-options"
            autocomplete="off"
            placeholder="e.g. lobby, Berlin"
            value={labels}
            onInput={(e) => setLabels(e.currentTarget.value)}
          />
        )}
      </Field>
      <datalist id="token-label-options">
        {labelList.items?.map((l) => (
          <option key={l.label} value={l.label} />
        ))}
      </datalist>
      <button type="submit" class="button" disabled={busy}>
        {busy ? "Creating…" : "Create token"}
      </button>
      <ErrorNote error={formError(error, TOKEN_FORM_FIELDS)} />
    </form>
  );
}
