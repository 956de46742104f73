import { z } from 'zod';
import { decodeToken, encodeToken } from '../../documents/paging.js';
import { targetSchema } from '../../nodes/index.js';
import type { CallContext } from '../../protocol/context.js';
import { validation } from '../errors.js';
import { tables, windowArn } from '../store.js';

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
export const windowId = z.string().min(20).max(20).regex(/^mw-[0-9a-f]{17}$/);
export const uuid = z.string().min(36).max(36).regex(UUID);
export const name = z.string().min(3).max(128).regex(/^[a-zA-Z0-9_\-.]{3,128}$/);
export const description = z.string().min(1).max(128);
export const clientToken = z.string().min(1).max(64);
export const targets = z.array(targetSchema).max(5);
export const resourceType = z.enum(['INSTANCE', 'RESOURCE_GROUP']);
export const ownerInformation = z.string().min(1).max(128);
export const maxResults = z.number().int().min(10).max(100).optional();
export const filters = z.array(z.object({ Key: z.string().min(1).max(128).optional(), Values: z.array(z.string().min(1).max(256)).optional() })).max(5).optional();

export type Filter = { Key?: string | undefined; Values?: string[] | undefined };

/** The filters a listing takes, each key named once with its values; anything else is refused, naming the keys it takes. */
export function filterValues(list: Filter[] | undefined, keys: readonly string[], op: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of list ?? []) {
    if (!f.Key || !keys.includes(f.Key)) throw validation(`Filter key ${f.Key ?? '(none)'} is not supported by ${op}; use ${keys.join(', ')}.`);
    if (!f.Values?.length) throw validation(`Filter ${f.Key} needs at least one value.`);
    out.set(f.Key, [...(out.get(f.Key) ?? []), ...f.Values]);
  }
  return out;
}

/** An ISO-8601 time a filter compares with. */
export function filterTime(key: string, value: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw validation(`Filter ${key} takes an ISO-8601 time such as 2026-11-04T05:00:00Z, not ${value}.`);
  return ms;
}

/** One page of an already-ordered list; NextToken is bound to the listing it came from. */
export function paged<T>(rows: T[], scope: string, i: { MaxResults?: number | undefined; NextToken?: string | undefined }, fallback = 100): { items: T[]; NextToken?: string } {
  const offset = decodeToken(i.NextToken, scope, (a): a is number => typeof a === 'number' && Number.isInteger(a) && a >= 0) ?? 0;
  const limit = i.MaxResults ?? fallback;
  return { items: rows.slice(offset, offset + limit), ...(offset + limit < rows.length ? { NextToken: encodeToken(scope, offset + limit) } : {}) };
}

export const arnOf = (c: CallContext, id: string) => windowArn(c.region, c.accountId, id);

/** The window an execution belongs to, for IAM; `*` when there is no such execution (the handler then says so). */
export async function executionResources(c: CallContext, executionId: string): Promise<string[]> {
  const row = await tables(c.core.database.db).selectFrom('maintenance_window_executions').select(['window_id', 'account_id', 'region']).where('window_execution_id', '=', executionId).executeTakeFirst();
  return row && row.account_id === c.accountId && row.region === c.region ? [arnOf(c, row.window_id)] : ['*'];
}
