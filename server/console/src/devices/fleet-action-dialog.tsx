/**
 * A fleet action on the selected devices (or every device matching the filters), confirmed in
 * proportion to what it does: what cannot be undone (a factory reset, a permanent
 * deactivation) waits until the admin has typed how many devices it reaches. Sent to a
 * dynamic group, it reaches the devices in the group when it runs. "Only in the maintenance
 * window" makes it wait for each device's site's window.
 */
import { useState } from "preact/hooks";
import { InWindowCheck } from "../command-form";
import { IRREVERSIBLE } from "../device-actions";
import { plural } from "../format";
import type { CommandType, Right } from "../types";
import { ConfirmDialog } from "../ui";

export interface FleetAction {
  type: CommandType;
  /** The button in the selection bar. */
  label: string;
  /** The verb of the dialog's title and confirm button. */
  verb: string;
  right: Right;
  danger?: boolean;
  copy: string;
}

/** How the fleet action is sent. */
export interface FleetActionOptions {
  /** Wait for each device's maintenance window. */
  inWindow: boolean;
}

export const FLEET_ACTIONS: readonly FleetAction[] = [
  {
    type: "lock",
    label: "Lock screen",
    verb: "Lock",
    right: "devices:command",
    copy: "Each screen locks until someone unlocks it on the device.",
  },
  {
    type: "reboot",
    label: "Reboot",
    verb: "Reboot",
    right: "devices:command",
    danger: true,
    copy: "Each display restarts and is unavailable for a minute. Anyone using one is interrupted.",
  },
  {
    type: "refresh_state",
    label: "Refresh state",
    verb: "Refresh",
    right: "devices:command",
    copy: "Each device reports its state again.",
  },
  {
    type: "factory_reset",
    label: "Factory reset",
    verb: "Factory reset",
    right: "devices:wipe",
    danger: true,
    copy: "Everything on each device is erased and it leaves management. This cannot be undone from here.",
  },
  {
    type: "stop_managing",
    label: "Stop managing",
    verb: "Stop managing",
    right: "devices:unenroll",
    danger: true,
    copy: "Each device keeps working but no longer takes commands or settings from this console.",
  },
  {
    type: "deactivate",
    label: "Permanently deactivate",
    verb: "Permanently deactivate",
    right: "devices:deactivate",
    danger: true,
    copy: "Each device stops working and its serial number can never be enrolled again. This cannot be undone.",
  },
];

export function FleetActionDialog(props: {
  action: FleetAction;
  count: number;
  /** The dynamic group it is sent to (the target is the group), if it is. */
  groupName?: string;
  onConfirm: (options: FleetActionOptions) => Promise<void>;
  onClose: () => void;
}) {
  const { action, count } = props;
  const devices = plural(count, "device");
  const [inWindow, setInWindow] = useState(false);
  const irreversible = IRREVERSIBLE.has(action.type);
  return (
    <ConfirmDialog
      title={`${action.verb} ${devices}?`}
      confirmLabel={`${action.verb} ${devices}`}
      danger={action.danger}
      typeToConfirm={irreversible ? String(count) : undefined}
      onClose={props.onClose}
      onConfirm={() => props.onConfirm({ inWindow })}
    >
      <p>{action.copy}</p>
      <InWindowCheck
        type={action.type}
        checked={inWindow}
        onChange={setInWindow}
        note="each device gets it when its site's window is open; devices without one at once"
      />
      {props.groupName !== undefined && (
        <p>
          It goes to the group <strong>{props.groupName}</strong>: the devices in it when it starts, {count}{" "}
          now.
        </p>
      )}
      {irreversible && (
        <p>
          <strong>
            This reaches {devices}. To go ahead, type the number of devices, {count}.
          </strong>
        </p>
      )}
      <p class="muted">
        Only managed devices receive it. Progress is shown live on the next page, where it can also be
        canceled.
      </p>
    </ConfirmDialog>
  );
}
