import { MdmError } from "./errors.js";

/**
 * A name as stored (of a site, a group, a schedule): trimmed, 1 to `maxLength` characters, no
 * control characters; refused with `validation_failed` on `field`.
 */
export function normalizeName(input: string, maxLength: number, whose: string, field = "name"): string {
  const name = input.trim();
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing them is the point
  if (name.length === 0 || name.length > maxLength || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new MdmError("validation_failed", `${whose} name is 1 to ${maxLength} printable characters`, {
      field,
    });
  }
  return name;
}
