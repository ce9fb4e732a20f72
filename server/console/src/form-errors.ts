/**
 * Which form field an API error is about, so the form can show it beside that field (and link
 * it there, see Field in ui.tsx) instead of under the whole form.
 */
import { ApiError, errorMessage } from "./api";

/** Refusals whose field the code alone tells, for those that do not name it in `details`. */
const FIELD_OF_CODE: Record<string, string> = {
  admin_email_taken: "email",
  role_name_taken: "name",
  wrong_password: "currentPassword",
};

export function fieldOfError(err: unknown): string | null {
  if (!(err instanceof ApiError)) return null;
  const field = err.details?.field;
  if (typeof field === "string") return field;
  return FIELD_OF_CODE[err.code] ?? null;
}

/** The error's message when it is about `field`; otherwise nothing. */
export function errorOfField(err: unknown, field: string): string | null {
  return err && fieldOfError(err) === field ? errorMessage(err) : null;
}

/** The error, unless one of the form's `fields` shows it already. */
export function formError(err: unknown, fields: readonly string[]): unknown {
  const field = fieldOfError(err);
  return field !== null && fields.includes(field) ? null : err;
}
