/**
 * Which page each address shows and the right it needs. The shell checks the right before the
 * page is built: an admin without it sees which right is missing, not a failed request, a
 * spinner that never ends or buttons that can only fail. Pages themselves assume the right.
 */
import type { ComponentChildren } from "preact";
import { useTitle } from "./hooks";
import { AdminsPage } from "./pages/admins";
import { AuditPage } from "./pages/audit";
import { ConnectPage } from "./pages/connect";
import { DeviceDetailsPage } from "./pages/device-details";
import { DevicesPage } from "./pages/devices";
import { FleetPage } from "./pages/fleet";
import { GroupsPage } from "./pages/groups";
import { ResetPasswordPage } from "./pages/login";
import { RolesPage } from "./pages/roles";
import { RolloutsPage } from "./pages/rollouts";
import { ScheduleDetailsPage, SchedulesPage } from "./pages/schedules";
import { SiteDetailsPage, SitesPage } from "./pages/sites";
import { TimeSettingsPage } from "./pages/time-settings";
import { TokensPage } from "./pages/tokens";
import { RIGHT_LABELS } from "./rights";
import { useSession } from "./session";
import type { Right } from "./types";
import { Link, PageHeader } from "./ui";

export interface RouteSpec {
  /** Matched against the whole path; its groups are the page's parameters. */
  pattern: RegExp;
  /** The page's name (title, and the heading of the missing-right page). */
  title: string;
  /** The right the page needs; none for pages every signed-in admin may open. */
  right?: Right;
  /** What the right is needed for, as a sentence's subject: "Connecting devices needs …". */
  purpose?: string;
  render(params: string[]): ComponentChildren;
}

export const ROUTES: readonly RouteSpec[] = [
  {
    pattern: /^\/devices$/,
    title: "Devices",
    right: "devices:read",
    purpose: "Seeing devices",
    render: () => <DevicesPage />,
  },
  {
    pattern: /^\/devices\/([^/]+)$/,
    title: "Device",
    right: "devices:read",
    purpose: "Seeing a device",
    render: ([id]) => <DeviceDetailsPage deviceId={id!} />,
  },
  {
    pattern: /^\/groups$/,
    title: "Groups",
    right: "devices:read",
    purpose: "Seeing device groups",
    render: () => <GroupsPage />,
  },
  {
    pattern: /^\/fleet$/,
    title: "Fleet actions",
    right: "devices:read",
    purpose: "Seeing fleet actions",
    render: () => <FleetPage batchId={null} />,
  },
  {
    pattern: /^\/fleet\/([^/]+)$/,
    title: "Fleet action",
    right: "devices:read",
    purpose: "Seeing fleet actions",
    render: ([id]) => <FleetPage batchId={id!} />,
  },
  {
    pattern: /^\/rollouts$/,
    title: "Rollouts",
    right: "devices:read",
    purpose: "Seeing rollouts",
    render: () => <RolloutsPage rolloutId={null} />,
  },
  {
    pattern: /^\/rollouts\/([^/]+)$/,
    title: "Rollout",
    right: "devices:read",
    purpose: "Seeing a rollout",
    render: ([id]) => <RolloutsPage rolloutId={id!} />,
  },
  {
    pattern: /^\/schedules$/,
    title: "Schedules",
    right: "devices:read",
    purpose: "Seeing scheduled commands",
    render: () => <SchedulesPage />,
  },
  {
    pattern: /^\/schedules\/([^/]+)$/,
    title: "Schedule",
    right: "devices:read",
    purpose: "Seeing a scheduled command",
    render: ([id]) => <ScheduleDetailsPage scheduleId={id!} />,
  },
  {
    pattern: /^\/connect$/,
    title: "Connect a device",
    right: "enrollment:manage",
    purpose: "Connecting devices",
    render: () => <ConnectPage />,
  },
  {
    pattern: /^\/settings\/time$/,
    title: "Date and time",
    right: "devices:read",
    purpose: "Seeing the date and time settings",
    render: () => <TimeSettingsPage />,
  },
  {
    pattern: /^\/sites$/,
    title: "Sites",
    right: "devices:read",
    purpose: "Seeing sites",
    render: () => <SitesPage />,
  },
  {
    pattern: /^\/sites\/([^/]+)$/,
    title: "Site",
    right: "devices:read",
    purpose: "Seeing a site",
    render: ([id]) => <SiteDetailsPage siteId={id!} />,
  },
  {
    pattern: /^\/admins$/,
    title: "Admins",
    right: "admins:manage",
    purpose: "Managing admins",
    render: () => <AdminsPage />,
  },
  {
    pattern: /^\/roles$/,
    title: "Roles",
    right: "roles:manage",
    purpose: "Managing roles",
    render: () => <RolesPage />,
  },
  { pattern: /^\/tokens$/, title: "API tokens", render: () => <TokensPage /> },
  {
    pattern: /^\/audit$/,
    title: "Audit log",
    right: "audit:read",
    purpose: "Reading the audit log",
    render: () => <AuditPage />,
  },
  {
    pattern: /^\/account\/password$/,
    title: "Change password",
    render: () => <ResetPasswordPage embedded />,
  },
];

export function routeOf(path: string): { route: RouteSpec; params: string[] } | null {
  for (const route of ROUTES) {
    const match = route.pattern.exec(path);
    if (match) return { route, params: match.slice(1).map((part) => decodeURIComponent(part)) };
  }
  return null;
}

/** The right a path's page needs (none for an unknown path). */
export function rightOfPath(path: string): Right | undefined {
  return routeOf(path)?.route.right;
}

/** The page a path shows, or what stands in for it: the missing right, or "not found". */
export function RoutedPage(props: { path: string; home: string }) {
  const session = useSession();
  const found = routeOf(props.path);
  if (!found) return <NotFound home={props.home} />;
  const { route, params } = found;
  if (route.right && !session.can(route.right)) {
    return <NeedsRight route={route} right={route.right} path={props.path} home={props.home} />;
  }
  return <>{route.render(params)}</>;
}

function NeedsRight(props: { route: RouteSpec; right: Right; path: string; home: string }) {
  useTitle(props.route.title);
  const { me } = useSession();
  const homeRoute = routeOf(props.home)?.route;
  return (
    <>
      <PageHeader title={props.route.title} />
      <section class="card needs-right" aria-labelledby="needs-right-title" data-right={props.right}>
        <div class="card-body">
          <h2 id="needs-right-title">
            You need the <code class="mono">{props.right}</code> right
          </h2>
          <p>
            {props.route.purpose ?? "This page"} needs the {props.right} right ({RIGHT_LABELS[props.right]}).
            Your role, {me.role.name}, does not have it.
          </p>
          <p class="muted">Ask an admin who manages roles to add it to your role.</p>
          {homeRoute && props.home !== props.path && (
            <p>
              <Link href={props.home}>Go to {homeRoute.title.toLowerCase()}</Link>
            </p>
          )}
        </div>
      </section>
    </>
  );
}

function NotFound(props: { home: string }) {
  useTitle("Page not found");
  return (
    <div class="empty">
      <p class="empty-title">Page not found</p>
      <p>
        <Link href={props.home}>
          Go to {routeOf(props.home)?.route.title.toLowerCase() ?? "the start page"}
        </Link>
      </p>
    </div>
  );
}
