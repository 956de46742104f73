import { randomInt, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import { seal } from '../crypto/seal.js';
import type { Core } from '../protocol/context.js';
import type { Job } from '../scheduler/scheduler.js';
import { aliasOf, engagementArn, pageArn } from './arns.js';
import { DELIVER_JOB, type ContactService, type Plan } from './contacts.js';
import { contactsNotFound, contactsValidation } from './errors.js';
import type { RotationService } from './rotations.js';
import type { ContactRow, EngagementRow, IncidentTables, PageRow } from './tables.js';

export const ESCALATE_JOB = 'incidents.escalate';
export const acceptCodeContext = (page: string) => `capstan incident page ${page}`;

export interface NewEngagement {
  ContactId: string;
  Sender: string;
  Subject: string;
  Content: string;
  PublicSubject?: string | undefined;
  PublicContent?: string | undefined;
  IncidentId?: string | undefined;
  IdempotencyToken?: string | undefined;
}

/** Told when an engagement is acknowledged, in the transaction that records it. */
export type AcknowledgeHook = (db: Kysely<IncidentTables>, e: EngagementRow, page: PageRow, contact: string, at: number) => Promise<void>;

const stagesOf = (c: ContactRow) => (JSON.parse(c.plan) as Plan).Stages ?? [];

/** One step from the engaged contact to the person paged: AWS's ResolutionContact. */
export interface ResolutionStep {
  ContactArn: string;
  Type: string;
  StageIndex?: number;
}

/**
 * Engagements run their contact's plan stage by stage: each stage pages its targets at once and
 * the next stage is a durable job due when this stage's DurationInMinutes has passed, so
 * escalation carries on across restarts. Acknowledging any page (AcceptPage READ) or stopping
 * the engagement ends the escalation; the pending stage's job is removed in the same transaction.
 */
export class EngagementService {
  private readonly ackHooks: AcknowledgeHook[] = [];

  constructor(
    private readonly core: Core,
    private readonly contacts: ContactService,
    private readonly rotations: RotationService,
  ) {
    core.scheduler.handle(ESCALATE_JOB, (job) => this.escalate(job));
  }

  onAcknowledge(hook: AcknowledgeHook): void {
    this.ackHooks.push(hook);
  }

  private get db() {
    return this.contacts.db;
  }

  async start(account: string, region: string, i: NewEngagement): Promise<EngagementRow> {
    return this.db.transaction().execute(async (trx) => {
      const contact = await this.contacts.contact(account, region, i.ContactId, trx);
      if (i.IdempotencyToken) {
        const same = await trx.selectFrom('im_engagements').selectAll().where('account_id', '=', account).where('region', '=', region).where('idempotency_token', '=', i.IdempotencyToken).executeTakeFirst();
        if (same) return same;
      }
      const now = this.core.clock.now();
      const row: EngagementRow = {
        account_id: account,
        region,
        arn: engagementArn(region, account, contact.alias),
        contact_arn: contact.arn,
        sender: i.Sender,
        subject: i.Subject,
        content: i.Content,
        public_subject: i.PublicSubject ?? '',
        public_content: i.PublicContent ?? '',
        incident_id: i.IncidentId ?? '',
        idempotency_token: i.IdempotencyToken ?? '',
        stage: 0,
        started_at: now,
        stopped_at: null,
        acknowledged_at: null,
      };
      await trx.insertInto('im_engagements').values(row).execute();
      await this.runStage(trx, row, contact, 0);
      return row;
    });
  }

  /** Pages stage `n` of the engagement's plan and schedules stage n+1 after this one's duration. */
  private async runStage(db: Kysely<IncidentTables>, e: EngagementRow, contact: ContactRow, n: number): Promise<void> {
    const now = this.core.clock.now();
    const root: ResolutionStep = { ContactArn: contact.arn, Type: contact.type };
    if (contact.type === 'ONCALL_SCHEDULE') {
      for (const person of await this.onCall(db, e, contact, now)) await this.pagePerson(db, e, person, n, now, [root]);
      return;
    }
    const stages = stagesOf(contact);
    if (stages.length === 0) {
      // A contact without a plan is paged on every activated channel at once.
      if (contact.type === 'PERSONAL') for (const ch of await this.activeChannels(db, e, contact.arn)) await this.page(db, e, contact.arn, ch, 0, now, [root]);
      return;
    }
    const stage = stages[n]!;
    for (const t of stage.Targets) {
      if (t.ChannelTargetInfo) {
        const ch = await db.selectFrom('im_channels').select(['arn', 'activated']).where('account_id', '=', e.account_id).where('region', '=', e.region).where('arn', '=', t.ChannelTargetInfo.ContactChannelId).executeTakeFirst();
        if (ch?.activated) await this.page(db, e, contact.arn, ch.arn, n, now, [root]);
      } else if (t.ContactTargetInfo?.ContactId) {
        const target = await db.selectFrom('im_contacts').selectAll().where('account_id', '=', e.account_id).where('region', '=', e.region).where('arn', '=', t.ContactTargetInfo.ContactId).executeTakeFirst();
        if (!target) continue;
        const via: ResolutionStep[] = target.type === 'ONCALL_SCHEDULE' ? [root, { ContactArn: target.arn, Type: target.type, StageIndex: n }] : [root];
        const people = target.type === 'ONCALL_SCHEDULE' ? await this.onCall(db, e, target, now) : [target.arn];
        for (const person of people) await this.pagePerson(db, e, person, n, now, via);
      }
    }
    await db.updateTable('im_engagements').set({ stage: n }).where('account_id', '=', e.account_id).where('region', '=', e.region).where('arn', '=', e.arn).execute();
    if (n + 1 < stages.length) {
      await this.core.scheduler.enqueue({ kind: ESCALATE_JOB, dueAt: now + stage.DurationInMinutes * 60_000, dedupeKey: e.arn, payload: { account: e.account_id, region: e.region, arn: e.arn, stage: n + 1 } }, db);
    }
  }

  /** Whoever an on-call schedule's rotations have on call now. */
  private async onCall(db: Kysely<IncidentTables>, e: EngagementRow, schedule: ContactRow, now: number): Promise<string[]> {
    const people = new Set<string>();
    for (const rotation of (JSON.parse(schedule.plan) as Plan).RotationIds ?? []) for (const p of await this.rotations.onCall(db, e.account_id, e.region, rotation, now)) people.add(p);
    return [...people];
  }

  /** A person engaged by a plan or a schedule is paged on the channels of their own plan's first stage (all activated ones without a plan). */
  private async pagePerson(db: Kysely<IncidentTables>, e: EngagementRow, personArn: string, n: number, now: number, via: ResolutionStep[]): Promise<void> {
    const person = await db.selectFrom('im_contacts').selectAll().where('account_id', '=', e.account_id).where('region', '=', e.region).where('arn', '=', personArn).executeTakeFirst();
    if (!person || person.type !== 'PERSONAL') return;
    const first = stagesOf(person)[0];
    const wanted = first ? new Set(first.Targets.flatMap((x) => (x.ChannelTargetInfo ? [x.ChannelTargetInfo.ContactChannelId] : []))) : undefined;
    // The stage index belongs to the escalation plan that engaged the person, if one did.
    const path: ResolutionStep[] = [...via, { ContactArn: person.arn, Type: 'PERSONAL', ...(via[0]?.Type === 'ESCALATION' ? { StageIndex: n } : {}) }];
    for (const ch of await this.activeChannels(db, e, person.arn)) if (!wanted || wanted.has(ch)) await this.page(db, e, person.arn, ch, n, now, path);
  }

  private async activeChannels(db: Kysely<IncidentTables>, e: EngagementRow, contact: string): Promise<string[]> {
    const rows = await db.selectFrom('im_channels').select('arn').where('account_id', '=', e.account_id).where('region', '=', e.region).where('contact_arn', '=', contact).where('activated', '=', 1).orderBy('created_at').execute();
    return rows.map((r) => r.arn);
  }

  private async page(db: Kysely<IncidentTables>, e: EngagementRow, contact: string, channel: string, stage: number, now: number, resolution: ResolutionStep[]): Promise<void> {
    const arn = pageArn(e.region, e.account_id, aliasOf(contact));
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    await db
      .insertInto('im_pages')
      .values({ account_id: e.account_id, region: e.region, arn, engagement_arn: e.arn, contact_arn: contact, channel_arn: channel, stage, resolution: JSON.stringify(resolution), accept_code: seal(this.core.rootKey, code, acceptCodeContext(arn)), sent_at: now, delivered_at: null, read_at: null })
      .execute();
    await this.core.scheduler.enqueue({ kind: DELIVER_JOB, dueAt: now, maxAttempts: 8, payload: { what: 'page', accountId: e.account_id, region: e.region, page: arn } }, db);
  }

  private async escalate(job: Job): Promise<void> {
    const { account, region, arn, stage } = job.payload as { account: string; region: string; arn: string; stage: number };
    await this.db.transaction().execute(async (trx) => {
      await job.settle(trx);
      const e = await trx.selectFrom('im_engagements').selectAll().where('account_id', '=', account).where('region', '=', region).where('arn', '=', arn).executeTakeFirst();
      if (!e || e.stopped_at !== null || e.acknowledged_at !== null || e.stage >= stage) return;
      const contact = await trx.selectFrom('im_contacts').selectAll().where('account_id', '=', account).where('region', '=', region).where('arn', '=', e.contact_arn).executeTakeFirst();
      // The plan as it is now: a contact edited mid-engagement escalates by its new stages.
      if (!contact || stage >= stagesOf(contact).length) return;
      await this.runStage(trx, e, contact, stage);
    });
  }

  async engagement(account: string, region: string, arn: string, db: Kysely<IncidentTables> = this.db): Promise<EngagementRow> {
    const row = await db.selectFrom('im_engagements').selectAll().where('account_id', '=', account).where('region', '=', region).where('arn', '=', arn).executeTakeFirst();
    if (!row) throw contactsNotFound(`Engagement ${arn} does not exist.`, 'ENGAGEMENT', arn);
    return row;
  }

  async pageRow(account: string, region: string, arn: string, db: Kysely<IncidentTables> = this.db): Promise<PageRow> {
    const row = await db.selectFrom('im_pages').selectAll().where('account_id', '=', account).where('region', '=', region).where('arn', '=', arn).executeTakeFirst();
    if (!row) throw contactsNotFound(`Page ${arn} does not exist.`, 'PAGE', arn);
    return row;
  }

  async stop(account: string, region: string, arn: string, reason: string | undefined): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const e = await this.engagement(account, region, arn, trx);
      if (e.stopped_at !== null) return;
      await this.end(trx, e, reason ?? 'Stopped');
    });
  }

  /** Stops the escalation: no further stages, a STOP receipt on each page sent. */
  async end(db: Kysely<IncidentTables>, e: EngagementRow, reason: string): Promise<void> {
    const now = this.core.clock.now();
    await db.updateTable('im_engagements').set({ stopped_at: now }).where('account_id', '=', e.account_id).where('region', '=', e.region).where('arn', '=', e.arn).execute();
    await this.core.scheduler.cancel(ESCALATE_JOB, e.arn, db);
    for (const p of await db.selectFrom('im_pages').select(['arn', 'channel_arn']).where('engagement_arn', '=', e.arn).execute()) await this.receipt(db, p.arn, p.channel_arn, 'STOP', reason.slice(0, 2048), now);
  }

  async stopForIncident(db: Kysely<IncidentTables>, account: string, region: string, incident: string, reason: string): Promise<void> {
    const open = await db.selectFrom('im_engagements').selectAll().where('account_id', '=', account).where('region', '=', region).where('incident_id', '=', incident).where('stopped_at', 'is', null).execute();
    for (const e of open) await this.end(db, e, reason);
  }

  async accept(account: string, region: string, i: { PageId: string; ContactChannelId?: string | undefined; AcceptType: string; Note?: string | undefined; AcceptCode: string; AcceptCodeValidation?: string | undefined }, unsealCode: (sealed: string, page: string) => string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const p = await this.pageRow(account, region, i.PageId, trx);
      if ((i.AcceptCodeValidation ?? 'IGNORE') === 'ENFORCE') {
        const want = Buffer.from(unsealCode(p.accept_code, p.arn));
        const got = Buffer.from(i.AcceptCode);
        if (want.length !== got.length || !timingSafeEqual(want, got)) throw contactsValidation('AcceptCode is not the code sent with this page.');
      }
      const now = this.core.clock.now();
      const channel = i.ContactChannelId ?? p.channel_arn;
      const read = i.AcceptType === 'READ';
      await trx
        .updateTable('im_pages')
        .set(read ? { read_at: p.read_at ?? now, delivered_at: p.delivered_at ?? now } : { delivered_at: p.delivered_at ?? now })
        .where('account_id', '=', account)
        .where('region', '=', region)
        .where('arn', '=', p.arn)
        .execute();
      await this.receipt(trx, p.arn, channel, read ? 'READ' : 'DELIVERED', i.Note ?? '', now);
      if (!read) return;
      const e = await this.engagement(account, region, p.engagement_arn, trx);
      if (e.acknowledged_at !== null || e.stopped_at !== null) return;
      await trx.updateTable('im_engagements').set({ acknowledged_at: now }).where('account_id', '=', account).where('region', '=', region).where('arn', '=', e.arn).execute();
      await this.core.scheduler.cancel(ESCALATE_JOB, e.arn, trx);
      for (const hook of this.ackHooks) await hook(trx, e, p, p.contact_arn, now);
    });
  }

  async receipt(db: Kysely<IncidentTables>, page: string, channel: string, type: string, info: string, time: number): Promise<void> {
    const last = await db.selectFrom('im_receipts').select((eb) => eb.fn.max('seq').as('seq')).where('page_arn', '=', page).executeTakeFirst();
    await db.insertInto('im_receipts').values({ page_arn: page, seq: Number(last?.seq ?? 0) + 1, channel_arn: channel, type, info, time }).execute();
  }
}
