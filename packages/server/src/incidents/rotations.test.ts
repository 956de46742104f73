import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  ActivateContactChannelCommand,
  CreateContactChannelCommand,
  CreateContactCommand,
  CreateRotationCommand,
  CreateRotationOverrideCommand,
  DeleteRotationCommand,
  DeleteRotationOverrideCommand,
  GetRotationCommand,
  GetRotationOverrideCommand,
  ListPageResolutionsCommand,
  ListPagesByEngagementCommand,
  ListPreviewRotationShiftsCommand,
  ListRotationOverridesCommand,
  ListRotationShiftsCommand,
  ListRotationsCommand,
  StartEngagementCommand,
  UpdateRotationCommand,
  type RotationShift,
} from '@aws-sdk/client-ssm-contacts';
import { onEveryEngine } from '../test-support/engines.js';
import type { Engine } from '../test-support/server.js';
import { activationCode, incidentHarness, type IncidentHarness } from './test-support/harness.js';

const name = (e: unknown) => (e as { name: string }).name;
const utc = (text: string) => new Date(text);
const view = (shifts: RotationShift[] | undefined, alias: Record<string, string>) => (shifts ?? []).map((s) => [s.ContactIds!.map((c) => alias[c]).join('+'), s.StartTime!.toISOString(), s.EndTime!.toISOString(), s.Type, ...(s.ShiftDetails ? [s.ShiftDetails.OverriddenContactIds!.map((c) => alias[c]).join('+')] : [])]);

onEveryEngine('Incident Manager on-call rotations', (engine: Engine) => {
  let h: IncidentHarness;
  const people: Record<string, string> = {};
  const alias: Record<string, string> = {};
  before(async () => {
    h = await incidentHarness(engine);
    for (const who of ['ann', 'ben', 'cat']) {
      const c = h.contacts();
      const { ContactArn } = await c.send(new CreateContactCommand({ Alias: who, Type: 'PERSONAL', Plan: { Stages: [] } }));
      const { ContactChannelArn } = await c.send(new CreateContactChannelCommand({ ContactId: ContactArn!, Name: 'email', Type: 'EMAIL', DeliveryAddress: { SimpleAddress: `${who}@capstan.test` } }));
      await c.send(new ActivateContactChannelCommand({ ContactChannelId: ContactChannelArn!, ActivationCode: activationCode(await h.mailTo(`${who}@capstan.test`))! }));
      people[who] = ContactArn!;
      alias[ContactArn!] = who;
    }
  });
  after(async () => {
    await h?.stop();
  });

  test('rotations: CreateRotation, GetRotation, UpdateRotation, ListRotations, ListRotationShifts hand over at the local time, across a clock change', async () => {
    const c = h.contacts();
    const { RotationArn } = await c.send(new CreateRotationCommand({ Name: 'db-daily', ContactIds: [people.ann!, people.ben!, people.cat!], StartTime: utc('2026-03-27T00:00:00Z'), TimeZoneId: 'Europe/Berlin', Recurrence: { DailySettings: [{ HourOfDay: 9, MinuteOfHour: 0 }], NumberOfOnCalls: 1, RecurrenceMultiplier: 1 } }));
    assert.equal(RotationArn, `arn:aws:ssm-contacts:us-east-1:${h.t.accountId}:rotation/db-daily`);
    const got = await c.send(new GetRotationCommand({ RotationId: RotationArn! }));
    assert.deepEqual([got.Name, got.TimeZoneId, got.StartTime!.toISOString(), got.ContactIds!.length], ['db-daily', 'Europe/Berlin', '2026-03-27T00:00:00.000Z', 3]);
    const shifts = await c.send(new ListRotationShiftsCommand({ RotationId: RotationArn!, StartTime: utc('2026-03-27T00:00:00Z'), EndTime: utc('2026-03-30T00:00:00Z') }));
    // 09:00 in Berlin is 08:00 UTC before the change to summer time on 29 March, 07:00 after.
    assert.deepEqual(view(shifts.RotationShifts, alias), [
      ['ann', '2026-03-27T00:00:00.000Z', '2026-03-27T08:00:00.000Z', 'REGULAR'],
      ['ben', '2026-03-27T08:00:00.000Z', '2026-03-28T08:00:00.000Z', 'REGULAR'],
      ['cat', '2026-03-28T08:00:00.000Z', '2026-03-29T07:00:00.000Z', 'REGULAR'],
      ['ann', '2026-03-29T07:00:00.000Z', '2026-03-30T00:00:00.000Z', 'REGULAR'],
    ]);
    await c.send(new UpdateRotationCommand({ RotationId: RotationArn!, Recurrence: { DailySettings: [{ HourOfDay: 9, MinuteOfHour: 0 }], NumberOfOnCalls: 2, RecurrenceMultiplier: 2 } }));
    const pairs = await c.send(new ListRotationShiftsCommand({ RotationId: RotationArn!, StartTime: utc('2026-03-27T00:00:00Z'), EndTime: utc('2026-03-30T00:00:00Z') }));
    assert.deepEqual(view(pairs.RotationShifts, alias), [
      ['ann+ben', '2026-03-27T00:00:00.000Z', '2026-03-27T08:00:00.000Z', 'REGULAR'],
      ['cat+ann', '2026-03-27T08:00:00.000Z', '2026-03-29T07:00:00.000Z', 'REGULAR'],
      ['ben+cat', '2026-03-29T07:00:00.000Z', '2026-03-30T00:00:00.000Z', 'REGULAR'],
    ]);
    assert.deepEqual((await c.send(new ListRotationsCommand({ RotationNamePrefix: 'db-' }))).Rotations!.map((r) => r.Name), ['db-daily']);
  });

  test('overrides: CreateRotationOverride, GetRotationOverride, ListRotationOverrides, DeleteRotationOverride; an override replaces the regular shift for its hours', async () => {
    const c = h.contacts();
    const { RotationArn } = await c.send(new CreateRotationCommand({ Name: 'web-weekly', ContactIds: [people.ann!, people.ben!], StartTime: utc('2026-01-05T00:00:00Z'), TimeZoneId: 'America/New_York', Recurrence: { WeeklySettings: [{ DayOfWeek: 'MON', HandOffTime: { HourOfDay: 10, MinuteOfHour: 30 } }], NumberOfOnCalls: 1, RecurrenceMultiplier: 1 } }));
    const { RotationOverrideId } = await c.send(new CreateRotationOverrideCommand({ RotationId: RotationArn!, NewContactIds: [people.ann!], StartTime: utc('2026-01-07T12:00:00Z'), EndTime: utc('2026-01-07T18:00:00Z') }));
    const got = await c.send(new GetRotationOverrideCommand({ RotationId: RotationArn!, RotationOverrideId: RotationOverrideId! }));
    assert.deepEqual([got.RotationArn, got.NewContactIds, got.StartTime!.toISOString()], [RotationArn, [people.ann], '2026-01-07T12:00:00.000Z']);
    const listed = await c.send(new ListRotationOverridesCommand({ RotationId: RotationArn!, StartTime: utc('2026-01-01T00:00:00Z'), EndTime: utc('2026-02-01T00:00:00Z') }));
    assert.deepEqual(listed.RotationOverrides!.map((o) => o.RotationOverrideId), [RotationOverrideId]);
    const shifts = await c.send(new ListRotationShiftsCommand({ RotationId: RotationArn!, StartTime: utc('2026-01-05T00:00:00Z'), EndTime: utc('2026-01-13T00:00:00Z') }));
    assert.deepEqual(view(shifts.RotationShifts, alias), [
      ['ann', '2026-01-05T00:00:00.000Z', '2026-01-05T15:30:00.000Z', 'REGULAR'],
      ['ben', '2026-01-05T15:30:00.000Z', '2026-01-07T12:00:00.000Z', 'REGULAR'],
      ['ann', '2026-01-07T12:00:00.000Z', '2026-01-07T18:00:00.000Z', 'OVERRIDDEN', 'ben'],
      ['ben', '2026-01-07T18:00:00.000Z', '2026-01-12T15:30:00.000Z', 'REGULAR'],
      ['ann', '2026-01-12T15:30:00.000Z', '2026-01-13T00:00:00.000Z', 'REGULAR'],
    ]);
    await assert.rejects(c.send(new CreateRotationOverrideCommand({ RotationId: RotationArn!, NewContactIds: [people.cat!], StartTime: utc('2026-01-08T12:00:00Z'), EndTime: utc('2026-01-08T18:00:00Z') })), (e) => name(e) === 'ValidationException' && /not a member/.test((e as Error).message));
    await c.send(new DeleteRotationOverrideCommand({ RotationId: RotationArn!, RotationOverrideId: RotationOverrideId! }));
    assert.equal((await c.send(new ListRotationOverridesCommand({ RotationId: RotationArn!, StartTime: utc('2026-01-01T00:00:00Z'), EndTime: utc('2026-02-01T00:00:00Z') }))).RotationOverrides!.length, 0);

    const preview = await c.send(new ListPreviewRotationShiftsCommand({ RotationStartTime: utc('2026-01-05T00:00:00Z'), StartTime: utc('2026-01-05T00:00:00Z'), EndTime: utc('2026-01-06T00:00:00Z'), Members: ['x', 'y'], TimeZoneId: 'UTC', Recurrence: { DailySettings: [{ HourOfDay: 12, MinuteOfHour: 0 }], NumberOfOnCalls: 1, RecurrenceMultiplier: 1 } }));
    assert.deepEqual(preview.RotationShifts!.map((s) => [s.ContactIds, s.StartTime!.toISOString()]), [[['x'], '2026-01-05T00:00:00.000Z'], [['y'], '2026-01-05T12:00:00.000Z']]);
    await c.send(new DeleteRotationCommand({ RotationId: RotationArn! }));
    await assert.rejects(c.send(new GetRotationCommand({ RotationId: RotationArn! })), (e) => name(e) === 'ResourceNotFoundException');
  });

  test('bad rotations are refused and nothing is written', async () => {
    const c = h.contacts();
    const count = async () => (await c.send(new ListRotationsCommand({}))).Rotations!.length;
    const before = await count();
    const base = { ContactIds: [people.ann!], TimeZoneId: 'UTC', Recurrence: { DailySettings: [{ HourOfDay: 9, MinuteOfHour: 0 }], NumberOfOnCalls: 1, RecurrenceMultiplier: 1 } };
    await assert.rejects(c.send(new CreateRotationCommand({ ...base, Name: 'bad-zone', TimeZoneId: 'Mars/Olympus' })), (e) => name(e) === 'ValidationException' && /IANA/.test((e as Error).message));
    await assert.rejects(c.send(new CreateRotationCommand({ ...base, Name: 'two-kinds', Recurrence: { ...base.Recurrence, WeeklySettings: [{ DayOfWeek: 'MON', HandOffTime: { HourOfDay: 9, MinuteOfHour: 0 } }] } })), (e) => name(e) === 'ValidationException');
    await assert.rejects(c.send(new CreateRotationCommand({ ...base, Name: 'ghost', ContactIds: [`arn:aws:ssm-contacts:us-east-1:${h.t.accountId}:contact/ghost`] })), (e) => name(e) === 'ValidationException' && /does not exist/.test((e as Error).message));
    await assert.rejects(c.send(new CreateRotationCommand({ ...base, Name: 'bad-hour', Recurrence: { ...base.Recurrence, DailySettings: [{ HourOfDay: 24, MinuteOfHour: 0 }] } })), (e) => name(e) === 'ValidationException');
    assert.equal(await count(), before);
    await c.send(new CreateRotationCommand({ ...base, Name: 'once' }));
    await assert.rejects(c.send(new CreateRotationCommand({ ...base, Name: 'once' })), (e) => name(e) === 'ConflictException');
  });

  test('an on-call schedule engages whoever its rotation has on call now', async () => {
    const c = h.contacts();
    const now = h.clock.now();
    // Hand-off twelve hours away: the first member is on call for the whole test.
    const hour = (new Date(now).getUTCHours() + 12) % 24;
    const { RotationArn } = await c.send(new CreateRotationCommand({ Name: 'support', ContactIds: [people.cat!, people.ann!], StartTime: new Date(now - 60_000), TimeZoneId: 'UTC', Recurrence: { DailySettings: [{ HourOfDay: hour, MinuteOfHour: 0 }], NumberOfOnCalls: 1, RecurrenceMultiplier: 1 } }));
    await assert.rejects(c.send(new CreateContactCommand({ Alias: 'bad-schedule', Type: 'ONCALL_SCHEDULE', Plan: { RotationIds: [] } })), (e) => name(e) === 'ValidationException');
    const { ContactArn } = await c.send(new CreateContactCommand({ Alias: 'support-oncall', Type: 'ONCALL_SCHEDULE', Plan: { RotationIds: [RotationArn!] } }));
    const { EngagementArn } = await c.send(new StartEngagementCommand({ ContactId: ContactArn!, Sender: 'ops', Subject: 'Ticket queue spike', Content: 'Forty new tickets in ten minutes.' }));
    await h.mailTo('cat@capstan.test', (m) => m.subject === 'Ticket queue spike');
    const pages = await h.contacts().send(new ListPagesByEngagementCommand({ EngagementId: EngagementArn! }));
    assert.deepEqual(pages.Pages!.map((p) => alias[p.ContactArn!]), ['cat']);
    const direct = await c.send(new ListPageResolutionsCommand({ PageId: pages.Pages![0]!.PageArn! }));
    assert.deepEqual(direct.PageResolutions, [
      { ContactArn: ContactArn, Type: 'ONCALL_SCHEDULE' },
      { ContactArn: people.cat, Type: 'PERSONAL' },
    ]);

    // An escalation plan whose second stage engages the schedule: the path is plan > schedule > person, at stage 1.
    const { ContactArn: plan } = await c.send(new CreateContactCommand({ Alias: 'support-escalation', Type: 'ESCALATION', Plan: { Stages: [{ DurationInMinutes: 0, Targets: [] }, { DurationInMinutes: 5, Targets: [{ ContactTargetInfo: { ContactId: ContactArn!, IsEssential: true } }] }] } }));
    const { EngagementArn: escalation } = await c.send(new StartEngagementCommand({ ContactId: plan!, Sender: 'ops', Subject: 'Queue still growing', Content: 'Escalating.' }));
    await h.mailTo('cat@capstan.test', (m) => m.subject === 'Queue still growing');
    const escalated = await c.send(new ListPagesByEngagementCommand({ EngagementId: escalation! }));
    const path = await c.send(new ListPageResolutionsCommand({ PageId: escalated.Pages![0]!.PageArn! }));
    assert.deepEqual(path.PageResolutions, [
      { ContactArn: plan, Type: 'ESCALATION' },
      { ContactArn: ContactArn, Type: 'ONCALL_SCHEDULE', StageIndex: 1 },
      { ContactArn: people.cat, Type: 'PERSONAL', StageIndex: 1 },
    ]);
    const ghost = `arn:aws:ssm-contacts:us-east-1:${h.t.accountId}:page/cat/00000000-0000-4000-8000-000000000000`;
    await assert.rejects(c.send(new ListPageResolutionsCommand({ PageId: ghost })), (e) => name(e) === 'ResourceNotFoundException');
  });

  test('shift coverage: shifts fall only within the covered local hours, a covered midnight joins two days, and an engagement outside coverage pages nobody', async () => {
    const c = h.contacts();
    const weekdays = Object.fromEntries(['MON', 'TUE', 'WED', 'THU', 'FRI'].map((d) => [d, [{ Start: { HourOfDay: 9, MinuteOfHour: 0 }, End: { HourOfDay: 17, MinuteOfHour: 0 } }]]));
    const ShiftCoverages = { ...weekdays, SAT: [{ Start: { HourOfDay: 0, MinuteOfHour: 0 }, End: { HourOfDay: 0, MinuteOfHour: 0 } }], SUN: [{ Start: { HourOfDay: 0, MinuteOfHour: 0 }, End: { HourOfDay: 6, MinuteOfHour: 0 } }] };
    const Recurrence = { DailySettings: [{ HourOfDay: 9, MinuteOfHour: 0 }], NumberOfOnCalls: 1, RecurrenceMultiplier: 1, ShiftCoverages };
    // Monday 5 January 2026, local midnight in New York (UTC-5): 09:00–17:00 there is 14:00–22:00 UTC.
    const { RotationArn } = await c.send(new CreateRotationCommand({ Name: 'business-hours', ContactIds: [people.ann!, people.ben!], StartTime: utc('2026-01-05T05:00:00Z'), TimeZoneId: 'America/New_York', Recurrence }));
    assert.deepEqual((await c.send(new GetRotationCommand({ RotationId: RotationArn! }))).Recurrence?.ShiftCoverages, ShiftCoverages);
    const expected = [
      ['ben', '2026-01-05T14:00:00.000Z', '2026-01-05T22:00:00.000Z', 'REGULAR'],
      ['ann', '2026-01-06T14:00:00.000Z', '2026-01-06T22:00:00.000Z', 'REGULAR'],
      ['ben', '2026-01-07T14:00:00.000Z', '2026-01-07T22:00:00.000Z', 'REGULAR'],
      ['ann', '2026-01-08T14:00:00.000Z', '2026-01-08T22:00:00.000Z', 'REGULAR'],
      ['ben', '2026-01-09T14:00:00.000Z', '2026-01-09T22:00:00.000Z', 'REGULAR'],
      ['ben', '2026-01-10T05:00:00.000Z', '2026-01-10T14:00:00.000Z', 'REGULAR'],
      ['ann', '2026-01-10T14:00:00.000Z', '2026-01-11T11:00:00.000Z', 'REGULAR'],
    ];
    const listed = await c.send(new ListRotationShiftsCommand({ RotationId: RotationArn!, StartTime: utc('2026-01-05T05:00:00Z'), EndTime: utc('2026-01-12T05:00:00Z') }));
    assert.deepEqual(view(listed.RotationShifts, alias), expected);
    const preview = await c.send(new ListPreviewRotationShiftsCommand({ RotationStartTime: utc('2026-01-05T05:00:00Z'), StartTime: utc('2026-01-05T05:00:00Z'), EndTime: utc('2026-01-12T05:00:00Z'), Members: [people.ann!, people.ben!], TimeZoneId: 'America/New_York', Recurrence }));
    assert.deepEqual(view(preview.RotationShifts, alias), expected);

    const base = { ContactIds: [people.ann!], TimeZoneId: 'UTC', Recurrence: { DailySettings: [{ HourOfDay: 9, MinuteOfHour: 0 }], NumberOfOnCalls: 1, RecurrenceMultiplier: 1 } };
    const bad = async (Name: string, coverage: unknown, why: RegExp) =>
      assert.rejects(c.send(new CreateRotationCommand({ ...base, Name, Recurrence: { ...base.Recurrence, ShiftCoverages: coverage as never } })), (e) => name(e) === 'ValidationException' && why.test((e as Error).message));
    await bad('backwards', { MON: [{ Start: { HourOfDay: 17, MinuteOfHour: 0 }, End: { HourOfDay: 9, MinuteOfHour: 0 } }] }, /End must be after Start/);
    await bad('no-end', { MON: [{ Start: { HourOfDay: 9, MinuteOfHour: 0 } }] }, /Start and an End/);
    await bad('funday', { FUN: [{ Start: { HourOfDay: 9, MinuteOfHour: 0 }, End: { HourOfDay: 17, MinuteOfHour: 0 } }] }, /day of the week/);
    assert.equal((await c.send(new ListRotationsCommand({}))).Rotations!.filter((r) => ['backwards', 'no-end', 'funday'].includes(r.Name!)).length, 0);

    // Covered only the day after tomorrow: nobody is on call now, so the schedule pages nobody.
    const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
    const now = h.clock.now();
    const dayOf = (ms: number) => DAYS[new Date(ms).getUTCDay()]!;
    const allDay = [{ Start: { HourOfDay: 0, MinuteOfHour: 0 }, End: { HourOfDay: 0, MinuteOfHour: 0 } }];
    const { RotationArn: later } = await c.send(new CreateRotationCommand({ ...base, Name: 'later', StartTime: new Date(now - 60_000), Recurrence: { ...base.Recurrence, ShiftCoverages: { [dayOf(now + 2 * 86_400_000)]: allDay } } }));
    const { ContactArn: schedule } = await c.send(new CreateContactCommand({ Alias: 'later-oncall', Type: 'ONCALL_SCHEDULE', Plan: { RotationIds: [later!] } }));
    const { EngagementArn: quiet } = await c.send(new StartEngagementCommand({ ContactId: schedule!, Sender: 'ops', Subject: 'Outside coverage', Content: 'Nobody should be paged.' }));
    assert.deepEqual((await c.send(new ListPagesByEngagementCommand({ EngagementId: quiet! }))).Pages, []);
    await c.send(new UpdateRotationCommand({ RotationId: later!, Recurrence: { ...base.Recurrence, ShiftCoverages: { [dayOf(now)]: allDay, [dayOf(now + 86_400_000)]: allDay } } }));
    const { EngagementArn: covered } = await c.send(new StartEngagementCommand({ ContactId: schedule!, Sender: 'ops', Subject: 'Inside coverage', Content: 'Ann is on call.' }));
    assert.deepEqual((await c.send(new ListPagesByEngagementCommand({ EngagementId: covered! }))).Pages!.map((p) => alias[p.ContactArn!]), ['ann']);
  });
});
