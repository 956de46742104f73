import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Core } from '../protocol/context.js';
import { contactsConflict, contactsNotFound, contactsValidation } from './errors.js';
import { DAY_NAMES, onCall, shifts, validTimeZone, type Override, type Recurrence, type RotationPlan } from './schedule.js';
import type { IncidentTables, RotationOverrideRow, RotationRow } from './tables.js';

export const rotationArn = (region: string, account: string, name: string) => `arn:aws:ssm-contacts:${region}:${account}:rotation/${name}`;

export interface RotationInput {
  ContactIds: string[];
  StartTime?: number | undefined;
  TimeZoneId: string;
  Recurrence: Recurrence;
}

const minutes = (t: { HourOfDay: number; MinuteOfHour: number }) => t.HourOfDay * 60 + t.MinuteOfHour;

/** Each covered day names whole windows: a start, and an end after it (00:00 ends at midnight). */
function checkCoverage(coverage: NonNullable<Recurrence['ShiftCoverages']>): void {
  for (const [day, windows] of Object.entries(coverage)) {
    if (!DAY_NAMES.includes(day)) throw contactsValidation(`Recurrence.ShiftCoverages: ${day} is not a day of the week (MON, TUE, WED, THU, FRI, SAT, SUN).`);
    if (windows.length === 0) throw contactsValidation(`Recurrence.ShiftCoverages.${day} names no coverage time; leave the day out instead.`);
    for (const w of windows) {
      if (!w.Start || !w.End) throw contactsValidation(`Recurrence.ShiftCoverages.${day}: each coverage time needs a Start and an End.`);
      const end = minutes(w.End) === 0 ? 24 * 60 : minutes(w.End);
      if (end <= minutes(w.Start)) throw contactsValidation(`Recurrence.ShiftCoverages.${day}: End must be after Start on the same day (00:00 ends at midnight).`);
    }
  }
}

/** Checks what any rotation, saved or previewed, must satisfy. */
export function checkRotation(i: RotationInput): void {
  if (!validTimeZone(i.TimeZoneId)) throw contactsValidation(`TimeZoneId ${i.TimeZoneId} is not an IANA time zone (e.g. Europe/Berlin, America/New_York).`);
  if (i.Recurrence.ShiftCoverages) checkCoverage(i.Recurrence.ShiftCoverages);
  const r = i.Recurrence;
  const kinds = [r.DailySettings?.length, r.WeeklySettings?.length, r.MonthlySettings?.length].filter(Boolean).length;
  if (kinds !== 1) throw contactsValidation('Recurrence names exactly one of DailySettings, WeeklySettings and MonthlySettings.');
  if (new Set(i.ContactIds).size !== i.ContactIds.length) throw contactsValidation('ContactIds lists a contact more than once.');
}

export const planOf = (r: RotationRow): RotationPlan => ({ members: JSON.parse(r.members) as string[], start: Number(r.start_time), timeZone: r.time_zone, recurrence: JSON.parse(r.recurrence) as Recurrence });
const overrideOf = (o: RotationOverrideRow): Override => ({ members: JSON.parse(o.members) as string[], start: Number(o.start_time), end: Number(o.end_time) });

/** On-call rotations of personal contacts, their overrides and the shifts they make. */
export class RotationService {
  readonly db: Kysely<IncidentTables>;
  constructor(private readonly core: Core) {
    this.db = core.database.db.withTables<IncidentTables>();
  }

  async rotation(account: string, region: string, id: string, db: Kysely<IncidentTables> = this.db): Promise<RotationRow> {
    const arn = id.startsWith('arn:') ? id : rotationArn(region, account, id);
    const row = await db.selectFrom('im_rotations').selectAll().where('account_id', '=', account).where('region', '=', region).where('arn', '=', arn).executeTakeFirst();
    if (!row) throw contactsNotFound(`Rotation ${id} does not exist.`, 'ROTATION', id);
    return row;
  }

  private async checkMembers(db: Kysely<IncidentTables>, account: string, region: string, ids: string[]): Promise<void> {
    for (const id of ids) {
      const c = await db.selectFrom('im_contacts').select('type').where('account_id', '=', account).where('region', '=', region).where('arn', '=', id).executeTakeFirst();
      if (!c) throw contactsValidation(`ContactIds: contact ${id} does not exist.`);
      if (c.type !== 'PERSONAL') throw contactsValidation(`ContactIds: ${id} is not a personal contact; rotations are of people.`);
    }
  }

  async create(account: string, region: string, name: string, i: RotationInput & { Tags?: { Key: string; Value: string }[] | undefined }): Promise<string> {
    checkRotation(i);
    const arn = rotationArn(region, account, name);
    await this.db.transaction().execute(async (trx) => {
      if (await trx.selectFrom('im_rotations').select('arn').where('account_id', '=', account).where('region', '=', region).where('arn', '=', arn).executeTakeFirst()) throw contactsConflict(`A rotation named ${name} already exists.`, 'ROTATION', arn);
      await this.checkMembers(trx, account, region, i.ContactIds);
      const now = this.core.clock.now();
      await trx
        .insertInto('im_rotations')
        .values({ account_id: account, region, arn, name, members: JSON.stringify(i.ContactIds), start_time: i.StartTime ?? now, time_zone: i.TimeZoneId, recurrence: JSON.stringify(i.Recurrence), tags: JSON.stringify(Object.fromEntries((i.Tags ?? []).map((t) => [t.Key, t.Value]))), created_at: now })
        .execute();
    });
    return arn;
  }

  async update(account: string, region: string, id: string, u: Partial<RotationInput> & { Recurrence: RotationInput['Recurrence'] }): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const r = await this.rotation(account, region, id, trx);
      const next = { ContactIds: u.ContactIds ?? (JSON.parse(r.members) as string[]), StartTime: u.StartTime ?? Number(r.start_time), TimeZoneId: u.TimeZoneId ?? r.time_zone, Recurrence: u.Recurrence };
      checkRotation(next);
      if (u.ContactIds) await this.checkMembers(trx, account, region, u.ContactIds);
      await trx.updateTable('im_rotations').set({ members: JSON.stringify(next.ContactIds), start_time: next.StartTime, time_zone: next.TimeZoneId, recurrence: JSON.stringify(next.Recurrence) }).where('account_id', '=', account).where('region', '=', region).where('arn', '=', r.arn).execute();
    });
  }

  async delete(account: string, region: string, id: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const r = await this.rotation(account, region, id, trx);
      await trx.deleteFrom('im_rotation_overrides').where('rotation_arn', '=', r.arn).execute();
      await trx.deleteFrom('im_rotations').where('account_id', '=', account).where('region', '=', region).where('arn', '=', r.arn).execute();
    });
  }

  async list(account: string, region: string, prefix?: string): Promise<RotationRow[]> {
    const rows = await this.db.selectFrom('im_rotations').selectAll().where('account_id', '=', account).where('region', '=', region).orderBy('name').execute();
    return prefix ? rows.filter((r) => r.name.startsWith(prefix)) : rows;
  }

  async addOverride(account: string, region: string, id: string, o: { NewContactIds: string[]; StartTime: number; EndTime: number }): Promise<string> {
    if (o.EndTime <= o.StartTime) throw contactsValidation('EndTime must be after StartTime.');
    return this.db.transaction().execute(async (trx) => {
      const r = await this.rotation(account, region, id, trx);
      const members = JSON.parse(r.members) as string[];
      for (const c of o.NewContactIds) if (!members.includes(c)) throw contactsValidation(`NewContactIds: ${c} is not a member of rotation ${r.name}.`);
      const overrideId = randomUUID();
      await trx.insertInto('im_rotation_overrides').values({ rotation_arn: r.arn, override_id: overrideId, members: JSON.stringify(o.NewContactIds), start_time: o.StartTime, end_time: o.EndTime, created_at: this.core.clock.now() }).execute();
      return overrideId;
    });
  }

  async overrides(rotation: string, db: Kysely<IncidentTables> = this.db): Promise<RotationOverrideRow[]> {
    return db.selectFrom('im_rotation_overrides').selectAll().where('rotation_arn', '=', rotation).orderBy('created_at').orderBy('override_id').execute();
  }

  async override(account: string, region: string, id: string, overrideId: string): Promise<{ rotation: RotationRow; override: RotationOverrideRow }> {
    const rotation = await this.rotation(account, region, id);
    const override = await this.db.selectFrom('im_rotation_overrides').selectAll().where('rotation_arn', '=', rotation.arn).where('override_id', '=', overrideId).executeTakeFirst();
    if (!override) throw contactsNotFound(`Rotation override ${overrideId} does not exist.`, 'ROTATION_OVERRIDE', overrideId);
    return { rotation, override };
  }

  async deleteOverride(account: string, region: string, id: string, overrideId: string): Promise<void> {
    const { rotation } = await this.override(account, region, id, overrideId);
    await this.db.deleteFrom('im_rotation_overrides').where('rotation_arn', '=', rotation.arn).where('override_id', '=', overrideId).execute();
  }

  async shifts(r: RotationRow, from: number, to: number) {
    return shifts(planOf(r), (await this.overrides(r.arn)).map(overrideOf), from, to);
  }

  /** Who of the rotation is on call at `at`, read with `db` (an engagement's transaction). */
  async onCall(db: Kysely<IncidentTables>, account: string, region: string, arn: string, at: number): Promise<string[]> {
    const r = await db.selectFrom('im_rotations').selectAll().where('account_id', '=', account).where('region', '=', region).where('arn', '=', arn).executeTakeFirst();
    if (!r) return [];
    return onCall(planOf(r), (await this.overrides(r.arn, db)).map(overrideOf), at);
  }
}
