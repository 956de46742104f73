import { sql, type Expression, type ExpressionBuilder, type Kysely, type SqlBool } from 'kysely';
import { resolveDocument } from '../documents/index.js';
import { decodeToken, encodeToken } from '../documents/paging.js';
import { AwsError } from '../protocol/errors.js';
import type { CallContext } from '../protocol/context.js';
import { invalidActivationId, invalidFilterKey, invalidFilterValue, invalidInstanceId, validation } from './errors.js';
import type { NodeAssociationColumns } from './association-status.js';
import type { NodeService } from './service.js';
import type { ActivationRow, InstanceRow } from './tables.js';

/**
 * DescribeInstanceInformation and DescribeInstanceProperties: both filter styles of each become
 * one list of conditions, answered in SQL (SQLite and PostgreSQL alike) and paged by instance id,
 * so a page costs about its own size however large the fleet is.
 */

/** What the agent's hello reports beyond the columns of 0800_nodes (added by 0850_node_listing). */
export interface HostFacts {
  architecture: string;
  kernel: string;
}
export type ListedRow = InstanceRow & HostFacts & NodeAssociationColumns;
export type ListingTables = { managed_instances: ListedRow; activations: ActivationRow };

export type Operator = 'Equal' | 'NotEqual' | 'BeginWith' | 'LessThan' | 'GreaterThan';
export const OPERATORS: readonly Operator[] = ['Equal', 'NotEqual', 'BeginWith', 'LessThan', 'GreaterThan'];

/** One condition: the node's value for `key` compared with `values` (alternatives) by `op`. */
export interface NodeFilter {
  key: string;
  op: Operator;
  values: string[];
}

type Column = 'instance_id' | 'agent_version' | 'platform_type' | 'activation_id' | 'iam_role' | 'association_status';
type Attribute =
  | { kind: 'column'; column: Column }
  /** The same for every Capstan node. */
  | { kind: 'constant'; value: string }
  /** The documents of the node's associations (a JSON array kept by State Manager's summary). */
  | { kind: 'documents' }
  | { kind: 'ping' }
  | { kind: 'tag'; tag: string }
  | { kind: 'tagKeys' };

const ATTRIBUTES: Readonly<Record<string, Attribute>> = {
  InstanceIds: { kind: 'column', column: 'instance_id' },
  AgentVersion: { kind: 'column', column: 'agent_version' },
  PingStatus: { kind: 'ping' },
  PlatformTypes: { kind: 'column', column: 'platform_type' },
  ActivationIds: { kind: 'column', column: 'activation_id' },
  IamRole: { kind: 'column', column: 'iam_role' },
  ResourceType: { kind: 'constant', value: 'ManagedInstance' },
  // '' on a node no association has run on: it passes NotEqual, as a node without a tag passes tag:<key> NotEqual.
  AssociationStatus: { kind: 'column', column: 'association_status' },
  DocumentName: { kind: 'documents' },
  SourceIds: { kind: 'column', column: 'instance_id' },
  SourceTypes: { kind: 'constant', value: 'AWS::SSM::ManagedInstance' },
};

function attributeOf(key: string): Attribute | undefined {
  if (key === 'tag-key') return { kind: 'tagKeys' };
  if (key.startsWith('tag:') && key.length > 4) return { kind: 'tag', tag: key.slice(4) };
  return Object.hasOwn(ATTRIBUTES, key) ? ATTRIBUTES[key] : undefined;
}

/** The values AWS defines for the enumerated keys; Equal and NotEqual take only these. */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  PingStatus: ['Online', 'ConnectionLost', 'Inactive'],
  PlatformTypes: ['Windows', 'Linux', 'MacOS'],
  ResourceType: ['EC2Instance', 'ManagedInstance'],
  AssociationStatus: ['Success', 'Pending', 'Failed'],
  SourceTypes: ['AWS::EC2::Instance', 'AWS::SSM::ManagedInstance', 'AWS::IoT::Thing', 'Microsoft.Compute/virtualMachines'],
};

const PING_STATES = ['Online', 'ConnectionLost', 'Inactive'] as const;

export const INFORMATION_KEYS = ['InstanceIds', 'AgentVersion', 'PingStatus', 'PlatformTypes', 'ActivationIds', 'IamRole', 'ResourceType', 'AssociationStatus'] as const;
const INFORMATION_STRING_KEYS = [...INFORMATION_KEYS, 'SourceIds', 'SourceTypes'];
export const PROPERTY_KEYS = ['InstanceIds', 'AgentVersion', 'PingStatus', 'PlatformTypes', 'DocumentName', 'ActivationIds', 'IamRole', 'ResourceType', 'AssociationStatus'] as const;

const invalidPropertyFilterValue = (message: string) => new AwsError('InvalidInstancePropertyFilterValue', message, { messageMember: 'message' });

/** The code points of a string: SQL's substr and length count characters, not UTF-16 units. */
const charLength = (s: string) => [...s].length;

const VERSION = /^\d+(\.\d+)*$/;

/**
 * Orders two versions (digits and dots) part by part as numbers; a missing part counts as 0,
 * so 3.2 equals 3.2.0.
 */
export function compareVersions(a: string, b: string): number {
  // Agents report what they like (a build tag, a pre-release suffix): a version that is not dotted
  // numbers sorts below every one that is, and by its text among its kind, instead of throwing.
  const numeric = (v: string) => /^\d+(\.\d+)*$/.test(v);
  if (!numeric(a) || !numeric(b)) {
    if (numeric(a) !== numeric(b)) return numeric(a) ? 1 : -1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  const pa = a.split('.');
  const pb = b.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = BigInt(pa[i] ?? '0') - BigInt(pb[i] ?? '0');
    if (d !== 0n) return d < 0n ? -1 : 1;
  }
  return 0;
}

interface Rules {
  /** Keys this list accepts, besides tag:<key> and tag-key when `tags` is set. */
  keys: readonly string[];
  tags: boolean;
  /** The error for a value the key does not take. */
  badValue: (message: string) => AwsError;
}

function check(filters: readonly NodeFilter[], rules: Rules): void {
  for (const f of filters) {
    const attribute = attributeOf(f.key);
    const isTag = attribute?.kind === 'tag' || attribute?.kind === 'tagKeys';
    if (!attribute || (isTag ? !rules.tags : !rules.keys.includes(f.key))) {
      const valid = [...rules.keys, ...(rules.tags ? ['tag-key', 'tag:<key>'] : [])].join(', ');
      throw invalidFilterKey(`The filter key ${f.key || '(empty)'} is not valid here; valid keys are ${valid}.`);
    }
    if (f.op === 'LessThan' || f.op === 'GreaterThan') {
      if (f.key !== 'AgentVersion') throw rules.badValue(`The ${f.op} operator compares agent versions; use Equal, NotEqual or BeginWith with ${f.key}.`);
      if (f.values.length !== 1) throw rules.badValue(`The ${f.op} operator takes exactly one version to compare with, not ${f.values.length}.`);
      if (!VERSION.test(f.values[0]!)) throw rules.badValue(`${f.values[0]} is not a version to compare agent versions with; give numbers separated by dots, such as 3.2.582.0.`);
    }
    const allowed = ALLOWED[f.key];
    if (allowed && f.op !== 'BeginWith') {
      const bad = f.values.filter((v) => !allowed.includes(v));
      if (bad.length) throw rules.badValue(`${bad.join(', ')} ${bad.length === 1 ? 'is not a value' : 'are not values'} of ${f.key}; use ${allowed.join(', ')}.`);
    }
  }
}

/** Everything a filter needs from the database before the query is built. */
export interface Prepared {
  /** NodeService.pingCutoffs at the call's time. */
  ping: { onlineSince: number; inactiveBefore: number };
  engine: 'sqlite' | 'postgres';
  /** For each LessThan/GreaterThan filter, by position: the agent versions in the account that pass it. */
  versions: Map<number, string[]>;
}

const TRUE = sql<SqlBool>`1 = 1`;
const FALSE = sql<SqlBool>`1 = 0`;

export type Eb = ExpressionBuilder<ListingTables, 'managed_instances'>;

/** Whether one value passes Equal / NotEqual / BeginWith against the filter's values (for values known in JS). */
function passes(f: NodeFilter, value: string): boolean {
  const equal = f.values.includes(value);
  if (f.op === 'Equal') return equal;
  if (f.op === 'NotEqual') return !equal;
  if (f.op === 'BeginWith') return f.values.some((v) => value.startsWith(v));
  return false;
}

const startsWith = (expr: Expression<string>, prefixes: readonly string[]) =>
  prefixes.map((p) => sql<SqlBool>`substr(${expr}, 1, ${charLength(p)}) = ${p}`);

export function condition(eb: Eb, f: NodeFilter, index: number, p: Prepared): Expression<SqlBool> {
  const attribute = attributeOf(f.key)!;
  switch (attribute.kind) {
    case 'constant':
      return passes(f, attribute.value) ? TRUE : FALSE;
    case 'documents': {
      const matched = documents(f, p.engine);
      return f.op === 'NotEqual' ? eb.not(matched) : matched;
    }
    case 'ping': {
      // Online: a channel is open and its last ping is at most two intervals old (NodeService.pingStatus).
      const states = PING_STATES.filter((s) => passes(f, s));
      const online = eb.and([eb('connected', '=', 1), eb('last_ping_at', '>=', p.ping.onlineSince)]);
      const lastSeen = eb.fn.coalesce('last_ping_at', 'registered_at');
      const inactive = eb(lastSeen, '<', p.ping.inactiveBefore);
      const lost = eb.and([eb.or([eb('connected', '<>', 1), eb('last_ping_at', 'is', null), eb('last_ping_at', '<', p.ping.onlineSince)]), eb(lastSeen, '>=', p.ping.inactiveBefore)]);
      const parts = [...(states.includes('Online') ? [online] : []), ...(states.includes('ConnectionLost') ? [lost] : []), ...(states.includes('Inactive') ? [inactive] : [])];
      return parts.length ? eb.or(parts) : FALSE;
    }
    case 'column': {
      const col = eb.ref(attribute.column);
      if (f.op === 'Equal') return eb(col, 'in', f.values);
      if (f.op === 'NotEqual') return eb(col, 'not in', f.values);
      if (f.op === 'BeginWith') return eb.or(startsWith(col, f.values));
      const versions = p.versions.get(index) ?? [];
      return versions.length ? eb(col, 'in', versions) : FALSE;
    }
    case 'tag': {
      const matched = tagValue(attribute.tag, f, p.engine);
      return f.op === 'NotEqual' ? eb.not(matched) : matched;
    }
    case 'tagKeys': {
      const matched = tagKeys(f, p.engine);
      return f.op === 'NotEqual' ? eb.not(matched) : matched;
    }
  }
}

const TAGS = sql.ref('managed_instances.tags');

/** The node has tag `key` with one of the values (Equal, NotEqual) or a value beginning with one (BeginWith). */
function tagValue(key: string, f: NodeFilter, engine: Prepared['engine']): Expression<SqlBool> {
  if (engine === 'postgres') {
    const value = sql<string>`(${TAGS}::jsonb ->> ${key})`;
    // Containment is what the GIN index on tags::jsonb answers.
    if (f.op !== 'BeginWith') return sql<SqlBool>`(${sql.join(f.values.map((v) => sql`${TAGS}::jsonb @> ${JSON.stringify({ [key]: v })}::jsonb`), sql` or `)})`;
    return sql<SqlBool>`(${sql.join(startsWith(value, f.values), sql` or `)})`;
  }
  const value = sql<string>`j.value`;
  const test = f.op === 'BeginWith' ? sql.join(startsWith(value, f.values), sql` or `) : sql`j.value in (${sql.join(f.values)})`;
  return sql<SqlBool>`exists (select 1 from json_each(${TAGS}) as j where j."key" = ${key} and (${test}))`;
}

/** The node has a tag whose key is one of the values, or begins with one (BeginWith). */
function tagKeys(f: NodeFilter, engine: Prepared['engine']): Expression<SqlBool> {
  if (engine === 'postgres') {
    if (f.op !== 'BeginWith') return sql<SqlBool>`(${TAGS}::jsonb ?| ${sql.val(f.values)}::text[])`;
    const key = sql<string>`k`;
    return sql<SqlBool>`exists (select 1 from jsonb_object_keys(${TAGS}::jsonb) as k where ${sql.join(startsWith(key, f.values), sql` or `)})`;
  }
  const key = sql<string>`j."key"`;
  const test = f.op === 'BeginWith' ? sql.join(startsWith(key, f.values), sql` or `) : sql`j."key" in (${sql.join(f.values)})`;
  return sql<SqlBool>`exists (select 1 from json_each(${TAGS}) as j where ${test})`;
}

const DOCUMENTS = sql.ref('managed_instances.association_documents');

/** One of the node's association documents is one of the values, or begins with one (BeginWith). */
function documents(f: NodeFilter, engine: Prepared['engine']): Expression<SqlBool> {
  if (engine === 'postgres') {
    if (f.op !== 'BeginWith') return sql<SqlBool>`(${DOCUMENTS}::jsonb ?| ${sql.val(f.values)}::text[])`;
    const name = sql<string>`d`;
    return sql<SqlBool>`exists (select 1 from jsonb_array_elements_text(${DOCUMENTS}::jsonb) as d where ${sql.join(startsWith(name, f.values), sql` or `)})`;
  }
  const name = sql<string>`j.value`;
  const test = f.op === 'BeginWith' ? sql.join(startsWith(name, f.values), sql` or `) : sql`j.value in (${sql.join(f.values)})`;
  return sql<SqlBool>`exists (select 1 from json_each(${DOCUMENTS}) as j where ${test})`;
}

export const listingDb = (svc: NodeService): Kysely<ListingTables> => svc.core.database.db.withTables<ListingTables>();

async function prepare(svc: NodeService, call: CallContext, filters: readonly NodeFilter[]): Promise<Prepared> {
  const db = listingDb(svc);
  const versions = new Map<number, string[]>();
  let known: string[] | undefined;
  for (const [i, f] of filters.entries()) {
    if (f.op !== 'LessThan' && f.op !== 'GreaterThan') continue;
    // An account runs few distinct agent versions: compare them here, then filter by the list.
    known ??= (await db.selectFrom('managed_instances').select('agent_version').distinct().where('account_id', '=', call.accountId).where('region', '=', call.region).execute()).map((r) => r.agent_version);
    const sign = f.op === 'LessThan' ? -1 : 1;
    // A node whose agent reports no numeric version is neither older nor newer than any version.
    versions.set(i, known.filter((v) => VERSION.test(v) && compareVersions(v, f.values[0]!) === sign));
  }
  return { ping: svc.pingCutoffs(call.now), engine: svc.core.database.engine, versions };
}

/** One page of the account's nodes that pass every filter, in instance-id order. */
async function page(svc: NodeService, call: CallContext, filters: readonly NodeFilter[], listing: string, max: number, token: string | undefined) {
  const scope = JSON.stringify([listing, call.accountId, call.region, filters]);
  const after = decodeToken(token, scope, (a): a is string => typeof a === 'string');
  const prepared = await prepare(svc, call, filters);
  let q = listingDb(svc).selectFrom('managed_instances').selectAll().where('account_id', '=', call.accountId).where('region', '=', call.region);
  if (after !== undefined) q = q.where('instance_id', '>', after);
  if (filters.length) q = q.where((eb) => eb.and(filters.map((f, i) => condition(eb, f, i, prepared))));
  const rows = await q.orderBy('instance_id').limit(max + 1).execute();
  const shown = rows.slice(0, max);
  return { rows: shown, next: rows.length > max ? encodeToken(scope, shown[shown.length - 1]!.instance_id) : undefined };
}

/** InstanceIds named with Equal must all be the caller's nodes in this region. */
async function checkInstanceIds(svc: NodeService, call: CallContext, filters: readonly NodeFilter[]): Promise<void> {
  const ids = [...new Set(filters.filter((f) => f.key === 'InstanceIds' && f.op === 'Equal').flatMap((f) => f.values))];
  if (!ids.length) return;
  const found = new Set(
    (await listingDb(svc).selectFrom('managed_instances').select('instance_id').where('account_id', '=', call.accountId).where('region', '=', call.region).where('instance_id', 'in', ids).execute()).map(
      (r) => r.instance_id,
    ),
  );
  const missing = ids.filter((id) => !found.has(id));
  if (missing.length) throw invalidInstanceId(`${missing.join(', ')} ${missing.length === 1 ? 'is not a managed node' : 'are not managed nodes'} of account ${call.accountId} in ${call.region}.`);
}

/** ActivationIds must name activations of the account (or ones deleted since their nodes registered). */
async function checkActivationIds(svc: NodeService, call: CallContext, filters: readonly NodeFilter[]): Promise<void> {
  const ids = [...new Set(filters.filter((f) => f.key === 'ActivationIds' && f.op !== 'BeginWith').flatMap((f) => f.values))];
  if (!ids.length) return;
  const db = listingDb(svc);
  const activations = await db.selectFrom('activations').select('activation_id').where('account_id', '=', call.accountId).where('region', '=', call.region).where('activation_id', 'in', ids).execute();
  const registered = await db.selectFrom('managed_instances').select('activation_id').distinct().where('account_id', '=', call.accountId).where('region', '=', call.region).where('activation_id', 'in', ids).execute();
  const found = new Set([...activations, ...registered].map((r) => r.activation_id));
  const missing = ids.filter((id) => !found.has(id));
  if (missing.length) throw invalidActivationId(`Activation ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not an activation of account ${call.accountId} in ${call.region}.`);
}

/**
 * DocumentName must name documents the caller can use. An ARN becomes the document's name, which
 * is what State Manager records of the documents a node's associations apply.
 */
async function checkDocuments(call: CallContext, filters: readonly NodeFilter[]): Promise<NodeFilter[]> {
  const out: NodeFilter[] = [];
  for (const f of filters) {
    if (f.key !== 'DocumentName' || f.op === 'BeginWith') {
      out.push(f);
      continue;
    }
    const names: string[] = [];
    for (const name of f.values) {
      try {
        names.push((await resolveDocument(call, name)).name);
      } catch (e) {
        if (e instanceof AwsError && (e.code === 'InvalidDocument' || e.code === 'InvalidDocumentVersion')) {
          throw new AwsError('InvalidDocument', `The DocumentName filter names ${name}, which is not a document of this account, shared with it, or provided by AWS.`, { messageMember: 'Message' });
        }
        throw e;
      }
    }
    out.push({ ...f, values: names });
  }
  return out;
}

const present = <K extends string>(key: K, value: string) => (value ? ({ [key]: value } as Record<K, string>) : {});

export function common(svc: NodeService, r: ListedRow, now: number) {
  return {
    InstanceId: r.instance_id,
    PingStatus: svc.pingStatus(r, now),
    ...(r.last_ping_at !== null ? { LastPingDateTime: new Date(r.last_ping_at) } : {}),
    ...present('AgentVersion', r.agent_version),
    ...present('PlatformType', r.platform_type),
    ...present('PlatformName', r.platform_name),
    ...present('PlatformVersion', r.platform_version),
    ActivationId: r.activation_id,
    IamRole: r.iam_role,
    RegistrationDate: new Date(r.registered_at),
    ResourceType: 'ManagedInstance',
    ...present('IPAddress', r.ip_address),
    ...present('ComputerName', r.computer_name),
    ...associations(r),
    SourceId: r.instance_id,
    SourceType: 'AWS::SSM::ManagedInstance',
  };
}

/** AWS leaves these out for a node no association has run on. */
function associations(r: ListedRow) {
  const date = (ms: number | null) => (ms === null ? undefined : new Date(Number(ms)));
  const last = date(r.last_association_at);
  const success = date(r.last_association_success_at);
  return {
    ...present('AssociationStatus', r.association_status),
    ...(last ? { LastAssociationExecutionDate: last } : {}),
    ...(success ? { LastSuccessfulAssociationExecutionDate: success } : {}),
    ...(r.association_status
      ? { AssociationOverview: { DetailedStatus: r.association_detailed_status, InstanceAssociationStatusAggregatedCount: JSON.parse(r.association_counts) as Record<string, number> } }
      : {}),
  };
}

export interface InformationInput {
  InstanceInformationFilterList?: { key: string; valueSet: string[] }[] | undefined;
  Filters?: { Key: string; Values: string[] }[] | undefined;
  MaxResults?: number | undefined;
  NextToken?: string | undefined;
}

export async function describeInstanceInformation(svc: NodeService, call: CallContext, i: InformationInput) {
  if (i.InstanceInformationFilterList?.length && i.Filters?.length) throw validation('InstanceInformationFilterList and Filters cannot be used together; use Filters (InstanceInformationFilterList is the legacy form).');
  const legacy = Boolean(i.InstanceInformationFilterList?.length);
  const filters: NodeFilter[] = legacy
    ? i.InstanceInformationFilterList!.map((f) => ({ key: f.key, op: 'Equal', values: f.valueSet }))
    : (i.Filters ?? []).map((f) => ({ key: f.Key, op: 'Equal', values: f.Values }));
  // The legacy list takes the eight keys of its enumeration; Filters adds the source and tag keys.
  check(filters, { keys: legacy ? INFORMATION_KEYS : INFORMATION_STRING_KEYS, tags: !legacy, badValue: invalidFilterValue });
  await checkInstanceIds(svc, call, filters);
  const { rows, next } = await page(svc, call, filters, 'instance-information', i.MaxResults ?? 10, i.NextToken);
  return {
    InstanceInformationList: rows.map((r) => ({ ...common(svc, r, call.now), IsLatestVersion: false, Name: r.name })),
    ...(next ? { NextToken: next } : {}),
  };
}

export interface PropertiesInput {
  InstancePropertyFilterList?: { key: string; valueSet: string[] }[] | undefined;
  FiltersWithOperator?: { Key: string; Values: string[]; Operator?: string | undefined }[] | undefined;
  MaxResults?: number | undefined;
  NextToken?: string | undefined;
}

export async function describeInstanceProperties(svc: NodeService, call: CallContext, i: PropertiesInput) {
  if (i.InstancePropertyFilterList?.length && i.FiltersWithOperator?.length) {
    throw validation('InstancePropertyFilterList and FiltersWithOperator cannot be used together; use one of them.');
  }
  const legacy = Boolean(i.InstancePropertyFilterList?.length);
  const filters: NodeFilter[] = legacy
    ? i.InstancePropertyFilterList!.map((f) => ({ key: f.key, op: 'Equal', values: f.valueSet }))
    : (i.FiltersWithOperator ?? []).map((f) => ({ key: f.Key, op: (f.Operator ?? 'Equal') as Operator, values: f.Values }));
  for (const f of filters) if (!OPERATORS.includes(f.op)) throw validation(`The operator ${f.op} is not valid; use ${OPERATORS.join(', ')}.`);
  check(filters, { keys: PROPERTY_KEYS, tags: !legacy, badValue: invalidPropertyFilterValue });
  await checkInstanceIds(svc, call, filters);
  await checkActivationIds(svc, call, filters);
  const resolved = await checkDocuments(call, filters);
  const { rows, next } = await page(svc, call, resolved, 'instance-properties', i.MaxResults ?? 50, i.NextToken);
  return {
    InstanceProperties: rows.map((r) => {
      const tags = JSON.parse(r.tags) as Record<string, string>;
      return {
        // AWS shows the Name tag; a Capstan node has the name its activation gave it.
        Name: r.name || (tags.Name ?? ''),
        ...common(svc, r, call.now),
        // EC2 facts a Capstan node does not have; AWS leaves them blank when absent.
        InstanceType: '',
        InstanceRole: '',
        KeyName: '',
        ...present('Architecture', r.architecture),
      };
    }),
    ...(next ? { NextToken: next } : {}),
  };
}
