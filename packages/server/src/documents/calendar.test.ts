import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateDocumentCommand, GetCalendarStateCommand, ModifyDocumentPermissionCommand, SSMClient } from '@aws-sdk/client-ssm';
import { onEveryEngine } from '../test-support/engines.js';
import { startTestServer, type TestServer } from '../test-support/server.js';
import { calendarContent, commandContent, failure } from './test-support/fixtures.js';

onEveryEngine('Documents: GetCalendarState', (engine) => {
  let t: TestServer;
  let ssm: SSMClient;
  before(async () => {
    t = await startTestServer({ engine });
    ssm = new SSMClient(t.clientConfig());
    const calendar = (Name: string, Content: string) => ssm.send(new CreateDocumentCommand({ Name, Content, DocumentType: 'ChangeCalendar', DocumentFormat: 'TEXT' }));
    // Closed during its events: two overlapping ones (10:00-13:00 together), a New York working day
    // in winter (UTC-5) and one in summer (UTC-4), and an all-day event.
    await calendar(
      'freeze',
      calendarContent('DEFAULT_OPEN', [
        ['DTSTART:20300110T100000Z', 'DTEND:20300110T120000Z'],
        ['DTSTART:20300110T113000Z', 'DTEND:20300110T130000Z'],
        ['DTSTART;TZID=America/New_York:20300115T090000', 'DTEND;TZID=America/New_York:20300115T170000'],
        ['DTSTART;TZID=America/New_York:20300715T090000', 'DTEND;TZID=America/New_York:20300715T170000'],
        ['DTSTART;VALUE=DATE:20300201', 'DTEND;VALUE=DATE:20300202'],
      ]),
    );
    // Open only during its events: 02:00-04:00 on Saturdays and Sundays, four times from Saturday 5 January 2030.
    await calendar('window', calendarContent('DEFAULT_CLOSED', [['DTSTART:20300105T020000Z', 'DTEND:20300105T040000Z', 'RRULE:FREQ=WEEKLY;BYDAY=SA,SU;COUNT=4']]));
    await calendar('hourly', calendarContent('DEFAULT_OPEN', [['DTSTART:20300105T020000Z', 'DURATION:PT30M', 'RRULE:FREQ=HOURLY;COUNT=3']]));
    await ssm.send(new CreateDocumentCommand({ Name: 'not-a-calendar', Content: commandContent('x') }));
  });
  after(async () => {
    await t.stop();
  });
  const state = async (CalendarNames: string[], AtTime?: string, client = ssm) => {
    const r = await client.send(new GetCalendarStateCommand({ CalendarNames, ...(AtTime ? { AtTime } : {}) }));
    return [r.State, r.AtTime, r.NextTransitionTime];
  };

  test('a DEFAULT_OPEN calendar is CLOSED during its events, with the next transition', async () => {
    assert.deepEqual(await state(['freeze'], '2030-01-10T09:00:00Z'), ['OPEN', '2030-01-10T09:00:00Z', '2030-01-10T10:00:00Z']);
    assert.deepEqual(await state(['freeze'], '2030-01-10T11:00:00Z'), ['CLOSED', '2030-01-10T11:00:00Z', '2030-01-10T13:00:00Z'], 'overlapping events close it as one');
    assert.deepEqual(await state(['freeze'], '2030-01-10T13:00:00Z'), ['OPEN', '2030-01-10T13:00:00Z', '2030-01-15T14:00:00Z'], 'an event ends at its DTEND');
    assert.deepEqual(await state(['freeze'], '2030-01-15T21:59:59Z'), ['CLOSED', '2030-01-15T21:59:59Z', '2030-01-15T22:00:00Z'], 'TZID times follow the zone');
    assert.deepEqual(await state(['freeze'], '2030-07-15T13:30:00Z'), ['CLOSED', '2030-07-15T13:30:00Z', '2030-07-15T21:00:00Z'], 'and its summer time');
    assert.deepEqual(await state(['freeze'], '2030-02-01T12:00:00Z'), ['CLOSED', '2030-02-01T12:00:00Z', '2030-02-02T00:00:00Z'], 'an all-day event');
    assert.deepEqual(await state(['freeze'], '2031-01-01T00:00:00Z'), ['OPEN', '2031-01-01T00:00:00Z', undefined], 'no transition left');
  });

  test('a DEFAULT_CLOSED calendar is OPEN during its events, recurring ones included', async () => {
    assert.deepEqual(await state(['window'], '2030-01-05T01:00:00Z'), ['CLOSED', '2030-01-05T01:00:00Z', '2030-01-05T02:00:00Z']);
    assert.deepEqual(await state(['window'], '2030-01-06T03:00:00Z'), ['OPEN', '2030-01-06T03:00:00Z', '2030-01-06T04:00:00Z']);
    assert.deepEqual(await state(['window'], '2030-01-07T00:00:00Z'), ['CLOSED', '2030-01-07T00:00:00Z', '2030-01-12T02:00:00Z']);
    assert.deepEqual(await state(['window'], '2030-01-13T02:30:00Z'), ['OPEN', '2030-01-13T02:30:00Z', '2030-01-13T04:00:00Z'], 'the fourth occurrence');
    assert.deepEqual(await state(['window'], '2030-01-19T03:00:00Z'), ['CLOSED', '2030-01-19T03:00:00Z', undefined], 'COUNT ends the series');
  });

  test('several calendars are OPEN only when all are, and AtTime takes ISO 8601 offsets', async () => {
    assert.deepEqual(await state(['freeze', 'window'], '2030-01-05T03:00:00Z'), ['OPEN', '2030-01-05T03:00:00Z', '2030-01-05T04:00:00Z']);
    assert.deepEqual(await state(['freeze', 'window'], '2030-01-10T11:00:00Z'), ['CLOSED', '2030-01-10T11:00:00Z', '2030-01-12T02:00:00Z']);
    assert.deepEqual(await state(['window'], '2030-01-05T22:00:00-0500'), ['OPEN', '2030-01-06T03:00:00Z', '2030-01-06T04:00:00Z']);
    assert.deepEqual(await state(['window'], '2030-01-06T08:30:00+05:30'), ['OPEN', '2030-01-06T03:00:00Z', '2030-01-06T04:00:00Z']);
    assert.deepEqual(await state([`arn:aws:ssm:us-east-1:${t.accountId}:document/window`], '2030-01-07'), ['CLOSED', '2030-01-07T00:00:00Z', '2030-01-12T02:00:00Z']);
    const now = await ssm.send(new GetCalendarStateCommand({ CalendarNames: ['freeze'] }));
    assert.equal(now.State, 'OPEN');
    assert.ok(Math.abs(Date.parse(now.AtTime!) - Date.now()) < 60_000, 'the current time when AtTime is absent');
  });

  test('GetCalendarState refuses other document types, unknown calendars, bad times and unsupported recurrences', async () => {
    assert.equal((await failure(state(['not-a-calendar']))).name, 'InvalidDocumentType');
    assert.equal((await failure(state(['AWS-RunShellScript']))).name, 'InvalidDocumentType');
    assert.equal((await failure(state(['no-such-calendar']))).name, 'InvalidDocument');
    assert.equal((await failure(state(['freeze'], 'next tuesday'))).name, 'ValidationException');
    assert.equal((await failure(state(['freeze'], '2030-02-30T00:00:00Z'))).name, 'ValidationException');
    assert.equal((await failure(state([]))).name, 'ValidationException');
    assert.equal((await failure(state(['hourly'], '2030-01-05T00:00:00Z'))).name, 'UnsupportedCalendarException');
  });

  test('a calendar shared with another account is read there by its ARN', async () => {
    const other = await t.server.core.iam.createAccount({ name: `calendar-other-${engine}` });
    const theirs = new SSMClient(t.clientConfig({ credentials: { accessKeyId: other.accessKeyId, secretAccessKey: other.secretAccessKey } }));
    const arn = `arn:aws:ssm:us-east-1:${t.accountId}:document/window`;
    assert.equal((await failure(state([arn], '2030-01-06T03:00:00Z', theirs))).name, 'InvalidDocument');
    await ssm.send(new ModifyDocumentPermissionCommand({ Name: 'window', PermissionType: 'Share', AccountIdsToAdd: [other.accountId] }));
    assert.deepEqual(await state([arn], '2030-01-06T03:00:00Z', theirs), ['OPEN', '2030-01-06T03:00:00Z', '2030-01-06T04:00:00Z']);
  });
});
