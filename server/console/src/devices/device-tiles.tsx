/**
 * The count tiles above the devices table. Every count comes from one request
 * (`GET /devices/counts`), made again when events say a count may have moved, but at most once
 * per {@link COUNTS_INTERVAL_MS}: a fleet of 50 000 reports all the time, and an idle console
 * must stay cheap.
 */
import { useEffect, useState } from "preact/hooks";
import { formatCount } from "../format";
import { useResync, useServerEvents, useThrottled } from "../hooks";
import { useSession } from "../session";
import type { DeviceCounts } from "../types";

const COUNTS_INTERVAL_MS = 15_000;

/** The managed devices' counts, kept current; null until the first answer. */
export function useDeviceCounts(): { counts: DeviceCounts | null; reload: () => void } {
  const { api } = useSession();
  const [counts, setCounts] = useState<DeviceCounts | null>(null);
  const load = async () => {
    try {
      setCounts(await api.get<DeviceCounts>("/devices/counts"));
    } catch {
      // The table shows what is wrong; the tiles keep the counts they have.
    }
  };
  const reload = useThrottled(() => void load(), COUNTS_INTERVAL_MS);
  // Through the throttle, so that the first load counts towards the interval too.
  useEffect(reload, []);
  useResync(reload);
  useServerEvents(
    ["device.online", "device.offline", "device.state", "device.updated", "device.clock_drift"],
    reload,
  );
  return { counts, reload };
}

export function Tile(props: {
  label: string;
  value: number | undefined;
  tone: string;
  active: boolean;
  onClick: () => void;
}) {
  return (
    <button
      type="button"
      class={`tile ${props.active ? "is-active" : ""}`}
      aria-pressed={props.active}
      onClick={props.onClick}
    >
      <span class="tile-value">{props.value === undefined ? "…" : formatCount(props.value)}</span>
      <span class="tile-label">
        <span class={`dot tone-${props.tone}`} aria-hidden="true" />
        {props.label}
      </span>
    </button>
  );
}
