/** Signing in (password, or an API token), and the password change an admin may be forced to make. */
import { useContext, useState } from "preact/hooks";
import { type Api, ApiError, errorMessage } from "../api";
import { fieldOfError } from "../form-errors";
import { useTitle } from "../hooks";
import { SessionContext } from "../session";
import type { Me } from "../types";
import { Field } from "../ui";

export function LoginPage(props: { api: Api; notice?: string; onSignedIn: () => Promise<void> }) {
  useTitle("Sign in");
  const [mode, setMode] = useState<"password" | "token">("password");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [token, setToken] = useState("");
  const [busy, setBusy] = useState(false);
  /** A refusal of what was typed shows at its field; anything else under the form. */
  const [error, setError] = useState<{ message: string; field?: "password" | "token" } | null>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (mode === "password") {
        props.api.token = null;
        await props.api.post("/auth/login", { email: email.trim(), password }, { quiet401: true });
      } else {
        props.api.token = token.trim();
        // Checks the token before the console trusts it.
        await props.api.get("/auth/me", { quiet401: true });
      }
      await props.onSignedIn();
    } catch (err) {
      if (mode === "token") props.api.token = null;
      if (err instanceof ApiError && err.code === "invalid_credentials")
        setError({ message: "The email or password is wrong.", field: "password" });
      else if (err instanceof ApiError && err.code === "too_many_attempts")
        setError({
          message:
            `Too many attempts. Try again in ${err.details?.retryAfterSeconds ?? 60} s. ` +
            "A browser that signed in to this account before is not affected.",
        });
      else if (err instanceof ApiError && err.status === 401)
        setError({ message: "This token is not valid, or it was revoked.", field: "token" });
      else setError({ message: errorMessage(err) });
      setBusy(false);
    }
  };

  return (
    <main class="auth-page">
      <form class="auth-card" onSubmit={submit} aria-labelledby="login-title">
        <div class="brand brand-dark">
          <span class="brand-mark" aria-hidden="true" />
          <span>
            portal<strong>mdm</strong>
          </span>
        </div>
        <h1 id="login-title">Sign in to the console</h1>
        {props.notice && (
          <p class="notice" role="status">
            {props.notice}
          </p>
        )}
        {mode === "password" ? (
          <>
            <Field label="Email">
              {(id) => (
                <input
                  id={id}
                  class="input"
                  type="email"
                  autocomplete="username"
                  required
                  value={email}
                  onInput={(e) => setEmail(e.currentTarget.value)}
                />
              )}
            </Field>
            <Field label="Password" error={error?.field === "password" ? error.message : null}>
              {(id) => (
                <input
                  id={id}
                  class="input"
                  type="password"
                  autocomplete="current-password"
                  required
                  value={password}
                  onInput={(e) => setPassword(e.currentTarget.value)}
                />
              )}
            </Field>
          </>
        ) : (
          <Field
            label="API token"
            hint="The bootstrap token is in the server's data directory (admin-token)."
            error={error?.field === "token" ? error.message : null}
          >
            {(id) => (
              <input
                id={id}
                class="input mono"
                type="password"
                autocomplete="off"
                required
                value={token}
                onInput={(e) => setToken(e.currentTarget.value)}
              />
            )}
          </Field>
        )}
        {error && !error.field && (
          <p class="error-note" role="alert">
            {error.message}
          </p>
        )}
        <button type="submit" class="button button-primary button-block" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        <button
          type="button"
          class="link-button"
          onClick={() => {
            setMode(mode === "password" ? "token" : "password");
            setError(null);
          }}
        >
          {mode === "password" ? "Sign in with an API token instead" : "Sign in with email and password"}
        </button>
      </form>
    </main>
  );
}

const MIN_PASSWORD_LENGTH = 12;

type PasswordField = "current" | "next" | "repeat";

/**
 * Change of password: forced (standalone, before anything else is allowed) or chosen from the
 * account menu (embedded in the shell).
 */
export function ResetPasswordPage(props: {
  api?: Api;
  me?: Me;
  onDone?: () => Promise<void>;
  embedded?: boolean;
}) {
  useTitle("Change password");
  const session = useContext(SessionContext);
  const api = props.api ?? session!.api;
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [repeat, setRepeat] = useState("");
  const [busy, setBusy] = useState(false);
  /** What is wrong, at the field it is about (none: under the form). */
  const [error, setError] = useState<{ message: string; field?: PasswordField } | null>(null);
  const [done, setDone] = useState(false);
  const errorAt = (field: PasswordField) => (error?.field === field ? error.message : null);

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    if (next.length < MIN_PASSWORD_LENGTH)
      return setError({ message: `Use at least ${MIN_PASSWORD_LENGTH} characters.`, field: "next" });
    if (next !== repeat) return setError({ message: "The two new passwords differ.", field: "repeat" });
    if (next === current)
      return setError({ message: "Choose a password different from the current one.", field: "next" });
    setBusy(true);
    try {
      await api.post("/auth/password", { currentPassword: current, newPassword: next }, { quiet401: true });
      setDone(true);
      setCurrent("");
      setNext("");
      setRepeat("");
      await props.onDone?.();
    } catch (err) {
      const field = fieldOfError(err);
      if (err instanceof ApiError && (err.code === "invalid_credentials" || field === "currentPassword"))
        setError({ message: "The current password is wrong.", field: "current" });
      else if (field === "newPassword") setError({ message: errorMessage(err), field: "next" });
      else setError({ message: errorMessage(err) });
    } finally {
      setBusy(false);
    }
  };

  const form = (
    <form
      class={props.embedded ? "card form-card" : "auth-card"}
      onSubmit={submit}
      aria-labelledby="reset-title"
    >
      <h1 id="reset-title">{props.embedded ? "Change password" : "Choose a new password"}</h1>
      {!props.embedded && (
        <p class="notice" role="status">
          {props.me?.name ? `${props.me.name}, your` : "Your"} password must be changed before you continue.
        </p>
      )}
      <Field label="Current password" error={errorAt("current")}>
        {(id) => (
          <input
            id={id}
            class="input"
            type="password"
            autocomplete="current-password"
            required
            value={current}
            onInput={(e) => setCurrent(e.currentTarget.value)}
          />
        )}
      </Field>
      <Field
        label="New password"
        hint={`At least ${MIN_PASSWORD_LENGTH} characters.`}
        error={errorAt("next")}
      >
        {(id) => (
          <input
            id={id}
            class="input"
            type="password"
            autocomplete="new-password"
            required
            value={next}
            onInput={(e) => setNext(e.currentTarget.value)}
          />
        )}
      </Field>
      <Field label="Repeat the new password" error={errorAt("repeat")}>
        {(id) => (
          <input
            id={id}
            class="input"
            type="password"
            autocomplete="new-password"
            required
            value={repeat}
            onInput={(e) => setRepeat(e.currentTarget.value)}
          />
        )}
      </Field>
      {error && !error.field && (
        <p class="error-note" role="alert">
          {error.message}
        </p>
      )}
      {done && props.embedded && (
        <p class="notice notice-success" role="status">
          Your password has been changed.
        </p>
      )}
      <button type="submit" class="button button-primary" disabled={busy}>
        {busy ? "Saving…" : "Change password"}
      </button>
    </form>
  );
  return props.embedded ? <div class="narrow">{form}</div> : <main class="auth-page">{form}</main>;
}
