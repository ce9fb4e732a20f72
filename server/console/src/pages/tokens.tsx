/** Personal API tokens: for scripts; each holds at most the rights of its owner. */
import { useState } from "preact/hooks";
import { errorOfField, formError } from "../form-errors";
import { formatDateTime } from "../format";
import { useTitle } from "../hooks";
import { useSession } from "../session";
import type { ApiToken, Right } from "../types";
import {
  Badge,
  ConfirmDialog,
  Dialog,
  EmptyState,
  ErrorNote,
  Field,
  PageHeader,
  SecretBox,
  Spinner,
} from "../ui";
import { useList } from "./admins";
import { RightsPicker } from "./roles";

export function TokensPage() {
  useTitle("API tokens");
  const session = useSession();
  const tokens = useList<ApiToken>("/tokens");
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<ApiToken | null>(null);
  const [created, setCreated] = useState<string | null>(null);
  return (
    <>
      <PageHeader
        title="API tokens"
        subtitle="For scripts and automation; each token has at most your rights"
        actions={
          <button
            type="button"
            class="button button-primary"
            disabled={session.me.rights.length === 0}
            aria-describedby={session.me.rights.length === 0 ? "tokens-no-rights" : undefined}
            onClick={() => setCreating(true)}
          >
            New token
          </button>
        }
      />
      {session.me.rights.length === 0 && (
        <p class="notice" id="tokens-no-rights">
          A token holds some of your rights, and your role, {session.me.role.name}, has none: there is nothing
          a token of yours could do.
        </p>
      )}
      {created && (
        <div class="notice notice-success" role="status">
          <p>Copy the token now: it is shown only once.</p>
          <SecretBox label="New API token" value={created} />
        </div>
      )}
      <ErrorNote error={tokens.error} />
      {!tokens.items ? (
        <Spinner />
      ) : tokens.items.length === 0 ? (
        <EmptyState title="No API tokens">
          Create one for a script or an integration; it is shown once.
        </EmptyState>
      ) : (
        <div class="table-card">
          <div class="table-scroll">
            <table class="table" aria-label="API tokens">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Rights</th>
                  <th scope="col">Created</th>
                  <th scope="col">Expires</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {tokens.items.map((t) => (
                  <tr key={t.id}>
                    <td>
                      <strong>{t.name}</strong>
                    </td>
                    <td class="small mono">{t.rights.join(", ")}</td>
                    <td>{formatDateTime(t.createdAt)}</td>
                    <td>
                      {t.expiresAt ? formatDateTime(t.expiresAt) : "never"}{" "}
                      {t.expired && <Badge tone="neutral">Expired</Badge>}
                    </td>
                    <td>
                      <button
                        type="button"
                        class="button button-small button-danger-outline"
                        onClick={() => setRevoking(t)}
                      >
                        Revoke
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
      {creating && (
        <TokenDialog
          onClose={() => setCreating(false)}
          onCreated={async (token) => {
            setCreating(false);
            setCreated(token);
            await tokens.reload();
          }}
        />
      )}
      {revoking && (
        <ConfirmDialog
          title={`Revoke the token ${revoking.name}?`}
          confirmLabel="Revoke"
          danger
          onClose={() => setRevoking(null)}
          onConfirm={async () => {
            await session.api.delete(`/tokens/${revoking.id}`);
            session.toast("Token revoked", "success");
            await tokens.reload();
          }}
        >
          <p>Scripts using it stop working at once.</p>
        </ConfirmDialog>
      )}
    </>
  );
}

function TokenDialog(props: { onClose: () => void; onCreated: (token: string) => Promise<void> }) {
  const session = useSession();
  const [name, setName] = useState("");
  const [days, setDays] = useState(90);
  // A token holds some of its holder's rights: start from reading devices only if they may.
  const [rights, setRights] = useState(new Set<string>(session.can("devices:read") ? ["devices:read"] : []));
  const [error, setError] = useState<unknown>(null);
  return (
    <Dialog
      title="New API token"
      wide
      onClose={props.onClose}
      onSubmit={async () => {
        try {
          const created = await session.api.post<{ token: string }>("/tokens", {
            name,
            rights: [...rights],
            ttlDays: days,
          });
          await props.onCreated(created.token);
        } catch (err) {
          setError(err);
        }
      }}
      footer={
        <>
          <button type="button" class="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="button button-primary" disabled={!name.trim() || rights.size === 0}>
            Create token
          </button>
        </>
      }
    >
      <Field label="Name" error={errorOfField(error, "name")}>
        {(id) => (
          <input
            id={id}
            class="input"
            required
            placeholder="e.g. inventory sync"
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
          />
        )}
      </Field>
      <Field label="Valid for (days)" error={errorOfField(error, "ttlDays")}>
        {(id) => (
          <input
            id={id}
            class="input input-narrow"
            type="number"
            min={1}
            max={3650}
            value={days}
            onInput={(e) => setDays(Number(e.currentTarget.value))}
          />
        )}
      </Field>
      <RightsPicker value={rights} onChange={setRights} allowed={(right: Right) => session.can(right)} />
      <ErrorNote error={formError(error, ["name", "ttlDays"])} />
    </Dialog>
  );
}
