import { randomBytes } from 'node:crypto';
import type { PatchOperatingSystem } from '@capstan/wire';
import type { Kysely } from 'kysely';
import type { Core } from '../protocol/context.js';
import { AwsError } from '../protocol/errors.js';
import type { AnyDb } from '../store/database.js';
import { requestHash } from '../maintenance/store.js';
import { checkBody, patchOs, validation, withDefaults, type Baseline, type BaselineBody, type BaselineFields } from './baseline.js';
import { predefinedBaselines, predefinedById } from './predefined.js';
import type { PatchBaselineRow, PatchingTables } from './tables.js';

const ssm = (code: string) => (message: string) => new AwsError(code, message, { messageMember: 'Message' });
export const doesNotExist = ssm('DoesNotExistException');
const idempotentMismatch = ssm('IdempotentParameterMismatch');
const resourceInUse = ssm('ResourceInUseException');
const alreadyExists = ssm('AlreadyExistsException');
const limitExceeded = ssm('ResourceLimitExceededException');

const predefinedReadOnly = (id: string) => validation(`Patch baseline ${id} is predefined (owner AWS) and cannot be modified or deleted; create your own baseline instead.`);

/** AWS's quotas: baselines per account and Region, patch groups per baseline. */
const MAX_BASELINES = 50;
const MAX_GROUPS_PER_BASELINE = 25;

export const baselineArn = (region: string, account: string, id: string) => (id.startsWith('arn:') ? id : `arn:aws:ssm:${region}:${account}:patchbaseline/${id}`);

export interface CreateInput extends BaselineFields {
  OperatingSystem?: string;
  Name: string;
  Description?: string;
  ClientToken?: string;
  Tags?: { Key: string; Value: string }[];
}

export interface UpdateInput extends BaselineFields {
  BaselineId: string;
  Name?: string;
  Description?: string;
  Replace?: boolean;
}

export const tablesOf = (db: AnyDb): Kysely<PatchingTables> => db.withTables<PatchingTables>();

function fromRow(r: PatchBaselineRow): Baseline {
  return { BaselineId: r.baseline_id, Name: r.name, OperatingSystem: r.operating_system as PatchOperatingSystem, ...(r.description ? { Description: r.description } : {}), owner: 'Self', ...(JSON.parse(r.body) as BaselineBody), createdAt: r.created_at, modifiedAt: r.modified_at };
}

/** Patch baselines, the defaults per operating system, and patch groups. */
export class Baselines {
  private readonly db: Kysely<PatchingTables>;
  constructor(private readonly core: Core) {
    this.db = tablesOf(core.database.db);
  }

  async create(account: string, region: string, i: CreateInput & Record<string, unknown>): Promise<string> {
    const os = patchOs(i.OperatingSystem);
    const body = withDefaults(i);
    checkBody(os, body);
    const hash = requestHash(i);
    if (i.ClientToken) {
      const prior = await this.db.selectFrom('patch_baselines').select(['baseline_id', 'request_hash']).where('account_id', '=', account).where('region', '=', region).where('client_token', '=', i.ClientToken).executeTakeFirst();
      if (prior) {
        if (prior.request_hash !== hash) throw idempotentMismatch(`ClientToken ${i.ClientToken} was used to create patch baseline ${prior.baseline_id} with other parameters.`);
        return prior.baseline_id;
      }
    }
    const now = this.core.clock.now();
    const row: PatchBaselineRow = {
      account_id: account,
      region,
      baseline_id: `pb-${randomBytes(9).toString('hex').slice(0, 17)}`,
      name: i.Name,
      operating_system: os,
      description: i.Description ?? '',
      body: JSON.stringify(body),
      tags: JSON.stringify(Object.fromEntries((i.Tags ?? []).map((t) => [t.Key, t.Value]))),
      client_token: i.ClientToken ?? '',
      request_hash: hash,
      created_at: now,
      modified_at: now,
    };
    await this.core.database.db.transaction().execute(async (trx) => {
      const n = await tablesOf(trx).selectFrom('patch_baselines').select((eb) => eb.fn.countAll<number>().as('n')).where('account_id', '=', account).where('region', '=', region).executeTakeFirstOrThrow();
      if (Number(n.n) >= MAX_BASELINES) throw limitExceeded(`An account has at most ${MAX_BASELINES} patch baselines per Region.`);
      await tablesOf(trx).insertInto('patch_baselines').values(row).execute();
    });
    return row.baseline_id;
  }

  /** A baseline the caller may read: the account's own, or a predefined one. */
  async get(account: string, region: string, id: string, db: AnyDb = this.core.database.db): Promise<Baseline> {
    const pre = predefinedById(region, id);
    if (pre) return pre;
    const row = await tablesOf(db).selectFrom('patch_baselines').selectAll().where('account_id', '=', account).where('region', '=', region).where('baseline_id', '=', id).executeTakeFirst();
    if (!row) throw doesNotExist(`Patch baseline ${id} does not exist.`);
    return fromRow(row);
  }

  /** An account's own baseline, for changes: the predefined ones are Capstan's and read-only. */
  private async own(account: string, region: string, id: string): Promise<PatchBaselineRow> {
    if (predefinedById(region, id)) throw predefinedReadOnly(id);
    const row = await this.db.selectFrom('patch_baselines').selectAll().where('account_id', '=', account).where('region', '=', region).where('baseline_id', '=', id).executeTakeFirst();
    if (!row) throw doesNotExist(`Patch baseline ${id} does not exist.`);
    return row;
  }

  /** Given fields replace the stored ones; with Replace, those left out go back to their defaults. */
  async update(account: string, region: string, i: UpdateInput): Promise<Baseline> {
    const row = await this.own(account, region, i.BaselineId);
    const current = fromRow(row);
    const pick = <K extends keyof BaselineFields>(k: K): BaselineFields[K] => (i[k] !== undefined ? i[k] : i.Replace ? undefined : (current[k] as BaselineFields[K]));
    const body = withDefaults({
      GlobalFilters: pick('GlobalFilters'),
      ApprovalRules: pick('ApprovalRules'),
      ApprovedPatches: pick('ApprovedPatches'),
      ApprovedPatchesComplianceLevel: pick('ApprovedPatchesComplianceLevel'),
      ApprovedPatchesEnableNonSecurity: pick('ApprovedPatchesEnableNonSecurity'),
      RejectedPatches: pick('RejectedPatches'),
      RejectedPatchesAction: pick('RejectedPatchesAction'),
      Sources: pick('Sources'),
      AvailableSecurityUpdatesComplianceStatus: pick('AvailableSecurityUpdatesComplianceStatus'),
    });
    checkBody(current.OperatingSystem, body);
    const description = i.Description !== undefined ? i.Description : i.Replace ? '' : row.description;
    await this.db
      .updateTable('patch_baselines')
      .set({ name: i.Name ?? row.name, description, body: JSON.stringify(body), modified_at: this.core.clock.now() })
      .where('account_id', '=', account)
      .where('region', '=', region)
      .where('baseline_id', '=', i.BaselineId)
      .execute();
    return this.get(account, region, i.BaselineId);
  }

  /** Refused while a patch group or the account's default names it; a baseline that is gone is not an error (AWS returns its id). */
  async delete(account: string, region: string, id: string): Promise<void> {
    if (predefinedById(region, id)) throw predefinedReadOnly(id);
    await this.core.database.db.transaction().execute(async (trx) => {
      const t = tablesOf(trx);
      const group = await t.selectFrom('patch_groups').select('patch_group').where('account_id', '=', account).where('region', '=', region).where('baseline_id', '=', id).executeTakeFirst();
      if (group) throw resourceInUse(`Patch baseline ${id} is registered for patch group ${group.patch_group}; deregister it first.`);
      const dflt = await t.selectFrom('patch_defaults').select('operating_system').where('account_id', '=', account).where('region', '=', region).where('baseline_id', '=', id).executeTakeFirst();
      if (dflt) throw resourceInUse(`Patch baseline ${id} is the default for ${dflt.operating_system}; register another default first.`);
      await t.deleteFrom('patch_baselines').where('account_id', '=', account).where('region', '=', region).where('baseline_id', '=', id).execute();
    });
  }

  /** Every baseline the account sees: the predefined ones, then its own by name. */
  async list(account: string, region: string): Promise<Baseline[]> {
    const own = await this.db.selectFrom('patch_baselines').selectAll().where('account_id', '=', account).where('region', '=', region).orderBy('name').orderBy('baseline_id').execute();
    return [...predefinedBaselines(region), ...own.map(fromRow)];
  }

  // ---- defaults --------------------------------------------------------------------------------

  async defaultId(account: string, region: string, os: PatchOperatingSystem, db: AnyDb = this.core.database.db): Promise<string> {
    const row = await tablesOf(db).selectFrom('patch_defaults').select('baseline_id').where('account_id', '=', account).where('region', '=', region).where('operating_system', '=', os).executeTakeFirst();
    return row?.baseline_id ?? predefinedBaselines(region).find((b) => b.OperatingSystem === os)!.BaselineId;
  }

  async defaults(account: string, region: string): Promise<Set<string>> {
    const out = new Set<string>();
    for (const os of new Set(predefinedBaselines(region).map((b) => b.OperatingSystem))) out.add(await this.defaultId(account, region, os));
    return out;
  }

  async registerDefault(account: string, region: string, id: string): Promise<void> {
    const b = await this.get(account, region, id);
    await this.core.database.db.transaction().execute(async (trx) => {
      const t = tablesOf(trx);
      await t.deleteFrom('patch_defaults').where('account_id', '=', account).where('region', '=', region).where('operating_system', '=', b.OperatingSystem).execute();
      // The predefined baseline is the default when none is registered: registering it again is the same as having none.
      if (b.owner === 'Self') await t.insertInto('patch_defaults').values({ account_id: account, region, operating_system: b.OperatingSystem, baseline_id: b.BaselineId }).execute();
    });
  }

  // ---- patch groups ----------------------------------------------------------------------------

  async registerGroup(account: string, region: string, id: string, group: string): Promise<void> {
    const b = await this.get(account, region, id);
    await this.core.database.db.transaction().execute(async (trx) => {
      const t = tablesOf(trx);
      const prior = await t.selectFrom('patch_groups').select('baseline_id').where('account_id', '=', account).where('region', '=', region).where('patch_group', '=', group).where('operating_system', '=', b.OperatingSystem).executeTakeFirst();
      if (prior) throw alreadyExists(`Patch group ${group} is already registered with patch baseline ${prior.baseline_id} for ${b.OperatingSystem}.`);
      const n = await t.selectFrom('patch_groups').select((eb) => eb.fn.countAll<number>().as('n')).where('account_id', '=', account).where('region', '=', region).where('baseline_id', '=', b.BaselineId).executeTakeFirstOrThrow();
      if (Number(n.n) >= MAX_GROUPS_PER_BASELINE) throw limitExceeded(`A patch baseline has at most ${MAX_GROUPS_PER_BASELINE} patch groups.`);
      await t.insertInto('patch_groups').values({ account_id: account, region, patch_group: group, operating_system: b.OperatingSystem, baseline_id: b.BaselineId }).execute();
    });
  }

  async deregisterGroup(account: string, region: string, id: string, group: string): Promise<void> {
    const b = await this.get(account, region, id);
    const gone = await this.db.deleteFrom('patch_groups').where('account_id', '=', account).where('region', '=', region).where('patch_group', '=', group).where('baseline_id', '=', b.BaselineId).executeTakeFirst();
    if (Number(gone.numDeletedRows) === 0) throw doesNotExist(`Patch group ${group} is not registered with patch baseline ${id}.`);
  }

  async groupsOf(account: string, region: string, id: string): Promise<string[]> {
    const rows = await this.db.selectFrom('patch_groups').select('patch_group').where('account_id', '=', account).where('region', '=', region).where('baseline_id', '=', id).orderBy('patch_group').execute();
    return rows.map((r) => r.patch_group);
  }

  /** The baseline a patch group uses on a system: the one registered, else the system's default. */
  async forGroup(account: string, region: string, group: string | undefined, os: PatchOperatingSystem, db: AnyDb = this.core.database.db): Promise<string> {
    if (group !== undefined) {
      const row = await tablesOf(db).selectFrom('patch_groups').select('baseline_id').where('account_id', '=', account).where('region', '=', region).where('patch_group', '=', group).where('operating_system', '=', os).executeTakeFirst();
      if (row) return row.baseline_id;
    }
    return this.defaultId(account, region, os, db);
  }

  async groups(account: string, region: string) {
    return this.db.selectFrom('patch_groups').selectAll().where('account_id', '=', account).where('region', '=', region).orderBy('patch_group').orderBy('operating_system').execute();
  }

  // ---- tags --------------------------------------------------------------------------------------

  async tags(account: string, region: string, id: string): Promise<Record<string, string> | undefined> {
    if (predefinedById(region, id)) return undefined;
    const row = await this.db.selectFrom('patch_baselines').select('tags').where('account_id', '=', account).where('region', '=', region).where('baseline_id', '=', id).executeTakeFirst();
    return row ? (JSON.parse(row.tags) as Record<string, string>) : undefined;
  }

  async setTags(account: string, region: string, id: string, tags: Record<string, string>): Promise<void> {
    await this.db.updateTable('patch_baselines').set({ tags: JSON.stringify(tags) }).where('account_id', '=', account).where('region', '=', region).where('baseline_id', '=', id).execute();
  }
}
