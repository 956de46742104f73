import { sql, type Expression, type SqlBool } from 'kysely';
import { z } from 'zod';
import { decodeToken, encodeToken } from '../documents/paging.js';
import { nodeService } from '../nodes/index.js';
import { invalidFilterKey, invalidFilterValue } from '../nodes/errors.js';
import { common, compareVersions, condition, listingDb, OPERATORS, type Eb, type ListedRow, type NodeFilter, type Operator, type Prepared } from '../nodes/listing.js';
import type { CallContext } from '../protocol/context.js';
import { AwsError } from '../protocol/errors.js';
import type { Organization } from './store.js';

/**
 * CapstanListOrganizationNodes: the managed nodes of every account of the organisation (the
 * management account's and its members') in every region, for principals of the management
 * account. Each account and region is authorised on its own, as
 * `ssm:DescribeInstanceInformation` on `arn:aws:ssm:REGION:ACCOUNT:managed-instance/*`, so an
 * IAM policy of the management account narrows the view to some accounts or regions.
 */

const DESCRIBE = 'ssm:DescribeInstanceInformation';
export const nodesArn = (region: string, account: string) => `arn:aws:ssm:${region}:${account}:managed-instance/*`;

export const FILTER_KEYS = ['AccountId', 'Region', 'PingStatus', 'PlatformType', 'PlatformName', 'PlatformVersion', 'AgentVersion'] as const;

const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  PingStatus: ['Online', 'ConnectionLost', 'Inactive'],
  PlatformType: ['Windows', 'Linux', 'MacOS'],
};
const VERSION = /^\d+(\.\d+)*$/;

export const listOrganizationNodesInput = z.object({
  Filters: z
    .array(z.object({ Key: z.string().min(1).max(163), Values: z.array(z.string().min(1).max(256)).min(1).max(40), Operator: z.enum(OPERATORS as [Operator, ...Operator[]]).optional() }))
    .max(20)
    .optional(),
  /** Part of a node's id, name, computer name or IP address, in any case. */
  Search: z.string().min(1).max(256).optional(),
  MaxResults: z.number().int().min(1).max(1000).optional(),
  NextToken: z.string().max(1024).optional(),
});
export type ListOrganizationNodesInput = z.infer<typeof listOrganizationNodesInput>;

/** An account and region of the organisation that holds nodes. */
interface Scope {
  account: string;
  region: string;
}

/** Who may see what: worked out once per call, in the authorisation step, and read by the handler. */
export interface Access {
  org: Organization | undefined;
  /** The organisation's accounts and regions the caller is allowed to describe, in listing order. */
  allowed: Scope[];
  /** Every account and region considered (for the refusal when none is allowed). */
  considered: Scope[];
}

const byScope = (a: Scope, b: Scope) => (a.account < b.account ? -1 : a.account > b.account ? 1 : a.region < b.region ? -1 : a.region > b.region ? 1 : 0);

/**
 * The accounts and regions to authorise: every pair that has nodes, plus each account in the
 * call's region, so an organisation without nodes is still authorised like one with them.
 */
export async function accessOf(c: CallContext, org: Organization | undefined): Promise<Access> {
  if (!org || org.managementAccountId !== c.accountId) return { org, allowed: [], considered: [] };
  const accounts = [org.managementAccountId, ...org.members.map((m) => m.accountId)];
  const db = listingDb(nodeService(c.core));
  const withNodes = await db.selectFrom('managed_instances').select(['account_id', 'region']).where('account_id', 'in', accounts).groupBy(['account_id', 'region']).execute();
  const seen = new Map<string, Scope>();
  for (const s of [...withNodes.map((r) => ({ account: r.account_id, region: r.region })), ...accounts.map((account) => ({ account, region: c.region }))]) seen.set(`${s.account}/${s.region}`, s);
  const considered = [...seen.values()].sort(byScope);
  const allowed: Scope[] = [];
  for (const s of considered) if (await c.isAllowed(DESCRIBE, nodesArn(s.region, s.account))) allowed.push(s);
  return { org, allowed, considered };
}

/** Whether a value known in JS passes Equal / NotEqual / BeginWith. */
function passes(f: NodeFilter, value: string): boolean {
  if (f.op === 'Equal') return f.values.includes(value);
  if (f.op === 'NotEqual') return !f.values.includes(value);
  if (f.op === 'BeginWith') return f.values.some((v) => value.startsWith(v));
  return false;
}

function check(filters: readonly NodeFilter[], org: Organization): void {
  const accounts = new Set([org.managementAccountId, ...org.members.map((m) => m.accountId)]);
  for (const f of filters) {
    const tag = f.key === 'tag-key' || (f.key.startsWith('tag:') && f.key.length > 4);
    if (!tag && !(FILTER_KEYS as readonly string[]).includes(f.key)) {
      throw invalidFilterKey(`The filter key ${f.key} is not valid here; valid keys are ${FILTER_KEYS.join(', ')}, tag-key and tag:<key>.`);
    }
    if (f.op === 'LessThan' || f.op === 'GreaterThan') {
      if (f.key !== 'AgentVersion') throw invalidFilterValue(`The ${f.op} operator compares agent versions; use Equal, NotEqual or BeginWith with ${f.key}.`);
      if (f.values.length !== 1 || !VERSION.test(f.values[0]!)) throw invalidFilterValue(`The ${f.op} operator takes one version to compare with, numbers separated by dots such as 3.2.582.0.`);
    }
    const allowed = ALLOWED[f.key];
    if (allowed && f.op !== 'BeginWith') {
      const bad = f.values.filter((v) => !allowed.includes(v));
      if (bad.length) throw invalidFilterValue(`${bad.join(', ')} ${bad.length === 1 ? 'is not a value' : 'are not values'} of ${f.key}; use ${allowed.join(', ')}.`);
    }
    if (f.key === 'AccountId' && f.op === 'Equal') {
      const foreign = f.values.filter((v) => !accounts.has(v));
      if (foreign.length) throw invalidFilterValue(`${foreign.join(', ')} ${foreign.length === 1 ? 'is not an account' : 'are not accounts'} of organization ${org.id}.`);
    }
  }
}

const escapeLike = (s: string) => s.replace(/[!%_]/g, (ch) => `!${ch}`);

/** The node's id, name, computer name or IP address contains the text, in any case. */
function search(eb: Eb, text: string): Expression<SqlBool> {
  const pattern = `%${escapeLike(text.toLowerCase())}%`;
  const cols = ['instance_id', 'name', 'computer_name', 'ip_address'] as const;
  return eb.or(cols.map((col) => sql<SqlBool>`lower(${sql.ref(col)}) like ${pattern} escape '!'`));
}

/** PlatformName and PlatformVersion: columns DescribeInstanceInformation does not filter on. */
function column(eb: Eb, col: 'platform_name' | 'platform_version', f: NodeFilter): Expression<SqlBool> {
  if (f.op === 'Equal') return eb(col, 'in', f.values);
  if (f.op === 'NotEqual') return eb(col, 'not in', f.values);
  return eb.or(f.values.map((v) => sql<SqlBool>`substr(${sql.ref(col)}, 1, ${[...v].length}) = ${v}`));
}

type After = [string, string, string];
const isAfter = (a: unknown): a is After => Array.isArray(a) && a.length === 3 && a.every((x) => typeof x === 'string');

export async function listOrganizationNodes(c: CallContext, access: Access, i: ListOrganizationNodesInput) {
  const org = access.org;
  // An account outside the organisation learns nothing of it; a member may know who manages it.
  const isMember = org?.members.some((m) => m.accountId === c.accountId);
  if (!org || (org.managementAccountId !== c.accountId && !isMember)) {
    throw new AwsError('AccessDeniedException', `Account ${c.accountId} is not the management account of an organization; only principals of an organization's management account list its nodes.`, { messageMember: 'Message' });
  }
  if (org.managementAccountId !== c.accountId) {
    throw new AwsError('AccessDeniedException', `Account ${c.accountId} is a member of organization ${org.id}; only principals of its management account ${org.managementAccountId} list the organization's nodes.`, { messageMember: 'Message' });
  }
  const filters: NodeFilter[] = (i.Filters ?? []).map((f) => ({ key: f.Key, op: f.Operator ?? 'Equal', values: f.Values }));
  check(filters, org);
  const svc = nodeService(c.core);
  const db = listingDb(svc);

  // Accounts and regions are answered here, by narrowing which (account, region) ranges are read.
  const placed = (s: Scope) => filters.every((f) => (f.key === 'AccountId' ? passes(f, s.account) : f.key === 'Region' ? passes(f, s.region) : true));
  const scopes = access.allowed.filter(placed);

  const scopeKey = JSON.stringify(['organization-nodes', c.accountId, filters, i.Search ?? '']);
  const after = decodeToken(i.NextToken, scopeKey, isAfter);
  const rowFilters = filters.map((f, index) => ({ f, index })).filter(({ f }) => f.key !== 'AccountId' && f.key !== 'Region');

  // AgentVersion LessThan/GreaterThan: the organisation runs few distinct versions; compare them here.
  const versions = new Map<number, string[]>();
  if (rowFilters.some(({ f }) => f.op === 'LessThan' || f.op === 'GreaterThan') && scopes.length) {
    const known = (
      await db
        .selectFrom('managed_instances')
        .select('agent_version')
        .distinct()
        .where('account_id', 'in', [...new Set(scopes.map((s) => s.account))])
        .execute()
    ).map((r) => r.agent_version);
    for (const { f, index } of rowFilters) {
      if (f.op !== 'LessThan' && f.op !== 'GreaterThan') continue;
      const sign = f.op === 'LessThan' ? -1 : 1;
      versions.set(index, known.filter((v) => VERSION.test(v) && compareVersions(v, f.values[0]!) === sign));
    }
  }
  const prepared: Prepared = { ping: svc.pingCutoffs(c.now), engine: c.core.database.engine, versions };
  const where = (eb: Eb): Expression<SqlBool> =>
    eb.and([
      ...rowFilters.map(({ f, index }) =>
        f.key === 'PlatformName' ? column(eb, 'platform_name', f) : f.key === 'PlatformVersion' ? column(eb, 'platform_version', f) : condition(eb, f.key === 'PlatformType' ? { ...f, key: 'PlatformTypes' } : f, index, prepared),
      ),
      ...(i.Search ? [search(eb, i.Search)] : []),
    ]);

  // One primary-key range per account and region, in (account, region, instance id) order: a
  // page costs about its own size, however many nodes the organisation has.
  const max = i.MaxResults ?? 50;
  const out: ListedRow[] = [];
  for (const s of scopes) {
    if (after && byScope(s, { account: after[0], region: after[1] }) < 0) continue;
    let q = db.selectFrom('managed_instances').selectAll().where('account_id', '=', s.account).where('region', '=', s.region);
    if (after && s.account === after[0] && s.region === after[1]) q = q.where('instance_id', '>', after[2]);
    if (rowFilters.length || i.Search) q = q.where(where);
    out.push(...(await q.orderBy('instance_id').limit(max + 1 - out.length).execute()));
    if (out.length > max) break;
  }
  const shown = out.slice(0, max);
  const last = shown[shown.length - 1];
  return {
    Nodes: shown.map((r) => ({
      AccountId: r.account_id,
      Region: r.region,
      ...common(svc, r, c.now),
      Name: r.name,
      Tags: Object.entries(JSON.parse(r.tags) as Record<string, string>).map(([Key, Value]) => ({ Key, Value })),
    })),
    ...(out.length > max && last ? { NextToken: encodeToken(scopeKey, [last.account_id, last.region, last.instance_id]) } : {}),
  };
}
