import type { Kysely } from 'kysely';
import type { Core } from '../protocol/context.js';
import { metadataExists, metadataInvalid, metadataKeyLimit, metadataLimit, metadataNotFound } from './errors.js';
import { opsTables, type OpsMetadataRow, type OpsTables } from './tables.js';
import type { OpsActor } from './service.js';

export type Metadata = Record<string, { Value?: string }>;

const MAX_OBJECTS = 200;
const MAX_KEYS = 50;
const ARN = /^arn:(aws[a-zA-Z-]*)?:ssm:([a-z0-9-.]{0,63}):([a-z0-9-.]{0,63}):opsmetadata\/([a-zA-Z0-9-_./]*)$/;

export const opsMetadataArn = (region: string, account: string, resourceId: string) => `arn:aws:ssm:${region}:${account}:opsmetadata/${resourceId.replace(/^\/+/, '')}`;

function checkMetadata(m: Metadata | undefined, member: string): void {
  for (const [k, v] of Object.entries(m ?? {})) {
    if (!k.trim() || k.length > 256) throw metadataInvalid(`${member} key ${k.slice(0, 40)} must be 1 to 256 characters, not blank.`);
    const value = v.Value ?? '';
    if (value.length < 1 || value.length > 4096) throw metadataInvalid(`${member} ${k} needs a Value of 1 to 4096 characters.`);
  }
}

/** Application Manager's OpsMetadata: key/value objects per resource, addressed by ARN. */
export class OpsMetadataService {
  readonly db: Kysely<OpsTables>;
  constructor(private readonly core: Core) {
    this.db = opsTables(core.database.db);
  }

  async create(who: OpsActor, resourceId: string, metadata: Metadata | undefined, tags: Record<string, string>): Promise<string> {
    if (!/^[a-zA-Z0-9-_./]+$/.test(resourceId.replace(/^\/+/, ''))) throw metadataInvalid(`ResourceId ${resourceId} may hold only letters, digits and - _ . /.`);
    checkMetadata(metadata, 'Metadata');
    if (Object.keys(metadata ?? {}).length > MAX_KEYS) throw metadataKeyLimit(MAX_KEYS);
    const arn = opsMetadataArn(who.region, who.accountId, resourceId);
    return this.db.transaction().execute(async (db) => {
      if (await this.find(who, arn, db)) throw metadataExists(resourceId);
      const count = await db.selectFrom('ops_metadata').select((eb) => eb.fn.countAll<number>().as('n')).where('account_id', '=', who.accountId).where('region', '=', who.region).executeTakeFirstOrThrow();
      if (Number(count.n) >= MAX_OBJECTS) throw metadataLimit(MAX_OBJECTS);
      const now = this.core.clock.now();
      await db.insertInto('ops_metadata').values({ account_id: who.accountId, region: who.region, resource_id: resourceId, arn, metadata: JSON.stringify(metadata ?? {}), tags: JSON.stringify(tags), created_at: now, modified_at: now, modified_by: who.arn }).execute();
      return arn;
    });
  }

  /** The ARN a caller gave, checked for shape and for belonging to this account and region. */
  checkArn(who: Pick<OpsActor, 'accountId' | 'region'>, arn: string): void {
    const m = ARN.exec(arn);
    if (!m) throw metadataInvalid(`OpsMetadataArn ${arn} is not an OpsMetadata ARN (arn:aws:ssm:REGION:ACCOUNT:opsmetadata/RESOURCE).`);
    if (m[2] !== who.region || m[3] !== who.accountId) throw metadataNotFound(arn);
  }

  async find(who: Pick<OpsActor, 'accountId' | 'region'>, arn: string, db: Kysely<OpsTables> = this.db): Promise<OpsMetadataRow | undefined> {
    return db.selectFrom('ops_metadata').selectAll().where('account_id', '=', who.accountId).where('region', '=', who.region).where('arn', '=', arn).executeTakeFirst();
  }

  async get(who: Pick<OpsActor, 'accountId' | 'region'>, arn: string, db: Kysely<OpsTables> = this.db): Promise<OpsMetadataRow> {
    this.checkArn(who, arn);
    const row = await this.find(who, arn, db);
    if (!row) throw metadataNotFound(arn);
    return row;
  }

  async update(who: OpsActor, arn: string, toUpdate: Metadata | undefined, keysToDelete: string[] | undefined): Promise<void> {
    checkMetadata(toUpdate, 'MetadataToUpdate');
    if (!toUpdate && !keysToDelete) throw metadataInvalid('Give MetadataToUpdate, KeysToDelete or both.');
    await this.db.transaction().execute(async (db) => {
      const row = await this.get(who, arn, db);
      const m = { ...(JSON.parse(row.metadata) as Metadata), ...(toUpdate ?? {}) };
      for (const k of keysToDelete ?? []) {
        if (!(k in m)) throw metadataInvalid(`KeysToDelete: ${k} is not a key of ${arn}.`);
        delete m[k];
      }
      if (Object.keys(m).length > MAX_KEYS) throw metadataKeyLimit(MAX_KEYS);
      await db.updateTable('ops_metadata').set({ metadata: JSON.stringify(m), modified_at: this.core.clock.now(), modified_by: who.arn }).where('account_id', '=', who.accountId).where('region', '=', who.region).where('arn', '=', arn).execute();
    });
  }

  async delete(who: OpsActor, arn: string): Promise<void> {
    await this.get(who, arn);
    await this.db.deleteFrom('ops_metadata').where('account_id', '=', who.accountId).where('region', '=', who.region).where('arn', '=', arn).execute();
  }

  async list(who: Pick<OpsActor, 'accountId' | 'region'>): Promise<OpsMetadataRow[]> {
    return this.db.selectFrom('ops_metadata').selectAll().where('account_id', '=', who.accountId).where('region', '=', who.region).orderBy('arn').execute();
  }

  async setTags(account: string, region: string, arn: string, tags: Record<string, string>): Promise<void> {
    await this.db.updateTable('ops_metadata').set({ tags: JSON.stringify(tags) }).where('account_id', '=', account).where('region', '=', region).where('arn', '=', arn).execute();
  }
}
