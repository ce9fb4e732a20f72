/**
 * What an admin can do to one device, shared by the devices table's row menu and the device
 * page: the menu items (disabled without the right, or when the device is no longer managed)
 * and the dialogs that confirm them. Commands go to the device; revoking its credential is the
 * server's own act and needs no answer from it.
 */
import { useState } from "preact/hooks";
import { navigate } from "./router";
import { useSession } from "./session";
import type { Command, CommandType, Device, Right } from "./types";
import { ConfirmDialog, Dialog, ErrorNote, Field, type MenuItem } from "./ui";

type Pending =
  | { kind: "rename"; device: Device }
  | { kind: "confirm"; device: Device; type: CommandType }
  | { kind: "revoke-credential"; device: Device }
  | null;

const REVOKE_CREDENTIAL_RIGHT: Right = "devices:unenroll";

/** The right each command type needs, to issue it and to cancel it. */
export const RIGHT_OF: Record<CommandType, Right> = {
  lock: "devices:command",
  reboot: "devices:command",
  refresh_state: "devices:command",
  rename: "devices:command",
  set_time: "devices:command",
  factory_reset: "devices:wipe",
  stop_managing: "devices:unenroll",
  deactivate: "devices:deactivate",
};

/** Command types that take effect when issued, not when the device runs them: none waits for a window. */
export const ACTS_WHEN_ISSUED: ReadonlySet<CommandType> = new Set(["deactivate"]);

/** Command types that cannot be undone: sending one to many devices asks for their count to be typed. */
export const IRREVERSIBLE: ReadonlySet<CommandType> = new Set(["factory_reset", "deactivate"]);

export function useDeviceActions(options: { withDetails?: boolean } = {}) {
  const session = useSession();
  const [pending, setPending] = useState<Pending>(null);

  const send = async (device: Device, type: CommandType, body: Record<string, unknown> = {}) => {
    const command = await session.api.post<Command>(`/devices/${encodeURIComponent(device.id)}/commands`, {
      type,
      ...body,
    });
    session.toast(
      type === "rename"
        ? `Renamed '${device.name}' to '${body.name}'`
        : `${LABELS[type]} sent to ${device.name}`,
      "success",
    );
    return command;
  };

  const item = (
    device: Device,
    type: CommandType,
    label: string,
    onSelect: () => void,
    danger = false,
  ): MenuItem => {
    const right = RIGHT_OF[type];
    const allowed = session.can(right);
    const managed = device.status === "active";
    return {
      label,
      danger,
      onSelect,
      disabled: !allowed || !managed,
      reason: !allowed ? `Needs the ${right} right` : `The device is ${device.status}`,
    };
  };

  /** Not offered for a screen the device reports locked: there is nothing to lock. */
  const lockItem = (device: Device): MenuItem => {
    const lock = item(device, "lock", "Lock screen", () => {
      send(device, "lock").catch((err) => session.toast(String(err.message ?? err), "error"));
    });
    if (lock.disabled || !device.reported?.locked) return lock;
    return { ...lock, disabled: true, reason: "The screen is already locked" };
  };

  /**
   * Whether a credential may still work is not in the device view: an active device has one,
   * and a deactivated one keeps it until it answers its deactivation. The others gave theirs up.
   */
  const revokeCredentialItem = (device: Device): MenuItem => {
    const allowed = session.can(REVOKE_CREDENTIAL_RIGHT);
    const mayHoldCredential = device.status === "active" || device.status === "deactivated";
    return {
      label: "Revoke credential",
      danger: true,
      onSelect: () => setPending({ kind: "revoke-credential", device }),
      disabled: !allowed || !mayHoldCredential,
      reason: !allowed
        ? `Needs the ${REVOKE_CREDENTIAL_RIGHT} right`
        : `The device is ${device.status}: it holds no credential`,
    };
  };

  const items = (device: Device): (MenuItem | "separator")[] => [
    ...(options.withDetails
      ? [
          { label: "See details", onSelect: () => navigate(`/devices/${encodeURIComponent(device.id)}`) },
          "separator" as const,
        ]
      : []),
    item(device, "rename", "Edit device name", () => setPending({ kind: "rename", device })),
    lockItem(device),
    item(device, "reboot", "Reboot", () => setPending({ kind: "confirm", device, type: "reboot" })),
    "separator",
    item(
      device,
      "factory_reset",
      "Factory reset",
      () => setPending({ kind: "confirm", device, type: "factory_reset" }),
      true,
    ),
    item(
      device,
      "stop_managing",
      "Stop managing device",
      () => setPending({ kind: "confirm", device, type: "stop_managing" }),
      true,
    ),
    revokeCredentialItem(device),
    item(
      device,
      "deactivate",
      "Permanently deactivate",
      () => setPending({ kind: "confirm", device, type: "deactivate" }),
      true,
    ),
  ];

  const close = () => setPending(null);
  let dialog = null;
  if (pending?.kind === "rename") {
    dialog = (
      <RenameDialog
        device={pending.device}
        onClose={close}
        onRename={(name) => send(pending.device, "rename", { name })}
      />
    );
  } else if (pending?.kind === "revoke-credential") {
    const { device } = pending;
    dialog = (
      <ConfirmDialog
        title={`Revoke the credential of ${device.name}?`}
        confirmLabel="Revoke credential"
        danger
        onClose={close}
        onConfirm={async () => {
          const revoked = await session.api.post<{ canceledCommands: Command[] }>(
            `/devices/${encodeURIComponent(device.id)}/revoke-credential`,
          );
          const canceled = revoked.canceledCommands.length;
          session.toast(
            `${device.name} is cut off${canceled ? `; ${canceled} open command${canceled === 1 ? "" : "s"} canceled` : ""}`,
            "success",
          );
        }}
      >
        {device.status === "deactivated" ? (
          <p>
            A deactivated device keeps its credential only until it answers the deactivation. Revoking it now
            cuts the device off at once{device.online ? " (it is online now)" : ""}. It can never come back:
            its serial <span class="mono">{device.serial}</span> cannot enroll again.
          </p>
        ) : (
          <p>
            The device is cut off at once{device.online ? " (it is online now)" : ""}: its connection closes,
            it is no longer managed, and its open commands are canceled. It can only come back by enrolling
            again.
          </p>
        )}
      </ConfirmDialog>
    );
  } else if (pending?.kind === "confirm" && pending.type === "stop_managing") {
    const { device } = pending;
    dialog = (
      <StopManagingDialog
        device={device}
        onClose={close}
        onStop={async (removeNow) => {
          if (!removeNow) {
            await send(device, "stop_managing");
            return;
          }
          const removed = await session.api.post<{ canceledCommands: Command[] }>(
            `/devices/${encodeURIComponent(device.id)}/remove`,
          );
          const canceled = removed.canceledCommands.length;
          session.toast(
            `${device.name} removed${canceled ? `; ${canceled} open command${canceled === 1 ? "" : "s"} canceled` : ""}`,
            "success",
          );
        }}
      />
    );
  } else if (pending?.kind === "confirm") {
    const { device, type } = pending;
    const copy = CONFIRM_COPY[type]!;
    dialog = (
      <ConfirmDialog
        title={copy.title(device)}
        confirmLabel={copy.confirm}
        danger={type !== "reboot"}
        typeToConfirm={type === "deactivate" ? device.name : undefined}
        onClose={close}
        onConfirm={async () => {
          await send(device, type);
        }}
      >
        {copy.body(device)}
      </ConfirmDialog>
    );
  }
  return { items, dialog };
}

const LABELS: Record<CommandType, string> = {
  lock: "Lock",
  reboot: "Reboot",
  refresh_state: "Refresh",
  rename: "Rename",
  set_time: "Date and time",
  factory_reset: "Factory reset",
  stop_managing: "Stop managing",
  deactivate: "Deactivation",
};

const CONFIRM_COPY: Partial<
  Record<
    CommandType,
    { title: (d: Device) => string; confirm: string; body: (d: Device) => preact.ComponentChildren }
  >
> = {
  reboot: {
    title: (d) => `Reboot ${d.name}?`,
    confirm: "Reboot",
    body: () => <p>The display restarts and is unavailable for a minute. Anyone using it is interrupted.</p>,
  },
  factory_reset: {
    title: (d) => `Factory reset ${d.name}?`,
    confirm: "Factory reset",
    body: () => (
      <p>
        Everything on the device is erased and it leaves management. It must be connected again to be managed.
      </p>
    ),
  },
  deactivate: {
    title: (d) => `Permanently deactivate ${d.name}?`,
    confirm: "Permanently deactivate",
    body: (d) => (
      <>
        <p>
          <strong>This cannot be undone.</strong> The device stops working and its serial number{" "}
          <span class="mono">{d.serial}</span> can never be enrolled again.
        </p>
      </>
    ),
  },
};

/**
 * Stop managing: normally a command the device confirms. For an offline device the admin may
 * remove it at once instead (a lost or broken display that will not confirm anything).
 */
function StopManagingDialog(props: {
  device: Device;
  onClose: () => void;
  onStop: (removeNow: boolean) => Promise<void>;
}) {
  const { device } = props;
  const [removeNow, setRemoveNow] = useState(false);
  return (
    <ConfirmDialog
      title={`Stop managing ${device.name}?`}
      confirmLabel={removeNow ? "Remove now" : "Stop managing"}
      danger
      onClose={props.onClose}
      onConfirm={() => props.onStop(removeNow)}
    >
      <p>
        The device keeps working but no longer takes commands or settings from this console. It can be
        connected again later.
      </p>
      {!device.online && (
        <label class="checkbox-row">
          <input
            type="checkbox"
            checked={removeNow}
            onChange={(e) => setRemoveNow((e.target as HTMLInputElement).checked)}
          />{" "}
          The device is offline: remove it now instead of waiting for it to confirm. Its credential stops
          working and its open commands are canceled.
        </label>
      )}
    </ConfirmDialog>
  );
}

function RenameDialog(props: {
  device: Device;
  onClose: () => void;
  onRename: (name: string) => Promise<unknown>;
}) {
  const [name, setName] = useState(props.device.name);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const trimmed = name.trim();
  return (
    <Dialog
      title="Edit device name"
      onClose={props.onClose}
      onSubmit={async () => {
        if (!trimmed || busy) return;
        setBusy(true);
        try {
          await props.onRename(trimmed);
          props.onClose();
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
          <button
            type="submit"
            class="button button-primary"
            disabled={!trimmed || trimmed === props.device.name || busy}
          >
            {busy ? "Saving…" : "Save name"}
          </button>
        </>
      }
    >
      <Field label="Device name" hint="Shown on the display and in this console. Up to 64 characters.">
        {(id) => (
          <input
            id={id}
            class="input"
            maxLength={64}
            value={name}
            autoFocus
            onInput={(e) => setName(e.currentTarget.value)}
          />
        )}
      </Field>
      <ErrorNote error={error} />
    </Dialog>
  );
}
