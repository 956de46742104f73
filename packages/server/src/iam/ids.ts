import { randomBytes, randomInt } from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** AWS-style unique ids: a four-letter kind prefix and 16 characters of base32. */
export function uniqueId(prefix: 'AKIA' | 'ASIA' | 'AIDA' | 'AROA' | 'ANPA'): string {
  const bytes = randomBytes(16);
  let out = prefix;
  for (let i = 0; i < 16; i++) out += BASE32[bytes[i]! & 31];
  return out;
}

/** 40 characters, as AWS secret access keys are. */
export function newSecretAccessKey(): string {
  return randomBytes(30).toString('base64').replace(/\+/g, 'k').replace(/\//g, 'S');
}

export function newSessionToken(): string {
  return randomBytes(48).toString('base64');
}

export function newAccountId(): string {
  let id = String(randomInt(1, 10));
  for (let i = 0; i < 11; i++) id += String(randomInt(0, 10));
  return id;
}

export const ACCOUNT_ID = /^\d{12}$/;
