import { createHash } from 'node:crypto';
import { AwsError } from '../protocol/errors.js';

const digest = (scope: string) => createHash('sha256').update(scope).digest('base64url').slice(0, 16);

/**
 * One page of a listing. The token holds the offset and a digest of the request it belongs to,
 * so it is refused against any other listing.
 */
export function page<T>(rows: readonly T[], scope: unknown, token: string | undefined, max: number): { rows: T[]; NextToken?: string } {
  const s = digest(JSON.stringify(scope));
  let offset = 0;
  if (token !== undefined) {
    let t: { s?: unknown; o?: unknown } = {};
    try {
      t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as typeof t;
    } catch {
      // refused below
    }
    if (t.s !== s || typeof t.o !== 'number' || !Number.isInteger(t.o) || t.o < 0) throw new AwsError('InvalidNextToken', 'The NextToken is not valid for this request.', { messageMember: 'Message' });
    offset = t.o;
  }
  const next = offset + max;
  return { rows: rows.slice(offset, next), ...(next < rows.length ? { NextToken: Buffer.from(JSON.stringify({ s, o: next })).toString('base64url') } : {}) };
}
