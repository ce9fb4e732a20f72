/** Admins: who may sign in, with which role; add, edit, deactivate, set or force a new password. */
import { useEffect, useState } from "preact/hooks";
import { errorOfField, formError } from "../form-errors";
import { formatDateTime } from "../format";
import { useTitle } from "../hooks";
import { useSearchParam } from "../router";
import { useSession } from "../session";
import type { Admin, Page, Role } from "../types";
import {
  Badge,
  ConfirmDialog,
  Dialog,
  EmptyState,
  ErrorNote,
  Field,
  Menu,
  PageHeader,
  SecretBox,
  Spinner,
} from "../ui";

/** Loads a whole list (admins, roles, tokens are few). */
export function useList<T>(path: string) {
  const { api } = useSession();
  const [items, setItems] = useState<T[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = async () => {
    try {
      const result = await api.get<Page<T> | T[]>(path);
      setItems(Array.isArray(result) ? result : result.items);
      setError(null);
    } catch (err) {
      setError(err);
    }
  };
  useEffect(() => void load(), [path]);
  return { items, error, reload: load };
}

type Editing =
  | { kind: "new" }
  | { kind: "edit"; admin: Admin }
  | { kind: "password"; admin: Admin }
  | { kind: "deactivate"; admin: Admin }
  | null;

export function AdminsPage() {
  useTitle("Admins");
  const session = useSession();
  const admins = useList<Admin>("/admins");
  const roles = useList<Role>("/roles");
  const [editing, setEditing] = useState<Editing>(null);
  const [created, setCreated] = useState<{ email: string; password: string } | null>(null);

  const roleOptions = roles.items ?? [];
  // The search is in the address (`?q=`): the audit log links here with an admin's email.
  const [search, setSearch] = useSearchParam("q");
  const needle = search.trim().toLowerCase();
  const shown = (admins.items ?? []).filter(
    (a) => !needle || a.name.toLowerCase().includes(needle) || a.email.toLowerCase().includes(needle),
  );
  const close = () => setEditing(null);
  const done = async (message: string) => {
    session.toast(message, "success");
    await admins.reload();
  };

  return (
    <>
      <PageHeader
        title="Admins"
        subtitle="People who can sign in to this console"
        actions={
          <button type="button" class="button button-primary" onClick={() => setEditing({ kind: "new" })}>
            Add admin
          </button>
        }
      />
      <ErrorNote error={admins.error} />
      {created && (
        <div class="notice notice-success" role="status">
          <p>
            Account <strong>{created.email}</strong> created. Its first password, shown once; it must be
            changed at first sign-in:
          </p>
          <SecretBox label="Generated password" value={created.password} />
        </div>
      )}
      <div class="toolbar">
        <div class="search">
          <label for="admin-search" class="visually-hidden">
            Search admins
          </label>
          <input
            id="admin-search"
            class="input"
            type="search"
            placeholder="Search by name or email"
            value={search}
            onInput={(e) => setSearch(e.currentTarget.value)}
          />
        </div>
      </div>
      {!admins.items ? (
        <Spinner />
      ) : shown.length === 0 ? (
        <EmptyState title="No admin matches the search" />
      ) : (
        <div class="table-card">
          <div class="table-scroll">
            <table class="table" aria-label="Admins">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Email</th>
                  <th scope="col">Role</th>
                  <th scope="col">State</th>
                  <th scope="col">Last sign-in</th>
                  <th class="col-menu">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {shown.map((a) => (
                  <tr key={a.id}>
                    <td>
                      <strong>{a.name}</strong>
                      {a.id === session.me.id && <span class="muted"> (you)</span>}
                    </td>
                    <td>{a.email}</td>
                    <td>{a.role?.name ?? a.roleId ?? "—"}</td>
                    <td>
                      {a.active ? (
                        <Badge tone="green">Active</Badge>
                      ) : (
                        <Badge tone="neutral">Deactivated</Badge>
                      )}{" "}
                      {a.mustResetPassword && <Badge tone="amber">Must change password</Badge>}
                    </td>
                    <td>{a.lastLoginAt ? formatDateTime(a.lastLoginAt) : "—"}</td>
                    <td class="col-menu">
                      <Menu
                        label={`Actions for ${a.name}`}
                        items={[
                          { label: "Edit", onSelect: () => setEditing({ kind: "edit", admin: a }) },
                          {
                            label: "Set a new password",
                            onSelect: () => setEditing({ kind: "password", admin: a }),
                          },
                          {
                            label: "Require a password change",
                            disabled: a.mustResetPassword,
                            onSelect: async () => {
                              await session.api.patch(`/admins/${a.id}`, { mustResetPassword: true });
                              await done(`${a.name} must change their password at next sign-in`);
                            },
                          },
                          "separator",
                          a.active
                            ? {
                                label: "Deactivate",
                                danger: true,
                                disabled: a.id === session.me.id,
                                reason: "You cannot deactivate yourself",
                                onSelect: () => setEditing({ kind: "deactivate", admin: a }),
                              }
                            : {
                                label: "Reactivate",
                                onSelect: async () => {
                                  await session.api.patch(`/admins/${a.id}`, { active: true });
                                  await done(`${a.name} can sign in again`);
                                },
                              },
                        ]}
                      />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
      {(editing?.kind === "new" || editing?.kind === "edit") && (
        <AdminDialog
          admin={editing.kind === "edit" ? editing.admin : null}
          roles={roleOptions}
          onClose={close}
          onSaved={async (result) => {
            close();
            if (result?.password && result.email)
              setCreated({ email: result.email, password: result.password });
            await done(editing.kind === "new" ? "Admin added" : "Admin saved");
          }}
        />
      )}
      {editing?.kind === "password" && (
        <PasswordDialog
          admin={editing.admin}
          onClose={close}
          onSaved={() => done(`New password set for ${editing.admin.name}`)}
        />
      )}
      {editing?.kind === "deactivate" && (
        <ConfirmDialog
          title={`Deactivate ${editing.admin.name}?`}
          confirmLabel="Deactivate"
          danger
          onClose={close}
          onConfirm={async () => {
            await session.api.patch(`/admins/${editing.admin.id}`, { active: false });
            await done(`${editing.admin.name} can no longer sign in`);
          }}
        >
          <p>
            They are signed out everywhere and cannot sign in until reactivated. Their audit history stays.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}

function AdminDialog(props: {
  admin: Admin | null;
  roles: Role[];
  onClose: () => void;
  onSaved: (created: { email?: string; password?: string } | null) => Promise<void>;
}) {
  const { api } = useSession();
  const [email, setEmail] = useState(props.admin?.email ?? "");
  const [name, setName] = useState(props.admin?.name ?? "");
  // A new admin gets no role until one is chosen: what they may do is never a default.
  const [roleId, setRoleId] = useState(props.admin?.role?.id ?? props.admin?.roleId ?? "");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  return (
    <Dialog
      title={props.admin ? `Edit ${props.admin.name}` : "Add admin"}
      onClose={props.onClose}
      onSubmit={async () => {
        setBusy(true);
        try {
          if (props.admin) {
            await api.patch(`/admins/${props.admin.id}`, { name, roleId });
            await props.onSaved(null);
          } else {
            const created = await api.post<{ password?: string; email?: string; admin?: { email: string } }>(
              "/admins",
              { email, name, roleId },
            );
            await props.onSaved({
              email: created.admin?.email ?? created.email ?? email,
              password: created.password,
            });
          }
        } catch (err) {
          setError(err);
          setBusy(false);
        }
      }}
      footer={
        <>
          <button type="button" class="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="button button-primary" disabled={busy || !roleId}>
            {props.admin ? "Save" : "Add admin"}
          </button>
        </>
      }
    >
      {!props.admin && (
        <Field label="Email" error={errorOfField(error, "email")}>
          {(id) => (
            <input
              id={id}
              class="input"
              type="email"
              required
              value={email}
              onInput={(e) => setEmail(e.currentTarget.value)}
            />
          )}
        </Field>
      )}
      <Field label="Name" error={errorOfField(error, "name")}>
        {(id) => (
          <input
            id={id}
            class="input"
            required
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
          />
        )}
      </Field>
      <Field
        label="Role"
        hint={props.admin ? undefined : "What they may do: choose the role with only the rights they need."}
        error={errorOfField(error, "roleId")}
      >
        {(id) => (
          <select
            id={id}
            class="input"
            required
            value={roleId}
            onChange={(e) => setRoleId(e.currentTarget.value)}
          >
            {!roleId && (
              <option value="" disabled>
                Choose a role
              </option>
            )}
            {props.roles.map((r) => (
              <option key={r.id} value={r.id}>
                {r.name}
              </option>
            ))}
          </select>
        )}
      </Field>
      {!props.admin && (
        <p class="hint">
          A first password is generated and shown once; the new admin must change it at first sign-in.
        </p>
      )}
      <ErrorNote error={formError(error, ["email", "name", "roleId"])} />
    </Dialog>
  );
}

function PasswordDialog(props: { admin: Admin; onClose: () => void; onSaved: () => Promise<void> }) {
  const { api } = useSession();
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>(null);
  return (
    <Dialog
      title={`New password for ${props.admin.name}`}
      onClose={props.onClose}
      onSubmit={async () => {
        try {
          await api.post(`/admins/${props.admin.id}/password`, { password });
          props.onClose();
          await props.onSaved();
        } catch (err) {
          setError(err);
        }
      }}
      footer={
        <>
          <button type="button" class="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="button button-primary" disabled={password.length < 12}>
            Set password
          </button>
        </>
      }
    >
      <Field
        label="New password"
        hint="At least 12 characters. They must change it at next sign-in."
        error={errorOfField(error, "password")}
      >
        {(id) => (
          <input
            id={id}
            class="input"
            type="password"
            autocomplete="new-password"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        )}
      </Field>
      <ErrorNote error={formError(error, ["password"])} />
    </Dialog>
  );
}
