import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { AwsError } from '../protocol/errors.js';

/**
 * Console passwords are stored as scrypt hashes: `scrypt$N$r$p$salt$hash` (salt and hash in
 * base64). The parameters travel with each hash so they can be raised later without
 * invalidating passwords already set.
 */
const PARAMS = { N: 1 << 15, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
/** 128 · N · r is 32 MiB at these parameters; Node refuses anything at or above its 32 MiB default. */
const MAX_MEMORY = 64 * 1024 * 1024;

function derive(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  // The asynchronous form runs on libuv's pool: a sign-in must not stall the event loop.
  return new Promise((resolve, reject) => scrypt(password.normalize('NFC'), salt, KEY_LENGTH, { ...options, maxmem: MAX_MEMORY }, (err, key) => (err ? reject(err) : resolve(key))));
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const key = await derive(password, salt, PARAMS);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64'), key.toString('base64')].join('$');
}

export async function passwordMatches(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await derive(password, Buffer.from(salt, 'base64'), { N: Number(n), r: Number(r), p: Number(p) });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

const DUMMY = { hash: undefined as Promise<string> | undefined };

/**
 * Spends the time a real check would, for a user who has no password: otherwise the answer's
 * speed would tell an attacker which user names exist.
 */
export async function burnPasswordCheck(password: string): Promise<void> {
  DUMMY.hash ??= hashPassword(randomBytes(16).toString('hex'));
  await passwordMatches(password, await DUMMY.hash);
}

/** IAM's default rules when the account sets no policy: at least 8 characters, three of four kinds. */
export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 128;

/** The rules an account's password policy sets (see PasswordPolicyRow). */
export interface PasswordRules {
  minimumLength: number;
  requireSymbols: boolean;
  requireNumbers: boolean;
  requireUppercase: boolean;
  requireLowercase: boolean;
}

/** The characters IAM counts as symbols for RequireSymbols. */
const SYMBOLS = /[!@#$%^&*()_+\-=[\]{}|']/;

export const passwordPolicyViolation = (message: string) => new AwsError('PasswordPolicyViolation', message, { status: 400 });

const violation = (what: string) => passwordPolicyViolation(`Password does not conform to the account password policy: ${what}.`);

/**
 * Checks a new password against the account's policy, or IAM's default rules when it has
 * none. Either way the password may not be the user's or account's name.
 */
export function checkPasswordPolicy(password: string, forbidden: readonly string[], rules?: PasswordRules): void {
  const min = rules?.minimumLength ?? MIN_PASSWORD_LENGTH;
  if (password.length < min) throw violation(`it needs at least ${min} characters`);
  if (password.length > MAX_PASSWORD_LENGTH) throw violation(`it may have at most ${MAX_PASSWORD_LENGTH} characters`);
  if (rules) {
    const missing = [
      rules.requireUppercase && !/[A-Z]/.test(password) ? 'an upper-case letter (A-Z)' : '',
      rules.requireLowercase && !/[a-z]/.test(password) ? 'a lower-case letter (a-z)' : '',
      rules.requireNumbers && !/[0-9]/.test(password) ? 'a digit (0-9)' : '',
      rules.requireSymbols && !SYMBOLS.test(password) ? "a symbol (one of ! @ # $ % ^ & * ( ) _ + - = [ ] { } | ')" : '',
    ].filter(Boolean);
    if (missing.length) throw violation(`it needs at least ${missing.join(', ')}`);
  } else {
    const kinds = [/[A-Z]/, /[a-z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
    if (kinds < 3) throw violation('it needs characters of at least three kinds among upper-case letters, lower-case letters, digits and symbols');
  }
  const lower = password.toLowerCase();
  if (forbidden.some((name) => name && lower === name.toLowerCase())) throw violation('it may not be the user or account name');
}
