import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  CancelMaintenanceWindowExecutionCommand,
  CreateDocumentCommand,
  GetMaintenanceWindowCommand,
  GetMaintenanceWindowExecutionCommand,
  GetCommandInvocationCommand,
  GetMaintenanceWindowExecutionTaskCommand,
  GetMaintenanceWindowExecutionTaskInvocationCommand,
  GetParameterCommand,
  RegisterTargetWithMaintenanceWindowCommand,
  RegisterTaskWithMaintenanceWindowCommand,
  UpdateMaintenanceWindowCommand,
} from '@aws-sdk/client-ssm';
import { sql } from 'kysely';
import { onEveryEngine } from '../test-support/engines.js';
import type { Engine } from '../test-support/server.js';
import { Harness, HOUR, MINUTE, SECOND, shellTask } from './test-support/harness.js';

onEveryEngine('Maintenance Windows', (engine: Engine) => {
  // A Wednesday, 10:00 UTC.
  const h = new Harness(Date.UTC(2026, 10, 25, 10, 0, 0));
  before(() => h.start(engine));
  after(() => h.stop());

  test('Sunday 03:00 New York: drain, patch and check, then a runbook, in priority order, a few nodes at a time', async () => {
    const web = [await h.node({ Role: 'web' }), await h.node({ Role: 'web' }), await h.node({ Role: 'web' })];
    const db = await h.node({ Role: 'db' });
    await h.ssm().send(
      new CreateDocumentCommand({
        Name: 'RecordWindow',
        DocumentType: 'Automation',
        Content: JSON.stringify({
          schemaVersion: '0.3',
          parameters: { Execution: { type: 'String' }, Window: { type: 'String' } },
          mainSteps: [{ name: 'Write', action: 'aws:executeAwsApi', inputs: { Service: 'ssm', Api: 'PutParameter', Name: '/mw/{{ Execution }}', Value: '{{ Window }}', Type: 'String' } }],
        }),
      }),
    );
    const windowId = await h.window({ Name: 'sunday-patching', Schedule: 'cron(0 3 ? * SUN *)', ScheduleTimezone: 'America/New_York', Duration: 4, Cutoff: 1 });
    assert.match(windowId, /^mw-[0-9a-f]{17}$/);
    const got = await h.ssm().send(new GetMaintenanceWindowCommand({ WindowId: windowId }));
    assert.equal(got.NextExecutionTime, '2026-11-29T03:00-05:00');
    assert.equal(got.Enabled, true);
    assert.equal(got.ScheduleTimezone, 'America/New_York');

    const { WindowTargetId } = await h.ssm().send(new RegisterTargetWithMaintenanceWindowCommand({ WindowId: windowId, ResourceType: 'INSTANCE', Targets: [{ Key: 'tag:Role', Values: ['web'] }], OwnerInformation: 'web-team', Name: 'web-servers' }));
    const targets = [{ Key: 'WindowTargetIds', Values: [WindowTargetId!] }];
    const task = async (name: string, priority: number, concurrency: string) =>
      (await h.ssm().send(new RegisterTaskWithMaintenanceWindowCommand({ WindowId: windowId, Name: name, TaskType: 'RUN_COMMAND', TaskArn: 'AWS-RunShellScript', Targets: targets, Priority: priority, MaxConcurrency: concurrency, MaxErrors: '0', TaskInvocationParameters: shellTask(name) }))).WindowTaskId!;
    // Registered out of order: priority decides, not registration.
    const patch = await task('patch', 2, '2');
    const drain = await task('drain', 1, '1');
    const check = await task('check', 2, '100%');
    const record = (
      await h.ssm().send(
        new RegisterTaskWithMaintenanceWindowCommand({ WindowId: windowId, Name: 'record', TaskType: 'AUTOMATION', TaskArn: 'RecordWindow', Priority: 3, TaskInvocationParameters: { Automation: { Parameters: { Execution: ['{{WINDOW_EXECUTION_ID}}'], Window: ['{{WINDOW_ID}}'] } } } }),
      )
    ).WindowTaskId!;

    const start = Date.UTC(2026, 10, 29, 8, 0, 0);
    h.clock.set(start - SECOND);
    await h.quiet();
    assert.equal((await h.executions(windowId)).length, 0, 'not a second early');
    h.clock.set(start);
    const [e] = await h.ended(windowId, 1);
    assert.equal(e!.Status, 'SUCCESS', e!.StatusDetails);
    assert.equal(e!.StartTime!.getTime(), start);

    // What the nodes saw: every drain before any patch or check, none on the db node.
    const kinds = h.received.map((r) => /task:(\w+)/.exec(r.script)![1]!);
    assert.deepEqual(kinds.slice(0, 3), ['drain', 'drain', 'drain']);
    assert.deepEqual(kinds.slice(3).sort(), ['check', 'check', 'check', 'patch', 'patch', 'patch']);
    assert.ok(h.received.every((r) => r.agent !== db));
    assert.equal(h.peak.get('drain'), 1, 'drain: MaxConcurrency 1');
    assert.ok(h.peak.get('patch')! <= 2, `patch: MaxConcurrency 2, saw ${h.peak.get('patch')}`);

    const tasks = await h.tasks(e!.WindowExecutionId!);
    assert.equal(tasks.length, 4);
    assert.ok(tasks.every((t) => t.Status === 'SUCCESS'));
    const byTask = async (id: string) => {
      const info = await h.ssm().send(new GetMaintenanceWindowExecutionCommand({ WindowExecutionId: e!.WindowExecutionId! }));
      for (const taskExecutionId of info.TaskIds!) {
        const t = await h.ssm().send(new GetMaintenanceWindowExecutionTaskCommand({ WindowExecutionId: e!.WindowExecutionId!, TaskId: taskExecutionId }));
        const defined = JSON.stringify(t.TaskParameters);
        if ((id === record && t.Type === 'AUTOMATION') || defined.includes(`task:${id}`)) return t;
      }
      throw new Error(`no execution of task ${id}`);
    };
    const [d, p, c, r] = [await byTask('drain'), await byTask('patch'), await byTask('check'), await byTask(record)];
    assert.equal(p.StartTime!.getTime(), c.StartTime!.getTime(), 'tasks of one priority start together');
    assert.ok(p.StartTime! >= d.EndTime!, 'priority 2 starts after priority 1 ended');
    assert.ok(r.StartTime! >= p.EndTime! && r.StartTime! >= c.EndTime!, 'priority 3 starts after priority 2 ended');
    assert.equal(d.MaxConcurrency, '1');
    assert.equal(r.Priority, 3);
    void [patch, drain, check];

    // Per-target invocations: one command per node, pseudo-parameters filled in.
    const invocations = await h.invocations(e!.WindowExecutionId!, d.TaskExecutionId!);
    assert.deepEqual(invocations.map((i) => JSON.parse(i.Parameters!).instanceIds[0]).sort(), web.map((a) => a.instanceId).sort());
    for (const inv of invocations) {
      assert.equal(inv.Status, 'SUCCESS');
      assert.equal(inv.WindowTargetId, WindowTargetId);
      assert.equal(inv.OwnerInformation, 'web-team');
      const params = JSON.parse(inv.Parameters!);
      assert.deepEqual(params.parameters.commands, [`echo task:drain ${params.instanceIds[0]} ${e!.WindowExecutionId}`]);
      assert.ok(h.received.some((x) => x.job.id === inv.ExecutionId), 'ExecutionId is the command the node ran');
    }
    const one = await h.ssm().send(new GetMaintenanceWindowExecutionTaskInvocationCommand({ WindowExecutionId: e!.WindowExecutionId!, TaskId: d.TaskExecutionId!, InvocationId: invocations[0]!.InvocationId! }));
    assert.equal(one.ExecutionId, invocations[0]!.ExecutionId);
    // The runbook ran once, without targets, with the window's ids.
    const [auto] = await h.invocations(e!.WindowExecutionId!, r.TaskExecutionId!);
    assert.equal(auto!.TaskType, 'AUTOMATION');
    assert.match(auto!.ExecutionId!, /^[0-9a-f-]{36}$/);
    assert.equal((await h.ssm().send(new GetParameterCommand({ Name: `/mw/${e!.WindowExecutionId}` }))).Parameter!.Value, windowId);

    assert.equal((await h.ssm().send(new GetMaintenanceWindowCommand({ WindowId: windowId }))).NextExecutionTime, '2026-12-06T03:00-05:00');
    await h.ssm().send(new UpdateMaintenanceWindowCommand({ WindowId: windowId, Enabled: false }));
    assert.equal((await h.ssm().send(new GetMaintenanceWindowCommand({ WindowId: windowId }))).NextExecutionTime, undefined, 'a disabled window has no next execution');
  });

  test('the cutoff: no task starts after it, CANCEL_TASK commands are cancelled at it, CONTINUE_TASK ones run past the window', async () => {
    const [a, b] = [await h.node(), await h.node()];
    // Monday 2026-11-30 02:00 UTC, two hours, no new tasks in the last one.
    const windowId = await h.window({ Name: 'cutoff', Schedule: 'cron(0 2 ? * MON *)', Duration: 2, Cutoff: 1, AllowUnassociatedTargets: true });
    const task = (name: string, priority: number, nodes: string[], behaviour: 'CONTINUE_TASK' | 'CANCEL_TASK') =>
      h.ssm().send(new RegisterTaskWithMaintenanceWindowCommand({ WindowId: windowId, Name: name, TaskType: 'RUN_COMMAND', TaskArn: 'AWS-RunShellScript', Targets: [{ Key: 'InstanceIds', Values: nodes }], Priority: priority, MaxConcurrency: '10', MaxErrors: '1', CutoffBehavior: behaviour, TaskInvocationParameters: shellTask(name) }));
    await task('long', 1, [a.instanceId], 'CONTINUE_TASK');
    await task('stoppable', 1, [b.instanceId], 'CANCEL_TASK');
    await task('late', 2, [a.instanceId, b.instanceId], 'CONTINUE_TASK');
    await h.ssm().send(
      new CreateDocumentCommand({ Name: 'LongNap', DocumentType: 'Automation', Content: JSON.stringify({ schemaVersion: '0.3', mainSteps: [{ name: 'Nap', action: 'aws:sleep', inputs: { Duration: 'PT3H' } }] }) }),
    );
    await h.ssm().send(new RegisterTaskWithMaintenanceWindowCommand({ WindowId: windowId, Name: 'nap', TaskType: 'AUTOMATION', TaskArn: 'LongNap', Priority: 1, CutoffBehavior: 'CANCEL_TASK' }));
    h.holdPattern = /task:(long|stoppable)/;
    const start = Date.UTC(2026, 10, 30, 2, 0, 0);
    h.clock.set(start);
    // Both commands running on their nodes, as the server sees them (not only received): a command
    // still Pending at its TimeoutSeconds (1 h, the cutoff here) times out in delivery instead.
    const running = async () => {
      const got = h.received.filter((r) => /task:(long|stoppable)/.test(r.script));
      if (got.length !== 2) return false;
      const states = await Promise.all(got.map(async (r) => (await h.ssm().send(new GetCommandInvocationCommand({ CommandId: r.job.id, InstanceId: r.agent.instanceId }))).Status));
      return states.every((x) => x === 'InProgress');
    };
    await h.settle(running);

    h.clock.set(start + HOUR);
    const stoppable = h.received.find((r) => r.script.includes('task:stoppable'))!;
    // Within 20 s of server time after the cutoff, in small steps, and at least 30 s of real time for a loaded machine to deliver the cancel.
    await h.settle(async () => b.jobs.some((j) => j.kind === 'cancel'), SECOND / 10, 200, 30_000);
    h.finish(stoppable, 'Cancelled');
    // The window ends; the CONTINUE_TASK command still runs, and ends when it ends.
    const napOf = async () => {
      const e = (await h.executions(windowId))[0]!;
      const nap = (await h.tasks(e.WindowExecutionId!)).find((x) => x.TaskType === 'AUTOMATION')!;
      return (await h.invocations(e.WindowExecutionId!, nap.TaskExecutionId!))[0]!;
    };
    assert.equal((await napOf()).Status, 'IN_PROGRESS', 'a runbook is left running at the cutoff');
    h.clock.set(start + 2 * HOUR + MINUTE);
    await h.quiet();
    assert.equal((await h.executions(windowId))[0]!.Status, 'IN_PROGRESS');
    // At the window's end the CANCEL_TASK runbook is stopped.
    await h.settle(async () => (await napOf()).Status === 'CANCELLED', SECOND, 30);
    h.holdPattern = undefined;
    const [e] = await h.ended(windowId, 1);
    assert.equal(e!.Status, 'TIMED_OUT', e!.StatusDetails);
    const tasks = await h.tasks(e!.WindowExecutionId!);
    const named = async (name: string) => {
      for (const t of tasks) if (JSON.stringify((await h.ssm().send(new GetMaintenanceWindowExecutionTaskCommand({ WindowExecutionId: e!.WindowExecutionId!, TaskId: t.TaskExecutionId! }))).TaskParameters).includes(`task:${name}`)) return t;
      throw new Error(name);
    };
    assert.equal((await named('long')).Status, 'SUCCESS');
    assert.equal(tasks.find((x) => x.TaskType === 'AUTOMATION')!.Status, 'TIMED_OUT');
    const stopped = await named('stoppable');
    assert.equal(stopped.Status, 'TIMED_OUT');
    assert.equal((await h.invocations(e!.WindowExecutionId!, stopped.TaskExecutionId!))[0]!.Status, 'CANCELLED');
    const late = await named('late');
    assert.equal(late.Status, 'CANCELLED');
    assert.match(late.StatusDetails!, /cutoff/);
    assert.ok(!h.received.some((r) => r.script.includes('task:late')), 'no node was sent the task that came after the cutoff');
  });

  test('a window whose time passed while the server was down is recorded, not run late; an overlapping start is SKIPPED_OVERLAPPING; a cancelled execution finishes what runs', async () => {
    const a = await h.node();
    const daily = await h.window({ Name: 'daily', Schedule: 'cron(0 4 * * ? *)', Duration: 1, Cutoff: 0, AllowUnassociatedTargets: true });
    await h.ssm().send(new RegisterTaskWithMaintenanceWindowCommand({ WindowId: daily, TaskType: 'RUN_COMMAND', TaskArn: 'AWS-RunShellScript', Targets: [{ Key: 'InstanceIds', Values: [a.instanceId] }], MaxConcurrency: '1', MaxErrors: '0', TaskInvocationParameters: shellTask('daily') }));
    const next4am = Date.UTC(2026, 11, 1, 4, 0, 0);
    assert.ok(h.clock.now() < next4am);
    // Nothing ran the scheduler from before 04:00 until after 05:00.
    h.clock.set(next4am + HOUR + 10 * MINUTE);
    const [missed] = await h.ended(daily, 1);
    assert.equal(missed!.Status, 'TIMED_OUT');
    assert.match(missed!.StatusDetails!, /not running.*not run late/);
    assert.equal(missed!.StartTime!.getTime(), next4am);
    assert.ok(!h.received.some((r) => r.script.includes('task:daily')));
    // The next day runs as usual.
    h.clock.set(next4am + 24 * HOUR);
    const [ran] = await h.ended(daily, 2);
    assert.equal(ran!.Status, 'SUCCESS');

    const hourly = await h.window({ Name: 'hourly', Schedule: 'rate(1 hour)', Duration: 2, Cutoff: 0, AllowUnassociatedTargets: true });
    await h.ssm().send(new RegisterTaskWithMaintenanceWindowCommand({ WindowId: hourly, TaskType: 'RUN_COMMAND', TaskArn: 'AWS-RunShellScript', Targets: [{ Key: 'InstanceIds', Values: [a.instanceId] }], Priority: 1, MaxConcurrency: '1', MaxErrors: '0', TaskInvocationParameters: shellTask('stuck') }));
    await h.ssm().send(new RegisterTaskWithMaintenanceWindowCommand({ WindowId: hourly, TaskType: 'RUN_COMMAND', TaskArn: 'AWS-RunShellScript', Targets: [{ Key: 'InstanceIds', Values: [a.instanceId] }], Priority: 2, MaxConcurrency: '1', MaxErrors: '0', TaskInvocationParameters: shellTask('after-stuck') }));
    h.holdPattern = /task:stuck/;
    h.clock.advance(HOUR);
    await h.settle(async () => h.received.some((r) => r.script.includes('task:stuck')));
    h.clock.advance(HOUR - 5 * SECOND);
    const list = await h.settle(async () => {
      const l = await h.executions(hourly);
      return l.length === 2 && l;
    });
    assert.equal(list[0]!.Status, 'SKIPPED_OVERLAPPING');
    const running = list[1]!;
    assert.equal(running.Status, 'IN_PROGRESS');
    await h.ssm().send(new CancelMaintenanceWindowExecutionCommand({ WindowExecutionId: running.WindowExecutionId! }));
    assert.equal((await h.ssm().send(new GetMaintenanceWindowExecutionCommand({ WindowExecutionId: running.WindowExecutionId! }))).Status, 'CANCELLING');
    h.holdPattern = undefined;
    const done = await h.settle(async () => {
      const x = await h.ssm().send(new GetMaintenanceWindowExecutionCommand({ WindowExecutionId: running.WindowExecutionId! }));
      return x.Status === 'CANCELLED' && x;
    });
    const tasks = await h.tasks(done.WindowExecutionId!);
    assert.deepEqual(tasks.map((t) => t.Status), ['SUCCESS', 'CANCELLED'], 'the running task finished; the next was not started');
    assert.ok(!h.received.some((r) => r.script.includes('task:after-stuck')));
    await h.ssm().send(new UpdateMaintenanceWindowCommand({ WindowId: hourly, Enabled: false }));
  });

  test('a command sent for an invocation whose record was lost (the server stopped between the two) becomes its ExecutionId, and is not sent again', async () => {
    const a = await h.node();
    const windowId = await h.window({ Name: 'lost-record', Schedule: 'rate(1 day)', Duration: 2, Cutoff: 0, AllowUnassociatedTargets: true });
    await h.ssm().send(new RegisterTaskWithMaintenanceWindowCommand({ WindowId: windowId, TaskType: 'RUN_COMMAND', TaskArn: 'AWS-RunShellScript', Targets: [{ Key: 'InstanceIds', Values: [a.instanceId] }], MaxConcurrency: '1', MaxErrors: '0', TaskInvocationParameters: shellTask('lost-record') }));
    h.holdPattern = /task:lost-record/;
    h.clock.advance(24 * HOUR);
    const sent = await h.settle(async () => h.received.find((r) => r.script.includes('task:lost-record')));
    // What a kill between SendCommand and recording its id leaves: the invocation without its command.
    await sql`update maintenance_window_invocations set execution_id = '' where execution_id = ${sent.job.id}`.execute(h.t.server.core.database.db);
    h.holdPattern = undefined;
    const [e] = await h.settle(async () => {
      const l = await h.executions(windowId);
      return l.length === 1 && l[0]!.Status === 'SUCCESS' && l;
    });
    const [task] = await h.tasks(e!.WindowExecutionId!);
    const [inv] = await h.invocations(e!.WindowExecutionId!, task!.TaskExecutionId!);
    assert.equal(inv!.Status, 'SUCCESS');
    assert.equal(inv!.ExecutionId, sent.job.id, 'the invocation names the command the node ran');
    assert.equal(h.received.filter((r) => r.script.includes('task:lost-record')).length, 1, 'the command was not sent again');
    await h.ssm().send(new UpdateMaintenanceWindowCommand({ WindowId: windowId, Enabled: false }));
  });
});
