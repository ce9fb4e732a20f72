import { randomInt } from "node:crypto";

/**
 * Letters that cannot be mistaken for each other on a display across a room (no vowels, so no
 * words; no 0/O, 1/I/L, 5/S, 8/B), as RFC 8628 §6.1 recommends for user codes.
 */
const USER_CODE_ALPHABET = "CDFGHJKMNPQRTVWXZ";

/** `ABCD-EFGH`: 8 characters, about 32.7 bits, typed by an admin within minutes. */
export function newUserCode(): string {
  let code = "";
  for (let i = 0; i < 8; i++) code += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)];
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/** Accepts what an admin types: any case, with or without the dash or spaces. */
export function normalizeUserCode(input: string): string | null {
  const compact = input.toUpperCase().replace(/[\s-]/g, "");
  if (compact.length !== 8 || [...compact].some((c) => !USER_CODE_ALPHABET.includes(c))) return null;
  return `${compact.slice(0, 4)}-${compact.slice(4)}`;
}
