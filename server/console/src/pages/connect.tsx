/** Connect a device: type the code its screen shows; watch it come online. */
import { useState } from "preact/hooks";
import { ApiError } from "../api";
import { useServerEvents, useTitle } from "../hooks";
import { useSession } from "../session";
import { Card, Field, Link, OnlineBadge, PageHeader, SecretBox } from "../ui";

interface Claimed {
  deviceId: string;
  serial: string;
  model: string;
  name: string;
}

/** Letters only, upper case, with the dash after four: what the device shows. */
function normalizeCode(input: string): string {
  const letters = input
    .toUpperCase()
    .replace(/[^A-Z]/g, "")
    .slice(0, 8);
  return letters.length > 4 ? `${letters.slice(0, 4)}-${letters.slice(4)}` : letters;
}

export function ConnectPage() {
  useTitle("Connect a device");
  const session = useSession();
  const [code, setCode] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [claimed, setClaimed] = useState<(Claimed & { online: boolean })[]>([]);

  useServerEvents(["device.online", "device.offline"], (event) => {
    const id = (event.data as { deviceId?: string }).deviceId;
    setClaimed((list) =>
      list.map((c) => (c.deviceId === id ? { ...c, online: event.type === "device.online" } : c)),
    );
  });

  const submit = async (e: Event) => {
    e.preventDefault();
    if (code.length !== 9 || busy) return;
    setBusy(true);
    setError(null);
    try {
      const device = await session.api.post<Claimed>("/enrollment/claims", { code });
      setClaimed((list) => [{ ...device, online: false }, ...list]);
      setCode("");
      session.toast(`${device.name} is connecting`, "success");
    } catch (err) {
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
      <PageHeader
        title="Connect a device"
        subtitle="Start the display; it shows an 8-letter code. Type it here."
      />
      <div class="grid-2">
        <Card title="Code on the device">
          <form onSubmit={submit} class="connect-form">
            <Field label="Device code" hint="For example BCDF-GHJK. Codes expire after a few minutes.">
              {(id) => (
                <input
                  id={id}
                  class="input code-input mono"
                  autocomplete="off"
                  spellcheck={false}
                  placeholder="ABCD-EFGH"
                  value={code}
                  onInput={(e) => setCode(normalizeCode(e.currentTarget.value))}
                />
              )}
            </Field>
            {error && (
              <p class="error-note" role="alert">
                {error}
              </p>
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
                  </span>
                  <OnlineBadge online={c.online} />
                </li>
              ))}
            </ul>
          )}
        </Card>
      </div>
      <EnrollmentTokenCard />
    </>
  );
}

/** Bulk and automated setups enroll with a token instead of a code. */
function EnrollmentTokenCard() {
  const session = useSession();
  const [maxUses, setMaxUses] = useState(10);
  const [hours, setHours] = useState(24);
  const [token, setToken] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  return (
    <Card title="Enrollment token for many devices">
      <form
        class="inline-form"
        onSubmit={async (e) => {
          e.preventDefault();
          setError(null);
          try {
            const created = await session.api.post<{ token: string }>("/enrollment-tokens", {
              maxUses,
              expiresInSeconds: Math.round(hours * 3600),
            });
            setToken(created.token);
          } catch (err) {
            setError(err instanceof Error ? err.message : String(err));
          }
        }}
      >
        <Field label="Devices">
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
        <Field label="Valid for (hours)">
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
        <button type="submit" class="button">
          Create token
        </button>
      </form>
      {error && (
        <p class="error-note" role="alert">
          {error}
        </p>
      )}
      {token && (
        <>
          <p class="muted">Shown once. Give it to the agent with --enroll-token.</p>
          <SecretBox label="Enrollment token" value={token} />
        </>
      )}
    </Card>
  );
}
