import assert from 'node:assert/strict';
import { test } from 'node:test';
import { paramSpecs } from '../run-command/params';
import {
  atExample,
  durationSummary,
  executionsPollDelay,
  FAST_POLL_MS,
  inHowLong,
  invocationNode,
  invocationTarget,
  scheduleSummary,
  SLOW_POLL_MS,
  taskFormIsValid,
  taskRefusalPlace,
  taskTargetsSummary,
  toCreateWindowInput,
  toRegisterTargetInput,
  toRegisterTaskInput,
  validateTargetForm,
  validateTaskForm,
  validateWindowForm,
  windowRefusalField,
  type TaskForm,
  type WindowForm,
} from './windows';

const NODE = 'mi-0123456789abcdef0';
const TARGET = '11111111-2222-4333-8444-555555555555';

const windowForm = (over: Partial<WindowForm> = {}): WindowForm => ({
  name: 'sunday-patching',
  description: '',
  schedule: 'cron(0 3 ? * SUN *)',
  timeZone: 'America/New_York',
  offset: '',
  startDate: '',
  endDate: '',
  duration: '4',
  cutoff: '1',
  allowUnassociatedTargets: false,
  ...over,
});

test('the create form becomes CreateMaintenanceWindow: numbers as numbers, empty options left out', () => {
  assert.deepEqual(toCreateWindowInput(windowForm()), {
    Name: 'sunday-patching',
    Schedule: 'cron(0 3 ? * SUN *)',
    ScheduleTimezone: 'America/New_York',
    Duration: 4,
    Cutoff: 1,
    AllowUnassociatedTargets: false,
  });
  assert.deepEqual(
    toCreateWindowInput(
      windowForm({ name: ' after-patch-tuesday ', description: ' drain first ', schedule: ' cron(0 23 ? * TUE#2 *) ', timeZone: '', offset: '4', startDate: '2026-11-01T00:00', endDate: '2027-11-01T00:00', duration: ' 6 ', cutoff: '0', allowUnassociatedTargets: true }),
    ),
    {
      Name: 'after-patch-tuesday',
      Description: 'drain first',
      Schedule: 'cron(0 23 ? * TUE#2 *)',
      ScheduleOffset: 4,
      StartDate: '2026-11-01T00:00',
      EndDate: '2027-11-01T00:00',
      Duration: 6,
      Cutoff: 0,
      AllowUnassociatedTargets: true,
    },
  );
});

test('the create form is checked before asking: name, schedule, zone, offset, duration and cutoff', () => {
  assert.deepEqual(validateWindowForm(windowForm()), {});
  assert.deepEqual(validateWindowForm(windowForm({ schedule: 'at(2026-11-04T05:00:00)', timeZone: 'UTC', cutoff: '0', duration: '1' })), {});
  const bad = validateWindowForm(windowForm({ name: 'x', schedule: 'every sunday', timeZone: 'Mars/Olympus_Mons', duration: '25', cutoff: '1' }));
  assert.deepEqual(Object.keys(bad).sort(), ['duration', 'name', 'schedule', 'timeZone']);
  assert.match(validateWindowForm(windowForm({ duration: '2', cutoff: '2' })).cutoff!, /Less than the duration/);
  assert.match(validateWindowForm(windowForm({ schedule: 'rate(7 days)', offset: '2' })).offset!, /cron/);
  assert.match(validateWindowForm(windowForm({ offset: '7' })).offset!, /1 to 6/);
  assert.match(validateWindowForm(windowForm({ startDate: '2026-12-01T00:00', endDate: '2026-11-01T00:00' })).endDate!, /After/);
  assert.match(validateWindowForm(windowForm({ schedule: '' })).schedule!, /Required/);
});

test("the server's refusal lands by the field it names", () => {
  const v = 'ValidationException';
  assert.equal(windowRefusalField(v, 'Schedule: rate unit "fortnights" is not minutes, hours or days'), 'schedule');
  assert.equal(windowRefusalField(v, 'ScheduleTimezone: Mars/Base is not an IANA time zone (e.g. America/New_York, Etc/UTC).'), 'timeZone');
  assert.equal(windowRefusalField(v, 'ScheduleOffset needs a cron() Schedule: it moves each cron time that many days later.'), 'offset');
  assert.equal(windowRefusalField(v, 'Cutoff (4 h) must be less than Duration (4 h): no task could start.'), 'cutoff');
  assert.equal(windowRefusalField(v, 'EndDate 2020-01-01T00:00 is in the past.'), 'endDate');
  assert.equal(windowRefusalField(v, "1 validation error detected: Value 'ab' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 3"), 'name');
  assert.equal(windowRefusalField(v, "1 validation error detected: Value 25 at 'duration' failed to satisfy constraint: Member must have value less than or equal to 24"), 'duration');
  assert.equal(windowRefusalField('ResourceLimitExceededException', 'An account has at most 50 maintenance windows per region.'), undefined);
});

test('targets: node ids as InstanceIds, tag rows as tag:KEY or tag-key, options only when given', () => {
  assert.deepEqual(toRegisterTargetInput('mw-0123456789abcdef0', { mode: 'ids', ids: [NODE], tags: [], name: 'web', description: '', ownerInformation: ' team-a ' }), {
    WindowId: 'mw-0123456789abcdef0',
    ResourceType: 'INSTANCE',
    Targets: [{ Key: 'InstanceIds', Values: [NODE] }],
    Name: 'web',
    OwnerInformation: 'team-a',
  });
  assert.deepEqual(
    toRegisterTargetInput('mw-0123456789abcdef0', { mode: 'tags', ids: [], tags: [{ key: 'Role', values: 'web, api' }, { key: 'Patch', values: '' }], name: '', description: '', ownerInformation: '' }).Targets,
    [
      { Key: 'tag:Role', Values: ['web', 'api'] },
      { Key: 'tag-key', Values: ['Patch'] },
    ],
  );
  assert.deepEqual(Object.keys(validateTargetForm({ mode: 'ids', ids: [], tags: [], name: 'x', description: '', ownerInformation: '' })).sort(), ['name', 'targets']);
});

const specs = paramSpecs(
  [
    { Name: 'commands', Type: 'StringList', Description: 'Commands to run.' },
    { Name: 'workingDirectory', Type: 'String', DefaultValue: '' },
    { Name: 'executionTimeout', Type: 'String', DefaultValue: '3600' },
  ],
  undefined,
);
const taskForm = (over: Partial<TaskForm> = {}): TaskForm => ({
  document: 'AWS-RunShellScript',
  version: '$DEFAULT',
  values: { commands: 'echo one\n\necho {{RESOURCE_ID}}\n', workingDirectory: '', executionTimeout: '3600' },
  targetMode: 'window',
  windowTargetIds: [TARGET],
  ids: [],
  tags: [{ key: '', values: '' }],
  priority: '1',
  maxConcurrency: '1',
  maxErrors: '0',
  cutoffBehavior: 'CONTINUE_TASK',
  name: '',
  timeoutSeconds: '',
  comment: '',
  ...over,
});

test('a Run Command task: the window targets it names, its parameters (defaults left out) in TaskInvocationParameters', () => {
  const form = taskForm();
  assert.ok(taskFormIsValid(validateTaskForm(form, specs)));
  assert.deepEqual(toRegisterTaskInput('mw-0123456789abcdef0', form, specs), {
    WindowId: 'mw-0123456789abcdef0',
    TaskType: 'RUN_COMMAND',
    TaskArn: 'AWS-RunShellScript',
    Targets: [{ Key: 'WindowTargetIds', Values: [TARGET] }],
    Priority: 1,
    MaxConcurrency: '1',
    MaxErrors: '0',
    CutoffBehavior: 'CONTINUE_TASK',
    TaskInvocationParameters: { RunCommand: { Parameters: { commands: ['echo one', 'echo {{RESOURCE_ID}}'] } } },
  });
  const more = toRegisterTaskInput('mw-0123456789abcdef0', taskForm({ version: '3', values: { commands: 'uptime', workingDirectory: '/tmp', executionTimeout: '60' }, timeoutSeconds: '600', comment: ' nightly ', name: 'drain', priority: '0', cutoffBehavior: 'CANCEL_TASK', targetMode: 'tags', tags: [{ key: 'Role', values: 'web' }] }), specs);
  assert.deepEqual(more.Targets, [{ Key: 'tag:Role', Values: ['web'] }]);
  assert.equal(more.Priority, 0);
  assert.equal(more.Name, 'drain');
  assert.equal(more.CutoffBehavior, 'CANCEL_TASK');
  assert.deepEqual(more.TaskInvocationParameters, { RunCommand: { Parameters: { commands: ['uptime'], workingDirectory: ['/tmp'], executionTimeout: ['60'] }, DocumentVersion: '3', TimeoutSeconds: 600, Comment: 'nightly' } });
});

test('a task form is checked: targets, rate, priority, timeout, required parameters', () => {
  const v = validateTaskForm(taskForm({ windowTargetIds: [], maxConcurrency: '0', maxErrors: '-1', priority: 'first', timeoutSeconds: '5', values: { commands: '' } }), specs);
  assert.deepEqual(Object.keys(v.fields).sort(), ['maxConcurrency', 'maxErrors', 'priority', 'targets', 'timeoutSeconds']);
  assert.deepEqual(Object.keys(v.params), ['commands']);
  assert.equal(taskFormIsValid(v), false);
});

test("a refused task: the server's message lands by the field, or by the parameter it names", () => {
  const v = 'ValidationException';
  assert.deepEqual(taskRefusalPlace(v, 'TaskInvocationParameters.RunCommand.Parameters: Parameter "workingDirectory" does not match its allowed pattern.', specs), { field: 'parameters', param: 'workingDirectory' });
  assert.deepEqual(taskRefusalPlace(v, 'MaxConcurrency is required for a task with targets: how many targets it runs on at once.', specs), { field: 'maxConcurrency' });
  assert.deepEqual(taskRefusalPlace(v, 'TaskArn: Document Nope does not exist.', specs), { field: 'document' });
  assert.deepEqual(taskRefusalPlace('DoesNotExistException', `Window target ${TARGET} is not registered with maintenance window mw-0123456789abcdef0.`, specs), { field: 'targets' });
  assert.deepEqual(taskRefusalPlace(v, "Targets: maintenance window mw-0123456789abcdef0 does not allow unregistered targets (AllowUnassociatedTargets is false); …", specs), { field: 'targets' });
  assert.deepEqual(taskRefusalPlace('ResourceLimitExceededException', 'A maintenance window has at most 20 tasks.', specs), {});
});

test("an invocation's node and its page: Run Command's command, an automation, a webhook's resource", () => {
  const rc = { TaskType: 'RUN_COMMAND', ExecutionId: 'c0ffee00-0000-4000-8000-000000000000', Parameters: JSON.stringify({ documentName: 'AWS-RunShellScript', instanceIds: [NODE], parameters: { commands: ['echo'] } }) };
  assert.equal(invocationNode(rc), NODE);
  assert.equal(invocationTarget(rc), '/run-command/commands/c0ffee00-0000-4000-8000-000000000000');
  assert.equal(invocationTarget({ TaskType: 'AUTOMATION', ExecutionId: 'a-1' }), '/automation/executions/a-1');
  assert.equal(invocationTarget({ TaskType: 'LAMBDA', ExecutionId: 'x' }), undefined);
  assert.equal(invocationTarget({ TaskType: 'RUN_COMMAND' }), undefined);
  assert.equal(invocationNode({ Parameters: JSON.stringify({ url: 'https://hooks.example/x', resourceId: NODE }) }), NODE);
  assert.equal(invocationNode({ Parameters: JSON.stringify({ documentName: 'AWS-RunPatchBaseline', parameters: {} }) }), undefined);
  assert.equal(invocationNode({ Parameters: 'not json' }), undefined);
  assert.equal(invocationNode({}), undefined);
});

test('the window page asks again fast while one runs or a start is due, slowly otherwise, not for a disabled idle window', () => {
  const now = Date.UTC(2026, 10, 4, 5, 0, 0);
  const w = (next: string | undefined, Enabled = true) => ({ NextExecutionTime: next, Enabled });
  assert.equal(executionsPollDelay(w('2026-11-04T05:01Z'), [], now), FAST_POLL_MS, 'a minute before the start');
  assert.equal(executionsPollDelay(w('2026-11-04T05:05Z'), [], now), SLOW_POLL_MS, 'five minutes before');
  assert.equal(executionsPollDelay(w('2026-11-04T04:59Z'), [], now), FAST_POLL_MS, 'a minute after, nothing shown yet');
  assert.equal(executionsPollDelay(w('2026-11-04T04:59Z'), [{ Status: 'SUCCESS', StartTime: Date.UTC(2026, 10, 4, 4, 59) / 1000 }], now), SLOW_POLL_MS, 'its execution came and went');
  assert.equal(executionsPollDelay(w('2026-11-04T04:50Z'), [{ Status: 'IN_PROGRESS', StartTime: 1 }], now), FAST_POLL_MS, 'one runs');
  assert.equal(executionsPollDelay(w(undefined, false), [{ Status: 'SUCCESS' }], now), undefined);
  assert.equal(executionsPollDelay(w(undefined, false), [{ Status: 'CANCELLING' }], now), FAST_POLL_MS);
});

test('summaries: the schedule with its zone, duration and cutoff, a task’s window targets, how long until a start, an at() example', () => {
  assert.equal(scheduleSummary({ Schedule: 'cron(0 3 ? * SUN *)', ScheduleTimezone: 'America/New_York' }), 'cron(0 3 ? * SUN *) in America/New_York');
  assert.equal(scheduleSummary({ Schedule: 'cron(0 23 ? * TUE#2 *)', ScheduleOffset: 4 }), 'cron(0 23 ? * TUE#2 *) in UTC, 4 days later');
  assert.equal(durationSummary({ Duration: 4, Cutoff: 1 }), '4 h, no new task in the last 1 h');
  assert.equal(durationSummary({ Duration: 2, Cutoff: 0 }), '2 h, tasks may start until the end');
  const registered = [{ WindowTargetId: TARGET, Name: 'web' }, { WindowTargetId: '99999999-2222-4333-8444-555555555555' }];
  assert.equal(taskTargetsSummary([{ Key: 'WindowTargetIds', Values: [TARGET, '99999999-2222-4333-8444-555555555555', 'deadbeef-2222-4333-8444-555555555555'] }], registered), 'web, target 99999999, deadbeef (deregistered)');
  assert.equal(taskTargetsSummary([{ Key: 'InstanceIds', Values: [NODE] }], []), `InstanceIds = ${NODE}`);
  const now = Date.UTC(2026, 10, 4, 5, 0, 0);
  assert.equal(inHowLong(now + 40_000, now), 'in 40 s');
  assert.equal(inHowLong(now + 3 * 60_000, now), 'in 3 min');
  assert.equal(inHowLong(now + 5 * 3_600_000, now), 'in 5 h');
  assert.equal(inHowLong(now + 3 * 86_400_000, now), 'in 3 days');
  assert.equal(inHowLong(now - 1000, now), 'within a minute', 'a start at 05:00:30 is written 05:00');
  assert.equal(inHowLong(now - 120_000, now), 'due');
  // 00:00 in New York: the next 03:00 is today; at 04:00 it is tomorrow's, across the clocks going back.
  assert.equal(atExample(Date.UTC(2026, 10, 1, 4), 'America/New_York'), 'at(2026-11-01T03:00:00)');
  assert.equal(atExample(Date.UTC(2026, 9, 31, 8), 'America/New_York'), 'at(2026-11-01T03:00:00)');
  assert.equal(atExample(Date.UTC(2026, 10, 4, 5), 'UTC'), 'at(2026-11-05T03:00:00)');
});
