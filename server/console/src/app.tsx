/**
 * The console shell: who is signed in (or the login page), the sidebar and header with the
 * live-connection indicator, the toasts, and which page the path shows.
 */
import type { ComponentChildren } from "preact";
import { useContext, useEffect, useMemo, useRef, useState } from "preact/hooks";
import { Api, ApiError } from "./api";
import { EventStream, type StreamState } from "./events";
import { Icon } from "./icons";
import { AdminsPage } from "./pages/admins";
import { AuditPage } from "./pages/audit";
import { ConnectPage } from "./pages/connect";
import { DeviceDetailsPage } from "./pages/device-details";
import { DevicesPage } from "./pages/devices";
import { FleetPage } from "./pages/fleet";
import { LoginPage, ResetPasswordPage } from "./pages/login";
import { RolesPage } from "./pages/roles";
import { TimeSettingsPage } from "./pages/time-settings";
import { TokensPage } from "./pages/tokens";
import { navigate, useLocation } from "./router";
import { type Session, SessionContext, type ToastTone } from "./session";
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

  const session = useMemo<Session>(() => {
    const rights = new Set(me.rights);
    return {
      api,
      events,
      me,
      viaToken: props.viaToken,
      can: (right: Right) => rights.has(right),
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
        <Sidebar path={location.path} />
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
              <span class="account-name">
                <strong>{me.name}</strong>
                <span class="muted">{me.role.name}</span>
              </span>
              <Menu
                label="Account"
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
            <Routes path={location.path} />
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
  right?: Right;
}

const NAV: { section: string; items: NavItem[] }[] = [
  {
    section: "Devices",
    items: [
      { href: "/devices", label: "Devices", icon: "devices", right: "devices:read" },
      { href: "/fleet", label: "Fleet actions", icon: "fleet", right: "devices:read" },
      { href: "/connect", label: "Connect a device", icon: "connect", right: "enrollment:manage" },
    ],
  },
  {
    section: "Settings",
    items: [{ href: "/settings/time", label: "Date and time", icon: "clock", right: "devices:read" }],
  },
  {
    section: "Administration",
    items: [
      { href: "/admins", label: "Admins", icon: "admins", right: "admins:manage" },
      { href: "/roles", label: "Roles", icon: "roles", right: "roles:manage" },
      { href: "/tokens", label: "API tokens", icon: "tokens" },
      { href: "/audit", label: "Audit log", icon: "audit", right: "audit:read" },
    ],
  },
];

function Sidebar(props: { path: string }) {
  const session = useSessionSafe();
  return (
    <nav class="sidebar" aria-label="Main">
      <Link href="/devices" class="brand">
        <span class="brand-mark" aria-hidden="true" />
        <span>
          portal<strong>mdm</strong>
        </span>
      </Link>
      {NAV.map((group) => {
        const visible = group.items.filter((item) => !item.right || session?.can(item.right));
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
    </nav>
  );
}

function useSessionSafe(): Session | null {
  return useContext(SessionContext);
}

function Routes(props: { path: string }): ComponentChildren {
  const { path } = props;
  if (path === "/" || path === "") {
    // The devices are the home page; the address says so without a second render.
    history.replaceState(null, "", `/devices${location.search}`);
    return <DevicesPage />;
  }
  const device = /^\/devices\/([^/]+)$/.exec(path);
  if (device) return <DeviceDetailsPage deviceId={decodeURIComponent(device[1]!)} />;
  if (path === "/devices") return <DevicesPage />;
  const batch = /^\/fleet\/([^/]+)$/.exec(path);
  if (batch) return <FleetPage batchId={decodeURIComponent(batch[1]!)} />;
  if (path === "/fleet") return <FleetPage batchId={null} />;
  if (path === "/connect") return <ConnectPage />;
  if (path === "/settings/time") return <TimeSettingsPage />;
  if (path === "/admins") return <AdminsPage />;
  if (path === "/roles") return <RolesPage />;
  if (path === "/tokens") return <TokensPage />;
  if (path === "/audit") return <AuditPage />;
  if (path === "/account/password") return <ResetPasswordPage embedded />;
  return (
    <div class="empty">
      <p class="empty-title">Page not found</p>
      <p>
        <Link href="/devices">Go to devices</Link>
      </p>
    </div>
  );
}
