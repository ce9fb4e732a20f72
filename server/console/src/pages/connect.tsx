/**
 * Connect a device: type the code its screen shows; watch it come online. A code whose serial
 * belongs to a managed device replaces that device, once the admin has confirmed it. Below,
 * the enrollment tokens for bulk and automated setups.
 */
import { useRef, useState } from "preact/hooks";
import { ApiError } from "../api";
import { NO_SITE, SiteSelect, useSites } from "../devices/organize";
import { timeAgo } from "../format";
import { useServerEvents, useTitle } from "../hooks";
import { useSession } from "../session";
import type { ClaimedDevice, Device, EnrolledDeviceConflict } from "../types";
import { Card, ConfirmDialog, Field, Link, OnlineBadge, PageHeader } from "../ui";
import { EnrollmentTokens } from "./enrollment-tokens";

/** The code's format, as the placeholder shows it and the hint describes it. */
const CODE_EXAMPLE = "ABCD-EFGH";

/** Letters only, upper case, with the dash after four: what the device shows. */
function normalizeCode(input: string): string {
  const letters = input
    .toUpperCase()
    .replace(/[^A-Z]/g, "")
    .slice(0, 8);
  return letters.length > 4 ? `${letters.slice(0, 4)}-${letters.slice(4)}` : letters;
}

/** The managed device a refused claim names, when the refusal is device_already_enrolled. */
function enrolledConflictOf(err: unknown): EnrolledDeviceConflict | null {
  if (!(err instanceof ApiError) || err.code !== "device_already_enrolled") return null;
  const details = err.details as Partial<EnrolledDeviceConflict> | undefined;
  return typeof details?.deviceId === "string" && typeof details.name === "string"
    ? (details as EnrolledDeviceConflict)
    : null;
}

/** Needs enrollment:manage; the shell's route table checks it before this page is built. */
export function ConnectPage() {
  useTitle("Connect a device");
  return (
    <>
      <PageHeader
        title="Connect a device"
        subtitle="Start the display; it shows an 8-letter code. Type it here."
      />
      <ClaimByCode />
      <EnrollmentTokens />
    </>
  );
}

function ClaimByCode() {
  const session = useSession();
  const [code, setCode] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [replacing, setReplacing] = useState<EnrolledDeviceConflict | null>(null);
  /** The site the device joins (site names need devices:read). */
  const sites = useSites({ enabled: session.can("devices:read") });
  const [siteId, setSiteId] = useState(NO_SITE);
  const [claimed, setClaimed] = useState<(ClaimedDevice & { online: boolean })[]>([]);
  /** Devices whose presence an event has told since they were claimed here. */
  const presenceHeard = useRef(new Set<string>());

  useServerEvents(["device.online", "device.offline"], (event) => {
    const id = (event.data as { deviceId?: string }).deviceId;
    if (id === undefined) return;
    presenceHeard.current.add(id);
    setClaimed((list) =>
      list.map((c) => (c.deviceId === id ? { ...c, online: event.type === "device.online" } : c)),
    );
  });

  /** The device may come online before the claim's answer is here: ask, unless an event told. */
  const learnPresence = async (deviceId: string) => {
    presenceHeard.current.delete(deviceId);
    const device = await session.api
      .get<Device>(`/devices/${encodeURIComponent(deviceId)}`)
      .catch(() => null);
    if (!device || presenceHeard.current.has(deviceId)) return;
    setClaimed((list) => list.map((c) => (c.deviceId === deviceId ? { ...c, online: device.online } : c)));
  };

  const claim = async (replaceDeviceId?: string) => {
    const device = await session.api.post<ClaimedDevice>("/enrollment/claims", {
      code,
      ...(replaceDeviceId ? { replaceDeviceId } : {}),
      ...(siteId !== NO_SITE ? { siteId } : {}),
    });
    setClaimed((list) => [
      { ...device, online: false },
      ...list.filter((c) => c.deviceId !== device.deviceId),
    ]);
    void learnPresence(device.deviceId);
    setCode("");
    session.toast(
      device.replaced
        ? `${device.name} is connecting in place of the device it replaces`
        : `${device.name} is connecting`,
      "success",
    );
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    if (code.length !== 9 || busy) return;
    setBusy(true);
    setError(null);
    try {
      await claim();
    } catch (err) {
      const conflict = enrolledConflictOf(err);
      if (conflict) setReplacing(conflict);
      else
        setError(
          err instanceof ApiError && err.status === 404
            ? "No device shows this code. Check it, or restart the setup on the device for a new one."
            : err instanceof Error
              ? err.message
              : String(err),
        );
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <div class="grid-2">
        <Card title="Code on the device">
          <form onSubmit={submit} class="connect-form">
            <Field
              label="Device code"
              hint={`8 letters as the device shows them, like ${CODE_EXAMPLE}: any case, the dash optional. Codes expire after a few minutes.`}
              error={error}
            >
              {(id) => (
                <input
                  id={id}
                  class="input code-input mono"
                  autocomplete="off"
                  spellcheck={false}
                  placeholder={CODE_EXAMPLE}
                  value={code}
                  onInput={(e) => {
                    setCode(normalizeCode(e.currentTarget.value));
                    setError(null);
                  }}
                />
              )}
            </Field>
            {sites.items && sites.items.length > 0 && (
              <Field label="Site" hint="The site the device joins, and whose date & time it takes">
                {(id) => <SiteSelect id={id} sites={sites.items} value={siteId} onChange={setSiteId} />}
              </Field>
            )}
            <button type="submit" class="button button-primary" disabled={code.length !== 9 || busy}>
              {busy ? "Connecting…" : "Connect"}
            </button>
          </form>
        </Card>
        <Card title="Connected here">
          {claimed.length === 0 ? (
            <p class="muted">Devices you connect appear here and turn online as soon as they check in.</p>
          ) : (
            <ul class="plain-list" aria-live="polite">
              {claimed.map((c) => (
                <li key={c.deviceId} data-device-id={c.deviceId}>
                  <Link href={`/devices/${encodeURIComponent(c.deviceId)}`}>{c.name}</Link>
                  <span class="muted small">
                    {c.model} · <span class="mono">{c.serial}</span>
                    {c.replaced && " · replaced the device with this serial"}
                  </span>
                  <OnlineBadge online={c.online} />
                </li>
              ))}
            </ul>
          )}
        </Card>
      </div>
      {replacing && (
        <ConfirmDialog
          title={`Replace ${replacing.name}?`}
          confirmLabel={`Replace ${replacing.name}`}
          danger
          onClose={() => setReplacing(null)}
          onConfirm={() => claim(replacing.deviceId)}
        >
          <p>
            This replaces <strong>{replacing.name}</strong> (serial{" "}
            <span class="mono">{replacing.serial}</span>),{" "}
            {replacing.online ? "which is online now" : `last seen ${timeAgo(replacing.lastSeenAt)}`}.
          </p>
          <p>
            The device showing this code takes over its record: its name, settings and command history. The
            device now at that record is cut off: its credential stops working, its connection closes and its
            open commands are canceled.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}
