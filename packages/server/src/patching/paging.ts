import { decodeToken, encodeToken } from '../documents/paging.js';

const isOffset = (a: unknown): a is number => typeof a === 'number' && Number.isInteger(a) && a >= 0;

/** One page of a listing answered in memory; the token is bound to the listing (`scope`). */
export function page<T>(rows: readonly T[], scope: string, token: string | undefined, max: number): { rows: T[]; NextToken?: string } {
  const offset = decodeToken(token, scope, isOffset) ?? 0;
  const end = offset + max;
  return { rows: rows.slice(offset, end), ...(rows.length > end ? { NextToken: encodeToken(scope, end) } : {}) };
}
