/** Roles: named sets of rights. The built-in system admin role holds every right and cannot change. */
import { useEffect, useState } from "preact/hooks";
import { errorOfField, formError } from "../form-errors";
import { useTitle } from "../hooks";
import { RIGHT_LABELS } from "../rights";
import { useSearchParam } from "../router";
import { useSession } from "../session";
import { RIGHTS, type Right, type Role } from "../types";
import { Badge, ConfirmDialog, Dialog, ErrorNote, Field, PageHeader, Spinner } from "../ui";
import { useList } from "./admins";

export function RolesPage() {
  useTitle("Roles");
  const session = useSession();
  const roles = useList<Role>("/roles");
  const [editing, setEditing] = useState<Role | "new" | null>(null);
  const [deleting, setDeleting] = useState<Role | null>(null);
  // `?role=<id>` (the audit log links a role so): that role's card is marked and scrolled to.
  const [markedRoleId] = useSearchParam("role");
  useEffect(() => {
    if (markedRoleId && roles.items) document.getElementById(`role-${markedRoleId}`)?.scrollIntoView();
  }, [markedRoleId, roles.items]);
  return (
    <>
      <PageHeader
        title="Roles"
        subtitle="What each admin may do"
        actions={
          <button type="button" class="button button-primary" onClick={() => setEditing("new")}>
            New role
          </button>
        }
      />
      <ErrorNote error={roles.error} />
      {!roles.items ? (
        <Spinner />
      ) : (
        <div class="role-grid">
          {roles.items.map((role) => (
            <section
              key={role.id}
              id={`role-${role.id}`}
              class={`card role-card ${role.id === markedRoleId ? "is-marked" : ""}`}
              aria-label={role.name}
            >
              <header class="card-header">
                <h2>
                  {role.name} {role.builtIn && <Badge tone="violet">Built in</Badge>}
                </h2>
                {!role.builtIn && (
                  <span class="button-row">
                    <button type="button" class="button button-small" onClick={() => setEditing(role)}>
                      Edit
                    </button>
                    <button
                      type="button"
                      class="button button-small button-danger-outline"
                      onClick={() => setDeleting(role)}
                    >
                      Delete
                    </button>
                  </span>
                )}
              </header>
              <ul class="rights-list">
                {RIGHTS.map((right) => (
                  <li key={right} class={role.rights.includes(right) ? "has-right" : "lacks-right"}>
                    <span aria-hidden="true">{role.rights.includes(right) ? "✓" : "–"}</span>
                    <span class="visually-hidden">{role.rights.includes(right) ? "has" : "lacks"}</span>{" "}
                    {RIGHT_LABELS[right]}
                  </li>
                ))}
              </ul>
            </section>
          ))}
        </div>
      )}
      {editing && (
        <RoleDialog
          role={editing === "new" ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={async () => {
            setEditing(null);
            session.toast("Role saved", "success");
            await roles.reload();
          }}
        />
      )}
      {deleting && (
        <ConfirmDialog
          title={`Delete the role ${deleting.name}?`}
          confirmLabel="Delete role"
          danger
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await session.api.delete(`/roles/${deleting.id}`);
            session.toast("Role deleted", "success");
            await roles.reload();
          }}
        >
          <p>A role still given to an admin cannot be deleted.</p>
        </ConfirmDialog>
      )}
    </>
  );
}

export function RightsPicker(props: {
  value: Set<string>;
  onChange: (next: Set<string>) => void;
  allowed?: (right: Right) => boolean;
}) {
  return (
    <fieldset class="rights-picker">
      <legend>Rights</legend>
      {RIGHTS.map((right) => {
        const id = `right-${right.replace(":", "-")}`;
        const enabled = props.allowed?.(right) ?? true;
        return (
          <div key={right} class="check">
            <input
              type="checkbox"
              id={id}
              disabled={!enabled}
              checked={props.value.has(right)}
              onChange={() => {
                const next = new Set(props.value);
                if (next.has(right)) next.delete(right);
                else next.add(right);
                props.onChange(next);
              }}
            />
            <label for={id}>
              {RIGHT_LABELS[right]} <span class="muted mono small">{right}</span>
            </label>
          </div>
        );
      })}
    </fieldset>
  );
}

function RoleDialog(props: { role: Role | null; onClose: () => void; onSaved: () => Promise<void> }) {
  const { api } = useSession();
  const [name, setName] = useState(props.role?.name ?? "");
  const [rights, setRights] = useState(new Set<string>(props.role?.rights ?? ["devices:read"]));
  const [error, setError] = useState<unknown>(null);
  return (
    <Dialog
      title={props.role ? `Edit ${props.role.name}` : "New role"}
      wide
      onClose={props.onClose}
      onSubmit={async () => {
        try {
          const body = { name, rights: [...rights] };
          if (props.role) await api.patch(`/roles/${props.role.id}`, body);
          else await api.post("/roles", body);
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
          <button type="submit" class="button button-primary" disabled={!name.trim()}>
            Save role
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
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
          />
        )}
      </Field>
      <RightsPicker value={rights} onChange={setRights} />
      <ErrorNote error={formError(error, ["name"])} />
    </Dialog>
  );
}
