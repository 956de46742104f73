import { sql, type Kysely } from 'kysely';
import type { Core } from '../protocol/context.js';
import { AwsError } from '../protocol/errors.js';
import type { MigrationStep } from '../store/migrations.js';
import type { InventoryService } from './service.js';
import type { SyncSink } from './sync-sinks.js';

/**
 * Resource data syncs. SyncToDestination writes the fleet's inventory as JSON lines, one object
 * per node and type, laid out as AWS lays it out in S3 —
 * `<bucket>/<prefix>/<TypeName>/accountid=<account>/region=<region>/resourcetype=ManagedInstanceInventory/<instance>.json` —
 * into the server's sync directory or its S3-compatible store (sync-sinks.ts). SyncFromSource
 * records which regions' operational data Explorer aggregates; every region of a Capstan server
 * shares one database, so there is nothing to copy (docs/inventory.md).
 */
export interface SyncRow {
  account_id: string;
  region: string;
  sync_name: string;
  sync_type: string;
  destination: string;
  created_at: number;
  modified_at: number;
  last_sync_at: number | null;
  last_success_at: number | null;
  last_status: string;
  last_message: string;
  /** JSON ResourceDataSyncSource, for SyncFromSource. */
  source: string | null;
}
type SyncTables = { resource_data_syncs: SyncRow };

export const syncMigrations: MigrationStep[] = [
  {
    name: '1601_inventory_resource_data_sync',
    async up(db) {
      await db.schema
        .createTable('resource_data_syncs')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('sync_name', 'text', (c) => c.notNull())
        .addColumn('sync_type', 'text', (c) => c.notNull())
        .addColumn('destination', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('modified_at', 'bigint', (c) => c.notNull())
        .addColumn('last_sync_at', 'bigint')
        .addColumn('last_success_at', 'bigint')
        .addColumn('last_status', 'text', (c) => c.notNull())
        .addColumn('last_message', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('resource_data_syncs_pk', ['account_id', 'region', 'sync_name'])
        .execute();
    },
  },
  {
    name: '1602_resource_data_sync_source',
    async up(db) {
      await sql`alter table resource_data_syncs add column source text`.execute(db);
    },
  },
];

export interface S3Destination {
  BucketName: string;
  Prefix?: string;
  SyncFormat: string;
  Region: string;
  AWSKMSKeyARN?: string;
}

export interface SyncSource {
  SourceType: string;
  SourceRegions: string[];
  IncludeFutureRegions?: boolean;
  EnableAllOpsDataSources?: boolean;
  AwsOrganizationsSource?: unknown;
}

const MAX_SYNCS = 5;
const BUCKET = /^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const syncErr = (code: string, message: string, fields: Record<string, unknown> = {}) => new AwsError(code, message, { messageMember: 'Message', fields });
const invalid = (message: string) => syncErr('ResourceDataSyncInvalidConfigurationException', message);

/** The key of one node's objects of one type, under the destination's prefix. */
function keyOf(dest: S3Destination, type: string, account: string, region: string, id: string): string {
  return [...(dest.Prefix ? [dest.Prefix.replace(/^\/+|\/+$/g, '')] : []), type, `accountid=${account}`, `region=${region}`, 'resourcetype=ManagedInstanceInventory', `${id}.json`].join('/');
}

function checkDestination(dest: S3Destination): void {
  if (dest.SyncFormat !== 'JsonSerDe') throw invalid(`The SyncFormat ${dest.SyncFormat} is not supported; use JsonSerDe.`);
  if (!BUCKET.test(dest.BucketName) || dest.BucketName.includes('..')) throw invalid(`The bucket name ${dest.BucketName} is not valid.`);
  const segments = (dest.Prefix ?? '').split('/');
  if (segments.some((p) => p === '..' || p === '.')) throw invalid(`The prefix ${dest.Prefix ?? ''} leaves the bucket.`);
}

function checkSource(src: SyncSource): void {
  if (src.SourceType === 'AwsOrganizations') throw invalid('Capstan has no organizations: use SourceType SingleAccountMultiRegions.');
  if (src.SourceType !== 'SingleAccountMultiRegions') throw invalid(`The SourceType ${src.SourceType} is not valid; use SingleAccountMultiRegions.`);
  if (src.AwsOrganizationsSource !== undefined) throw invalid('AwsOrganizationsSource belongs to SourceType AwsOrganizations.');
  const bad = src.SourceRegions.find((r) => !REGION.test(r));
  if (bad !== undefined) throw invalid(`The source region ${bad} is not a region name.`);
}

export class ResourceDataSync {
  private readonly db: Kysely<SyncTables>;
  constructor(
    private readonly core: Core,
    private readonly inventory: InventoryService,
    private readonly sink: SyncSink | undefined,
  ) {
    this.db = core.database.db.withTables<SyncTables>();
  }

  async create(account: string, region: string, name: string, type: string, dest: S3Destination | undefined, source: SyncSource | undefined): Promise<void> {
    if (type === 'SyncToDestination') {
      if (!dest) throw invalid('SyncToDestination needs an S3Destination.');
      if (source) throw invalid('SyncToDestination takes an S3Destination, not a SyncSource.');
      checkDestination(dest);
      if (!this.sink) throw invalid('This server has nowhere to write resource data syncs: set CAPSTAN_RESOURCE_DATA_SYNC_DIR, or configure its S3-compatible store (CAPSTAN_S3_ENDPOINT).');
    } else if (type === 'SyncFromSource') {
      if (!source) throw invalid('SyncFromSource needs a SyncSource.');
      if (dest) throw invalid('SyncFromSource takes a SyncSource, not an S3Destination.');
      checkSource(source);
    } else {
      throw invalid(`The SyncType ${type} is not valid; use SyncToDestination or SyncFromSource.`);
    }
    const existing = await this.db.selectFrom('resource_data_syncs').select('sync_name').where('account_id', '=', account).where('region', '=', region).execute();
    if (existing.some((r) => r.sync_name === name)) throw syncErr('ResourceDataSyncAlreadyExistsException', `A resource data sync named ${name} already exists.`, { SyncName: name });
    if (existing.length >= MAX_SYNCS) throw syncErr('ResourceDataSyncCountExceededException', `An account may have ${MAX_SYNCS} resource data syncs in a region.`);
    const now = this.core.clock.now();
    const fromSource = type === 'SyncFromSource';
    const row: SyncRow = {
      account_id: account,
      region,
      sync_name: name,
      sync_type: type,
      destination: dest ? JSON.stringify(dest) : '',
      created_at: now,
      modified_at: now,
      // A source sync reads the one database every region shares: it is current from the start.
      last_sync_at: fromSource ? now : null,
      last_success_at: fromSource ? now : null,
      last_status: fromSource ? 'Successful' : 'InProgress',
      last_message: '',
      source: source ? JSON.stringify(source) : null,
    };
    await this.db.insertInto('resource_data_syncs').values(row).execute();
    // The first sync writes the whole fleet's inventory as it is now.
    if (!fromSource) await this.write(row, await this.inventory.matchingInstances(account, region), undefined);
  }

  /** UpdateResourceDataSync: only a SyncFromSource sync's source can change. */
  async update(account: string, region: string, name: string, type: string, source: SyncSource): Promise<void> {
    const row = await this.db.selectFrom('resource_data_syncs').selectAll().where('account_id', '=', account).where('region', '=', region).where('sync_name', '=', name).executeTakeFirst();
    if (!row || row.sync_type !== type) throw syncErr('ResourceDataSyncNotFoundException', `There is no resource data sync named ${name} of type ${type}.`, { SyncName: name, SyncType: type });
    if (type !== 'SyncFromSource') throw invalid('Only a SyncFromSource sync can be updated; delete and create a SyncToDestination sync to change it.');
    checkSource(source);
    const now = this.core.clock.now();
    await this.db
      .updateTable('resource_data_syncs')
      .set({ source: JSON.stringify(source), modified_at: now, last_sync_at: now, last_success_at: now, last_status: 'Successful', last_message: '' })
      .where('account_id', '=', account)
      .where('region', '=', region)
      .where('sync_name', '=', name)
      .execute();
  }

  async list(account: string, region: string, type?: string): Promise<SyncRow[]> {
    let q = this.db.selectFrom('resource_data_syncs').selectAll().where('account_id', '=', account).where('region', '=', region);
    if (type !== undefined) q = q.where('sync_type', '=', type);
    return q.orderBy('sync_name').execute();
  }

  async delete(account: string, region: string, name: string, type?: string): Promise<void> {
    let q = this.db.deleteFrom('resource_data_syncs').where('account_id', '=', account).where('region', '=', region).where('sync_name', '=', name);
    if (type !== undefined) q = q.where('sync_type', '=', type);
    const r = await q.executeTakeFirst();
    if (Number(r.numDeletedRows) === 0) throw syncErr('ResourceDataSyncNotFoundException', `The resource data sync ${name} does not exist.`, { SyncName: name, ...(type ? { SyncType: type } : {}) });
  }

  /** After a node reported: rewrite its files of the types it sent, for every sync of the account. */
  async reported(account: string, region: string, instanceId: string, types: string[]): Promise<void> {
    for (const row of await this.list(account, region, 'SyncToDestination')) await this.write(row, [instanceId], types);
  }

  private async write(row: SyncRow, ids: string[], types: string[] | undefined): Promise<void> {
    const dest = JSON.parse(row.destination) as S3Destination;
    const all = types ?? (await this.inventory.schemas(row.account_id, row.region)).map((s) => s.typeName);
    const now = this.core.clock.now();
    let status = 'Successful';
    let message = '';
    try {
      if (!this.sink) throw new Error('the server has no sync directory or S3-compatible store any more');
      const items = await this.inventory.items(row.account_id, row.region, ids, all);
      for (const id of ids) {
        for (const type of all) {
          const key = keyOf(dest, type, row.account_id, row.region, id);
          const it = items.get(id)?.get(type);
          if (!it) {
            await this.sink.remove(dest.BucketName, key);
            continue;
          }
          const lines = it.content.map((e) => JSON.stringify({ ...e, resourceId: id, captureTime: it.item.capture_time, schemaVersion: it.item.schema_version, resourceType: 'managedInstance' }));
          await this.sink.put(dest.BucketName, key, lines.join('\n') + (lines.length ? '\n' : ''));
        }
      }
    } catch (e) {
      status = 'Failed';
      message = (e as Error).message;
    }
    await this.db
      .updateTable('resource_data_syncs')
      .set({ last_sync_at: now, last_status: status, last_message: message, ...(status === 'Successful' ? { last_success_at: now } : {}) })
      .where('account_id', '=', row.account_id)
      .where('region', '=', row.region)
      .where('sync_name', '=', row.sync_name)
      .execute();
  }
}
