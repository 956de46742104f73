import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { onEveryEngine } from '../test-support/engines.js';
import {
  AddTagsToResourceCommand,
  CreateAssociationCommand,
  CreateDocumentCommand,
  DeleteAssociationCommand,
  DescribeAssociationCommand,
  DescribeAssociationExecutionsCommand,
  DescribeAssociationExecutionTargetsCommand,
  DescribeInstanceAssociationsStatusCommand,
  ListAssociationsCommand,
  ListAssociationVersionsCommand,
  SSMClient,
  StartAssociationsOnceCommand,
  UpdateAssociationCommand,
  SendCommandCommand,
  CreateAssociationBatchCommand,
  UpdateAssociationStatusCommand,
  type AssociationExecution,
} from '@aws-sdk/client-ssm';
import { ManualClock } from '../scheduler/clock.js';
import { okStep, type SimulatedAgent } from '../test-support/sim-agent.js';
import { settleScheduler, simulatedNode } from './test-support/fleet.js';
import { startTestServer, type Engine, type TestServer } from '../test-support/server.js';

const MINUTE = 60_000;
onEveryEngine('State Manager', (engine: Engine) => {
let t: TestServer;
let clock: ManualClock;
const agents: SimulatedAgent[] = [];
// The SDK signs with its own clock; keep it level with the server's, which the tests move.
const ssm = () => new SSMClient({ ...t.clientConfig(), systemClockOffset: clock.now() - Date.now() });

before(async () => {
  // A Wednesday, 10:00 UTC, so cron schedules below have a known next time.
  clock = new ManualClock(Date.UTC(2026, 10, 25, 10, 0, 0));
  t = await startTestServer({ engine, clock, schedulerPollMs: 20, agentPingMs: 30_000 });
});
after(async () => {
  for (const a of agents) await a.close();
  await t.stop();
});

async function node(tags: Record<string, string> = {}): Promise<SimulatedAgent> {
  const a = await simulatedNode(ssm(), t, `node-${agents.length}`, (job) => ({ status: 'Success', steps: [okStep('0.aws:runShellScript', `ran ${job.id}\n`)], output: `ran ${job.id}\n` }), tags);
  agents.push(a);
  return a;
}

const settle = <T>(probe: () => Promise<T | undefined | false>, stepMs?: number, rounds?: number) => settleScheduler(t, clock, probe, stepMs, rounds);

const executions = async (id: string) => (await ssm().send(new DescribeAssociationExecutionsCommand({ AssociationId: id }))).AssociationExecutions ?? [];
const allDone = (list: AssociationExecution[], n: number) => list.length === n && list.every((e) => ['Success', 'Failed', 'Skipped'].includes(e.Status!));
const shell = (commands: string[]) => ({ Name: 'AWS-RunShellScript', Parameters: { commands } });

test('an association runs at once on the nodes its tags match, then on its rate schedule and not before; status per node reads back', async () => {
  const [a, b] = [await node({ Env: 'dev' }), await node({ Env: 'dev' })];
  await node({ Env: 'prod' });
  const { AssociationDescription: d } = await ssm().send(new CreateAssociationCommand({ ...shell(['echo hi']), Targets: [{ Key: 'tag:Env', Values: ['dev'] }], ScheduleExpression: 'rate(30 minutes)', AssociationName: 'dev-hello' }));
  const id = d!.AssociationId!;
  assert.equal(d!.AssociationVersion, '1');
  assert.equal(d!.Overview?.Status, 'Pending');
  const first = await settle(async () => {
    const list = await executions(id);
    return allDone(list, 1) && list;
  });
  assert.equal(first[0]!.Status, 'Success');
  assert.equal(first[0]!.ResourceCountByStatus, '{Success=2}');
  const targets = (await ssm().send(new DescribeAssociationExecutionTargetsCommand({ AssociationId: id, ExecutionId: first[0]!.ExecutionId! }))).AssociationExecutionTargets!;
  assert.deepEqual(targets.map((x) => x.ResourceId).sort(), [a.instanceId, b.instanceId].sort());
  assert.ok(targets.every((x) => x.Status === 'Success' && x.OutputSource?.OutputSourceType === 'RunCommand'));
  const described = (await ssm().send(new DescribeAssociationCommand({ AssociationId: id }))).AssociationDescription!;
  assert.equal(described.Overview?.Status, 'Success');
  assert.deepEqual(described.Overview?.AssociationStatusAggregatedCount, { Success: 2 });
  assert.ok(described.LastSuccessfulExecutionDate);
  const status = (await ssm().send(new DescribeInstanceAssociationsStatusCommand({ InstanceId: a.instanceId }))).InstanceAssociationStatusInfos!;
  assert.equal(status.find((s) => s.AssociationId === id)?.Status, 'Success');
  assert.equal(status.find((s) => s.AssociationId === id)?.AssociationName, 'dev-hello');

  // 29 minutes after creation nothing new has run; at 30 the schedule fires once.
  clock.advance(29 * MINUTE - 10_000);
  await t.server.core.scheduler.tick();
  assert.equal((await executions(id)).length, 1);
  clock.advance(MINUTE);
  const second = await settle(async () => {
    const list = await executions(id);
    return allDone(list, 2) && list;
  });
  assert.equal(second.length, 2);
  const list = (await ssm().send(new ListAssociationsCommand({ AssociationFilterList: [{ key: 'AssociationName', value: 'dev-hello' }] }))).Associations!;
  assert.deepEqual(list.map((x) => x.AssociationId), [id]);
  await ssm().send(new DeleteAssociationCommand({ AssociationId: id }));
  await assert.rejects(ssm().send(new DescribeAssociationCommand({ AssociationId: id })), /AssociationDoesNotExist/);
});

test('missed runs while the server was down run once on recovery, not once per missed interval', async () => {
  await node({ Role: 'missed' });
  const { AssociationDescription: d } = await ssm().send(new CreateAssociationCommand({ ...shell(['true']), Targets: [{ Key: 'tag:Role', Values: ['missed'] }], ScheduleExpression: 'rate(30 minutes)' }));
  const id = d!.AssociationId!;
  await settle(async () => allDone(await executions(id), 1));
  clock.advance(5 * 60 * MINUTE);
  await settle(async () => allDone(await executions(id), 2));
  for (let i = 0; i < 5; i++) await t.server.core.scheduler.tick();
  assert.equal((await executions(id)).length, 2);
  await ssm().send(new DeleteAssociationCommand({ AssociationId: id }));
});

test('ApplyOnlyAtCronInterval waits for the cron time; a node tagged later gets the association within one sweep', async () => {
  const first = await node({ Tier: 'cron' });
  // Next 02:00 UTC after Wednesday 10:00-ish.
  const { AssociationDescription: d } = await ssm().send(new CreateAssociationCommand({ ...shell(['echo cron']), Targets: [{ Key: 'tag:Tier', Values: ['cron'] }], ScheduleExpression: 'cron(0 2 * * ? *)', ApplyOnlyAtCronInterval: true }));
  const id = d!.AssociationId!;
  for (let i = 0; i < 5; i++) await t.server.core.scheduler.tick();
  assert.equal((await executions(id)).length, 0, 'nothing runs at creation');
  const start = new Date(clock.now());
  const next2am = Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate() + (start.getUTCHours() >= 2 ? 1 : 0), 2, 0, 0);
  clock.set(next2am - 1_000);
  await t.server.core.scheduler.tick();
  assert.equal((await executions(id)).length, 0, 'not a second early');
  clock.set(next2am);
  await settle(async () => allDone(await executions(id), 1));

  const late = await node();
  await ssm().send(new AddTagsToResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: late.instanceId, Tags: [{ Key: 'Tier', Value: 'cron' }] }));
  const list = await settle(async () => {
    const l = await executions(id);
    return allDone(l, 2) && l;
  }, 5_000, 20);
  const newest = list[0]!;
  const targets = (await ssm().send(new DescribeAssociationExecutionTargetsCommand({ AssociationId: id, ExecutionId: newest.ExecutionId! }))).AssociationExecutionTargets!;
  assert.deepEqual(targets.map((x) => x.ResourceId), [late.instanceId], 'only the new node ran in that execution');
  void first;
  await ssm().send(new DeleteAssociationCommand({ AssociationId: id }));
});

test('a closed change calendar skips a run; an update makes a new version that runs with its new parameters', async () => {
  const n = await node({ Cal: 'yes' });
  await ssm().send(
    new CreateDocumentCommand({
      Name: 'FreezeCalendar',
      DocumentType: 'ChangeCalendar',
      DocumentFormat: 'TEXT',
      Content: ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//capstan//test//EN', 'X-CALENDAR-TYPE:DEFAULT_CLOSED', 'END:VCALENDAR', ''].join('\r\n'),
    }),
  );
  const { AssociationDescription: d } = await ssm().send(new CreateAssociationCommand({ ...shell(['echo v1']), Targets: [{ Key: 'InstanceIds', Values: [n.instanceId] }], ScheduleExpression: 'rate(1 hour)', CalendarNames: ['FreezeCalendar'] }));
  const id = d!.AssociationId!;
  const skipped = await settle(async () => {
    const l = await executions(id);
    return allDone(l, 1) && l;
  });
  assert.equal(skipped[0]!.Status, 'Skipped');
  assert.match(skipped[0]!.DetailedStatus!, /FreezeCalendar is CLOSED/);
  assert.equal(n.jobs.length, 0);

  const updated = (await ssm().send(new UpdateAssociationCommand({ AssociationId: id, Parameters: { commands: ['echo v2'] }, CalendarNames: [] }))).AssociationDescription!;
  assert.equal(updated.AssociationVersion, '2');
  assert.equal(updated.ScheduleExpression, 'rate(1 hour)', 'what the update leaves out stays');
  await settle(async () => allDone(await executions(id), 2));
  assert.equal(n.jobs.length, 1);
  assert.match(JSON.stringify(n.jobs[0]), /echo v2/);
  const versions = (await ssm().send(new ListAssociationVersionsCommand({ AssociationId: id }))).AssociationVersions!;
  assert.deepEqual(versions.map((v) => v.AssociationVersion), ['1', '2']);
  assert.deepEqual(versions[0]!.Parameters, { commands: ['echo v1'] });
  await assert.rejects(ssm().send(new UpdateAssociationCommand({ AssociationId: id, AssociationVersion: '1', ScheduleExpression: 'rate(2 hours)' })), /InvalidAssociationVersion/);

  await ssm().send(new StartAssociationsOnceCommand({ AssociationIds: [id] }));
  await settle(async () => allDone(await executions(id), 3));
  await assert.rejects(ssm().send(new StartAssociationsOnceCommand({ AssociationIds: ['00000000-0000-0000-0000-000000000000'] })), /InvalidAssociation/);
});

test('CreateAssociationBatch reports each entry; the legacy Name + InstanceId association takes UpdateAssociationStatus and refuses a duplicate', async () => {
  const n = await node();
  const out = await ssm().send(
    new CreateAssociationBatchCommand({
      Entries: [
        { Name: 'AWS-RunShellScript', InstanceId: n.instanceId, Parameters: { commands: ['echo legacy'] } },
        { Name: 'AWS-RunShellScript', Targets: [{ Key: 'InstanceIds', Values: ['*'] }], ScheduleExpression: 'rate(1 minute)', Parameters: { commands: ['x'] } },
      ],
    }),
  );
  assert.equal(out.Successful?.length, 1);
  assert.equal(out.Successful![0]!.InstanceId, n.instanceId);
  assert.equal(out.Failed?.length, 1);
  assert.match(out.Failed![0]!.Message!, /30 minutes/);
  assert.equal(out.Failed![0]!.Fault, 'Client');
  await assert.rejects(ssm().send(new CreateAssociationCommand({ Name: 'AWS-RunShellScript', InstanceId: n.instanceId, Parameters: { commands: ['again'] } })), /AssociationAlreadyExists/);
  const updated = await ssm().send(new UpdateAssociationStatusCommand({ Name: 'AWS-RunShellScript', InstanceId: n.instanceId, AssociationStatus: { Date: new Date(clock.now()), Name: 'Failed', Message: 'reported by the node' } }));
  assert.equal(updated.AssociationDescription?.Status?.Name, 'Failed');
  const described = (await ssm().send(new DescribeAssociationCommand({ Name: 'AWS-RunShellScript', InstanceId: n.instanceId }))).AssociationDescription!;
  assert.equal(described.Status?.Message, 'reported by the node');
  await assert.rejects(ssm().send(new UpdateAssociationStatusCommand({ Name: 'AWS-RunPowerShellScript', InstanceId: n.instanceId, AssociationStatus: { Date: new Date(), Name: 'Success', Message: 'x' } })), /AssociationDoesNotExist/);
  await ssm().send(new DeleteAssociationCommand({ Name: 'AWS-RunShellScript', InstanceId: n.instanceId }));
});

test('a Policy document (AWS-GatherSoftwareInventory) runs through an association, though SendCommand refuses it', async () => {
  const n = await node();
  const { AssociationDescription: d } = await ssm().send(new CreateAssociationCommand({ Name: 'AWS-GatherSoftwareInventory', Targets: [{ Key: 'InstanceIds', Values: [n.instanceId] }], ScheduleExpression: 'rate(30 minutes)' }));
  const list = await settle(async () => {
    const l = await executions(d!.AssociationId!);
    return allDone(l, 1) && l;
  });
  assert.equal(list[0]!.Status, 'Success', list[0]!.DetailedStatus);
  assert.match(JSON.stringify(n.jobs.at(-1)), /aws:softwareInventory/);
  await assert.rejects(ssm().send(new SendCommandCommand({ DocumentName: 'AWS-GatherSoftwareInventory', InstanceIds: [n.instanceId] })), /InvalidDocument.*Policy/);
  await ssm().send(new DeleteAssociationCommand({ AssociationId: d!.AssociationId! }));
});

test('bad input gets AWS errors and writes nothing', async () => {
  const before = (await ssm().send(new ListAssociationsCommand({}))).Associations!.length;
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ Name: 'NoSuchDocument', Targets: [{ Key: 'InstanceIds', Values: ['*'] }] }, /InvalidDocument/],
    [{ ...shell(['x']), Targets: [{ Key: 'InstanceIds', Values: ['*'] }], ScheduleExpression: 'rate(5 minutes)' }, /InvalidSchedule.*30 minutes/],
    [{ ...shell(['x']), Targets: [{ Key: 'InstanceIds', Values: ['*'] }], ScheduleExpression: 'every day' }, /InvalidSchedule/],
    [{ ...shell(['x']), Targets: [{ Key: 'Color', Values: ['red'] }] }, /InvalidTarget/],
    [{ ...shell(['x']), Targets: [{ Key: 'InstanceIds', Values: ['not-a-node'] }] }, /InvalidTarget/],
    [{ Name: 'AWS-RunShellScript', Parameters: { nope: ['x'] }, Targets: [{ Key: 'InstanceIds', Values: ['*'] }] }, /InvalidParameters/],
    [{ Name: 'AWS-RunShellScript', Targets: [{ Key: 'InstanceIds', Values: ['*'] }] }, /InvalidParameters.*commands/],
    [{ ...shell(['x']) }, /ValidationException.*Targets/],
    [{ ...shell(['x']), Targets: [{ Key: 'InstanceIds', Values: ['*'] }], ScheduleExpression: 'rate(1 hour)', ScheduleOffset: 2, ApplyOnlyAtCronInterval: true }, /ValidationException.*ScheduleOffset/],
    [{ Name: 'AWS-StartPortForwardingSession', Targets: [{ Key: 'InstanceIds', Values: ['*'] }] }, /InvalidDocument.*Session/],
  ];
  for (const [input, expected] of cases) {
    await assert.rejects(ssm().send(new CreateAssociationCommand(input as never)), (e: Error) => expected.test(`${e.name} ${e.message}`), JSON.stringify(input));
  }
  assert.equal((await ssm().send(new ListAssociationsCommand({}))).Associations!.length, before);
});
});
