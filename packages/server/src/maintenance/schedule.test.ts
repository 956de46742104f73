import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DescribeMaintenanceWindowScheduleCommand, DescribeMaintenanceWindowsForTargetCommand, RegisterTargetWithMaintenanceWindowCommand, RegisterTaskWithMaintenanceWindowCommand, type DescribeMaintenanceWindowScheduleCommandInput, type ScheduledWindowExecution } from '@aws-sdk/client-ssm';
import { Harness, HOUR, SECOND, shellTask } from './test-support/harness.js';

// Tuesday 2026-10-20, 12:00 UTC: New York leaves daylight saving time on Sunday 2026-11-01.
const h = new Harness(Date.UTC(2026, 9, 20, 12, 0, 0));
before(() => h.start());
after(() => h.stop());

const schedule = async (input: DescribeMaintenanceWindowScheduleCommandInput) => (await h.ssm().send(new DescribeMaintenanceWindowScheduleCommand(input))).ScheduledWindowExecutions ?? [];
const times = (list: ScheduledWindowExecution[]) => list.map((x) => x.ExecutionTime);

test('DescribeMaintenanceWindowSchedule across the November DST change: the wall time holds, the offset moves; a repeated hour runs once, a skipped one not at all', async () => {
  const sunday = await h.window({ Name: 'sunday-3am', Schedule: 'cron(0 3 ? * SUN *)', ScheduleTimezone: 'America/New_York' });
  assert.deepEqual(times(await schedule({ WindowId: sunday, MaxResults: 3 })), ['2026-10-25T03:00-04:00', '2026-11-01T03:00-05:00', '2026-11-08T03:00-05:00']);

  // 01:30 happens twice on 2026-11-01 in New York; the window opens at the first.
  const nightly = await h.window({ Name: 'nightly-0130', Schedule: 'cron(30 1 * * ? *)', ScheduleTimezone: 'America/New_York', Duration: 2, Cutoff: 0 });
  const around = await schedule({ WindowId: nightly, Filters: [{ Key: 'ScheduledAfter', Values: ['2026-10-30T12:00:00Z'] }], MaxResults: 3 });
  assert.deepEqual(times(around), ['2026-10-31T01:30-04:00', '2026-11-01T01:30-04:00', '2026-11-02T01:30-05:00']);

  // 02:30 does not happen on 2027-03-14 in New York: no window that day.
  const early = await h.window({ Name: 'early-0230', Schedule: 'cron(30 2 * * ? *)', ScheduleTimezone: 'America/New_York', Duration: 1, Cutoff: 0 });
  const spring = await schedule({ WindowId: early, Filters: [{ Key: 'ScheduledAfter', Values: ['2027-03-12T00:00:00Z'] }], MaxResults: 3 });
  assert.deepEqual(times(spring), ['2027-03-12T02:30-05:00', '2027-03-13T02:30-05:00', '2027-03-15T02:30-04:00']);

  // ScheduleOffset counts calendar days in the zone: Saturday 03:00 + 1 day is Sunday 03:00, on both sides of the change.
  const offset = await h.window({ Name: 'saturday-plus-one', Schedule: 'cron(0 3 ? * SAT *)', ScheduleTimezone: 'America/New_York', ScheduleOffset: 1 });
  assert.deepEqual(times(await schedule({ WindowId: offset, MaxResults: 2 })), ['2026-10-25T03:00-04:00', '2026-11-01T03:00-05:00']);

  // All windows at once, in time order, page by page, up to ScheduledBefore.
  const all: ScheduledWindowExecution[] = [];
  let NextToken: string | undefined;
  do {
    const out = await h.ssm().send(new DescribeMaintenanceWindowScheduleCommand({ Filters: [{ Key: 'ScheduledBefore', Values: ['2026-11-02T12:00:00Z'] }], MaxResults: 4, ...(NextToken ? { NextToken } : {}) }));
    all.push(...out.ScheduledWindowExecutions!);
    NextToken = out.NextToken;
  } while (NextToken);
  const instants = all.map((x) => Date.parse(x.ExecutionTime!.replace(/(\d\d:\d\d)(Z|[+-])/, '$1:00$2')));
  assert.deepEqual(instants, [...instants].sort((a, b) => a - b), 'in time order');
  assert.equal(all.filter((x) => x.WindowId === sunday).length, 2);
  assert.equal(all.filter((x) => x.WindowId === nightly).length, 13, 'daily from Oct 21 to Nov 2');
  assert.ok(all.every((x) => x.Name));
  assert.equal(new Set(all.map((x) => `${x.WindowId}@${x.ExecutionTime}`)).size, all.length, 'no start listed twice across pages');
});

test('the window opens at 03:00 New York time on the day the clocks change: 08:00 UTC, not 07:00', async () => {
  const windowId = await h.window({ Name: 'dst-open', Schedule: 'cron(0 3 ? * SUN *)', ScheduleTimezone: 'America/New_York', Duration: 2, Cutoff: 0 });
  h.clock.set(Date.UTC(2026, 10, 1, 7, 0, 0));
  await h.quiet();
  // The Oct 25 window passed unseen while the clock jumped: recorded, not run.
  const first = await h.ended(windowId, 1);
  assert.equal(first[0]!.Status, 'TIMED_OUT');
  assert.equal(first[0]!.StartTime!.toISOString(), '2026-10-25T07:00:00.000Z');
  h.clock.set(Date.UTC(2026, 10, 1, 8, 0, 0) - SECOND);
  await h.quiet();
  assert.equal((await h.executions(windowId)).length, 1, 'nothing at 07:00 UTC, an hour early');
  h.clock.set(Date.UTC(2026, 10, 1, 8, 0, 0));
  const list = await h.ended(windowId, 2);
  assert.equal(list[0]!.StartTime!.toISOString(), '2026-11-01T08:00:00.000Z');
  assert.equal(list[0]!.Status, 'SUCCESS');
  assert.equal(list[0]!.StatusDetails, 'The window has no tasks.');
});

test('DescribeMaintenanceWindowsForTarget and the schedule of one node: through registered targets and tasks\' own targets', async () => {
  const [prod, dev, loose] = [await h.node({ Env: 'prod' }), await h.node({ Env: 'dev' }), await h.node()];
  const registered = await h.window({ Name: 'prod-window', Schedule: 'rate(1 day)' });
  await h.ssm().send(new RegisterTargetWithMaintenanceWindowCommand({ WindowId: registered, ResourceType: 'INSTANCE', Targets: [{ Key: 'tag:Env', Values: ['prod'] }] }));
  const direct = await h.window({ Name: 'direct-window', Schedule: 'rate(7 days)', AllowUnassociatedTargets: true });
  await h.ssm().send(new RegisterTaskWithMaintenanceWindowCommand({ WindowId: direct, TaskType: 'RUN_COMMAND', TaskArn: 'AWS-RunShellScript', Targets: [{ Key: 'InstanceIds', Values: [loose.instanceId] }], MaxConcurrency: '1', MaxErrors: '0', TaskInvocationParameters: shellTask('direct') }));
  const forTarget = async (id: string) => ((await h.ssm().send(new DescribeMaintenanceWindowsForTargetCommand({ Targets: [{ Key: 'InstanceIds', Values: [id] }], ResourceType: 'INSTANCE' }))).WindowIdentities ?? []).map((w) => w.Name);
  assert.deepEqual(await forTarget(prod.instanceId), ['prod-window']);
  assert.deepEqual(await forTarget(loose.instanceId), ['direct-window']);
  assert.deepEqual(await forTarget(dev.instanceId), []);
  const byTag = (await h.ssm().send(new DescribeMaintenanceWindowsForTargetCommand({ Targets: [{ Key: 'tag:Env', Values: ['prod'] }], ResourceType: 'INSTANCE' }))).WindowIdentities!;
  assert.deepEqual(byTag.map((w) => w.WindowId), [registered]);
  const forProd = await schedule({ Targets: [{ Key: 'InstanceIds', Values: [prod.instanceId] }], ResourceType: 'INSTANCE', MaxResults: 3 });
  assert.deepEqual(new Set(forProd.map((x) => x.WindowId)), new Set([registered]));
  assert.equal(forProd.length, 3);
  const next = Date.parse(forProd[0]!.ExecutionTime!.replace('Z', ':00Z'));
  assert.ok(next > h.clock.now() && next <= h.clock.now() + 24 * HOUR);
});
