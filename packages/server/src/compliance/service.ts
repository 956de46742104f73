import { sql, type Kysely } from 'kysely';
import { nodeService } from '../nodes/index.js';
import type { Core } from '../protocol/context.js';
import { AwsError } from '../protocol/errors.js';
import { parseInput } from '../protocol/validation.js';
import { complianceEvent, type ComplianceChange } from './events.js';
import { filterConditions, ITEM_KEYS, SUMMARY_KEYS, type ComplianceFilter } from './filters.js';
import { BUILT_IN_TYPES, complianceError, CUSTOM_TYPE, LIMITS, severityRank, summarize, type Counts, type Severity } from './model.js';
import { putInput, type PutInput } from './schema.js';
import type { ComplianceItemRow, ComplianceSummaryRow, ComplianceTables } from './tables.js';

export interface ComplianceItemInput {
  Id?: string;
  Title?: string;
  Severity: 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW' | 'INFORMATIONAL' | 'UNSPECIFIED';
  Status: 'COMPLIANT' | 'NON_COMPLIANT';
  Details?: Record<string, string>;
}

export interface CompliancePut {
  accountId: string;
  region: string;
  resourceId: string;
  resourceType: 'ManagedInstance';
  complianceType: string;
  executionSummary: { ExecutionTime: number /* epoch ms */; ExecutionId?: string; ExecutionType?: string };
  items: ComplianceItemInput[];
  uploadType: 'COMPLETE' | 'PARTIAL';
  itemContentHash?: string;
}

export type ComplianceListener = (change: ComplianceChange) => void | Promise<void>;

type Db = Kysely<ComplianceTables>;
interface Key {
  account: string;
  region: string;
  resourceId: string;
  type: string;
}

const CHUNK = 500;

/** The wire form of a put, so the service checks exactly what PutComplianceItems checks. */
export function toWire(p: CompliancePut): PutInput {
  return {
    ResourceId: p.resourceId,
    ResourceType: p.resourceType,
    ComplianceType: p.complianceType,
    ExecutionSummary: { ...p.executionSummary, ExecutionTime: p.executionSummary.ExecutionTime / 1000 },
    Items: p.items,
    ...(p.itemContentHash !== undefined ? { ItemContentHash: p.itemContentHash } : {}),
    UploadType: p.uploadType,
  };
}

/**
 * What each resource reports about its compliance, per type: the items, and a summary of them
 * kept beside them in the same transaction, so listings of summaries read one row per resource.
 */
export class ComplianceService {
  private readonly db: Db;
  private readonly listeners: ComplianceListener[] = [];

  constructor(private readonly core: Core) {
    this.db = core.database.db.withTables<ComplianceTables>();
  }

  /** Told after each change to a resource's compliance for a type is committed. */
  onChange(listener: ComplianceListener): void {
    this.listeners.push(listener);
  }

  // ---- PutComplianceItems -------------------------------------------------------------------

  /**
   * Stores an upload. COMPLETE replaces the type's items on the resource; PARTIAL replaces the
   * items with the same Ids and keeps the others. Everything is checked before anything is kept:
   * a refused upload leaves the resource's compliance as it was. An upload with the stored
   * ItemContentHash changes nothing.
   */
  async put(p: CompliancePut): Promise<void> {
    parseInput(putInput, toWire(p));
    if (p.resourceType !== 'ManagedInstance') throw new AwsError('InvalidResourceType', `The resource type ${String(p.resourceType)} is not valid; ManagedInstance is the only one.`, { messageMember: 'Message' });
    checkType(p.complianceType, p.uploadType);
    const rows = itemRows(p);
    if (!(await nodeService(this.core).instance(p.accountId, p.region, p.resourceId))) {
      throw new AwsError('InvalidResourceId', `The resource ${p.resourceId} is not a registered managed node.`, { messageMember: 'Message' });
    }
    const k: Key = { account: p.accountId, region: p.region, resourceId: p.resourceId, type: p.complianceType };
    const change = await this.db.transaction().execute(async (trx) => {
      await this.lock(trx, k);
      const prev = await summaryOf(trx, k);
      if (p.itemContentHash && prev && prev.content_hash === p.itemContentHash) return undefined;
      if (p.complianceType.startsWith('Custom:') && !prev) {
        const types = await trx.selectFrom('compliance_summaries').select('compliance_type').where('account_id', '=', k.account).where('region', '=', k.region).where('resource_id', '=', k.resourceId).execute();
        const custom = types.filter((t) => t.compliance_type.startsWith('Custom:')).length + 1;
        if (custom > LIMITS.customTypesPerResource) throw complianceError('ComplianceTypeCountLimitExceededException', `A resource may have ${LIMITS.customTypesPerResource} custom compliance types; ${p.resourceId} would have ${custom}.`);
      }
      // A replaced item keeps its place; a new one goes after the rest.
      const place = new Map<string, number>();
      let next = 0;
      if (p.uploadType === 'COMPLETE') await itemsOf(trx, k).execute();
      else {
        const stored = await trx.selectFrom('compliance_items').select(['item_key', 'seq']).where('account_id', '=', k.account).where('region', '=', k.region).where('resource_id', '=', k.resourceId).where('compliance_type', '=', k.type).execute();
        for (const r of stored) {
          place.set(r.item_key, Number(r.seq));
          next = Math.max(next, Number(r.seq) + 1);
        }
        const keys = rows.map((r) => r.item_key).filter((key) => place.has(key));
        for (let i = 0; i < keys.length; i += CHUNK) await itemsOf(trx, k).where('item_key', 'in', keys.slice(i, i + CHUNK)).execute();
      }
      const base = { account_id: k.account, region: k.region, resource_id: k.resourceId, resource_type: p.resourceType, compliance_type: k.type, execution_id: p.executionSummary.ExecutionId ?? '', execution_type: p.executionSummary.ExecutionType ?? '', execution_time: p.executionSummary.ExecutionTime };
      const full: ComplianceItemRow[] = rows.map((r) => ({ ...base, ...r, seq: place.get(r.item_key) ?? next++ }));
      for (let i = 0; i < full.length; i += CHUNK) await trx.insertInto('compliance_items').values(full.slice(i, i + CHUNK)).execute();
      const size = await trx.selectFrom('compliance_items').select((eb) => eb.fn.sum<number>('size').as('bytes')).where('account_id', '=', k.account).where('region', '=', k.region).where('resource_id', '=', k.resourceId).where('compliance_type', '=', k.type).executeTakeFirst();
      const bytes = Number(size?.bytes ?? 0);
      if (bytes > LIMITS.typeBytes) throw complianceError('TotalSizeLimitExceededException', `The ${k.type} items of ${k.resourceId} would take ${bytes} bytes; the limit is ${LIMITS.typeBytes}.`);
      return this.resummarize(trx, k, prev, { hash: p.itemContentHash ?? '', id: base.execution_id, type: base.execution_type, time: base.execution_time });
    });
    if (change) await this.tell(change);
  }

  // ---- removal ------------------------------------------------------------------------------

  /** Takes items of a type off every resource that has them (an association deleted). */
  async removeItem(account: string, region: string, type: string, itemId: string): Promise<void> {
    const holders = await this.db.selectFrom('compliance_items').select('resource_id').where('account_id', '=', account).where('region', '=', region).where('compliance_type', '=', type).where('item_id', '=', itemId).execute();
    for (const { resource_id } of holders) {
      const k: Key = { account, region, resourceId: resource_id, type };
      const change = await this.db.transaction().execute(async (trx) => {
        await this.lock(trx, k);
        const prev = await summaryOf(trx, k);
        await itemsOf(trx, k).where('item_key', '=', `id:${itemId}`).execute();
        return this.resummarize(trx, k, prev);
      });
      if (change) await this.tell(change);
    }
  }

  /** A deregistered node's compliance goes with it. */
  async forgetResource(account: string, region: string, resourceId: string): Promise<void> {
    const gone = await this.db.transaction().execute(async (trx) => {
      const rows = await trx.selectFrom('compliance_summaries').selectAll().where('account_id', '=', account).where('region', '=', region).where('resource_id', '=', resourceId).execute();
      await trx.deleteFrom('compliance_items').where('account_id', '=', account).where('region', '=', region).where('resource_id', '=', resourceId).execute();
      await trx.deleteFrom('compliance_summaries').where('account_id', '=', account).where('region', '=', region).where('resource_id', '=', resourceId).execute();
      return rows;
    });
    for (const r of gone) {
      await this.tell({ accountId: account, region, resourceId, resourceType: r.resource_type, complianceType: r.compliance_type, status: undefined, previousStatus: r.status as 'COMPLIANT', severity: undefined, executionTime: undefined });
    }
  }

  // ---- listings -----------------------------------------------------------------------------

  /** Items in resource, type and upload order; `limit + 1` rows tell whether a page follows. */
  listItems(account: string, region: string, q: { resourceIds?: string[]; filters?: ComplianceFilter[] }, offset: number, limit: number): Promise<ComplianceItemRow[]> {
    let query = this.db.selectFrom('compliance_items').selectAll().where('account_id', '=', account).where('region', '=', region);
    if (q.resourceIds?.length) query = query.where('resource_id', 'in', q.resourceIds);
    for (const c of filterConditions(q.filters, ITEM_KEYS, this.core.database.engine)) query = query.where(c);
    return query.orderBy('resource_id').orderBy('compliance_type').orderBy('seq').offset(offset).limit(limit + 1).execute();
  }

  listResourceSummaries(account: string, region: string, filters: ComplianceFilter[] | undefined, offset: number, limit: number): Promise<ComplianceSummaryRow[]> {
    let query = this.db.selectFrom('compliance_summaries').selectAll().where('account_id', '=', account).where('region', '=', region);
    for (const c of filterConditions(filters, SUMMARY_KEYS, this.core.database.engine)) query = query.where(c);
    // The most severe non-compliance first, as a fleet's operator reads it.
    return query.orderBy('status', 'desc').orderBy('overall_rank', 'desc').orderBy('resource_id').orderBy('compliance_type').offset(offset).limit(limit + 1).execute();
  }

  /** Per type, the resources counted by status and by the severity that decides it. */
  async typeSummaries(account: string, region: string, filters: ComplianceFilter[] | undefined): Promise<{ type: string; compliant: Counts; nonCompliant: Counts }[]> {
    let query = this.db
      .selectFrom('compliance_summaries')
      .select(['compliance_type', 'status', 'overall_severity', (eb) => eb.fn.countAll<number>().as('n')])
      .where('account_id', '=', account)
      .where('region', '=', region);
    for (const c of filterConditions(filters, SUMMARY_KEYS, this.core.database.engine)) query = query.where(c);
    const rows = await query.groupBy(['compliance_type', 'status', 'overall_severity']).execute();
    const byType = new Map<string, { type: string; compliant: Counts; nonCompliant: Counts }>();
    for (const r of rows) {
      const t = byType.get(r.compliance_type) ?? { type: r.compliance_type, compliant: {}, nonCompliant: {} };
      byType.set(r.compliance_type, t);
      const counts = r.status === 'NON_COMPLIANT' ? t.nonCompliant : t.compliant;
      const sev = r.overall_severity as Severity;
      counts[sev] = (counts[sev] ?? 0) + Number(r.n);
    }
    return [...byType.values()].sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  }

  // ---- internals ----------------------------------------------------------------------------

  /** One writer per resource at a time: the custom-type count and PARTIAL merges read before they write. */
  private async lock(trx: Db, k: Key): Promise<void> {
    if (this.core.database.engine !== 'postgres') return; // SQLite runs one transaction at a time
    await sql`select pg_advisory_xact_lock(hashtext(${`capstan:compliance:${k.account}:${k.region}:${k.resourceId}`}))`.execute(trx);
  }

  /**
   * Brings the summary row in line with the items (gone when none are left) and, when the
   * resource's status for the type changed, writes AWS's event with it.
   */
  private async resummarize(trx: Db, k: Key, prev: ComplianceSummaryRow | undefined, written?: { hash: string; id: string; type: string; time: number }): Promise<ComplianceChange | undefined> {
    const groups = await trx
      .selectFrom('compliance_items')
      .select(['status', 'severity', (eb) => eb.fn.countAll<number>().as('n')])
      .where('account_id', '=', k.account)
      .where('region', '=', k.region)
      .where('resource_id', '=', k.resourceId)
      .where('compliance_type', '=', k.type)
      .groupBy(['status', 'severity'])
      .execute();
    const change: ComplianceChange = { accountId: k.account, region: k.region, resourceId: k.resourceId, resourceType: prev?.resource_type ?? 'ManagedInstance', complianceType: k.type, status: undefined, previousStatus: prev?.status as ComplianceChange['previousStatus'], severity: undefined, executionTime: undefined };
    if (groups.length === 0) {
      if (!prev) return undefined;
      await dropSummary(trx, k).execute();
      return change;
    }
    const s = summarize(groups.map((g) => ({ ...g, n: Number(g.n) })));
    const row: ComplianceSummaryRow = {
      account_id: k.account,
      region: k.region,
      resource_id: k.resourceId,
      resource_type: change.resourceType,
      compliance_type: k.type,
      status: s.status,
      overall_severity: s.overall,
      overall_rank: severityRank(s.overall),
      compliant_counts: JSON.stringify(s.compliant),
      non_compliant_counts: JSON.stringify(s.nonCompliant),
      // A removal leaves content no hash was given for.
      content_hash: written?.hash ?? '',
      execution_id: written?.id ?? prev?.execution_id ?? '',
      execution_type: written?.type ?? prev?.execution_type ?? '',
      execution_time: written?.time ?? prev?.execution_time ?? this.core.clock.now(),
      updated_at: this.core.clock.now(),
    };
    await dropSummary(trx, k).execute();
    await trx.insertInto('compliance_summaries').values(row).execute();
    Object.assign(change, { status: s.status, severity: s.overall, executionTime: Number(row.execution_time) });
    if (change.status !== change.previousStatus) await this.core.events.append(complianceEvent({ ...change, status: s.status }), trx);
    return change;
  }

  private async tell(change: ComplianceChange): Promise<void> {
    for (const f of this.listeners) {
      try {
        await f(change);
      } catch (e) {
        // A listener's failure is its own: the change is committed.
        console.warn(`compliance listener failed: ${(e as Error).message}`);
      }
    }
  }
}

const summaryOf = (db: Db, k: Key) =>
  db.selectFrom('compliance_summaries').selectAll().where('account_id', '=', k.account).where('region', '=', k.region).where('resource_id', '=', k.resourceId).where('compliance_type', '=', k.type).executeTakeFirst();

const dropSummary = (db: Db, k: Key) => db.deleteFrom('compliance_summaries').where('account_id', '=', k.account).where('region', '=', k.region).where('resource_id', '=', k.resourceId).where('compliance_type', '=', k.type);

const itemsOf = (db: Db, k: Key) => db.deleteFrom('compliance_items').where('account_id', '=', k.account).where('region', '=', k.region).where('resource_id', '=', k.resourceId).where('compliance_type', '=', k.type);

/**
 * `Custom:` types are the users'; `Association` (State Manager's, per association) and `Patch`
 * (Patch Manager's) are Capstan's own and also accepted from callers, as AWS accepts them. An
 * Association upload must be PARTIAL: a COMPLETE one would wipe the items of every other
 * association on the node.
 */
function checkType(type: string, upload: 'COMPLETE' | 'PARTIAL'): void {
  if (!CUSTOM_TYPE.test(type) && !(BUILT_IN_TYPES as readonly string[]).includes(type)) {
    throw new AwsError('ValidationException', `The compliance type ${type} is not valid; use Association, Patch or Custom:<name>.`);
  }
  if (type === 'Association' && upload !== 'PARTIAL') {
    throw new AwsError('ValidationException', 'Association compliance is kept per association: send it with UploadType PARTIAL, one item per association Id.');
  }
}

/** The upload's items as rows (without the resource's columns), each checked. */
function itemRows(p: CompliancePut): Pick<ComplianceItemRow, 'item_key' | 'item_id' | 'title' | 'status' | 'severity' | 'severity_rank' | 'details' | 'size'>[] {
  const seen = new Set<string>();
  return p.items.map((item, i) => {
    const id = item.Id ?? '';
    if (id) {
      if (seen.has(id)) throw complianceError('InvalidItemContentException', `The item Id ${id} appears more than once in the upload.`);
      seen.add(id);
    } else if (p.uploadType === 'PARTIAL') {
      throw complianceError('InvalidItemContentException', `Item ${i + 1} has no Id; a PARTIAL upload replaces items by Id.`);
    }
    const size = Buffer.byteLength(JSON.stringify(item));
    if (size > LIMITS.itemBytes) throw complianceError('ItemSizeLimitExceededException', `Item ${id || i + 1} is ${size} bytes; the limit is ${LIMITS.itemBytes}.`);
    return {
      item_key: id ? `id:${id}` : `n:${i}`,
      item_id: id,
      title: item.Title ?? '',
      status: item.Status,
      severity: item.Severity,
      severity_rank: severityRank(item.Severity),
      details: item.Details ? JSON.stringify(item.Details) : '',
      size,
    };
  });
}
