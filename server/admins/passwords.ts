/**
 * Admin passwords: scrypt (memory-hard, in node:crypto) with a random salt per password,
 * stored as `scrypt$N$r$p$salt$hash` so the cost can be raised later without breaking old
 * hashes. Comparison is constant-time.
 *
 * New passwords follow NIST SP 800-63B §3.1.1.2: 12 to 256 characters, any printable Unicode
 * (spaces included, but not only whitespace), no composition rules; refused when commonly used,
 * repetitive or sequential, or built from the account's own words. The last three come from
 * zxcvbn-ts with its common-password list and English dictionaries.
 */
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { createRequire } from "node:module";
import type * as ZxcvbnCore from "@zxcvbn-ts/core";
import type * as ZxcvbnCommon from "@zxcvbn-ts/language-common";
import type * as ZxcvbnEnglish from "@zxcvbn-ts/language-en";
import { MdmError } from "../errors.js";

/**
 * N = 2^15, r = 8, p = 3: one of OWASP's equivalent scrypt minimums (32 MiB per hash, about
 * 0.2 s on one core here). Logins are rare; the rate limit bounds how often this runs.
 */
const COST = { N: 2 ** 15, r: 8, p: 3 } as const;
const KEY_BYTES = 32;
const SALT_BYTES = 16;
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;

interface ScryptCost {
  N: number;
  r: number;
  p: number;
}

function derive(password: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(
      password.normalize("NFKC"),
      salt,
      KEY_BYTES,
      // maxmem must exceed 128 * N * r; give it twice that.
      { ...cost, maxmem: 256 * cost.N * cost.r },
      (err, key) => (err ? reject(err) : resolve(key)),
    ),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, COST);
  return ["scrypt", COST.N, COST.r, COST.p, salt.toString("base64url"), key.toString("base64url")].join("$");
}

/** False for a wrong password and for a hash it cannot read. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((n) => Number.isInteger(n) && n > 0)) return false;
  const expected = Buffer.from(parts[5]!, "base64url");
  const actual = await derive(password, Buffer.from(parts[4]!, "base64url"), { N, r, p });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * A hash of nothing anyone knows, verified against when the account does not exist, so that
 * an unknown email takes as long to refuse as a wrong password.
 */
let decoyHash: Promise<string> | undefined;
export function decoyPasswordHash(): Promise<string> {
  decoyHash ??= hashPassword(randomBytes(16).toString("hex"));
  return decoyHash;
}

/** 20 characters from a 57-letter alphabet without look-alikes (~116 bits). */
function randomPassword(): string {
  const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
  const bytes = randomBytes(40);
  let out = "";
  // Rejection sampling keeps every letter equally likely.
  for (const byte of bytes) {
    if (byte >= alphabet.length * Math.floor(256 / alphabet.length)) continue;
    out += alphabet[byte % alphabet.length];
    if (out.length === 20) return out;
  }
  return out + randomPassword().slice(0, 20 - out.length);
}

/**
 * A new random password that the policy accepts. A random one practically always is; drawing
 * again when it is not (a long keyboard run by chance) makes that certain.
 */
export function generatePassword(): string {
  for (let attempt = 0; attempt < 100; attempt++) {
    const password = randomPassword();
    if (passwordWeakness(password) === null) return password;
  }
  throw new Error("no generated password passed the password policy");
}

/** Which rule of the policy a password breaks; also `details.rule` of the `weak_password` error. */
export type PasswordRule =
  | "length"
  | "control_characters"
  | "invalid_characters"
  | "whitespace_only"
  | "context_words"
  | "common_password"
  | "repeated_pattern"
  | "sequence"
  | "keyboard_pattern"
  | "date"
  | "common_words"
  | "guessable";

export interface PasswordWeakness {
  rule: PasswordRule;
  /** What is wrong, after the field's name: "is a commonly used password". */
  problem: string;
  /** zxcvbn's advice, when it has some. */
  suggestion?: string;
}

/** Who the password is for: its words (the email's local part, the name) make it guessable. */
export interface PasswordContext {
  email?: string | null;
  name?: string | null;
}

/**
 * The least zxcvbn score accepted: 3 of 0–4, "safely unguessable" (an estimated 10^8 guesses or
 * more), the usual floor for an account behind a slow hash and a login limit.
 */
export const MIN_PASSWORD_SCORE = 3;
/** Words of the product, guessable for every account. */
const PRODUCT_WORDS = ["portal", "mdm", "admin"];
/** Shorter words of the context are too common inside other words to refuse on. */
const MIN_CONTEXT_WORD_LENGTH = 3;
/** Letters and digits that must remain once the context words are taken out. */
const MIN_CHARACTERS_BEYOND_CONTEXT = 8;
/**
 * zxcvbn looks at this many characters: its matching grows with the length (a 256-character
 * password took over a second), and what follows 64 strong characters cannot weaken them.
 */
const ESTIMATED_LENGTH = 64;
/** Caps zxcvbn's l33t variants (default 100), which dominate its cost on digits and symbols. */
const L33T_MAX_SUBSTITUTIONS = 4;

const CONTEXT_PROBLEM = "is built from the admin's email or name, or from 'portal', 'mdm' or 'admin'";
const COMMON_PROBLEM = "is a commonly used password";
const PROBLEM_BY_WARNING: Record<string, Omit<PasswordWeakness, "suggestion">> = {
  topTen: { rule: "common_password", problem: COMMON_PROBLEM },
  topHundred: { rule: "common_password", problem: COMMON_PROBLEM },
  common: { rule: "common_password", problem: COMMON_PROBLEM },
  pwned: { rule: "common_password", problem: COMMON_PROBLEM },
  similarToCommon: { rule: "common_password", problem: "is too close to a commonly used password" },
  simpleRepeat: { rule: "repeated_pattern", problem: "repeats a pattern (aaaa…)" },
  extendedRepeat: { rule: "repeated_pattern", problem: "repeats a pattern (abcabc…)" },
  sequences: { rule: "sequence", problem: "is a sequence (abcd…, 1234…)" },
  straightRow: { rule: "keyboard_pattern", problem: "is a row of keys (qwerty…)" },
  keyPattern: { rule: "keyboard_pattern", problem: "is a keyboard pattern" },
  recentYears: { rule: "date", problem: "is built around a year" },
  dates: { rule: "date", problem: "is built around a date" },
  wordByItself: { rule: "common_words", problem: "is a single common word" },
  namesByThemselves: { rule: "common_words", problem: "is made of common names" },
  commonNames: { rule: "common_words", problem: "is made of common names" },
  userInputs: { rule: "context_words", problem: CONTEXT_PROBLEM },
};

interface StrengthEstimator {
  factory: ZxcvbnCore.ZxcvbnFactory;
  suggestions: Record<string, string>;
}

/**
 * Built on first use and kept: the dictionaries take about 20 MB and 250 ms to load, which a
 * server that never sets a password should not pay. `require` loads them synchronously, so the
 * check stays a plain function; after that a check takes a few ms.
 */
let estimator: StrengthEstimator | undefined;
function strengthEstimator(): StrengthEstimator {
  if (!estimator) {
    const require = createRequire(import.meta.url);
    const core = require("@zxcvbn-ts/core") as typeof ZxcvbnCore;
    const common = require("@zxcvbn-ts/language-common") as typeof ZxcvbnCommon;
    const english = require("@zxcvbn-ts/language-en") as typeof ZxcvbnEnglish;
    estimator = {
      // No translations: warnings and suggestions come back as keys, mapped to rules below.
      factory: new core.ZxcvbnFactory({
        dictionary: { ...common.dictionary, ...english.dictionary },
        graphs: common.adjacencyGraphs,
        maxLength: ESTIMATED_LENGTH,
        l33tMaxSubstitutions: L33T_MAX_SUBSTITUTIONS,
      }),
      suggestions: english.translations.suggestions,
    };
  }
  return estimator;
}

/** The context's words, lower-case, longest first. */
function contextWords(context: PasswordContext): string[] {
  const words = new Set(PRODUCT_WORDS);
  const add = (text: string) => {
    words.add(text);
    for (const piece of text.split(/[^\p{L}\p{N}]+/u)) words.add(piece);
  };
  const localPart = context.email?.split("@")[0];
  if (localPart) add(localPart);
  if (context.name) {
    add(context.name);
    add(context.name.replace(/\s+/gu, ""));
  }
  return [...words]
    .map((word) => word.normalize("NFKC").toLowerCase())
    .filter((word) => [...word].length >= MIN_CONTEXT_WORD_LENGTH)
    .sort((a, b) => b.length - a.length);
}

/** True when taking the context's words out of the password leaves little of it. */
function builtFromContext(normalized: string, words: readonly string[]): boolean {
  let rest = normalized.toLowerCase();
  for (const word of words) rest = rest.replaceAll(word, " ");
  if (rest === normalized.toLowerCase()) return false;
  return [...rest.replace(/[^\p{L}\p{N}]/gu, "")].length < MIN_CHARACTERS_BEYOND_CONTEXT;
}

/** The first rule the password breaks, or null when the policy accepts it. */
export function passwordWeakness(password: string, context: PasswordContext = {}): PasswordWeakness | null {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH || length > MAX_PASSWORD_LENGTH) {
    return { rule: "length", problem: `must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters` };
  }
  // C0 (NUL, tab, newline…), DEL and C1: not typed as part of a password, and easily lost or
  // changed between a form, a terminal and the hash.
  if (/\p{Cc}/u.test(password)) return { rule: "control_characters", problem: "contains control characters" };
  // A lone surrogate is not text: it would hash like U+FFFD, and like any other lone surrogate.
  if (/\p{Cs}/u.test(password)) {
    return { rule: "invalid_characters", problem: "contains an unpaired surrogate (not valid Unicode text)" };
  }
  if (/^\s+$/u.test(password)) return { rule: "whitespace_only", problem: "is only whitespace" };
  // The form that is hashed: compatibility variants of a character are the same password.
  const normalized = password.normalize("NFKC");
  const words = contextWords(context);
  if (builtFromContext(normalized, words)) return { rule: "context_words", problem: CONTEXT_PROBLEM };
  const { factory, suggestions } = strengthEstimator();
  const estimate = factory.check(normalized, words);
  if (estimate.score >= MIN_PASSWORD_SCORE) return null;
  const found = (estimate.feedback.warning && PROBLEM_BY_WARNING[estimate.feedback.warning]) || {
    rule: "guessable",
    problem: "is too easy to guess",
  };
  const suggestionKey = estimate.feedback.suggestions[0];
  const suggestion = suggestionKey ? suggestions[suggestionKey] : undefined;
  return suggestion ? { ...found, suggestion } : found;
}

/**
 * Throws `weak_password` when the policy refuses the password: the message names the field and
 * the rule (and zxcvbn's advice), `details` carry `field` and `rule`. `context` names whose
 * password it is, so that their own email and name count as guessable.
 */
export function checkNewPassword(password: string, field: string, context: PasswordContext = {}): void {
  const weakness = passwordWeakness(password, context);
  if (!weakness) return;
  const advice = weakness.suggestion
    ? `; ${weakness.suggestion.charAt(0).toLowerCase()}${weakness.suggestion.slice(1).replace(/\.$/, "")}`
    : "";
  throw new MdmError("weak_password", `${field} ${weakness.problem}${advice}`, {
    field,
    rule: weakness.rule,
    ...(weakness.suggestion ? { suggestion: weakness.suggestion } : {}),
  });
}
