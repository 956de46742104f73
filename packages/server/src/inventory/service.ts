import { createHash, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Core } from '../protocol/context.js';
import { AwsError } from '../protocol/errors.js';
import { nodeService, type InstanceRow } from '../nodes/index.js';
import { AWS_TYPES, awsType, CUSTOM_TYPE, LIMITS, type TypeSchema } from './schemas.js';
import type { InventoryDeletionRow, InventoryEntryRow, InventoryItemRow, InventoryTables } from './tables.js';
import { compareVersions } from './versions.js';

const err = (code: string, message: string, typeName?: string) =>
  new AwsError(code, message, { messageMember: 'Message', ...(typeName !== undefined ? { fields: { TypeName: typeName } } : {}) });

export interface InventoryItemInput {
  TypeName: string;
  SchemaVersion: string;
  CaptureTime: string;
  ContentHash?: string;
  Content?: Record<string, string>[];
  Context?: Record<string, string>;
}

export type FilterType = 'Equal' | 'NotEqual' | 'BeginWith' | 'LessThan' | 'GreaterThan' | 'Exists';
export interface InventoryFilter {
  Key: string;
  Values: string[];
  Type?: FilterType;
}

export interface Aggregator {
  Expression?: string;
  Aggregators?: Aggregator[];
  Groups?: { Name: string; Filters: InventoryFilter[] }[];
}

const INSTANCE_INFO = 'AWS:InstanceInformation';
const TAG = 'AWS:Tag';
const CONTEXT_KEYS = new Set(['ExecutionId', 'ExecutionTime', 'ExecutionType']);
const CHUNK = 200;

/** Inventory items of the fleet: what nodes report, stored one entry a row for fleet-wide queries. */
export class InventoryService {
  private readonly db: Kysely<InventoryTables>;
  /** Called after a report is stored with the types written (resource data sync). */
  onReported?: (account: string, region: string, instanceId: string, types: string[]) => Promise<void>;
  constructor(private readonly core: Core) {
    this.db = core.database.db.withTables<InventoryTables>();
  }

  // ---- PutInventory -------------------------------------------------------------------------

  /**
   * Stores what a node reports, as PutInventory does: every item is checked before anything is
   * written, so a bad item leaves the node's inventory as it was. An item whose ContentHash equals
   * the stored one is not written again. AWS:InstanceInformation is refreshed from the node row.
   */
  async put(account: string, region: string, instanceId: string, items: InventoryItemInput[]): Promise<void> {
    const node = await nodeService(this.core).instance(account, region, instanceId);
    if (!node) throw err('InvalidInstanceId', `Instance ${instanceId} is not a registered managed instance.`);
    const now = this.core.clock.now();
    const existing = new Map((await this.db.selectFrom('inventory_items').selectAll().where('account_id', '=', account).where('region', '=', region).where('instance_id', '=', instanceId).execute()).map((r) => [r.type_name, r]));
    const schemas = new Map((await this.db.selectFrom('inventory_schemas').selectAll().where('account_id', '=', account).where('region', '=', region).execute()).map((r) => [r.type_name, r]));

    let total = 0;
    const seen = new Set<string>();
    const writes: { item: InventoryItemInput; size: number; custom: boolean; attributes: string[] }[] = [];
    for (const item of items) {
      const t = item.TypeName;
      if (seen.has(t)) throw err('InvalidItemContentException', `The type ${t} appears more than once in the request.`, t);
      seen.add(t);
      const size = Buffer.byteLength(JSON.stringify(item));
      const limit = t.startsWith('Custom:') ? LIMITS.customItemBytes : LIMITS.awsItemBytes;
      if (size > limit) throw err('ItemSizeLimitExceededException', `The item of type ${t} is ${size} bytes; the limit is ${limit}.`, t);
      total += size;
      if (item.Context) {
        const bad = Object.keys(item.Context).find((k) => !CONTEXT_KEYS.has(k));
        if (bad !== undefined) throw err('InvalidInventoryItemContextException', `The Context key ${bad} is not valid; use ${[...CONTEXT_KEYS].join(', ')}.`);
      }
      const content = item.Content ?? [];
      const keys = [...new Set(content.flatMap((e) => Object.keys(e)))];
      let custom = false;
      if (t.startsWith('AWS:')) {
        const schema = awsType(t);
        if (!schema || schema.serverProvided) throw err('InvalidTypeNameException', `The type name ${t} is not valid${schema ? ': the service provides it' : ''}.`);
        if (!versionSupported(item.SchemaVersion, schema.version)) throw err('UnsupportedInventorySchemaVersionException', `Schema version ${item.SchemaVersion} of ${t} is not supported; the service supports ${schema.version}.`);
        const allowed = new Set(schema.attributes.map((a) => a.Name));
        const bad = keys.find((k) => !allowed.has(k));
        if (bad !== undefined) throw err('InvalidItemContentException', `The attribute ${bad} is not part of the schema of ${t}.`, t);
      } else {
        custom = true;
        if (!CUSTOM_TYPE.test(t)) throw err('InvalidTypeNameException', `The type name ${t} is not valid.`);
        if (keys.length > LIMITS.customAttributes) throw err('InvalidItemContentException', `The type ${t} has ${keys.length} attributes; the limit is ${LIMITS.customAttributes}.`, t);
        const schema = schemas.get(t);
        if (schema) {
          const cmp = compareVersions(item.SchemaVersion, schema.schema_version);
          if (schema.disabled && cmp <= 0) throw err('UnsupportedInventorySchemaVersionException', `The schema of ${t} is disabled up to version ${schema.schema_version}; send a greater version to enable it again.`);
          if (cmp < 0) throw err('UnsupportedInventorySchemaVersionException', `Schema version ${item.SchemaVersion} of ${t} is older than the current ${schema.schema_version}.`);
          if (cmp === 0) {
            const known = new Set(JSON.parse(schema.attributes) as string[]);
            const bad = keys.find((k) => !known.has(k));
            if (bad !== undefined) throw err('InvalidItemContentException', `The attribute ${bad} is not part of schema version ${schema.schema_version} of ${t}; send a new SchemaVersion to change the attributes.`, t);
          }
        }
      }
      const prev = existing.get(t);
      if (prev && item.ContentHash && prev.content_hash === item.ContentHash) {
        if (content.length > 0) {
          const stored = await this.entries(account, region, instanceId, t);
          if (JSON.stringify(stored) !== JSON.stringify(content)) throw err('ItemContentMismatchException', `The content of ${t} differs from the stored content with the same ContentHash.`, t);
        }
        continue;
      }
      writes.push({ item, size, custom, attributes: keys });
    }
    if (total > LIMITS.totalBytes) throw err('TotalSizeLimitExceededException', `The items total ${total} bytes; the limit is ${LIMITS.totalBytes}.`);
    const customTypes = new Set([...existing.keys()].filter((k) => k.startsWith('Custom:')));
    for (const w of writes) if (w.custom) customTypes.add(w.item.TypeName);
    if (customTypes.size > LIMITS.customTypesPerNode) throw err('CustomSchemaCountLimitExceededException', `A node may hold ${LIMITS.customTypesPerNode} custom inventory types; this would make ${customTypes.size}.`);

    const info = instanceInformation(node, nodeService(this.core).pingStatus(node, now), now);
    const tags = tagItem(node, now);
    const served = [info, ...(tags ? [tags] : [])].map((item) => ({ item, size: 0, custom: false, attributes: [] as string[] }));
    await this.db.transaction().execute(async (trx) => {
      // A node whose tags are all gone has no AWS:Tag item any more.
      if (!tags && existing.has(TAG)) {
        await trx.deleteFrom('inventory_entries').where('account_id', '=', account).where('region', '=', region).where('instance_id', '=', instanceId).where('type_name', '=', TAG).execute();
        await trx.deleteFrom('inventory_items').where('account_id', '=', account).where('region', '=', region).where('instance_id', '=', instanceId).where('type_name', '=', TAG).execute();
      }
      const all = [...writes, ...served];
      for (const w of all) {
        const t = w.item.TypeName;
        // A first report of the type has nothing to replace (and skips a delete on a table the planner may not know yet).
        if (existing.has(t)) {
          await trx.deleteFrom('inventory_entries').where('account_id', '=', account).where('region', '=', region).where('instance_id', '=', instanceId).where('type_name', '=', t).execute();
          await trx.deleteFrom('inventory_items').where('account_id', '=', account).where('region', '=', region).where('instance_id', '=', instanceId).where('type_name', '=', t).execute();
        }
        const content = w.item.Content ?? [];
        await trx
          .insertInto('inventory_items')
          .values({
            account_id: account,
            region,
            instance_id: instanceId,
            type_name: t,
            schema_version: w.item.SchemaVersion,
            capture_time: w.item.CaptureTime,
            content_hash: w.item.ContentHash ?? hashOf(content),
            context: w.item.Context ? JSON.stringify(w.item.Context) : '',
            size: w.size,
            updated_at: now,
          })
          .execute();
        const rows: InventoryEntryRow[] = content.map((e, seq) => ({ account_id: account, region, instance_id: instanceId, type_name: t, seq, name: e.Name ?? e.Key ?? '', version: e.Version ?? '', data: JSON.stringify(e) }));
        for (let i = 0; i < rows.length; i += CHUNK) await trx.insertInto('inventory_entries').values(rows.slice(i, i + CHUNK)).execute();
        if (w.custom) {
          const prev = schemas.get(t);
          if (!prev || prev.disabled || compareVersions(w.item.SchemaVersion, prev.schema_version) > 0) {
            await trx.deleteFrom('inventory_schemas').where('account_id', '=', account).where('region', '=', region).where('type_name', '=', t).execute();
            await trx.insertInto('inventory_schemas').values({ account_id: account, region, type_name: t, schema_version: w.item.SchemaVersion, attributes: JSON.stringify(w.attributes), disabled: 0 }).execute();
          }
        }
      }
    });
    await this.onReported?.(account, region, instanceId, [...writes.map((w) => w.item.TypeName), info.TypeName, TAG]);
  }

  /**
   * A report from a node's agent over its control channel (NodeService.onInventory). An item sent
   * with its ContentHash and no Content means "unchanged"; when the stored item has another hash
   * (or none) it is left out and the agent is asked to resend everything in full. A report that
   * fails validation is dropped (and acknowledged: resending it would fail the same way).
   */
  async report(account: string, region: string, instanceId: string, items: InventoryItemInput[]): Promise<{ resend?: boolean }> {
    const stored = new Map((await this.db.selectFrom('inventory_items').select(['type_name', 'content_hash']).where('account_id', '=', account).where('region', '=', region).where('instance_id', '=', instanceId).execute()).map((r) => [r.type_name, r.content_hash]));
    const unknown = items.filter((i) => (i.Content ?? []).length === 0 && i.ContentHash && stored.get(i.TypeName) !== i.ContentHash);
    const kept = items.filter((i) => !unknown.includes(i));
    try {
      if (kept.length) await this.put(account, region, instanceId, kept);
    } catch (e) {
      if (!(e instanceof AwsError) || e.status >= 500) throw e;
      console.warn(`inventory report from ${instanceId} refused: ${e.code}: ${e.message}`);
    }
    return unknown.length ? { resend: true } : {};
  }

  private async entries(account: string, region: string, instanceId: string, type: string): Promise<Record<string, string>[]> {
    const rows = await this.db.selectFrom('inventory_entries').select('data').where('account_id', '=', account).where('region', '=', region).where('instance_id', '=', instanceId).where('type_name', '=', type).orderBy('seq').execute();
    return rows.map((r) => JSON.parse(r.data) as Record<string, string>);
  }

  // ---- schemas -------------------------------------------------------------------------------

  /** AWS's types and the account's enabled custom types. */
  async schemas(account: string, region: string): Promise<TypeSchema[]> {
    const custom = await this.db.selectFrom('inventory_schemas').selectAll().where('account_id', '=', account).where('region', '=', region).where('disabled', '=', 0).orderBy('type_name').execute();
    return [...AWS_TYPES, ...custom.map((r) => ({ typeName: r.type_name, version: r.schema_version, attributes: (JSON.parse(r.attributes) as string[]).map((Name) => ({ Name, DataType: 'string' as const })) }))];
  }

  private async schemaOf(account: string, region: string, type: string): Promise<TypeSchema> {
    const s = (await this.schemas(account, region)).find((x) => x.typeName === type);
    if (!s) throw err('InvalidTypeNameException', `The type name ${type} is not valid.`);
    return s;
  }

  // ---- ListInventoryEntries ------------------------------------------------------------------

  async listEntries(account: string, region: string, instanceId: string, type: string, filters: InventoryFilter[] = []) {
    const node = await nodeService(this.core).instance(account, region, instanceId);
    if (!node) throw err('InvalidInstanceId', `Instance ${instanceId} is not a registered managed instance.`);
    const schema = await this.schemaOf(account, region, type);
    const checks = filters.map((f) => {
      const attr = f.Key.startsWith(type + '.') ? f.Key.slice(type.length + 1) : f.Key;
      if (!schema.attributes.some((a) => a.Name === attr)) throw err('InvalidFilter', `The filter key ${f.Key} is not an attribute of ${type}.`);
      return { attr, f };
    });
    const item = await this.db.selectFrom('inventory_items').selectAll().where('account_id', '=', account).where('region', '=', region).where('instance_id', '=', instanceId).where('type_name', '=', type).executeTakeFirst();
    const entries = item ? (await this.entries(account, region, instanceId, type)).filter((e) => checks.every((c) => matches(e[c.attr], c.f))) : [];
    return { item, entries };
  }

  // ---- GetInventory --------------------------------------------------------------------------

  /** The ids of the nodes whose inventory passes every filter, sorted. */
  async matchingInstances(account: string, region: string, filters: InventoryFilter[] = []): Promise<string[]> {
    const schemas = await this.schemas(account, region);
    const byType = new Map<string, { attr: string; f: InventoryFilter }[]>();
    for (const f of filters) {
      const { type, attr } = this.parseKey(f.Key, schemas, 'InvalidFilter');
      if ((f.Type ?? 'Equal') !== 'Exists' && f.Values.length === 0) throw err('InvalidFilter', `The filter ${f.Key} needs at least one value.`);
      byType.set(type, [...(byType.get(type) ?? []), { attr, f }]);
    }
    const all = await this.db.selectFrom('inventory_items').select('instance_id').distinct().where('account_id', '=', account).where('region', '=', region).where('type_name', '=', INSTANCE_INFO).orderBy('instance_id').execute();
    let ids = all.map((r) => r.instance_id);
    for (const [type, checks] of byType) {
      const pass = new Set<string>();
      for (const { instance_id, data } of await this.narrowed(account, region, type, checks)) {
        if (pass.has(instance_id)) continue;
        const e = JSON.parse(data) as Record<string, string>;
        if (checks.every((c) => matches(e[c.attr], c.f))) pass.add(instance_id);
      }
      ids = ids.filter((id) => pass.has(id));
    }
    return ids;
  }

  /** Entries of a type, narrowed in SQL by an Equal/BeginWith filter on the indexed Name column when there is one. */
  private narrowed(account: string, region: string, type: string, checks: { attr: string; f: InventoryFilter }[]) {
    let q = this.db.selectFrom('inventory_entries').select(['instance_id', 'data']).where('account_id', '=', account).where('region', '=', region).where('type_name', '=', type);
    const byName = checks.find((c) => (c.attr === 'Name' || (c.attr === 'Key' && type === 'AWS:Tag')) && ['Equal', 'BeginWith'].includes(c.f.Type ?? 'Equal'));
    if (byName) {
      if ((byName.f.Type ?? 'Equal') === 'Equal') q = q.where('name', 'in', byName.f.Values);
      else q = q.where((eb) => eb.or(byName.f.Values.map((v) => eb('name', '>=', v).and('name', '<', v + '\uffff'))));
    }
    return q.execute();
  }

  parseKey(key: string, schemas: TypeSchema[], code: 'InvalidFilter' | 'InvalidAggregatorException' | 'InvalidResultAttributeException'): { type: string; attr: string } {
    const dot = key.lastIndexOf('.');
    const type = dot > 0 ? key.slice(0, dot) : key;
    const attr = dot > 0 ? key.slice(dot + 1) : '';
    const schema = schemas.find((s) => s.typeName === type);
    if (!schema) throw err('InvalidTypeNameException', `The type name ${type} is not valid.`);
    if (!schema.attributes.some((a) => a.Name === attr)) throw err(code, `${key} is not an attribute of ${type}.`);
    return { type, attr };
  }

  /** Stored items (envelope and entries) of some types for some nodes. */
  async items(account: string, region: string, ids: string[], types: string[]): Promise<Map<string, Map<string, { item: InventoryItemRow; content: Record<string, string>[] }>>> {
    const out = new Map<string, Map<string, { item: InventoryItemRow; content: Record<string, string>[] }>>();
    if (ids.length === 0 || types.length === 0) return out;
    const items = await this.db.selectFrom('inventory_items').selectAll().where('account_id', '=', account).where('region', '=', region).where('instance_id', 'in', ids).where('type_name', 'in', types).execute();
    const entries = await this.db.selectFrom('inventory_entries').selectAll().where('account_id', '=', account).where('region', '=', region).where('instance_id', 'in', ids).where('type_name', 'in', types).orderBy('seq').execute();
    for (const it of items) {
      const m = out.get(it.instance_id) ?? new Map();
      m.set(it.type_name, { item: it, content: [] });
      out.set(it.instance_id, m);
    }
    for (const e of entries) out.get(e.instance_id)?.get(e.type_name)?.content.push(JSON.parse(e.data) as Record<string, string>);
    return out;
  }

  /**
   * Group-by counts: how many of the nodes have each value of `Type.Attribute` (a node counts
   * once per value), among the entries that pass the request's filters on that type.
   */
  async aggregate(account: string, region: string, ids: string[], key: string, filters: InventoryFilter[] = []): Promise<{ type: string; attr: string; version: string; counts: [string, number][] }> {
    const schemas = await this.schemas(account, region);
    const { type, attr } = this.parseKey(key, schemas, 'InvalidAggregatorException');
    // Filters on the aggregated type also choose which of a node's entries count (openssl's versions, not every package's).
    const checks = filters.map((f) => ({ f, ...this.parseKey(f.Key, schemas, 'InvalidFilter') })).filter((c) => c.type === type);
    const wanted = new Set(ids);
    const rows = await this.narrowed(account, region, type, checks);
    const per = new Map<string, Set<string>>();
    for (const r of rows) {
      if (!wanted.has(r.instance_id)) continue;
      const e = JSON.parse(r.data) as Record<string, string>;
      if (!checks.every((c) => matches(e[c.attr], c.f))) continue;
      const v = e[attr];
      if (v === undefined) continue;
      const s = per.get(v) ?? new Set<string>();
      s.add(r.instance_id);
      per.set(v, s);
    }
    const counts = [...per].map(([v, s]) => [v, s.size] as [string, number]).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    return { type, attr, version: schemas.find((s) => s.typeName === type)!.version, counts };
  }

  /** Nodes among `ids` whose inventory passes a group's filters. */
  async groupCount(account: string, region: string, ids: string[], filters: InventoryFilter[]): Promise<number> {
    const pass = new Set(await this.matchingInstances(account, region, filters));
    return ids.filter((id) => pass.has(id)).length;
  }

  // ---- DeleteInventory -----------------------------------------------------------------------

  async delete(account: string, region: string, type: string, option: 'DisableSchema' | 'DeleteSchema' | undefined, dryRun: boolean): Promise<InventoryDeletionRow> {
    if (!type.startsWith('Custom:')) throw err('InvalidTypeNameException', `Only custom inventory types can be deleted; ${type} is not one.`);
    const schema = await this.db.selectFrom('inventory_schemas').selectAll().where('account_id', '=', account).where('region', '=', region).where('type_name', '=', type).executeTakeFirst();
    if (!schema) throw err('InvalidTypeNameException', `The type name ${type} is not valid.`);
    const items = await this.db.selectFrom('inventory_items').select(['schema_version']).where('account_id', '=', account).where('region', '=', region).where('type_name', '=', type).execute();
    const byVersion = new Map<string, number>();
    for (const i of items) byVersion.set(i.schema_version, (byVersion.get(i.schema_version) ?? 0) + 1);
    const now = this.core.clock.now();
    const summary = {
      TotalCount: items.length,
      RemainingCount: dryRun ? items.length : 0,
      SummaryItems: [...byVersion].map(([Version, Count]) => ({ Version, Count, RemainingCount: dryRun ? Count : 0 })),
    };
    const row: InventoryDeletionRow = { account_id: account, region, deletion_id: randomUUID(), type_name: type, started_at: now, status: 'Complete', summary: JSON.stringify(summary), last_status_message: dryRun ? 'Dry run: nothing was deleted.' : `Deleted ${items.length} items.`, updated_at: now };
    if (dryRun) return row;
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('inventory_entries').where('account_id', '=', account).where('region', '=', region).where('type_name', '=', type).execute();
      await trx.deleteFrom('inventory_items').where('account_id', '=', account).where('region', '=', region).where('type_name', '=', type).execute();
      if (option === 'DeleteSchema') await trx.deleteFrom('inventory_schemas').where('account_id', '=', account).where('region', '=', region).where('type_name', '=', type).execute();
      if (option === 'DisableSchema') await trx.updateTable('inventory_schemas').set({ disabled: 1 }).where('account_id', '=', account).where('region', '=', region).where('type_name', '=', type).execute();
      await trx.insertInto('inventory_deletions').values(row).execute();
    });
    return row;
  }

  async deletions(account: string, region: string, id?: string): Promise<InventoryDeletionRow[]> {
    let q = this.db.selectFrom('inventory_deletions').selectAll().where('account_id', '=', account).where('region', '=', region);
    if (id !== undefined) q = q.where('deletion_id', '=', id);
    const rows = await q.orderBy('started_at', 'desc').orderBy('deletion_id').execute();
    if (id !== undefined && rows.length === 0) throw err('InvalidDeletionIdException', `The deletion ${id} does not exist.`);
    return rows;
  }
}

function versionSupported(given: string, supported: string): boolean {
  return given.split('.')[0] === supported.split('.')[0] && compareVersions(given, supported) <= 0;
}

const hashOf = (content: unknown) => createHash('sha256').update(JSON.stringify(content)).digest('hex');

/** Whether one attribute value passes a filter; several Values are alternatives (any may match). */
export function matches(value: string | undefined, f: InventoryFilter): boolean {
  const type = f.Type ?? 'Equal';
  if (type === 'Exists') return value !== undefined;
  if (value === undefined) return type === 'NotEqual';
  switch (type) {
    case 'Equal':
      return f.Values.includes(value);
    case 'NotEqual':
      return !f.Values.includes(value);
    case 'BeginWith':
      return f.Values.some((v) => value.startsWith(v));
    case 'LessThan':
      return f.Values.some((v) => compareVersions(value, v) < 0);
    case 'GreaterThan':
      return f.Values.some((v) => compareVersions(value, v) > 0);
  }
}

/** The node's tags as AWS:Tag (one entry a tag, by key), or nothing when it has none. */
function tagItem(node: InstanceRow, now: number): InventoryItemInput | undefined {
  const tags = Object.entries(JSON.parse(node.tags || '{}') as Record<string, string>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (!tags.length) return undefined;
  return { TypeName: TAG, SchemaVersion: '1.0', CaptureTime: new Date(now).toISOString().replace(/\.\d+Z$/, 'Z'), Content: tags.map(([Key, Value]) => ({ Key, Value })) };
}

function instanceInformation(node: InstanceRow, status: string, now: number): InventoryItemInput {
  const content = {
    AgentType: 'amazon-ssm-agent',
    AgentVersion: node.agent_version,
    ComputerName: node.computer_name,
    InstanceId: node.instance_id,
    IpAddress: node.ip_address,
    PlatformName: node.platform_name,
    PlatformType: node.platform_type,
    PlatformVersion: node.platform_version,
    ResourceType: 'ManagedInstance',
    InstanceStatus: status === 'Online' ? 'Active' : status,
  };
  return { TypeName: INSTANCE_INFO, SchemaVersion: '1.0', CaptureTime: new Date(now).toISOString().replace(/\.\d+Z$/, 'Z'), Content: [content] };
}
