/**
 * The console shell: who is signed in (or the login page), the sidebar and header with the
 * live-connection indicator, the toasts, and which page the path shows.
 */
import { useContext, useEffect, useMemo, useRef, useState } from "preact/hooks";
import { Api, ApiError } from "./api";
import { EventStream, type StreamState } from "./events";
import { Icon } from "./icons";
import { LoginPage, ResetPasswordPage } from "./pages/login";
import { navigate, useLocation } from "./router";
import { RoutedPage, rightOfPath } from "./routes";
import { type Session, SessionContext, type ToastTone } from "./session";
import "./styles/shell.css";
import type { Me, Right } from "./types";
import { Link, Menu, Spinner } from "./ui";

type AuthState =
  | { kind: "loading" }
  | { kind: "signed-out"; notice?: string }
  | { kind: "reset"; me: Me }
  | { kind: "signed-in"; me: Me; viaToken: boolean };

/** Asks the server who the session cookie (or the tab's API token) belongs to. */
export async function whoAmI(api: Api): Promise<AuthState> {
  try {
    const me = await api.get<Me>("/auth/me", { quiet401: true });
    if (me.mustResetPassword && me.credential.type === "session") return { kind: "reset", me };
    return { kind: "signed-in", me, viaToken: api.token !== null };
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      api.token = null;
      return { kind: "signed-out" };
    }
    throw err;
  }
}

export function App() {
  const api = useMemo(() => new Api(), []);
  const [auth, setAuth] = useState<AuthState>({ kind: "loading" });
  const [loadError, setLoadError] = useState<string | null>(null);

  const refresh = async () => {
    try {
      setAuth(await whoAmI(api));
      setLoadError(null);
    } catch (err) {
      setLoadError(err instanceof Error ? err.message : String(err));
    }
  };
  useEffect(() => {
    api.onUnauthorized = () => {
      api.token = null;
      setAuth({ kind: "signed-out", notice: "Your session has ended. Sign in again." });
    };
    void refresh();
  }, []);

  if (loadError) {
    return (
      <main class="centered">
        <p role="alert">The console could not reach the server: {loadError}</p>
        <button type="button" class="button" onClick={() => void refresh()}>
          Try again
        </button>
      </main>
    );
  }
  if (auth.kind === "loading") {
    return (
      <main class="centered">
        <Spinner label="Loading the console" />
      </main>
    );
  }
  if (auth.kind === "signed-out") return <LoginPage api={api} notice={auth.notice} onSignedIn={refresh} />;
  if (auth.kind === "reset") return <ResetPasswordPage api={api} me={auth.me} onDone={refresh} />;
  return (
    <SignedIn
      api={api}
      me={auth.me}
      viaToken={auth.viaToken}
      onSignedOut={() => setAuth({ kind: "signed-out", notice: "You have signed out." })}
      onResetRequired={(me) => setAuth({ kind: "reset", me })}
    />
  );
}

interface Toast {
  id: number;
  message: string;
  tone: ToastTone;
}

function SignedIn(props: {
  api: Api;
  me: Me;
  viaToken: boolean;
  onSignedOut: () => void;
  onResetRequired: (me: Me) => void;
}) {
  const { api } = props;
  // Refreshed when the stream drops: a changed role closes it, and the rights shown follow.
  const [me, setMe] = useState(props.me);
  const meRef = useRef(me);
  meRef.current = me;
  const events = useMemo(() => new EventStream(() => api.token), [api]);
  const [streamState, setStreamState] = useState<StreamState>(events.state);
  const [toasts, setToasts] = useState<Toast[]>([]);
  const [navOpen, setNavOpen] = useState(false);
  const location = useLocation();

  useEffect(() => {
    const off = events.onState(setStreamState);
    // A 401 here signs the console out (Api.onUnauthorized); other failures just retry.
    events.onDrop = () => {
      api
        .get<Me>("/auth/me")
        .then((fresh) => {
          if (fresh.mustResetPassword && fresh.credential.type === "session") props.onResetRequired(fresh);
          else if (JSON.stringify(fresh) !== JSON.stringify(meRef.current)) setMe(fresh);
        })
        .catch(() => undefined);
    };
    events.start();
    return () => {
      off();
      events.stop();
    };
  }, [events]);
  useEffect(() => setNavOpen(false), [location.path]);
  const home = homePath(me.rights);
  // The start page is the first one the admin may open; the address says which at once, so the
  // sidebar marks it and Back does not return to the bare "/".
  const path = location.path === "/" || location.path === "" ? home : location.path;
  useEffect(() => {
    if (path !== location.path) navigate(`${path}${window.location.search}`, { replace: true });
  }, [path, location.path]);
  const account = accountLabels(me);

  const session = useMemo<Session>(() => {
    const rights = new Set(me.rights);
    return {
      api,
      events,
      me,
      viaToken: props.viaToken,
      can: (right: Right) => rights.has(right),
      mayOpen: (path: string) => mayOpen(path.split("?")[0] ?? path, rights),
      toast(message, tone = "info") {
        const id = Date.now() + Math.random();
        setToasts((list) => [...list.slice(-3), { id, message, tone }]);
        window.setTimeout(() => setToasts((list) => list.filter((t) => t.id !== id)), 4000);
      },
      async signOut() {
        if (!props.viaToken) await api.post("/auth/logout").catch(() => undefined);
        api.token = null;
        events.stop();
        props.onSignedOut();
        navigate("/", { replace: true });
      },
    };
  }, [api, events, me]);

  return (
    <SessionContext.Provider value={session}>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <div class={`shell ${navOpen ? "nav-open" : ""}`}>
        <Sidebar path={path} home={home} />
        <div class="shell-main">
          <header class="topbar">
            <button
              type="button"
              class="icon-button nav-toggle"
              aria-label="Menu"
              aria-expanded={navOpen}
              onClick={() => setNavOpen(!navOpen)}
            >
              <Icon name="menu" size={20} />
            </button>
            <div class="topbar-spacer" />
            <ConnectionIndicator state={streamState} />
            <div class="account">
              <span class="account-name" data-testid="account-name">
                <strong>{account.who}</strong>
                <span class="muted">{account.role}</span>
              </span>
              <Menu
                label={account.menuLabel}
                buttonLabel={<span class="avatar">{initials(me.name)}</span>}
                items={[
                  ...(props.viaToken
                    ? []
                    : [{ label: "Change password", onSelect: () => navigate("/account/password") }]),
                  ...(props.viaToken
                    ? []
                    : [
                        {
                          label: "Sign out everywhere",
                          onSelect: async () => {
                            await api.post("/auth/logout-all").catch(() => undefined);
                            await session.signOut();
                          },
                        },
                      ]),
                  { label: "API docs", onSelect: () => window.open(API_DOCS_PATH, "_blank", "noopener") },
                  "separator",
                  { label: "Sign out", onSelect: () => void session.signOut() },
                ]}
              />
            </div>
          </header>
          {streamState === "reconnecting" && (
            <div class="banner banner-warning" role="status">
              Live updates are disconnected. Reconnecting… Data on this page may be out of date.
            </div>
          )}
          <main id="main" class="content" tabIndex={-1}>
            <RoutedPage path={path} home={home} />
          </main>
        </div>
        {navOpen && (
          <button type="button" class="nav-scrim" aria-label="Close menu" onClick={() => setNavOpen(false)} />
        )}
      </div>
      <div class="toasts" aria-live="polite">
        {toasts.map((t) => (
          <div key={t.id} class={`toast toast-${t.tone}`} role={t.tone === "error" ? "alert" : "status"}>
            {t.message}
          </div>
        ))}
      </div>
    </SessionContext.Provider>
  );
}

/**
 * How the header names the admin: the name, or the email where the name only repeats the
 * role's (the first admin is called "System admin", like its role), then the role apart.
 */
export function accountLabels(me: Me): { who: string; role: string; menuLabel: string } {
  const sameAsRole = me.name.trim().toLowerCase() === me.role.name.trim().toLowerCase();
  const who = sameAsRole || !me.name.trim() ? me.email : me.name;
  const identity = who === me.email ? me.email : `${me.name} (${me.email})`;
  return { who, role: me.role.name, menuLabel: `Account of ${identity}, role ${me.role.name}` };
}

function initials(name: string): string {
  const letters = name
    .split(/\s+/)
    .filter(Boolean)
    .map((part) => part[0]?.toUpperCase() ?? "");
  return (letters.slice(0, 2).join("") || "?").replace(/[^A-Z0-9?]/g, "") || "?";
}

function ConnectionIndicator(props: { state: StreamState }) {
  const label = {
    live: "Live",
    connecting: "Connecting…",
    reconnecting: "Disconnected, reconnecting…",
    stopped: "Disconnected",
  }[props.state];
  return (
    <span
      class={`connection connection-${props.state}`}
      role="status"
      aria-live="polite"
      data-state={props.state}
    >
      <span class="dot" aria-hidden="true" />
      <span class="connection-label">{label}</span>
    </span>
  );
}

interface NavItem {
  href: string;
  label: string;
  icon: string;
}

/** The sidebar; each page's right comes from the route table, so the two cannot disagree. */
const NAV: { section: string; items: NavItem[] }[] = [
  {
    section: "Devices",
    items: [
      { href: "/devices", label: "Devices", icon: "devices" },
      { href: "/groups", label: "Groups", icon: "groups" },
      { href: "/fleet", label: "Fleet actions", icon: "fleet" },
      { href: "/rollouts", label: "Rollouts", icon: "rollouts" },
      { href: "/schedules", label: "Schedules", icon: "schedules" },
      { href: "/connect", label: "Connect a device", icon: "connect" },
    ],
  },
  {
    section: "Settings",
    items: [
      { href: "/settings/time", label: "Date and time", icon: "clock" },
      { href: "/sites", label: "Sites", icon: "sites" },
    ],
  },
  {
    section: "Administration",
    items: [
      { href: "/admins", label: "Admins", icon: "admins" },
      { href: "/roles", label: "Roles", icon: "roles" },
      { href: "/tokens", label: "API tokens", icon: "tokens" },
      { href: "/audit", label: "Audit log", icon: "audit" },
    ],
  },
];

/** The server's interactive API documentation (not a console page: it opens on its own). */
const API_DOCS_PATH = "/api/docs";

function mayOpen(href: string, rights: ReadonlySet<string>): boolean {
  const right = rightOfPath(href);
  return right === undefined || rights.has(right);
}

/**
 * The first page of the sidebar that one of the admin's rights opens; the API tokens (open to
 * everyone) for an admin whose role opens none.
 */
export function homePath(rights: readonly string[]): string {
  const held = new Set(rights);
  for (const group of NAV) {
    for (const item of group.items) {
      const right = rightOfPath(item.href);
      if (right !== undefined && held.has(right)) return item.href;
    }
  }
  return "/tokens";
}

function Sidebar(props: { path: string; home: string }) {
  const session = useSessionSafe();
  const held = new Set<string>(session?.me.rights ?? []);
  return (
    <nav class="sidebar" aria-label="Main">
      <Link href={props.home} class="brand">
        <span class="brand-mark" aria-hidden="true" />
        <span>
          portal<strong>mdm</strong>
        </span>
      </Link>
      {NAV.map((group) => {
        const visible = group.items.filter((item) => mayOpen(item.href, held));
        if (visible.length === 0) return null;
        return (
          <div class="nav-group" key={group.section}>
            <p class="nav-section">{group.section}</p>
            <ul>
              {visible.map((item) => {
                const current = props.path === item.href || props.path.startsWith(`${item.href}/`);
                return (
                  <li key={item.href}>
                    <Link
                      href={item.href}
                      class={`nav-link ${current ? "is-current" : ""}`}
                      aria-current={current ? "page" : undefined}
                    >
                      <span class="nav-icon">
                        <Icon name={item.icon} />
                      </span>
                      {item.label}
                    </Link>
                  </li>
                );
              })}
            </ul>
          </div>
        );
      })}
      <div class="nav-group">
        <p class="nav-section">Help</p>
        <ul>
          <li>
            <a href={API_DOCS_PATH} class="nav-link" target="_blank" rel="noopener">
              <span class="nav-icon">
                <DocsIcon />
              </span>
              API docs
              <span class="visually-hidden"> (opens in a new tab)</span>
            </a>
          </li>
        </ul>
      </div>
    </nav>
  );
}

function DocsIcon() {
  return (
    <svg
      width={18}
      height={18}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      stroke-width="1.8"
      stroke-linecap="round"
      stroke-linejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      <path d="M4 4h6a2 2 0 0 1 2 2v14a2 2 0 0 0-2-2H4zM20 4h-6a2 2 0 0 0-2 2v14a2 2 0 0 1 2-2h6z" />
    </svg>
  );
}

function useSessionSafe(): Session | null {
  return useContext(SessionContext);
}
