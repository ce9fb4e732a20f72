/**
 * One error type for the whole server. Callers branch on `code`, never on the message; the API
 * maps each code to its HTTP status and answers `{error: {code, message}}`.
 */
export const ERROR_STATUS = {
  bad_request: 400,
  validation_failed: 400,
  invalid_timezone: 400,
  invalid_cron: 400,
  invalid_window: 400,
  invalid_ntp_server: 400,
  weak_password: 400,
  unauthorized: 401,
  invalid_enrollment_token: 401,
  invalid_credentials: 401,
  forbidden: 403,
  device_deactivated: 403,
  password_reset_required: 403,
  account_deactivated: 403,
  wrong_password: 403,
  right_not_held: 403,
  own_access: 403,
  target_outranks_you: 403,
  cross_site_request: 403,
  not_found: 404,
  device_not_found: 404,
  command_not_found: 404,
  batch_not_found: 404,
  device_code_not_found: 404,
  admin_not_found: 404,
  role_not_found: 404,
  site_not_found: 404,
  schedule_not_found: 404,
  rollout_not_found: 404,
  token_not_found: 404,
  enrollment_token_not_found: 404,
  group_not_found: 404,
  device_not_managed: 409,
  device_online: 409,
  device_offline: 409,
  device_already_enrolled: 409,
  command_not_cancelable: 409,
  batch_nothing_to_retry: 409,
  device_code_already_claimed: 409,
  admin_email_taken: 409,
  role_name_taken: 409,
  role_built_in: 409,
  role_in_use: 409,
  last_system_admin: 409,
  too_many_labels: 409,
  group_name_taken: 409,
  too_many_groups: 409,
  site_name_taken: 409,
  too_many_sites: 409,
  too_many_schedules: 409,
  schedule_finished: 409,
  too_many_rollouts: 409,
  rollout_finished: 409,
  rollout_not_running: 409,
  rollout_not_paused: 409,
  rollout_not_waiting_approval: 409,
  rollout_nothing_to_retry: 409,
  device_code_expired: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  slow_down: 429,
  too_many_attempts: 429,
  rate_limited: 429,
  internal: 500,
  store_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class MdmError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "MdmError";
  }

  get httpStatus(): number {
    return ERROR_STATUS[this.code];
  }
}

export function isMdmError(err: unknown, code?: ErrorCode): err is MdmError {
  return err instanceof MdmError && (code === undefined || err.code === code);
}
