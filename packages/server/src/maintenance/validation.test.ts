import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import {
  AddTagsToResourceCommand,
  CancelMaintenanceWindowExecutionCommand,
  CreateDocumentCommand,
  CreateMaintenanceWindowCommand,
  DeleteMaintenanceWindowCommand,
  DeregisterTargetFromMaintenanceWindowCommand,
  DeregisterTaskFromMaintenanceWindowCommand,
  DescribeMaintenanceWindowExecutionsCommand,
  DescribeMaintenanceWindowExecutionTaskInvocationsCommand,
  DescribeMaintenanceWindowExecutionTasksCommand,
  DescribeMaintenanceWindowScheduleCommand,
  DescribeMaintenanceWindowsCommand,
  DescribeMaintenanceWindowsForTargetCommand,
  DescribeMaintenanceWindowTargetsCommand,
  DescribeMaintenanceWindowTasksCommand,
  GetMaintenanceWindowCommand,
  GetMaintenanceWindowExecutionCommand,
  GetMaintenanceWindowExecutionTaskCommand,
  GetMaintenanceWindowExecutionTaskInvocationCommand,
  GetMaintenanceWindowTaskCommand,
  ListTagsForResourceCommand,
  RegisterTargetWithMaintenanceWindowCommand,
  RegisterTaskWithMaintenanceWindowCommand,
  UpdateMaintenanceWindowCommand,
  UpdateMaintenanceWindowTargetCommand,
  UpdateMaintenanceWindowTaskCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { Harness, shellTask } from './test-support/harness.js';

const h = new Harness(Date.UTC(2026, 10, 25, 10, 0, 0));
before(() => h.start());
after(() => h.stop());

/** The call fails with `code`, and its message matches `message` (naming the field at fault). */
async function refused(call: (c: SSMClient) => Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(call(h.ssm()), (e: Error) => {
    assert.equal(e.name, code, `${e.name}: ${e.message}`);
    if (message) assert.match(e.message, message);
    return true;
  });
}

const base = { Name: 'valid-window', Schedule: 'cron(0 3 ? * SUN *)', Duration: 4, Cutoff: 1, AllowUnassociatedTargets: false };
const missingId = 'mw-0123456789abcdef0';
const missingUuid = () => randomUUID();
const task = (windowId: string, extra: Record<string, unknown> = {}) => ({ WindowId: windowId, TaskType: 'RUN_COMMAND' as const, TaskArn: 'AWS-RunShellScript', Targets: [{ Key: 'InstanceIds', Values: ['mi-0123456789abcdef0'] }], MaxConcurrency: '1', MaxErrors: '0', TaskInvocationParameters: shellTask('v'), ...extra });

test('windows: bad input is refused with the AWS code and a message naming the field; nothing is written', async () => {
  const before = (await h.ssm().send(new DescribeMaintenanceWindowsCommand({}))).WindowIdentities!.length;
  const create = (i: Record<string, unknown>) => (c: SSMClient) => c.send(new CreateMaintenanceWindowCommand({ ...base, ...i } as never));
  await refused(create({ Name: 'x' }), 'ValidationException', /name/);
  await refused(create({ Schedule: 'every sunday' }), 'ValidationException', /Schedule/);
  await refused(create({ Schedule: 'cron(0 3 * * *)' }), 'ValidationException', /Schedule/);
  await refused(create({ Duration: 25 }), 'ValidationException', /duration/);
  await refused(create({ Cutoff: 4 }), 'ValidationException', /Cutoff.*Duration/);
  await refused(create({ ScheduleTimezone: 'Mars/Olympus_Mons' }), 'ValidationException', /ScheduleTimezone/);
  await refused(create({ Schedule: 'rate(1 day)', ScheduleOffset: 2 }), 'ValidationException', /ScheduleOffset/);
  await refused(create({ ScheduleOffset: 7 }), 'ValidationException', /scheduleOffset/);
  await refused(create({ StartDate: 'next tuesday' }), 'ValidationException', /StartDate/);
  await refused(create({ StartDate: '2027-02-01T00:00:00Z', EndDate: '2027-01-01T00:00:00Z' }), 'ValidationException', /EndDate/);
  await refused(create({ EndDate: '2020-01-01T00:00:00Z' }), 'ValidationException', /EndDate.*past/);
  await refused(create({ Tags: [{ Key: 'aws:owner', Value: 'x' }] }), 'ValidationException', /aws:/);
  assert.equal((await h.ssm().send(new DescribeMaintenanceWindowsCommand({}))).WindowIdentities!.length, before);

  await refused((c) => c.send(new GetMaintenanceWindowCommand({ WindowId: 'mw-123' })), 'ValidationException', /windowId/);
  await refused((c) => c.send(new GetMaintenanceWindowCommand({ WindowId: missingId })), 'DoesNotExistException', /mw-0123456789abcdef0/);
  await refused((c) => c.send(new UpdateMaintenanceWindowCommand({ WindowId: missingId, Enabled: false })), 'DoesNotExistException');
  await refused((c) => c.send(new DeleteMaintenanceWindowCommand({ WindowId: 'window-1' })), 'ValidationException', /windowId/);
  await refused((c) => c.send(new DescribeMaintenanceWindowsCommand({ Filters: [{ Key: 'Colour', Values: ['red'] }] })), 'ValidationException', /Colour.*Name, Enabled/);
  await refused((c) => c.send(new DescribeMaintenanceWindowsCommand({ MaxResults: 5 })), 'ValidationException', /maxResults/);
  await refused((c) => c.send(new DescribeMaintenanceWindowsCommand({ NextToken: 'garbage' })), 'InvalidNextToken');
  await refused((c) => c.send(new DescribeMaintenanceWindowsForTargetCommand({ Targets: [{ Key: 'resource-groups:Name', Values: ['g'] }], ResourceType: 'RESOURCE_GROUP' })), 'ValidationException', /RESOURCE_GROUP/);
  await refused((c) => c.send(new DescribeMaintenanceWindowsForTargetCommand({ Targets: [], ResourceType: 'INSTANCE' })), 'ValidationException', /Targets/);
  await refused((c) => c.send(new DescribeMaintenanceWindowScheduleCommand({ WindowId: missingId })), 'DoesNotExistException');
  await refused((c) => c.send(new DescribeMaintenanceWindowScheduleCommand({ Filters: [{ Key: 'Tomorrow', Values: ['x'] }] })), 'ValidationException', /ScheduledBefore, ScheduledAfter/);
  await refused((c) => c.send(new DescribeMaintenanceWindowScheduleCommand({ Targets: [{ Key: 'InstanceIds', Values: ['mi-0123456789abcdef0'] }] })), 'ValidationException', /ResourceType/);
  await refused((c) => c.send(new DescribeMaintenanceWindowScheduleCommand({ Filters: [{ Key: 'ScheduledBefore', Values: ['soon'] }] })), 'ValidationException', /ScheduledBefore/);
});

test('windows: ClientToken makes creation idempotent; Replace resets what it leaves out; tags; at most 50 windows', async () => {
  const token = randomUUID();
  const a = await h.ssm().send(new CreateMaintenanceWindowCommand({ ...base, Name: 'idempotent', ClientToken: token, Description: 'first', Tags: [{ Key: 'team', Value: 'ops' }] }));
  const b = await h.ssm().send(new CreateMaintenanceWindowCommand({ ...base, Name: 'idempotent', ClientToken: token, Description: 'first', Tags: [{ Key: 'team', Value: 'ops' }] }));
  assert.equal(a.WindowId, b.WindowId);
  await refused((c) => c.send(new CreateMaintenanceWindowCommand({ ...base, Name: 'idempotent', ClientToken: token, Description: 'second' })), 'IdempotentParameterMismatch');
  const tags = await h.ssm().send(new ListTagsForResourceCommand({ ResourceType: 'MaintenanceWindow', ResourceId: a.WindowId! }));
  assert.deepEqual(tags.TagList, [{ Key: 'team', Value: 'ops' }]);
  await h.ssm().send(new AddTagsToResourceCommand({ ResourceType: 'MaintenanceWindow', ResourceId: a.WindowId!, Tags: [{ Key: 'env', Value: 'prod' }] }));
  assert.equal((await h.ssm().send(new ListTagsForResourceCommand({ ResourceType: 'MaintenanceWindow', ResourceId: a.WindowId! }))).TagList!.length, 2);

  const kept = await h.ssm().send(new UpdateMaintenanceWindowCommand({ WindowId: a.WindowId!, Duration: 6 }));
  assert.equal(kept.Description, 'first', 'without Replace what is left out stays');
  assert.equal(kept.Duration, 6);
  await refused((c) => c.send(new UpdateMaintenanceWindowCommand({ WindowId: a.WindowId!, Replace: true, Name: 'idempotent' })), 'ValidationException', /Schedule is required when Replace/);
  await refused((c) => c.send(new UpdateMaintenanceWindowCommand({ WindowId: a.WindowId!, Cutoff: 6 })), 'ValidationException', /Cutoff/);
  const replaced = await h.ssm().send(new UpdateMaintenanceWindowCommand({ WindowId: a.WindowId!, Replace: true, ...base, Name: 'replaced', Schedule: 'rate(2 days)' }));
  assert.equal(replaced.Description, undefined, 'Replace clears the optional fields left out');
  assert.equal(replaced.Name, 'replaced');
  const named = await h.ssm().send(new DescribeMaintenanceWindowsCommand({ Filters: [{ Key: 'Name', Values: ['replaced'] }] }));
  assert.deepEqual(named.WindowIdentities!.map((w) => w.WindowId), [a.WindowId]);
  await h.ssm().send(new UpdateMaintenanceWindowCommand({ WindowId: a.WindowId!, Enabled: false }));
  const disabled = await h.ssm().send(new DescribeMaintenanceWindowsCommand({ Filters: [{ Key: 'Enabled', Values: ['false'] }] }));
  assert.ok(disabled.WindowIdentities!.some((w) => w.WindowId === a.WindowId && w.Enabled === false && w.NextExecutionTime === undefined));

  const existing = (await h.ssm().send(new DescribeMaintenanceWindowsCommand({ MaxResults: 100 }))).WindowIdentities!.length;
  for (let i = existing; i < 50; i++) await h.ssm().send(new CreateMaintenanceWindowCommand({ ...base, Name: `filler-${i}` }));
  await refused((c) => c.send(new CreateMaintenanceWindowCommand({ ...base, Name: 'one-too-many' })), 'ResourceLimitExceededException', /50/);
  const pages: string[] = [];
  let NextToken: string | undefined;
  do {
    const out = await h.ssm().send(new DescribeMaintenanceWindowsCommand({ MaxResults: 10, ...(NextToken ? { NextToken } : {}) }));
    pages.push(...out.WindowIdentities!.map((w) => w.WindowId!));
    NextToken = out.NextToken;
  } while (NextToken);
  assert.equal(new Set(pages).size, 50);
  for (const id of pages) if (id !== a.WindowId) await h.ssm().send(new DeleteMaintenanceWindowCommand({ WindowId: id }));
  await h.ssm().send(new DeleteMaintenanceWindowCommand({ WindowId: a.WindowId! }));
  await refused((c) => c.send(new GetMaintenanceWindowCommand({ WindowId: a.WindowId! })), 'DoesNotExistException');
  await h.ssm().send(new DeleteMaintenanceWindowCommand({ WindowId: a.WindowId! }));
});

test('targets: registration, update and deregistration, and their errors', async () => {
  const windowId = (await h.ssm().send(new CreateMaintenanceWindowCommand({ ...base, Name: 'targets' }))).WindowId!;
  const register = (i: Record<string, unknown>) => (c: SSMClient) => c.send(new RegisterTargetWithMaintenanceWindowCommand({ WindowId: windowId, ResourceType: 'INSTANCE', Targets: [{ Key: 'tag:Env', Values: ['prod'] }], ...i } as never));
  await refused(register({ ResourceType: 'RESOURCE_GROUP', Targets: [{ Key: 'tag:Env', Values: ['prod'] }] }), 'ValidationException', /RESOURCE_GROUP/);
  await refused(register({ Targets: [{ Key: 'resource-groups:Name', Values: ['web'] }] }), 'ValidationException', /RESOURCE_GROUP/);
  await refused(register({ Targets: [{ Key: 'Colour', Values: ['red'] }] }), 'ValidationException', /Colour/);
  await refused(register({ Targets: [{ Key: 'InstanceIds', Values: ['not-a-node'] }] }), 'ValidationException', /not-a-node/);
  await refused(register({ Targets: [] }), 'ValidationException', /Targets/);
  await refused(register({ ResourceType: 'NODE' }), 'ValidationException', /resourceType/);
  await refused(register({ OwnerInformation: '' }), 'ValidationException', /ownerInformation/);
  await refused((c) => c.send(new RegisterTargetWithMaintenanceWindowCommand({ WindowId: missingId, ResourceType: 'INSTANCE', Targets: [{ Key: 'tag:Env', Values: ['prod'] }] })), 'DoesNotExistException');
  const token = randomUUID();
  const { WindowTargetId } = await register({ ClientToken: token, Name: 'prod-nodes', OwnerInformation: 'ops' })(h.ssm());
  assert.equal((await register({ ClientToken: token, Name: 'prod-nodes', OwnerInformation: 'ops' })(h.ssm())).WindowTargetId, WindowTargetId);
  await refused(register({ ClientToken: token, Name: 'other' }), 'IdempotentParameterMismatch');

  const updated = await h.ssm().send(new UpdateMaintenanceWindowTargetCommand({ WindowId: windowId, WindowTargetId: WindowTargetId!, Targets: [{ Key: 'tag:Env', Values: ['prod', 'stage'] }] }));
  assert.equal(updated.Name, 'prod-nodes');
  assert.equal(updated.OwnerInformation, 'ops');
  const replaced = await h.ssm().send(new UpdateMaintenanceWindowTargetCommand({ WindowId: windowId, WindowTargetId: WindowTargetId!, Targets: [{ Key: 'tag-key', Values: ['Env'] }], Replace: true }));
  assert.equal(replaced.Name, undefined);
  await refused((c) => c.send(new UpdateMaintenanceWindowTargetCommand({ WindowId: windowId, WindowTargetId: WindowTargetId!, Replace: true })), 'ValidationException', /Targets is required/);
  await refused((c) => c.send(new UpdateMaintenanceWindowTargetCommand({ WindowId: windowId, WindowTargetId: missingUuid(), Name: 'x-y-z' })), 'DoesNotExistException');
  await refused((c) => c.send(new UpdateMaintenanceWindowTargetCommand({ WindowId: windowId, WindowTargetId: 'abc' })), 'ValidationException', /windowTargetId/);
  const listed = await h.ssm().send(new DescribeMaintenanceWindowTargetsCommand({ WindowId: windowId, Filters: [{ Key: 'WindowTargetId', Values: [WindowTargetId!] }] }));
  assert.deepEqual(listed.Targets!.map((t) => t.Targets), [[{ Key: 'tag-key', Values: ['Env'] }]]);
  await refused((c) => c.send(new DescribeMaintenanceWindowTargetsCommand({ WindowId: windowId, Filters: [{ Key: 'Name', Values: ['x'] }] })), 'ValidationException', /Type, WindowTargetId, OwnerInformation/);
  await refused((c) => c.send(new DescribeMaintenanceWindowTargetsCommand({ WindowId: missingId })), 'DoesNotExistException');

  const { WindowTaskId } = await h.ssm().send(new RegisterTaskWithMaintenanceWindowCommand(task(windowId, { Targets: [{ Key: 'WindowTargetIds', Values: [WindowTargetId!] }] })));
  await refused((c) => c.send(new DeregisterTargetFromMaintenanceWindowCommand({ WindowId: windowId, WindowTargetId: WindowTargetId!, Safe: true })), 'TargetInUseException', new RegExp(WindowTaskId!));
  await refused((c) => c.send(new DeregisterTargetFromMaintenanceWindowCommand({ WindowId: windowId, WindowTargetId: missingUuid() })), 'DoesNotExistException');
  await h.ssm().send(new DeregisterTargetFromMaintenanceWindowCommand({ WindowId: windowId, WindowTargetId: WindowTargetId! }));
  assert.equal((await h.ssm().send(new DescribeMaintenanceWindowTargetsCommand({ WindowId: windowId }))).Targets!.length, 0);

  for (let i = 0; i < 100; i++) await register({ Name: `t-${i}` })(h.ssm());
  await refused(register({ Name: 'one-too-many' }), 'ResourceLimitExceededException', /100/);
  await h.ssm().send(new DeleteMaintenanceWindowCommand({ WindowId: windowId }));
});

test('tasks: registration, update and deregistration, and their errors', async () => {
  const windowId = (await h.ssm().send(new CreateMaintenanceWindowCommand({ ...base, Name: 'tasks', AllowUnassociatedTargets: true }))).WindowId!;
  const closed = (await h.ssm().send(new CreateMaintenanceWindowCommand({ ...base, Name: 'closed' }))).WindowId!;
  await h.ssm().send(new CreateDocumentCommand({ Name: 'Runbook-Validation', DocumentType: 'Automation', Content: JSON.stringify({ schemaVersion: '0.3', parameters: { Node: { type: 'String' } }, mainSteps: [{ name: 'Nap', action: 'aws:sleep', inputs: { Duration: 'PT1S' } }] }) }));
  const register = (i: Record<string, unknown>, w = windowId) => (c: SSMClient) => c.send(new RegisterTaskWithMaintenanceWindowCommand(task(w, i) as never));
  await refused(register({ Targets: undefined }), 'ValidationException', /Targets is required for a RUN_COMMAND task/);
  await refused(register({ MaxConcurrency: undefined }), 'ValidationException', /MaxConcurrency/);
  await refused(register({ MaxErrors: '-1' }), 'ValidationException', /maxErrors/);
  await refused(register({ MaxConcurrency: '0' }), 'ValidationException', /maxConcurrency/);
  await refused(register({}, closed), 'ValidationException', /AllowUnassociatedTargets/);
  await refused(register({ Targets: [{ Key: 'WindowTargetIds', Values: [missingUuid()] }] }), 'DoesNotExistException');
  await refused(register({ TaskArn: 'NoSuchDocument' }), 'ValidationException', /TaskArn/);
  await refused(register({ TaskType: 'AUTOMATION', TaskArn: 'AWS-RunShellScript', TaskInvocationParameters: undefined }), 'ValidationException', /TaskArn.*Command/);
  await refused(register({ TaskInvocationParameters: { RunCommand: { Parameters: { nope: ['x'] } } } }), 'ValidationException', /RunCommand\.Parameters/);
  await refused(register({ TaskInvocationParameters: { Automation: { Parameters: { Node: ['x'] } } } }), 'ValidationException', /TaskInvocationParameters\.Automation/);
  await refused(register({ TaskType: 'AUTOMATION', TaskArn: 'Runbook-Validation', Targets: undefined, MaxConcurrency: undefined, MaxErrors: undefined, TaskInvocationParameters: { Automation: { Parameters: { Node: ['{{RESOURCE_ID}}'] } } } }), 'ValidationException', /RESOURCE_ID.*needs targets/);
  await refused(register({ AlarmConfiguration: { Alarms: [{ Name: 'cpu' }] } }), 'ValidationException', /AlarmConfiguration/);
  await refused(register({ TaskType: 'SCRIPT' }), 'ValidationException', /taskType/);
  await refused(register({ Priority: -1 }), 'ValidationException', /priority/);
  await refused(register({ ServiceRoleArn: 'arn:aws:iam::111122223333:role/NoSuchRole' }), 'ValidationException', /ServiceRoleArn/);
  await refused(register({ CutoffBehavior: 'STOP' }), 'ValidationException', /cutoffBehavior/);
  await refused((c) => c.send(new RegisterTaskWithMaintenanceWindowCommand(task(missingId))), 'DoesNotExistException');

  const token = randomUUID();
  const first = (await register({ ClientToken: token, Name: 'patch', Priority: 5 })(h.ssm())).WindowTaskId!;
  assert.equal((await register({ ClientToken: token, Name: 'patch', Priority: 5 })(h.ssm())).WindowTaskId, first);
  await refused(register({ ClientToken: token, Name: 'patch', Priority: 6 }), 'IdempotentParameterMismatch');
  const auto = (await register({ TaskType: 'AUTOMATION', TaskArn: 'Runbook-Validation', Targets: undefined, MaxConcurrency: undefined, MaxErrors: undefined, TaskInvocationParameters: { Automation: { Parameters: { Node: ['{{WINDOW_ID}}'] } } } })(h.ssm())).WindowTaskId!;

  const got = await h.ssm().send(new GetMaintenanceWindowTaskCommand({ WindowId: windowId, WindowTaskId: first }));
  assert.equal(got.Priority, 5);
  assert.equal(got.CutoffBehavior, 'CONTINUE_TASK');
  assert.deepEqual(got.TaskInvocationParameters!.RunCommand!.Parameters, shellTask('v').RunCommand.Parameters);
  const updated = await h.ssm().send(new UpdateMaintenanceWindowTaskCommand({ WindowId: windowId, WindowTaskId: first, Priority: 0, CutoffBehavior: 'CANCEL_TASK' }));
  assert.equal(updated.Priority, 0);
  assert.equal(updated.Name, 'patch', 'what the update leaves out stays');
  assert.deepEqual(updated.TaskInvocationParameters, shellTask('v'));
  const swapped = await h.ssm().send(new UpdateMaintenanceWindowTaskCommand({ WindowId: windowId, WindowTaskId: first, TaskInvocationParameters: { RunCommand: { Parameters: { commands: ['uptime'] }, TimeoutSeconds: 600 } } }));
  assert.deepEqual(swapped.TaskInvocationParameters!.RunCommand, { Parameters: { commands: ['uptime'] }, TimeoutSeconds: 600 }, 'TaskInvocationParameters are replaced whole');
  await refused((c) => c.send(new UpdateMaintenanceWindowTaskCommand({ WindowId: windowId, WindowTaskId: first, Replace: true })), 'ValidationException', /TaskArn is required/);
  await refused((c) => c.send(new UpdateMaintenanceWindowTaskCommand({ WindowId: windowId, WindowTaskId: first, TaskArn: 'NoSuchDocument' })), 'ValidationException', /TaskArn/);
  await refused((c) => c.send(new UpdateMaintenanceWindowTaskCommand({ WindowId: windowId, WindowTaskId: missingUuid(), Priority: 1 })), 'DoesNotExistException');
  const tasks = await h.ssm().send(new DescribeMaintenanceWindowTasksCommand({ WindowId: windowId, Filters: [{ Key: 'TaskType', Values: ['AUTOMATION'] }] }));
  assert.deepEqual(tasks.Tasks!.map((t) => [t.WindowTaskId, t.Type]), [[auto, 'AUTOMATION']]);
  assert.deepEqual((await h.ssm().send(new DescribeMaintenanceWindowTasksCommand({ WindowId: windowId, Filters: [{ Key: 'Priority', Values: ['0'] }] }))).Tasks!.map((t) => t.WindowTaskId), [first]);
  await refused((c) => c.send(new DescribeMaintenanceWindowTasksCommand({ WindowId: windowId, Filters: [{ Key: 'Owner', Values: ['x'] }] })), 'ValidationException', /WindowTaskId, TaskArn, Priority, TaskType/);
  await refused((c) => c.send(new DescribeMaintenanceWindowTasksCommand({ WindowId: missingId })), 'DoesNotExistException');
  await refused((c) => c.send(new GetMaintenanceWindowTaskCommand({ WindowId: windowId, WindowTaskId: missingUuid() })), 'DoesNotExistException');
  await refused((c) => c.send(new GetMaintenanceWindowTaskCommand({ WindowId: windowId, WindowTaskId: 'task-1' })), 'ValidationException', /windowTaskId/);
  await h.ssm().send(new DeregisterTaskFromMaintenanceWindowCommand({ WindowId: windowId, WindowTaskId: auto }));
  await refused((c) => c.send(new DeregisterTaskFromMaintenanceWindowCommand({ WindowId: windowId, WindowTaskId: auto })), 'DoesNotExistException');

  for (let i = 1; i < 20; i++) await register({ Name: `filler-${i}` })(h.ssm());
  await refused(register({ Name: 'one-too-many' }), 'ResourceLimitExceededException', /20/);
  await h.ssm().send(new DeleteMaintenanceWindowCommand({ WindowId: windowId }));
  await h.ssm().send(new DeleteMaintenanceWindowCommand({ WindowId: closed }));
});

test('executions: what does not exist says so; bad ids and filters are refused', async () => {
  const windowId = (await h.ssm().send(new CreateMaintenanceWindowCommand({ ...base, Name: 'executions' }))).WindowId!;
  const id = missingUuid();
  await refused((c) => c.send(new DescribeMaintenanceWindowExecutionsCommand({ WindowId: missingId })), 'DoesNotExistException');
  await refused((c) => c.send(new DescribeMaintenanceWindowExecutionsCommand({ WindowId: windowId, Filters: [{ Key: 'ExecutedBefore', Values: ['yesterday'] }] })), 'ValidationException', /ExecutedBefore/);
  await refused((c) => c.send(new DescribeMaintenanceWindowExecutionsCommand({ WindowId: windowId, Filters: [{ Key: 'Status', Values: ['SUCCESS'] }] })), 'ValidationException', /ExecutedBefore, ExecutedAfter/);
  assert.deepEqual((await h.ssm().send(new DescribeMaintenanceWindowExecutionsCommand({ WindowId: windowId, Filters: [{ Key: 'ExecutedAfter', Values: ['2026-01-01T00:00:00Z'] }] }))).WindowExecutions, []);
  await refused((c) => c.send(new GetMaintenanceWindowExecutionCommand({ WindowExecutionId: id })), 'DoesNotExistException', new RegExp(id));
  await refused((c) => c.send(new GetMaintenanceWindowExecutionCommand({ WindowExecutionId: 'nope' })), 'ValidationException', /windowExecutionId/);
  await refused((c) => c.send(new DescribeMaintenanceWindowExecutionTasksCommand({ WindowExecutionId: id })), 'DoesNotExistException');
  await refused((c) => c.send(new DescribeMaintenanceWindowExecutionTasksCommand({ WindowExecutionId: id, Filters: [{ Key: 'Colour', Values: ['x'] }] })), 'ValidationException', /Status/);
  await refused((c) => c.send(new GetMaintenanceWindowExecutionTaskCommand({ WindowExecutionId: id, TaskId: missingUuid() })), 'DoesNotExistException');
  await refused((c) => c.send(new DescribeMaintenanceWindowExecutionTaskInvocationsCommand({ WindowExecutionId: id, TaskId: missingUuid() })), 'DoesNotExistException');
  await refused((c) => c.send(new DescribeMaintenanceWindowExecutionTaskInvocationsCommand({ WindowExecutionId: id, TaskId: 'x' })), 'ValidationException', /taskId/);
  await refused((c) => c.send(new GetMaintenanceWindowExecutionTaskInvocationCommand({ WindowExecutionId: id, TaskId: missingUuid(), InvocationId: missingUuid() })), 'DoesNotExistException');
  await refused((c) => c.send(new GetMaintenanceWindowExecutionTaskInvocationCommand({ WindowExecutionId: id, TaskId: missingUuid(), InvocationId: 'x' })), 'ValidationException', /invocationId/);
  await refused((c) => c.send(new CancelMaintenanceWindowExecutionCommand({ WindowExecutionId: id })), 'DoesNotExistException');
  await refused((c) => c.send(new CancelMaintenanceWindowExecutionCommand({ WindowExecutionId: '' })), 'ValidationException', /windowExecutionId/);
});
