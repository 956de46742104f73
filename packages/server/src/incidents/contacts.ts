import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import { seal } from '../crypto/seal.js';
import type { Core } from '../protocol/context.js';
import type { AnyDb } from '../store/database.js';
import { channelArn, contactArn } from './arns.js';
import { contactsConflict, contactsNotFound, contactsValidation } from './errors.js';
import { dropPolicies, type ChannelRow, type ContactRow, type IncidentTables } from './tables.js';

export interface Stage {
  DurationInMinutes: number;
  Targets: { ChannelTargetInfo?: { ContactChannelId: string; RetryIntervalInMinutes?: number | undefined } | undefined; ContactTargetInfo?: { ContactId?: string | undefined; IsEssential: boolean } | undefined }[];
}
export interface Plan {
  Stages?: Stage[] | undefined;
  RotationIds?: string[] | undefined;
}

export const DELIVER_JOB = 'incidents.deliver';
export const activationContext = (channel: string) => `capstan incident activation ${channel}`;
const codeHash = (channel: string, code: string) => createHash('sha256').update(`${channel}\u0000${code}`).digest('hex');

/** Contacts, escalation plans and their channels. */
export class ContactService {
  readonly db: Kysely<IncidentTables>;
  constructor(private readonly core: Core) {
    this.db = core.database.db.withTables<IncidentTables>();
  }

  /** A contact named by ARN or alias, of this account and region. */
  async contact(account: string, region: string, id: string, db: Kysely<IncidentTables> = this.db): Promise<ContactRow> {
    const arn = id.startsWith('arn:') ? id : contactArn(region, account, id);
    const row = await db.selectFrom('im_contacts').selectAll().where('account_id', '=', account).where('region', '=', region).where('arn', '=', arn).executeTakeFirst();
    if (!row) throw contactsNotFound(`Contact ${id} does not exist.`, 'CONTACT', id);
    return row;
  }

  async channel(account: string, region: string, arn: string, db: Kysely<IncidentTables> = this.db): Promise<ChannelRow> {
    const row = await db.selectFrom('im_channels').selectAll().where('account_id', '=', account).where('region', '=', region).where('arn', '=', arn).executeTakeFirst();
    if (!row) throw contactsNotFound(`Contact channel ${arn} does not exist.`, 'CONTACT_CHANNEL', arn);
    return row;
  }

  async create(account: string, region: string, i: { Alias: string; DisplayName?: string | undefined; Type: string; Plan: Plan; Tags?: { Key: string; Value: string }[] | undefined }): Promise<ContactRow> {
    return this.db.transaction().execute(async (trx) => {
      const arn = contactArn(region, account, i.Alias);
      const existing = await trx.selectFrom('im_contacts').select('arn').where('account_id', '=', account).where('region', '=', region).where('arn', '=', arn).executeTakeFirst();
      if (existing) throw contactsConflict(`A contact with alias ${i.Alias} already exists.`, 'CONTACT', arn);
      await this.checkPlan(trx, account, region, arn, i.Type, i.Plan);
      const row: ContactRow = {
        account_id: account,
        region,
        arn,
        alias: i.Alias,
        display_name: i.DisplayName ?? '',
        type: i.Type,
        plan: JSON.stringify(i.Plan),
        tags: JSON.stringify(Object.fromEntries((i.Tags ?? []).map((t) => [t.Key, t.Value]))),
        created_at: this.core.clock.now(),
      };
      await trx.insertInto('im_contacts').values(row).execute();
      return row;
    });
  }

  async update(account: string, region: string, id: string, i: { DisplayName?: string | undefined; Plan?: Plan | undefined }): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const c = await this.contact(account, region, id, trx);
      if (i.Plan) await this.checkPlan(trx, account, region, c.arn, c.type, i.Plan);
      await trx
        .updateTable('im_contacts')
        .set({ ...(i.DisplayName !== undefined ? { display_name: i.DisplayName } : {}), ...(i.Plan ? { plan: JSON.stringify(i.Plan) } : {}) })
        .where('account_id', '=', account)
        .where('region', '=', region)
        .where('arn', '=', c.arn)
        .execute();
    });
  }

  async delete(account: string, region: string, id: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const c = await this.contact(account, region, id, trx);
      await trx.deleteFrom('im_channels').where('account_id', '=', account).where('region', '=', region).where('contact_arn', '=', c.arn).execute();
      await dropPolicies(trx, account, region, c.arn);
      await trx.deleteFrom('im_contacts').where('account_id', '=', account).where('region', '=', region).where('arn', '=', c.arn).execute();
    });
  }

  async list(account: string, region: string, aliasPrefix?: string, type?: string): Promise<ContactRow[]> {
    let q = this.db.selectFrom('im_contacts').selectAll().where('account_id', '=', account).where('region', '=', region);
    if (type) q = q.where('type', '=', type);
    const rows = await q.orderBy('alias').execute();
    return aliasPrefix ? rows.filter((r) => r.alias.startsWith(aliasPrefix)) : rows;
  }

  /**
   * A personal contact's stages page its own channels; an escalation plan's stages engage other
   * contacts. Everything a plan names must exist when the plan is written.
   */
  private async checkPlan(db: Kysely<IncidentTables>, account: string, region: string, self: string, type: string, plan: Plan): Promise<void> {
    if (type === 'ONCALL_SCHEDULE') {
      if (!plan.RotationIds?.length || plan.Stages?.length) throw contactsValidation('An ONCALL_SCHEDULE contact names its rotations (Plan.RotationIds) and no stages.');
      for (const id of plan.RotationIds) {
        const r = await db.selectFrom('im_rotations').select('arn').where('account_id', '=', account).where('region', '=', region).where('arn', '=', id).executeTakeFirst();
        if (!r) throw contactsValidation(`Plan.RotationIds: rotation ${id} does not exist.`);
      }
      return;
    }
    if (plan.RotationIds?.length) throw contactsValidation('Plan.RotationIds belong to ONCALL_SCHEDULE contacts.');
    for (const [n, stage] of (plan.Stages ?? []).entries()) {
      for (const t of stage.Targets) {
        if (Boolean(t.ChannelTargetInfo) === Boolean(t.ContactTargetInfo)) throw contactsValidation(`Plan.Stages.${n + 1}: each target names either ChannelTargetInfo or ContactTargetInfo, exactly one.`);
        if (type === 'PERSONAL') {
          if (!t.ChannelTargetInfo) throw contactsValidation(`Plan.Stages.${n + 1}: a PERSONAL contact's stages page its own contact channels (ChannelTargetInfo); ContactTargetInfo belongs to ESCALATION plans.`);
          const ch = await db.selectFrom('im_channels').select('contact_arn').where('account_id', '=', account).where('region', '=', region).where('arn', '=', t.ChannelTargetInfo.ContactChannelId).executeTakeFirst();
          if (!ch || ch.contact_arn !== self) throw contactsValidation(`Plan.Stages.${n + 1}: contact channel ${t.ChannelTargetInfo.ContactChannelId} is not a channel of this contact.`);
        } else {
          if (!t.ContactTargetInfo?.ContactId) throw contactsValidation(`Plan.Stages.${n + 1}: an ESCALATION plan's stages engage contacts (ContactTargetInfo with ContactId).`);
          if (t.ContactTargetInfo.ContactId === self) throw contactsValidation(`Plan.Stages.${n + 1}: an escalation plan cannot engage itself.`);
          const c = await db.selectFrom('im_contacts').select('type').where('account_id', '=', account).where('region', '=', region).where('arn', '=', t.ContactTargetInfo.ContactId).executeTakeFirst();
          if (!c) throw contactsValidation(`Plan.Stages.${n + 1}: contact ${t.ContactTargetInfo.ContactId} does not exist.`);
          if (c.type === 'ESCALATION') throw contactsValidation(`Plan.Stages.${n + 1}: ${t.ContactTargetInfo.ContactId} is an escalation plan; a stage engages personal contacts and on-call schedules.`);
        }
      }
    }
  }

  async createChannel(account: string, region: string, i: { ContactId: string; Name: string; Type: string; Address: string; DeferActivation?: boolean | undefined }): Promise<ChannelRow> {
    checkAddress(i.Type, i.Address);
    return this.db.transaction().execute(async (trx) => {
      const c = await this.contact(account, region, i.ContactId, trx);
      if (c.type !== 'PERSONAL') throw contactsValidation(`Contact ${c.alias} is not a personal contact; only people have contact channels.`);
      const row: ChannelRow = { account_id: account, region, arn: channelArn(region, account, c.alias), contact_arn: c.arn, name: i.Name, type: i.Type, address: i.Address, activated: 0, activation_hash: '', created_at: this.core.clock.now() };
      await trx.insertInto('im_channels').values(row).execute();
      if (!i.DeferActivation) await this.sendCode(trx, row);
      return row;
    });
  }

  /** A fresh six-digit code replaces any earlier one; it travels sealed in its delivery job and is kept only as a hash. */
  async sendCode(db: Kysely<IncidentTables>, ch: ChannelRow): Promise<void> {
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    await db.updateTable('im_channels').set({ activation_hash: codeHash(ch.arn, code) }).where('account_id', '=', ch.account_id).where('region', '=', ch.region).where('arn', '=', ch.arn).execute();
    await this.core.scheduler.enqueue({ kind: DELIVER_JOB, dueAt: this.core.clock.now(), maxAttempts: 8, payload: { what: 'activation', accountId: ch.account_id, region: ch.region, channel: ch.arn, sealed: seal(this.core.rootKey, code, activationContext(ch.arn)) } }, db as unknown as AnyDb);
  }

  async resendCode(account: string, region: string, arn: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const ch = await this.channel(account, region, arn, trx);
      await this.sendCode(trx, ch);
    });
  }

  async activate(account: string, region: string, arn: string, code: string): Promise<void> {
    const ch = await this.channel(account, region, arn);
    const want = Buffer.from(ch.activation_hash, 'hex');
    const got = Buffer.from(codeHash(ch.arn, code), 'hex');
    if (!ch.activation_hash || want.length !== got.length || !timingSafeEqual(want, got)) throw contactsValidation('The activation code is not the one sent to this contact channel.');
    await this.db.updateTable('im_channels').set({ activated: 1, activation_hash: '' }).where('account_id', '=', account).where('region', '=', region).where('arn', '=', arn).execute();
  }

  async setActivated(account: string, region: string, arn: string, on: boolean): Promise<void> {
    await this.channel(account, region, arn);
    await this.db.updateTable('im_channels').set({ activated: on ? 1 : 0 }).where('account_id', '=', account).where('region', '=', region).where('arn', '=', arn).execute();
  }

  async updateChannel(account: string, region: string, arn: string, i: { Name?: string | undefined; Address?: string | undefined }): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const ch = await this.channel(account, region, arn, trx);
      if (i.Address !== undefined) checkAddress(ch.type, i.Address);
      const moved = i.Address !== undefined && i.Address !== ch.address;
      // A new address must prove itself again.
      await trx
        .updateTable('im_channels')
        .set({ ...(i.Name !== undefined ? { name: i.Name } : {}), ...(moved ? { address: i.Address!, activated: 0 } : {}) })
        .where('account_id', '=', account)
        .where('region', '=', region)
        .where('arn', '=', arn)
        .execute();
      if (moved) await this.sendCode(trx, { ...ch, address: i.Address! });
    });
  }

  async deleteChannel(account: string, region: string, arn: string): Promise<void> {
    await this.channel(account, region, arn);
    await this.db.deleteFrom('im_channels').where('account_id', '=', account).where('region', '=', region).where('arn', '=', arn).execute();
  }

  async channels(account: string, region: string, contact: string): Promise<ChannelRow[]> {
    return this.db.selectFrom('im_channels').selectAll().where('account_id', '=', account).where('region', '=', region).where('contact_arn', '=', contact).orderBy('created_at').orderBy('name').orderBy('arn').execute();
  }
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+[1-9]\d{1,14}$/;

function checkAddress(type: string, address: string): void {
  if (type === 'EMAIL' && !EMAIL.test(address)) throw contactsValidation(`DeliveryAddress.SimpleAddress ${address} is not an email address.`);
  if ((type === 'SMS' || type === 'VOICE') && !PHONE.test(address)) throw contactsValidation(`DeliveryAddress.SimpleAddress ${address} is not a phone number in E.164 form (+ and up to 15 digits).`);
}
