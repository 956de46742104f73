import { z } from 'zod';
import type { CallContext } from '../protocol/context.js';
import { defineOperation } from '../protocol/registry.js';
import { SSM_CONTACTS } from '../protocol/services.js';
import { pageOf, seconds } from './arns.js';
import { contactsValidation } from './errors.js';
import { checkRotation, rotationArn } from './rotations.js';
import { shifts, type Shift } from './schedule.js';
import { rotationsOf } from './slot.js';
import type { RotationOverrideRow, RotationRow } from './tables.js';

const arn = z.string().min(1).max(2048).regex(/^arn:(aws|aws-cn|aws-us-gov):ssm-contacts:[-\w+=/,.@]*:[0-9]+:([\w+=/,.@:-]+)*$/);
const rotationId = z.string().min(1).max(2048).regex(/^(arn:(aws|aws-cn|aws-us-gov):ssm-contacts:[-\w+=/,.@]*:[0-9]+:rotation\/[a-zA-Z0-9_.-]+|[a-zA-Z0-9_.-]{1,64})$/);
const handOff = z.object({ HourOfDay: z.number().int().min(0).max(23), MinuteOfHour: z.number().int().min(0).max(59) });
const recurrence = z.object({
  MonthlySettings: z.array(z.object({ DayOfMonth: z.number().int().min(1).max(31), HandOffTime: handOff })).optional(),
  WeeklySettings: z.array(z.object({ DayOfWeek: z.enum(['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN']), HandOffTime: handOff })).optional(),
  DailySettings: z.array(handOff).optional(),
  NumberOfOnCalls: z.number().int().min(1),
  ShiftCoverages: z.record(z.string(), z.array(z.object({ Start: handOff.optional(), End: handOff.optional() }))).optional(),
  RecurrenceMultiplier: z.number().int().min(1).max(100),
});
const contactIds = z.array(arn).min(1).max(30);
const timeZone = z.string().min(1).max(255);
const nextToken = z.string().max(2000).optional();
const maxResults = z.number().int().min(1).max(1024).optional();
const ms = (s: number | undefined) => (s === undefined ? undefined : s * 1000);
/** Listing windows are bounded so a listing cannot make the server walk years of hand-offs. */
const MAX_WINDOW_MS = 400 * 86_400_000;

const svc = (c: CallContext) => rotationsOf(c.core);
const page = <T>(rows: readonly T[], c: CallContext, scope: string, i: { NextToken?: string | undefined; MaxResults?: number | undefined }) => pageOf(rows, i.NextToken, i.MaxResults ?? 100, `${c.accountId}/${c.region}/${scope}`, contactsValidation);
const rotationOut = (r: RotationRow) => ({ RotationArn: r.arn, Name: r.name, ContactIds: JSON.parse(r.members) as string[], StartTime: seconds(Number(r.start_time)), TimeZoneId: r.time_zone, Recurrence: JSON.parse(r.recurrence) as unknown });
const overrideOut = (o: RotationOverrideRow) => ({ RotationOverrideId: o.override_id, NewContactIds: JSON.parse(o.members) as string[], StartTime: seconds(Number(o.start_time)), EndTime: seconds(Number(o.end_time)), CreateTime: seconds(Number(o.created_at)) });
const shiftOut = (s: Shift) => ({ ContactIds: s.contacts, StartTime: seconds(s.start), EndTime: seconds(s.end), Type: s.overridden ? 'OVERRIDDEN' : 'REGULAR', ...(s.overridden ? { ShiftDetails: { OverriddenContactIds: s.overridden } } : {}) });
function window(from: number, to: number): void {
  if (to <= from) throw contactsValidation('EndTime must be after StartTime.');
  if (to - from > MAX_WINDOW_MS) throw contactsValidation('A shift listing covers at most 400 days; ask for a shorter window.');
}

export const rotationOperations = [
  defineOperation({
    service: SSM_CONTACTS,
    name: 'CreateRotation',
    input: z.object({ Name: z.string().min(1).max(255).regex(/^[a-zA-Z0-9_.-]*$/), ContactIds: contactIds, StartTime: z.number().optional(), TimeZoneId: timeZone, Recurrence: recurrence, Tags: z.array(z.object({ Key: z.string().min(1).max(128), Value: z.string().min(1).max(256) })).max(50).optional(), IdempotencyToken: z.string().max(2048).optional() }),
    resources: (i, c) => [rotationArn(c.region, c.accountId, i.Name)],
    handler: async (i, c) => ({ RotationArn: await svc(c).create(c.accountId, c.region, i.Name, { ...i, StartTime: ms(i.StartTime) }) }),
  }),
  defineOperation({
    service: SSM_CONTACTS,
    name: 'GetRotation',
    input: z.object({ RotationId: rotationId }),
    handler: async (i, c) => rotationOut(await svc(c).rotation(c.accountId, c.region, i.RotationId)),
  }),
  defineOperation({
    service: SSM_CONTACTS,
    name: 'UpdateRotation',
    input: z.object({ RotationId: rotationId, ContactIds: contactIds.optional(), StartTime: z.number().optional(), TimeZoneId: timeZone.optional(), Recurrence: recurrence }),
    handler: async (i, c) => (await svc(c).update(c.accountId, c.region, i.RotationId, { ...i, StartTime: ms(i.StartTime) }), {}),
  }),
  defineOperation({
    service: SSM_CONTACTS,
    name: 'DeleteRotation',
    input: z.object({ RotationId: rotationId }),
    handler: async (i, c) => (await svc(c).delete(c.accountId, c.region, i.RotationId), {}),
  }),
  defineOperation({
    service: SSM_CONTACTS,
    name: 'ListRotations',
    input: z.object({ RotationNamePrefix: z.string().max(255).optional(), NextToken: nextToken, MaxResults: maxResults }),
    handler: async (i, c) => {
      const p = page(await svc(c).list(c.accountId, c.region, i.RotationNamePrefix), c, `rotations/${i.RotationNamePrefix ?? ''}`, i);
      return { Rotations: p.rows.map(rotationOut), ...(p.NextToken ? { NextToken: p.NextToken } : {}) };
    },
  }),
  defineOperation({
    service: SSM_CONTACTS,
    name: 'CreateRotationOverride',
    input: z.object({ RotationId: rotationId, NewContactIds: z.array(arn).max(30), StartTime: z.number(), EndTime: z.number(), IdempotencyToken: z.string().max(2048).optional() }),
    handler: async (i, c) => ({ RotationOverrideId: await svc(c).addOverride(c.accountId, c.region, i.RotationId, { NewContactIds: i.NewContactIds, StartTime: i.StartTime * 1000, EndTime: i.EndTime * 1000 }) }),
  }),
  defineOperation({
    service: SSM_CONTACTS,
    name: 'GetRotationOverride',
    input: z.object({ RotationId: rotationId, RotationOverrideId: z.string().min(36).max(39) }),
    handler: async (i, c) => {
      const { rotation, override } = await svc(c).override(c.accountId, c.region, i.RotationId, i.RotationOverrideId);
      return { ...overrideOut(override), RotationArn: rotation.arn };
    },
  }),
  defineOperation({
    service: SSM_CONTACTS,
    name: 'DeleteRotationOverride',
    input: z.object({ RotationId: rotationId, RotationOverrideId: z.string().min(36).max(39) }),
    handler: async (i, c) => (await svc(c).deleteOverride(c.accountId, c.region, i.RotationId, i.RotationOverrideId), {}),
  }),
  defineOperation({
    service: SSM_CONTACTS,
    name: 'ListRotationOverrides',
    input: z.object({ RotationId: rotationId, StartTime: z.number(), EndTime: z.number(), NextToken: nextToken, MaxResults: maxResults }),
    handler: async (i, c) => {
      const r = await svc(c).rotation(c.accountId, c.region, i.RotationId);
      const rows = (await svc(c).overrides(r.arn)).filter((o) => Number(o.end_time) > i.StartTime * 1000 && Number(o.start_time) < i.EndTime * 1000);
      const p = page(rows, c, `overrides/${r.arn}/${i.StartTime}/${i.EndTime}`, i);
      return { RotationOverrides: p.rows.map(overrideOut), ...(p.NextToken ? { NextToken: p.NextToken } : {}) };
    },
  }),
  defineOperation({
    service: SSM_CONTACTS,
    name: 'ListRotationShifts',
    input: z.object({ RotationId: rotationId, StartTime: z.number().optional(), EndTime: z.number(), NextToken: nextToken, MaxResults: maxResults }),
    handler: async (i, c) => {
      const r = await svc(c).rotation(c.accountId, c.region, i.RotationId);
      const from = ms(i.StartTime) ?? c.now;
      window(from, i.EndTime * 1000);
      const p = page(await svc(c).shifts(r, from, i.EndTime * 1000), c, `shifts/${r.arn}/${from}/${i.EndTime}`, i);
      return { RotationShifts: p.rows.map(shiftOut), ...(p.NextToken ? { NextToken: p.NextToken } : {}) };
    },
  }),
  defineOperation({
    service: SSM_CONTACTS,
    name: 'ListPreviewRotationShifts',
    input: z.object({ RotationStartTime: z.number().optional(), StartTime: z.number().optional(), EndTime: z.number(), Members: z.array(z.string().min(1).max(512)).min(1).max(30), TimeZoneId: timeZone, Recurrence: recurrence, Overrides: z.array(z.object({ NewMembers: z.array(z.string().min(1).max(512)).max(30), StartTime: z.number(), EndTime: z.number() })).max(500).optional(), NextToken: nextToken, MaxResults: maxResults }),
    handler: async (i, c) => {
      checkRotation({ ContactIds: i.Members, TimeZoneId: i.TimeZoneId, Recurrence: i.Recurrence });
      const start = ms(i.RotationStartTime) ?? c.now;
      const from = ms(i.StartTime) ?? c.now;
      window(from, i.EndTime * 1000);
      const all = shifts({ members: i.Members, start, timeZone: i.TimeZoneId, recurrence: i.Recurrence }, (i.Overrides ?? []).map((o) => ({ members: o.NewMembers, start: o.StartTime * 1000, end: o.EndTime * 1000 })), from, i.EndTime * 1000);
      const p = page(all, c, `preview/${JSON.stringify(i)}`, i);
      return { RotationShifts: p.rows.map(shiftOut), ...(p.NextToken ? { NextToken: p.NextToken } : {}) };
    },
  }),
];
