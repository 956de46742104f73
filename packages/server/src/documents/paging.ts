import { createHash } from 'node:crypto';
import { invalidNextToken } from './errors.js';

/**
 * NextToken carries where the next page starts and which listing it belongs to (a digest of
 * the request), so a token is never replayed against another listing.
 */
export function encodeToken(scope: string, after: unknown): string {
  return Buffer.from(JSON.stringify({ s: digest(scope), a: after })).toString('base64url');
}

export function decodeToken<T>(text: string | undefined, scope: string, check: (after: unknown) => after is T): T | undefined {
  if (text === undefined) return undefined;
  try {
    const t = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as { s?: unknown; a?: unknown };
    if (t.s === digest(scope) && check(t.a)) return t.a;
  } catch {
    // reported below
  }
  throw invalidNextToken();
}

const digest = (scope: string) => createHash('sha256').update(scope).digest('base64url').slice(0, 16);
