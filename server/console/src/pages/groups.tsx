/**
 * Dynamic groups: saved device filters, each with how many devices match it now. A group's
 * name opens the devices page with the group applied; groups are saved there ("Save as
 * group"), renamed and deleted here.
 */
import { useEffect, useState } from "preact/hooks";
import { filterSummary } from "../devices/device-query";
import { errorOfField, formError } from "../form-errors";
import { formatCount, formatDateTime, plural } from "../format";
import { useResync, useServerEvents, useThrottled, useTitle } from "../hooks";
import { useSearchParam } from "../router";
import { useSession } from "../session";
import type { DeviceGroup } from "../types";
import { ConfirmDialog, Dialog, EmptyState, ErrorNote, Field, Link, Menu, PageHeader, Spinner } from "../ui";
import { useList } from "./admins";

/** Device counts change with every device: reloaded at most this often while events arrive. */
const COUNTS_RELOAD_MS = 5_000;

const devicesOf = (group: DeviceGroup) => `/devices?group=${encodeURIComponent(group.id)}`;

export function GroupsPage() {
  useTitle("Groups");
  const session = useSession();
  const groups = useList<DeviceGroup>("/groups");
  const [renaming, setRenaming] = useState<DeviceGroup | null>(null);
  const [deleting, setDeleting] = useState<DeviceGroup | null>(null);
  const mayOrganize = session.can("devices:organize");
  // `?group=<id>` (the audit log and the devices page link a group so): its row is marked.
  const [markedId] = useSearchParam("group");
  useEffect(() => {
    if (markedId && groups.items) document.getElementById(`group-${markedId}`)?.scrollIntoView();
  }, [markedId, groups.items]);

  const reload = useThrottled(() => void groups.reload(), COUNTS_RELOAD_MS);
  useServerEvents(["group.created", "group.updated", "group.deleted"], () => void groups.reload());
  useServerEvents(["device.online", "device.offline", "device.updated", "device.clock_drift"], reload);
  useResync(() => void groups.reload());

  return (
    <>
      <PageHeader
        title="Groups"
        subtitle="Saved device filters: a group holds whatever devices match it, now and later"
        actions={
          <Link href="/devices" class="button">
            Save a group from the devices page
          </Link>
        }
      />
      <ErrorNote error={groups.error} />
      {!groups.items ? (
        <Spinner label="Loading groups" />
      ) : groups.items.length === 0 ? (
        <EmptyState title="No groups yet">
          On the devices page, set the filters a group should hold and choose “Save as group”.
        </EmptyState>
      ) : (
        <div class="table-card">
          <div class="table-scroll">
            <table class="table" aria-label="Groups">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Filter</th>
                  <th scope="col" class="num">
                    Devices
                  </th>
                  <th scope="col">Changed</th>
                  {mayOrganize && (
                    <th scope="col" class="col-menu">
                      <span class="visually-hidden">Actions</span>
                    </th>
                  )}
                </tr>
              </thead>
              <tbody>
                {groups.items.map((group) => (
                  <tr
                    key={group.id}
                    id={`group-${group.id}`}
                    class={group.id === markedId ? "is-selected" : undefined}
                  >
                    <td>
                      <Link href={devicesOf(group)}>
                        <strong>{group.name}</strong>
                      </Link>
                    </td>
                    <td class="small">{filterSummary(group.filter)}</td>
                    <td class="num">
                      <Link href={devicesOf(group)} aria-label={plural(group.devices, "device")}>
                        {formatCount(group.devices)}
                      </Link>
                    </td>
                    <td>{formatDateTime(group.updatedAt)}</td>
                    {mayOrganize && (
                      <td class="col-menu">
                        <Menu
                          label={`Actions for ${group.name}`}
                          items={[
                            { label: "Rename", onSelect: () => setRenaming(group) },
                            "separator",
                            { label: "Delete", danger: true, onSelect: () => setDeleting(group) },
                          ]}
                        />
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
      {renaming && (
        <GroupNameDialog
          title={`Rename ${renaming.name}`}
          initialName={renaming.name}
          save={(name) =>
            session.api.patch<DeviceGroup>(`/groups/${encodeURIComponent(renaming.id)}`, { name })
          }
          onClose={() => setRenaming(null)}
          onSaved={async () => {
            setRenaming(null);
            session.toast("Group renamed", "success");
            await groups.reload();
          }}
        />
      )}
      {deleting && (
        <ConfirmDialog
          title={`Delete the group ${deleting.name}?`}
          confirmLabel="Delete group"
          danger
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await session.api.delete(`/groups/${encodeURIComponent(deleting.id)}`);
            session.toast("Group deleted", "success");
            await groups.reload();
          }}
        >
          <p>
            Its {plural(deleting.devices, "device")} are not changed. Fleet actions sent to it keep its name
            and filter as they were.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}

/** Saves the devices page's filters as a new group. */
export function SaveGroupDialog(props: {
  filter: Record<string, string | number | boolean>;
  onClose: () => void;
  onSaved: (group: DeviceGroup) => void;
}) {
  const { api } = useSession();
  return (
    <GroupNameDialog
      title="Save as group"
      initialName=""
      hint={`Devices that match: ${filterSummary(props.filter)}`}
      save={(name) => api.post<DeviceGroup>("/groups", { name, filter: props.filter })}
      onClose={props.onClose}
      onSaved={async (group) => props.onSaved(group)}
    />
  );
}

function GroupNameDialog(props: {
  title: string;
  initialName: string;
  hint?: string;
  save: (name: string) => Promise<DeviceGroup>;
  onClose: () => void;
  onSaved: (group: DeviceGroup) => Promise<void>;
}) {
  const [name, setName] = useState(props.initialName);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  return (
    <Dialog
      title={props.title}
      onClose={props.onClose}
      onSubmit={async () => {
        if (busy) return;
        setBusy(true);
        try {
          await props.onSaved(await props.save(name.trim()));
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
          <button type="submit" class="button button-primary" disabled={!name.trim() || busy}>
            {busy ? "Saving…" : "Save group"}
          </button>
        </>
      }
    >
      <Field label="Name" hint={props.hint} error={errorOfField(error, "name")}>
        {(id) => (
          <input
            id={id}
            class="input"
            required
            maxLength={80}
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
          />
        )}
      </Field>
      <ErrorNote error={formError(error, ["name"])} />
    </Dialog>
  );
}
