/**
 * Devices assigned in bulk by serial number: a CSV or text file (picked or dropped) or pasted
 * serials, moved to a site (or out of any) or given and relieved of labels, through the API's
 * `{serials}` target (POST /sites/:id/devices, POST /devices/labels). A long list goes in parts
 * under the server's body limit. The server refuses a part naming a serial no device has, and
 * names them: the admin sees which, and may leave them out and go on.
 */
import { useEffect, useId, useMemo, useRef, useState } from "preact/hooks";
import { ApiError } from "../api";
import { formatBytes, formatCount, plural } from "../format";
import { Choice } from "../pages/time-settings";
import { useSession } from "../session";
import { Dialog, ErrorNote, Field } from "../ui";
import { moveTimeWords, NO_SITE, SiteSelect, useLabelChange, useSites } from "./organize";
import {
  MAX_SERIAL_FILE_BYTES,
  MAX_SERIAL_LENGTH,
  MAX_SERIALS,
  type SerialList,
  SerialListError,
  serialParts,
  serialsOf,
} from "./serial-list";
import "../styles/bulk-serials.css";

type Action = "site" | "labels";

/** What the server answered, summed over the parts sent. */
interface Totals {
  /** Serials sent and taken. */
  sent: number;
  /** Devices they named, and those that moved (or whose labels changed). */
  targeted: number;
  changed: number;
  /** Serials left out: no device has them. */
  leftOut: string[];
}

type Run =
  | { phase: "ready" }
  | { phase: "sending"; totals: Totals }
  | { phase: "unknown"; totals: Totals; unknown: string[]; rest: string[] }
  | { phase: "done"; totals: Totals; error?: unknown };

/** The server names at most this many unknown serials in one refusal. */
const UNKNOWN_NAMED_AT_MOST = 100;
/** The serials shown as a sample of the list read. */
const SAMPLE = 5;

const NO_TOTALS: Totals = { sent: 0, targeted: 0, changed: 0, leftOut: [] };

/** The serials a refusal names as unknown to the server (404 device_not_found), if it is one. */
function unknownSerialsOf(err: unknown): string[] | null {
  if (!(err instanceof ApiError) || err.code !== "device_not_found") return null;
  if (err.details?.field !== "target.serials") return null;
  const unknown = err.details.unknown;
  return Array.isArray(unknown) && unknown.length > 0 && unknown.every((s) => typeof s === "string")
    ? unknown
    : null;
}

type Read = { list: SerialList; error?: undefined } | { list?: undefined; error: string };

function read(text: string): Read {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: a NUL byte is how a binary file shows
  if (/\u0000/.test(text)) {
    return { error: "This is not a CSV or text file. Save a spreadsheet as CSV first." };
  }
  try {
    return { list: serialsOf(text) };
  } catch (err) {
    if (err instanceof SerialListError) return { error: err.message };
    throw err;
  }
}

/** "12 serial numbers from the column “Serial Number” · 3 duplicates removed". */
function listWords(list: SerialList): string {
  const from = list.column !== null ? ` from the column “${list.column}”` : "";
  const duplicates = list.duplicates > 0 ? ` · ${plural(list.duplicates, "duplicate")} removed` : "";
  return `${plural(list.serials.length, "serial number")}${from}${duplicates}`;
}

/** A list of serials, each in monospace, scrolling when long. */
function SerialChips(props: { serials: readonly string[]; label: string }) {
  return (
    <ul class="serial-chips" aria-label={props.label}>
      {props.serials.map((s) => (
        <li key={s} class="mono">
          {s}
        </li>
      ))}
    </ul>
  );
}

export function ImportSerialsDialog(props: {
  onClose: () => void;
  /** After devices were moved or labelled (also after a part of them). */
  onDone?: () => void;
  /** The site preselected (e.g. opened from a site's page). */
  initialSiteId?: string;
}) {
  const session = useSession();
  const sites = useSites();
  const labelChange = useLabelChange();
  const fileInputId = useId();
  const [file, setFile] = useState<{ name: string; bytes: number; read: Read } | null>(null);
  const [fileError, setFileError] = useState<string | null>(null);
  const [reading, setReading] = useState(false);
  const [dragging, setDragging] = useState(false);
  const [text, setText] = useState("");
  const [action, setAction] = useState<Action>("site");
  const [siteId, setSiteId] = useState(props.initialSiteId ?? "");
  const [run, setRun] = useState<Run>({ phase: "ready" });
  const [error, setError] = useState<unknown>(null);
  const closed = useRef(false);
  const fileInput = useRef<HTMLInputElement>(null);
  useEffect(
    () => () => {
      closed.current = true;
    },
    [],
  );

  const pasted = useMemo(() => (text.trim() ? read(text) : null), [text]);
  const source = file?.read ?? pasted;
  const list = source?.list ?? null;
  const tooMany = list !== null && list.serials.length > MAX_SERIALS;
  const count = list?.serials.length ?? 0;

  // The first site is picked once the list has loaded, unless one was given.
  const site = sites.items?.find((s) => s.id === (siteId || sites.items?.[0]?.id)) ?? null;
  const siteValue = siteId || site?.id || NO_SITE;
  const locked = run.phase !== "ready";
  const ready =
    !locked &&
    !reading &&
    count > 0 &&
    !tooMany &&
    (action === "site" ? sites.items !== null : labelChange.body !== null);

  const readFile = async (picked: File | undefined) => {
    if (!picked || locked) return;
    setFileError(null);
    setError(null);
    if (picked.size > MAX_SERIAL_FILE_BYTES) {
      setFile(null);
      setFileError(
        `${picked.name} is ${formatBytes(picked.size)}: files of at most ${formatBytes(MAX_SERIAL_FILE_BYTES)} are read. Keep the serial column alone, or split the file.`,
      );
      return;
    }
    setReading(true);
    try {
      setFile({ name: picked.name, bytes: picked.size, read: read(await picked.text()) });
    } catch (err) {
      setFile(null);
      setFileError(`${picked.name} cannot be read: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      setReading(false);
    }
  };

  const destination = action === "site" ? (site && siteValue !== NO_SITE ? site : null) : null;
  const sendPart = async (serials: string[]): Promise<{ targeted: number; changed: number }> => {
    const target = { serials };
    if (action === "labels") {
      return session.api.post<{ targeted: number; changed: number }>("/devices/labels", {
        target,
        ...labelChange.body,
      });
    }
    const path = `/sites/${destination ? encodeURIComponent(destination.id) : NO_SITE}/devices`;
    const result = await session.api.post<{ targeted: number; moved: number }>(path, { target });
    return { targeted: result.targeted, changed: result.moved };
  };

  /** The server's answer in words. */
  const answerWords = (totals: Totals): string => {
    if (action === "labels") {
      return `Labels changed on ${plural(totals.changed, "device")} of ${formatCount(totals.targeted)}.`;
    }
    const stayed = totals.targeted - totals.changed;
    const moved = destination
      ? `${plural(totals.changed, "device")} moved to ${destination.name}`
      : `${plural(totals.changed, "device")} taken out of their site`;
    const already = destination ? `in ${destination.name} already` : "in no site already";
    return `${moved}${stayed > 0 ? `; ${formatCount(stayed)} ${stayed === 1 ? "was" : "were"} ${already}` : ""}.`;
  };

  /** Sends `serials` part by part from `start`; with `leaveOut`, unknown serials are dropped. */
  const send = async (serials: string[], start: Totals, leaveOut: boolean) => {
    const totals: Totals = { ...start, leftOut: [...start.leftOut] };
    setError(null);
    setRun({ phase: "sending", totals: { ...totals } });
    const parts = serialParts(serials);
    for (let p = 0; p < parts.length; p++) {
      let part = parts[p]!;
      while (part.length > 0) {
        if (closed.current) return;
        try {
          const answer = await sendPart(part);
          totals.sent += part.length;
          totals.targeted += answer.targeted;
          totals.changed += answer.changed;
          setRun({ phase: "sending", totals: { ...totals } });
          break;
        } catch (err) {
          const unknown = unknownSerialsOf(err);
          const named = new Set(unknown ?? []);
          const rest = [...part, ...parts.slice(p + 1).flat()];
          if (unknown && !leaveOut) {
            setRun({ phase: "unknown", totals, unknown, rest });
            return;
          }
          const kept = part.filter((s) => !named.has(s));
          if (!unknown || kept.length === part.length) {
            // Nothing to leave out: the refusal is of another kind.
            if (totals.sent === 0 && totals.leftOut.length === 0) {
              setError(err);
              setRun({ phase: "ready" });
            } else {
              setRun({ phase: "done", totals, error: err });
              props.onDone?.();
            }
            return;
          }
          totals.leftOut.push(...part.filter((s) => named.has(s)));
          part = kept;
        }
      }
    }
    setRun({ phase: "done", totals });
    session.toast(answerWords(totals), "success");
    props.onDone?.();
  };

  const start = () => {
    if (!ready || !list) return;
    void send(list.serials, NO_TOTALS, false);
  };

  const goOn = () => {
    if (run.phase !== "unknown") return;
    const named = new Set(run.unknown);
    const totals = {
      ...run.totals,
      leftOut: [...run.totals.leftOut, ...run.rest.filter((s) => named.has(s))],
    };
    void send(
      run.rest.filter((s) => !named.has(s)),
      totals,
      true,
    );
  };

  const stopHere = () => {
    if (run.phase !== "unknown") return;
    if (run.totals.sent === 0 && run.totals.leftOut.length === 0) setRun({ phase: "ready" });
    else {
      setRun({ phase: "done", totals: run.totals });
      props.onDone?.();
    }
  };

  const submitLabel =
    action === "site"
      ? destination
        ? `Move ${plural(count, "device")} to ${destination.name}`
        : `Take ${plural(count, "device")} out of their site`
      : `Change labels of ${plural(count, "device")}`;

  const footer =
    run.phase === "done" ? (
      <button type="button" class="button button-primary" onClick={props.onClose}>
        Done
      </button>
    ) : run.phase === "unknown" ? (
      <>
        <button type="button" class="button" onClick={stopHere}>
          {run.totals.sent > 0 ? "Stop here" : "Back"}
        </button>
        <button type="button" class="button button-primary bulk-serials-button" onClick={goOn}>
          Leave them out and go on
        </button>
      </>
    ) : (
      <>
        <button type="button" class="button" onClick={props.onClose}>
          Cancel
        </button>
        <button type="submit" class="button button-primary bulk-serials-button" disabled={!ready}>
          {run.phase === "sending" ? "Working…" : submitLabel}
        </button>
      </>
    );

  return (
    <Dialog title="Import serial numbers" wide onClose={props.onClose} onSubmit={start} footer={footer}>
      <div class="bulk-serials">
        <fieldset
          class={`drop-zone ${dragging ? "is-dragging" : ""}`}
          aria-label="Serial numbers from a file"
          data-testid="serials-drop-zone"
          onDragEnter={(e) => {
            e.preventDefault();
            if (!locked) setDragging(true);
          }}
          onDragOver={(e) => {
            e.preventDefault();
            if (e.dataTransfer) e.dataTransfer.dropEffect = locked ? "none" : "copy";
          }}
          onDragLeave={(e) => {
            if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setDragging(false);
          }}
          onDrop={(e) => {
            e.preventDefault();
            setDragging(false);
            // The input shows what it picked itself, not a dropped file.
            if (fileInput.current) fileInput.current.value = "";
            void readFile(e.dataTransfer?.files[0]);
          }}
        >
          <label for={fileInputId} class="drop-zone-label">
            CSV or text file <span class="muted">(drop it here, or choose it)</span>
          </label>
          <input
            id={fileInputId}
            type="file"
            class="file-input"
            accept=".csv,.txt,.tsv,text/csv,text/plain,text/tab-separated-values"
            ref={fileInput}
            disabled={locked}
            onClick={(e) => {
              // The same file picked again (after an edit) is read again.
              e.currentTarget.value = "";
            }}
            onChange={(e) => void readFile(e.currentTarget.files?.[0])}
          />
          {file && (
            <p class="small file-line">
              <span class="mono">{file.name}</span> <span class="muted">· {formatBytes(file.bytes)}</span>{" "}
              <button
                type="button"
                class="link-button"
                disabled={locked}
                onClick={() => {
                  setFile(null);
                  setFileError(null);
                  if (fileInput.current) fileInput.current.value = "";
                }}
              >
                Remove file
              </button>
            </p>
          )}
        </fieldset>
        {fileError && (
          <p class="error-note" role="alert">
            {fileError}
          </p>
        )}
        {!file && (
          <Field
            label="Or paste serial numbers"
            hint={`One a line, or a CSV: the column named serial (or Serial Number) when the first row names one, else the first column. At most ${formatCount(MAX_SERIALS)}.`}
          >
            {(id) => (
              <textarea
                id={id}
                class="input mono"
                rows={4}
                spellcheck={false}
                disabled={locked}
                value={text}
                onInput={(e) => setText(e.currentTarget.value)}
              />
            )}
          </Field>
        )}

        <div class="serials-summary" aria-live="polite" data-testid="serials-summary">
          {reading && <p class="muted">Reading the file…</p>}
          {source?.error && (
            <p class="error-note" role="alert">
              {source.error}
            </p>
          )}
          {list &&
            (list.found === 0 ? (
              <p class="muted">No serial numbers in it yet.</p>
            ) : (
              <>
                <p>
                  <strong>{listWords(list)}</strong>
                </p>
                <p class="muted small">
                  {list.serials.slice(0, SAMPLE).join(", ")}
                  {list.serials.length > SAMPLE && `, and ${formatCount(list.serials.length - SAMPLE)} more`}
                </p>
              </>
            ))}
          {list && list.tooLong.length > 0 && (
            <p class="text-warn small">
              Left out, longer than {MAX_SERIAL_LENGTH} characters: {plural(list.tooLong.length, "value")}.
            </p>
          )}
          {tooMany && (
            <p class="error-note" role="alert">
              {plural(count, "serial number")}: at most {formatCount(MAX_SERIALS)} go at once. Split the list.
            </p>
          )}
        </div>

        <fieldset class="choices" disabled={locked}>
          <legend class="field-label">What to do with these devices</legend>
          <Choice
            name="bulk-action"
            mode="site"
            current={action}
            onSelect={setAction}
            title="Move to a site"
            text="Or out of any: each device then follows the site's date & time, or the global one."
          >
            {action === "site" && (
              <>
                <Field label="Site">
                  {(id) => (
                    <SiteSelect
                      id={id}
                      sites={sites.items}
                      value={siteValue}
                      noneLabel="No site (take them out)"
                      onChange={setSiteId}
                    />
                  )}
                </Field>
                <p class="muted small">{moveTimeWords(destination)}</p>
                <ErrorNote error={sites.error} />
              </>
            )}
          </Choice>
          <Choice
            name="bulk-action"
            mode="labels"
            current={action}
            onSelect={setAction}
            title="Change labels"
            text="Add labels to each device, or remove them."
          >
            {action === "labels" && labelChange.view}
          </Choice>
        </fieldset>

        {run.phase === "sending" && list && (
          <p class="muted" role="status">
            Sent {formatCount(run.totals.sent + run.totals.leftOut.length)} of{" "}
            {plural(list.serials.length, "serial number")}…
          </p>
        )}
        {run.phase === "unknown" && (
          <div class="notice notice-warn" role="alert" data-testid="unknown-serials">
            <p>
              <strong>
                {run.unknown.length >= UNKNOWN_NAMED_AT_MOST
                  ? `At least ${formatCount(run.unknown.length)} serial numbers are not known to this server; the first ${formatCount(run.unknown.length)}:`
                  : `${run.unknown.length === 1 ? "This serial number is" : `These ${formatCount(run.unknown.length)} serial numbers are`} not known to this server:`}
              </strong>
            </p>
            <SerialChips serials={run.unknown} label="Unknown serial numbers" />
            <p>
              Nothing was done with {run.totals.sent > 0 ? "the rest" : "the list"} yet. Leave out every
              serial number no device has, and go on with the others
              {run.totals.sent > 0 ? `; so far: ${answerWords(run.totals)}` : "?"}
            </p>
          </div>
        )}
        {run.phase === "done" && (
          <div class={`notice ${run.error ? "notice-warn" : "notice-success"}`} role="status">
            <p>
              <strong data-testid="bulk-answer">{answerWords(run.totals)}</strong>{" "}
              {plural(run.totals.targeted, "device")} named by {plural(run.totals.sent, "serial number")}.
            </p>
            {run.totals.leftOut.length > 0 && (
              <>
                <p>
                  Left out, not known to this server: {plural(run.totals.leftOut.length, "serial number")}.
                </p>
                <SerialChips serials={run.totals.leftOut} label="Serial numbers left out" />
              </>
            )}
            {run.error !== undefined && (
              <>
                <p>The server refused the rest; nothing more was sent:</p>
                <ErrorNote error={run.error} />
              </>
            )}
          </div>
        )}
        <ErrorNote error={error} />
      </div>
    </Dialog>
  );
}
