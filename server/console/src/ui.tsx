/** The console's building blocks: badges, dialogs, menus, progress, page frames. */
import {
  type AnchorHTMLAttributes,
  type ComponentChildren,
  cloneElement,
  isValidElement,
  type VNode,
} from "preact";
import { useEffect, useId, useRef, useState } from "preact/hooks";
import { errorMessage } from "./api";
import { commandErrorLabel, formatCount } from "./format";
import { linkClick } from "./router";
import { COMMAND_STATES, type Command, type CommandState } from "./types";

export type Tone = "neutral" | "green" | "red" | "amber" | "blue" | "violet";

export function Badge(props: { tone?: Tone; children: ComponentChildren; title?: string }) {
  return (
    <span class={`badge badge-${props.tone ?? "neutral"}`} title={props.title}>
      {props.children}
    </span>
  );
}

export function OnlineBadge(props: { online: boolean }) {
  return (
    <span class={`presence ${props.online ? "is-online" : "is-offline"}`}>
      <span class="dot" aria-hidden="true" />
      {props.online ? "Online" : "Offline"}
    </span>
  );
}

const STATUS_TONES: Record<string, Tone> = {
  active: "green",
  reset: "amber",
  unmanaged: "neutral",
  deactivated: "red",
};
const STATUS_LABELS: Record<string, string> = {
  active: "Managed",
  reset: "Factory reset",
  unmanaged: "Not managed",
  deactivated: "Deactivated",
};

export function DeviceStatusBadge(props: { status: string }) {
  return (
    <Badge tone={STATUS_TONES[props.status] ?? "neutral"}>
      {STATUS_LABELS[props.status] ?? props.status}
    </Badge>
  );
}

export const STATE_TONES: Record<CommandState, Tone> = {
  queued: "neutral",
  sent: "blue",
  accepted: "violet",
  succeeded: "green",
  failed: "red",
  rejected: "red",
  expired: "amber",
  canceled: "neutral",
};

export function CommandStateBadge(props: { state: CommandState }) {
  return <Badge tone={STATE_TONES[props.state]}>{props.state}</Badge>;
}

/**
 * Why a command ended the way it did: its error code in words (or as it is, for a code the
 * console has no wording for) and the server's message. Nothing for a command without either.
 */
export function CommandReason(props: { command: Pick<Command, "state" | "errorCode" | "errorMessage"> }) {
  const { state, errorCode, errorMessage } = props.command;
  if (!errorCode && !errorMessage) return null;
  const label = errorCode ? commandErrorLabel(errorCode) : null;
  return (
    <div
      class={`small command-reason ${state === "canceled" ? "" : "text-error"}`}
      data-error-code={errorCode}
    >
      {label && <strong>{label}</strong>}
      {errorMessage && <span class="command-reason-message">{errorMessage}</span>}
    </div>
  );
}

export function Link(props: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const { href, ...rest } = props;
  return <a href={href} {...rest} onClick={linkClick} />;
}

export function PageHeader(props: {
  title: string;
  subtitle?: ComponentChildren;
  actions?: ComponentChildren;
}) {
  return (
    <header class="page-header">
      <div>
        <h1>{props.title}</h1>
        {props.subtitle && <p class="subtitle">{props.subtitle}</p>}
      </div>
      {props.actions && <div class="page-actions">{props.actions}</div>}
    </header>
  );
}

export function Card(props: {
  title?: ComponentChildren;
  actions?: ComponentChildren;
  children: ComponentChildren;
  class?: string;
}) {
  return (
    <section class={`card ${props.class ?? ""}`}>
      {(props.title || props.actions) && (
        <header class="card-header">
          {props.title && <h2>{props.title}</h2>}
          {props.actions}
        </header>
      )}
      <div class="card-body">{props.children}</div>
    </section>
  );
}

export function EmptyState(props: { title: string; children?: ComponentChildren }) {
  return (
    <div class="empty">
      <p class="empty-title">{props.title}</p>
      {props.children && <p class="muted">{props.children}</p>}
    </div>
  );
}

export function ErrorNote(props: { error: unknown }) {
  if (!props.error) return null;
  return (
    <p class="error-note" role="alert">
      {errorMessage(props.error)}
    </p>
  );
}

export function Spinner(props: { label?: string }) {
  return (
    <span class="spinner" role="status">
      <span class="visually-hidden">{props.label ?? "Loading"}</span>
    </span>
  );
}

/** A modal built on <dialog>: the browser traps focus and closes it on Escape. */
export function Dialog(props: {
  title: string;
  onClose: () => void;
  children: ComponentChildren;
  footer?: ComponentChildren;
  onSubmit?: () => void;
  wide?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    const opener = document.activeElement as HTMLElement | null;
    dialog?.showModal();
    return () => {
      dialog?.close();
      opener?.focus?.();
    };
  }, []);
  const body = (
    <>
      <header class="dialog-header">
        <h2 id={titleId}>{props.title}</h2>
        <button type="button" class="icon-button" aria-label="Close" onClick={props.onClose}>
          ×
        </button>
      </header>
      <div class="dialog-body">{props.children}</div>
      {props.footer && <footer class="dialog-footer">{props.footer}</footer>}
    </>
  );
  return (
    <dialog
      ref={ref}
      class={`dialog ${props.wide ? "dialog-wide" : ""}`}
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        props.onClose();
      }}
    >
      {props.onSubmit ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            props.onSubmit?.();
          }}
        >
          {body}
        </form>
      ) : (
        body
      )}
    </dialog>
  );
}

/**
 * Asks before an action. With `typeToConfirm`, the confirm button stays disabled until the
 * admin has typed that text exactly (for what cannot be undone).
 */
export function ConfirmDialog(props: {
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  danger?: boolean;
  typeToConfirm?: string;
  onConfirm: () => Promise<void>;
  onClose: () => void;
}) {
  const [typed, setTyped] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const inputId = useId();
  const ready = !props.typeToConfirm || typed === props.typeToConfirm;
  const confirm = async () => {
    if (!ready || busy) return;
    setBusy(true);
    setError(null);
    try {
      await props.onConfirm();
      props.onClose();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <Dialog
      title={props.title}
      onClose={props.onClose}
      onSubmit={confirm}
      footer={
        <>
          <button type="button" class="button" onClick={props.onClose}>
            Cancel
          </button>
          <button
            type="submit"
            class={`button ${props.danger ? "button-danger" : "button-primary"}`}
            disabled={!ready || busy}
          >
            {busy ? "Working…" : props.confirmLabel}
          </button>
        </>
      }
    >
      <div class="confirm-text">{props.children}</div>
      {props.typeToConfirm && (
        <div class="field">
          <label for={inputId}>
            Type <strong class="mono">{props.typeToConfirm}</strong> to confirm
          </label>
          <input
            id={inputId}
            class="input"
            value={typed}
            autocomplete="off"
            spellcheck={false}
            onInput={(e) => setTyped(e.currentTarget.value)}
          />
        </div>
      )}
      <ErrorNote error={error} />
    </Dialog>
  );
}

export interface MenuItem {
  label: string;
  onSelect: () => void;
  danger?: boolean;
  disabled?: boolean;
  /** Shown as the item's tooltip when disabled. */
  reason?: string;
}

/** A button that opens a menu; arrow keys move, Escape closes and returns focus. */
export function Menu(props: {
  label: string;
  items: (MenuItem | "separator")[];
  buttonLabel?: ComponentChildren;
}) {
  const [open, setOpen] = useState(false);
  const [position, setPosition] = useState<{ top: number; left: number }>({ top: 0, left: 0 });
  const buttonRef = useRef<HTMLButtonElement>(null);
  const menuRef = useRef<HTMLDivElement>(null);
  const menuId = useId();

  const items = () => [
    ...(menuRef.current?.querySelectorAll<HTMLButtonElement>("[role=menuitem]:not([disabled])") ?? []),
  ];
  const close = (refocus = true) => {
    setOpen(false);
    if (refocus) buttonRef.current?.focus();
  };
  const toggle = () => {
    if (open) return close();
    const rect = buttonRef.current!.getBoundingClientRect();
    const width = 220;
    setPosition({
      top: rect.bottom + 4,
      left: Math.max(8, Math.min(rect.right - width, window.innerWidth - width - 8)),
    });
    setOpen(true);
  };
  useEffect(() => {
    if (!open) return;
    items()[0]?.focus();
    const onPointer = (e: PointerEvent) => {
      if (!menuRef.current?.contains(e.target as Node) && !buttonRef.current?.contains(e.target as Node))
        close(false);
    };
    const onScroll = () => close(false);
    document.addEventListener("pointerdown", onPointer);
    window.addEventListener("scroll", onScroll, true);
    return () => {
      document.removeEventListener("pointerdown", onPointer);
      window.removeEventListener("scroll", onScroll, true);
    };
  }, [open]);

  const onKeyDown = (e: KeyboardEvent) => {
    const list = items();
    const index = list.indexOf(document.activeElement as HTMLButtonElement);
    if (e.key === "ArrowDown") list[(index + 1) % list.length]?.focus();
    else if (e.key === "ArrowUp") list[(index - 1 + list.length) % list.length]?.focus();
    else if (e.key === "Home") list[0]?.focus();
    else if (e.key === "End") list.at(-1)?.focus();
    else if (e.key === "Escape" || e.key === "Tab") close(e.key === "Escape");
    else return;
    e.preventDefault();
  };

  return (
    <>
      <button
        ref={buttonRef}
        type="button"
        class="icon-button menu-button"
        aria-label={props.label}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? menuId : undefined}
        onClick={toggle}
      >
        {props.buttonLabel ?? "⋯"}
      </button>
      {open && (
        <div
          ref={menuRef}
          id={menuId}
          role="menu"
          aria-label={props.label}
          class="menu"
          style={{ top: `${position.top}px`, left: `${position.left}px` }}
          onKeyDown={onKeyDown}
        >
          {props.items.map((item, i) =>
            item === "separator" ? (
              <hr key={`sep-${i}`} class="menu-separator" />
            ) : (
              <button
                key={item.label}
                type="button"
                role="menuitem"
                class={`menu-item ${item.danger ? "is-danger" : ""}`}
                disabled={item.disabled}
                title={item.disabled ? item.reason : undefined}
                onClick={() => {
                  close(false);
                  item.onSelect();
                }}
              >
                {item.label}
              </button>
            ),
          )}
        </div>
      )}
    </>
  );
}

/** A stacked bar of command states with a legend of counts. */
export function BatchProgress(props: { counts: Record<CommandState, number>; total: number; label: string }) {
  const total = Math.max(props.total, 1);
  const finished = props.total - (props.counts.queued + props.counts.sent + props.counts.accepted);
  const percent = Math.round((finished / total) * 100);
  return (
    <div class="batch-progress">
      <div
        class="progress"
        role="progressbar"
        aria-label={props.label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={props.total === 0 ? 100 : percent}
        aria-valuetext={`${props.total === 0 ? 100 : percent}% finished`}
      >
        {COMMAND_STATES.map((state) =>
          props.counts[state] > 0 ? (
            <span
              key={state}
              class={`progress-part tone-${STATE_TONES[state]}`}
              style={{ width: `${(props.counts[state] / total) * 100}%` }}
            />
          ) : null,
        )}
      </div>
      <ul class="legend">
        {COMMAND_STATES.filter((s) => props.counts[s] > 0).map((state) => (
          <li key={state}>
            <span class={`swatch tone-${STATE_TONES[state]}`} aria-hidden="true" />
            {state} <strong>{formatCount(props.counts[state])}</strong>
          </li>
        ))}
      </ul>
    </div>
  );
}

/**
 * A labelled control with its hint and its error. The control `children` renders gets the
 * id, and is linked here to the hint and the error (`aria-describedby`) and marked
 * `aria-invalid` while there is an error, so every form says the same to a screen reader.
 */
export function Field(props: {
  label: string;
  hint?: ComponentChildren;
  /** What is wrong with the value, shown under the control; nothing when it is fine. */
  error?: ComponentChildren;
  children: (id: string) => ComponentChildren;
}) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const hasError =
    props.error !== undefined && props.error !== null && props.error !== false && props.error !== "";
  const control = props.children(id);
  const linked = isValidElement(control)
    ? cloneElement(control as VNode<Record<string, unknown>>, {
        "aria-describedby":
          [
            (control.props as Record<string, unknown>)["aria-describedby"],
            props.hint ? hintId : null,
            hasError ? errorId : null,
          ]
            .filter(Boolean)
            .join(" ") || undefined,
        "aria-invalid": hasError ? true : (control.props as Record<string, unknown>)["aria-invalid"],
      })
    : control;
  return (
    <div class={`field ${hasError ? "has-error" : ""}`}>
      <label for={id}>{props.label}</label>
      {linked}
      {props.hint && (
        <p class="hint" id={hintId}>
          {props.hint}
        </p>
      )}
      {hasError && (
        <p class="field-error" id={errorId} role="alert">
          {props.error}
        </p>
      )}
    </div>
  );
}

/** Copyable secret shown once (tokens, generated passwords). */
export function SecretBox(props: { label: string; value: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div class="secret">
      <span class="visually-hidden">{props.label}</span>
      <code class="mono" data-testid="secret">
        {props.value}
      </code>
      <button
        type="button"
        class="button button-small"
        onClick={async () => {
          await navigator.clipboard?.writeText(props.value).catch(() => undefined);
          setCopied(true);
        }}
      >
        {copied ? "Copied" : "Copy"}
      </button>
    </div>
  );
}
