import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Core } from '../protocol/context.js';
import type { AnyDb } from '../store/database.js';
import { AUTOMATION_EXECUTION } from './filters.js';
import { invalidParameter, opsItemNotFound, relatedItemExists, associationNotFound } from './errors.js';
import { checkNotifications, checkOperationalData, dedupOf, ISSUE_STATUSES, newOpsItemId, OPEN_STATUSES, type OperationalData } from './model.js';
import { OpsNotifier } from './notify.js';
import { opsItemEvent, OPS_ITEM_CREATE, OPS_ITEM_UPDATE } from './published.js';
import { opsTables, type OpsItemRelatedRow, type OpsItemRow, type OpsTables } from './tables.js';

/** Who acts on an OpsItem: a caller's ARN, or an automatic-creation rule's. */
export interface OpsActor {
  accountId: string;
  region: string;
  arn: string;
}

export interface OpsItemInput {
  Title: string;
  Description: string;
  Source: string;
  OpsItemType?: string;
  Priority?: number;
  Severity?: string;
  Category?: string;
  OperationalData?: OperationalData;
  Notifications?: { Arn?: string }[];
  RelatedOpsItems?: { OpsItemId: string }[];
  Tags?: { Key: string; Value: string }[];
  PlannedStartTime?: Date;
  PlannedEndTime?: Date;
  ActualStartTime?: Date;
  ActualEndTime?: Date;
}

export interface OpsItemUpdate extends Partial<Omit<OpsItemInput, 'Source' | 'OpsItemType' | 'Tags'>> {
  OperationalDataToDelete?: string[];
  Status?: string;
}

/** A fact recorded against an OpsItem (ListOpsItemEvents). */
export interface OpsEventInput {
  source: string;
  detailType: string;
  detail: Record<string, unknown>;
}

const ms = (d: Date | undefined) => (d === undefined ? null : d.getTime());
const OPS_SOURCE = 'aws.ssm';

/** OpsItems: their rows, events, related items and notifications, each change in one transaction. */
export class OpsItemService {
  readonly db: Kysely<OpsTables>;
  readonly notifier: OpsNotifier;

  constructor(private readonly core: Core) {
    this.db = opsTables(core.database.db);
    this.notifier = new OpsNotifier(core);
  }

  private transaction<T>(fn: (db: Kysely<OpsTables>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((trx) => fn(trx));
  }

  /**
   * Creates an OpsItem, or, when an open one (Open, InProgress) has the same `/aws/dedup` string,
   * counts the repeat on that one instead and answers its id.
   */
  async create(who: OpsActor, i: OpsItemInput, raisedBy?: OpsEventInput, within?: (db: Kysely<OpsTables>, id: string) => Promise<void>): Promise<{ id: string; created: boolean }> {
    const data = i.OperationalData ?? {};
    checkOperationalData(data);
    checkNotifications(i.Notifications);
    const type = i.OpsItemType ?? '/aws/issue';
    if (/aws|amazon|amzn/i.test(i.Source)) throw invalidParameter(['Source'], `Source ${i.Source} must not contain aws, amazon or amzn.`);
    checkTimes(i);
    const dedup = dedupOf(data);
    return this.transaction(async (db) => {
      await this.checkRelated(db, who, i.RelatedOpsItems);
      if (dedup) {
        if (this.core.database.engine === 'postgres') await sql`select pg_advisory_xact_lock(hashtext(${`capstan:opsitem-dedup:${who.accountId}:${who.region}:${dedup}`}))`.execute(db);
        const open = await db.selectFrom('ops_items').selectAll().where('account_id', '=', who.accountId).where('region', '=', who.region).where('dedup', '=', dedup).where('status', 'in', OPEN_STATUSES).orderBy('created_at', 'desc').executeTakeFirst();
        if (open) {
          const now = this.core.clock.now();
          await db.updateTable('ops_items').set({ occurrences: Number(open.occurrences) + 1 }).where('account_id', '=', who.accountId).where('region', '=', who.region).where('ops_item_id', '=', open.ops_item_id).execute();
          if (raisedBy) await this.record(db, who, open.ops_item_id, raisedBy, now);
          await this.record(db, who, open.ops_item_id, { source: OPS_SOURCE, detailType: 'OpsItem Duplicate', detail: { dedupString: dedup, occurrences: Number(open.occurrences) + 1, title: i.Title } }, now);
          await within?.(db, open.ops_item_id);
          return { id: open.ops_item_id, created: false };
        }
      }
      const now = this.core.clock.now();
      const id = newOpsItemId();
      const row: OpsItemRow = {
        account_id: who.accountId,
        region: who.region,
        ops_item_id: id,
        ops_item_type: type,
        title: i.Title,
        description: i.Description,
        source: i.Source,
        status: 'Open',
        priority: i.Priority ?? null,
        severity: i.Severity ?? '',
        category: i.Category ?? '',
        operational_data: JSON.stringify(data),
        notifications: JSON.stringify(i.Notifications ?? []),
        related_ops_items: JSON.stringify(i.RelatedOpsItems ?? []),
        dedup,
        occurrences: 1,
        created_by: who.arn,
        created_at: now,
        modified_by: who.arn,
        modified_at: now,
        version: randomUUID(),
        planned_start: ms(i.PlannedStartTime),
        planned_end: ms(i.PlannedEndTime),
        actual_start: ms(i.ActualStartTime),
        actual_end: ms(i.ActualEndTime),
        tags: JSON.stringify(Object.fromEntries((i.Tags ?? []).map((t) => [t.Key, t.Value]))),
      };
      await db.insertInto('ops_items').values(row).execute();
      if (raisedBy) await this.record(db, who, id, raisedBy, now);
      await this.record(db, who, id, { source: OPS_SOURCE, detailType: 'OpsItem Create', detail: { title: row.title, status: row.status, source: row.source, severity: row.severity } }, now);
      await this.notifier.changed(db, row, 'Create');
      await this.core.events.append(opsItemEvent(OPS_ITEM_CREATE, row), db);
      await within?.(db, id);
      return { id, created: true };
    });
  }

  async get(account: string, region: string, id: string, db: Kysely<OpsTables> = this.db): Promise<OpsItemRow> {
    const row = await db.selectFrom('ops_items').selectAll().where('account_id', '=', account).where('region', '=', region).where('ops_item_id', '=', id).executeTakeFirst();
    if (!row) throw opsItemNotFound(id);
    return row;
  }

  async find(account: string, region: string, id: string): Promise<OpsItemRow | undefined> {
    return this.db.selectFrom('ops_items').selectAll().where('account_id', '=', account).where('region', '=', region).where('ops_item_id', '=', id).executeTakeFirst();
  }

  async update(who: OpsActor, id: string, u: OpsItemUpdate): Promise<void> {
    checkOperationalData(u.OperationalData);
    checkNotifications(u.Notifications);
    if (u.OperationalData?.['/aws/dedup'] || u.OperationalDataToDelete?.includes('/aws/dedup')) throw invalidParameter(['OperationalData'], "An OpsItem's /aws/dedup string cannot be changed after it is created.");
    await this.transaction(async (db) => {
      const row = await this.get(who.accountId, who.region, id, db);
      if (u.Status !== undefined && row.ops_item_type === '/aws/issue' && !(ISSUE_STATUSES as readonly string[]).includes(u.Status))
        throw invalidParameter(['Status'], `Status ${u.Status} is not one an OpsItem of type /aws/issue takes: ${ISSUE_STATUSES.join(', ')}.`);
      await this.checkRelated(db, who, u.RelatedOpsItems, id);
      const data = { ...(JSON.parse(row.operational_data) as OperationalData), ...(u.OperationalData ?? {}) };
      for (const k of u.OperationalDataToDelete ?? []) delete data[k];
      checkOperationalData(data);
      const next: OpsItemRow = {
        ...row,
        ...(u.Title !== undefined ? { title: u.Title } : {}),
        ...(u.Description !== undefined ? { description: u.Description } : {}),
        ...(u.Status !== undefined ? { status: u.Status } : {}),
        ...(u.Priority !== undefined ? { priority: u.Priority } : {}),
        ...(u.Severity !== undefined ? { severity: u.Severity } : {}),
        ...(u.Category !== undefined ? { category: u.Category } : {}),
        ...(u.Notifications !== undefined ? { notifications: JSON.stringify(u.Notifications) } : {}),
        ...(u.RelatedOpsItems !== undefined ? { related_ops_items: JSON.stringify(u.RelatedOpsItems) } : {}),
        ...(u.PlannedStartTime !== undefined ? { planned_start: ms(u.PlannedStartTime) } : {}),
        ...(u.PlannedEndTime !== undefined ? { planned_end: ms(u.PlannedEndTime) } : {}),
        ...(u.ActualStartTime !== undefined ? { actual_start: ms(u.ActualStartTime) } : {}),
        ...(u.ActualEndTime !== undefined ? { actual_end: ms(u.ActualEndTime) } : {}),
        operational_data: JSON.stringify(data),
        modified_by: who.arn,
        modified_at: this.core.clock.now(),
        version: randomUUID(),
      };
      checkTimes({ PlannedStartTime: at(next.planned_start), PlannedEndTime: at(next.planned_end), ActualStartTime: at(next.actual_start), ActualEndTime: at(next.actual_end) });
      const { account_id: _account, region: _region, ops_item_id: _id, ...set } = next;
      await db.updateTable('ops_items').set(set).where('account_id', '=', who.accountId).where('region', '=', who.region).where('ops_item_id', '=', id).execute();
      const changed = Object.fromEntries(Object.entries(u).filter(([, v]) => v !== undefined).map(([k, v]) => [k, k === 'Status' ? { from: row.status, to: v } : v]));
      await this.record(db, who, id, { source: OPS_SOURCE, detailType: 'OpsItem Update', detail: changed }, next.modified_at);
      await this.core.events.append(opsItemEvent(OPS_ITEM_UPDATE, next, Object.keys(changed)), db);
      if (u.Status !== undefined && u.Status !== row.status) await this.notifier.changed(db, next, 'StatusChange', row.status);
    });
  }

  async delete(who: OpsActor, id: string): Promise<void> {
    await this.transaction(async (db) => {
      const k = (t: 'ops_items' | 'ops_item_events' | 'ops_item_related') => db.deleteFrom(t).where('account_id', '=', who.accountId).where('region', '=', who.region).where('ops_item_id', '=', id);
      await k('ops_item_events').execute();
      await k('ops_item_related').execute();
      await k('ops_items').execute();
    });
  }

  async list(account: string, region: string): Promise<OpsItemRow[]> {
    return this.db.selectFrom('ops_items').selectAll().where('account_id', '=', account).where('region', '=', region).orderBy('created_at', 'desc').orderBy('ops_item_id').execute();
  }

  async relatedOf(account: string, region: string, ids?: readonly string[]): Promise<OpsItemRelatedRow[]> {
    let q = this.db.selectFrom('ops_item_related').selectAll().where('account_id', '=', account).where('region', '=', region);
    if (ids) {
      if (ids.length === 0) return [];
      q = q.where('ops_item_id', 'in', [...ids]);
    }
    return q.orderBy('created_at').orderBy('association_id').execute();
  }

  /** The automation executions started from these OpsItems (their IsParentOf related items). */
  async startedExecutions(account: string, region: string, ids: readonly string[]): Promise<string[]> {
    const rows = await this.db
      .selectFrom('ops_item_related')
      .select('resource_uri')
      .where('account_id', '=', account)
      .where('region', '=', region)
      .where('ops_item_id', 'in', [...ids])
      .where('resource_type', '=', AUTOMATION_EXECUTION)
      .where('association_type', '=', 'IsParentOf')
      .execute();
    return rows.map((r) => r.resource_uri.slice(r.resource_uri.lastIndexOf('/') + 1));
  }

  async associate(who: OpsActor, id: string, r: { AssociationType: string; ResourceType: string; ResourceUri: string }, db?: Kysely<OpsTables>): Promise<string> {
    const run = async (trx: Kysely<OpsTables>) => {
      await this.get(who.accountId, who.region, id, trx);
      const dup = await trx.selectFrom('ops_item_related').select('association_id').where('account_id', '=', who.accountId).where('region', '=', who.region).where('ops_item_id', '=', id).where('resource_uri', '=', r.ResourceUri).executeTakeFirst();
      if (dup) throw relatedItemExists(id, r.ResourceUri);
      const associationId = randomUUID();
      const now = this.core.clock.now();
      await trx.insertInto('ops_item_related').values({ account_id: who.accountId, region: who.region, ops_item_id: id, association_id: associationId, association_type: r.AssociationType, resource_type: r.ResourceType, resource_uri: r.ResourceUri, created_by: who.arn, created_at: now }).execute();
      await this.record(trx, who, id, { source: OPS_SOURCE, detailType: 'OpsItem Related Item Associated', detail: { associationId, ...r } }, now);
      return associationId;
    };
    return db ? run(db) : this.transaction(run);
  }

  async disassociate(who: OpsActor, id: string, associationId: string): Promise<void> {
    await this.transaction(async (db) => {
      await this.get(who.accountId, who.region, id, db);
      const gone = await db.deleteFrom('ops_item_related').where('account_id', '=', who.accountId).where('region', '=', who.region).where('ops_item_id', '=', id).where('association_id', '=', associationId).executeTakeFirst();
      if (Number(gone.numDeletedRows) === 0) throw associationNotFound(associationId);
      await this.record(db, who, id, { source: OPS_SOURCE, detailType: 'OpsItem Related Item Disassociated', detail: { associationId } }, this.core.clock.now());
    });
  }

  async events(account: string, region: string, ids: readonly string[] | undefined) {
    let q = this.db.selectFrom('ops_item_events').selectAll().where('account_id', '=', account).where('region', '=', region);
    if (ids) q = q.where('ops_item_id', 'in', [...ids]);
    return q.orderBy('created_at', 'desc').orderBy('event_id', 'desc').execute();
  }

  /** Records an event of an OpsItem with `db`, the transaction of the change it reports. */
  async record(db: AnyDb, who: OpsActor, id: string, e: OpsEventInput, now: number): Promise<void> {
    await opsTables(db)
      .insertInto('ops_item_events')
      .values({ account_id: who.accountId, region: who.region, ops_item_id: id, event_id: randomUUID(), source: e.source, detail_type: e.detailType, detail: JSON.stringify(e.detail), created_by: who.arn, created_at: now })
      .execute();
  }

  async setTags(account: string, region: string, id: string, tags: Record<string, string>): Promise<void> {
    await this.db.updateTable('ops_items').set({ tags: JSON.stringify(tags) }).where('account_id', '=', account).where('region', '=', region).where('ops_item_id', '=', id).execute();
  }

  private async checkRelated(db: Kysely<OpsTables>, who: OpsActor, related: { OpsItemId: string }[] | undefined, self?: string): Promise<void> {
    for (const r of related ?? []) {
      if (r.OpsItemId === self) throw invalidParameter(['RelatedOpsItems'], `OpsItem ${self} cannot be related to itself.`);
      const found = await db.selectFrom('ops_items').select('ops_item_id').where('account_id', '=', who.accountId).where('region', '=', who.region).where('ops_item_id', '=', r.OpsItemId).executeTakeFirst();
      if (!found) throw invalidParameter(['RelatedOpsItems'], `RelatedOpsItems: OpsItem ${r.OpsItemId} does not exist.`);
    }
  }
}

const at = (v: number | null) => (v === null ? undefined : new Date(Number(v)));

function checkTimes(i: Pick<OpsItemInput, 'PlannedStartTime' | 'PlannedEndTime' | 'ActualStartTime' | 'ActualEndTime'>): void {
  if (i.PlannedStartTime && i.PlannedEndTime && i.PlannedEndTime < i.PlannedStartTime) throw invalidParameter(['PlannedEndTime'], 'PlannedEndTime is before PlannedStartTime.');
  if (i.ActualStartTime && i.ActualEndTime && i.ActualEndTime < i.ActualStartTime) throw invalidParameter(['ActualEndTime'], 'ActualEndTime is before ActualStartTime.');
}
