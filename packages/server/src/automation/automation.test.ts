import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { onEveryEngine } from '../test-support/engines.js';
import { DescribeAutomationExecutionsCommand, GetAutomationExecutionCommand, GetParameterCommand, SendAutomationSignalCommand, StartAutomationExecutionCommand, StopAutomationExecutionCommand } from '@aws-sdk/client-ssm';
import { automationHarness, ended, type AutomationHarness } from './test-support/harness.js';

onEveryEngine('Automation', (engine) => {
let h: AutomationHarness;
before(async () => {
  h = await automationHarness(engine);
});
after(async () => h.stop());

test('a runbook of sleep, branch, variables, executeAwsApi and executeScript runs to Success with its outputs', async () => {
  const name = await h.runbook('flow', {
    parameters: { Color: { type: 'String', default: 'blue' }, Count: { type: 'Integer', default: 2 } },
    variables: { Seen: { type: 'String', default: 'none' } },
    mainSteps: [
      { name: 'Nap', action: 'aws:sleep', inputs: { Duration: 'PT10M' } },
      { name: 'Pick', action: 'aws:branch', inputs: { Choices: [{ NextStep: 'Red', Variable: '{{ Color }}', StringEquals: 'red' }, { NextStep: 'Write', Variable: '{{ Count }}', NumericGreater: 1 }], Default: 'Red' } },
      { name: 'Red', action: 'aws:updateVariable', inputs: { Name: 'variable:Seen', Value: 'red' }, isEnd: true },
      { name: 'Write', action: 'aws:executeAwsApi', inputs: { Service: 'ssm', Api: 'PutParameter', Name: '/automation/{{ automation:EXECUTION_ID }}', Value: '{{ Color }}-{{ Count }}', Type: 'String' }, outputs: [{ Name: 'Version', Selector: '$.Version', Type: 'Integer' }] },
      { name: 'Mark', action: 'aws:updateVariable', inputs: { Name: 'variable:Seen', Value: 'wrote {{ Write.Version }}' } },
      { name: 'Compute', action: 'aws:executeScript', inputs: { Runtime: 'nodejs20.x', Handler: 'handler', Script: 'function handler(events) { return { doubled: events.n * 2, seen: events.seen } }', InputPayload: { n: '{{ Count }}', seen: '{{ variable:Seen }}' } }, outputs: [{ Name: 'Doubled', Selector: '$.Payload.doubled', Type: 'Integer' }] },
    ],
    outputs: ['Compute.Doubled', 'Write.Version'],
  });
  const id = await h.start(name, { Count: ['3'] });
  const waiting = await h.waitFor(id, (e) => e.StepExecutions?.[0]?.StepStatus === 'InProgress');
  assert.equal(waiting.AutomationExecutionStatus, 'InProgress');
  assert.equal(waiting.CurrentStepName, 'Nap');
  const done = await h.waitFor(id, ended, { stepMs: 60_000 });
  assert.equal(done.AutomationExecutionStatus, 'Success', done.FailureMessage);
  assert.deepEqual(done.StepExecutions?.map((s) => [s.StepName, s.StepStatus]), [['Nap', 'Success'], ['Pick', 'Success'], ['Write', 'Success'], ['Mark', 'Success'], ['Compute', 'Success']]);
  assert.deepEqual(done.Outputs, { 'Compute.Doubled': ['6'], 'Write.Version': ['1'] });
  assert.deepEqual(done.Variables, { Seen: ['wrote 1'] });
  const param = await h.ssm.send(new GetParameterCommand({ Name: `/automation/${id}` }));
  assert.equal(param.Parameter?.Value, 'blue-3');
});

test('aws:approve: the listed approver approves with a comment, and the approval is the step output; a stranger is refused', async () => {
  const me = (await h.t.server.core.iam.getUser(h.t.accountId, 'admin').catch(() => undefined))?.name ?? 'admin';
  const name = await h.runbook('approve', {
    parameters: { Approver: { type: 'String' } },
    mainSteps: [
      { name: 'Ask', action: 'aws:approve', inputs: { Approvers: ['{{ Approver }}'], Message: 'go?' } },
      { name: 'After', action: 'aws:sleep', inputs: { Duration: 'PT1S' } },
    ],
    outputs: ['Ask.ApprovalStatus'],
  });
  const id = await h.start(name, { Approver: [me] });
  const waiting = await h.waitFor(id, (e) => e.AutomationExecutionStatus === 'Waiting');
  assert.equal(waiting.StepExecutions?.[0]?.StepStatus, 'Waiting');
  await assert.rejects(h.ssm.send(new SendAutomationSignalCommand({ AutomationExecutionId: id, SignalType: 'Resume' })), /InvalidAutomationSignalException/);
  await h.ssm.send(new SendAutomationSignalCommand({ AutomationExecutionId: id, SignalType: 'Approve', Payload: { Comment: ['ship it'] } }));
  await assert.rejects(h.ssm.send(new SendAutomationSignalCommand({ AutomationExecutionId: id, SignalType: 'Approve' })), (e: Error) => e.name === 'InvalidAutomationSignalException' || e.name === 'InvalidAutomationStatusUpdateException');
  const done = await h.waitFor(id, ended, { stepMs: 1_000 });
  assert.equal(done.AutomationExecutionStatus, 'Success');
  assert.deepEqual(done.Outputs, { 'Ask.ApprovalStatus': ['Approved'] });
  const decisions = JSON.parse(done.StepExecutions![0]!.Outputs!.ApproverDecisions![0]!) as { Approver: string; Decision: string; Comment: string }[];
  assert.equal(decisions[0]!.Decision, 'Approved');
  assert.equal(decisions[0]!.Comment, 'ship it');

  const other = await h.start(name, { Approver: ['somebody-else'] });
  await h.waitFor(other, (e) => e.AutomationExecutionStatus === 'Waiting');
  await assert.rejects(h.ssm.send(new SendAutomationSignalCommand({ AutomationExecutionId: other, SignalType: 'Approve' })), /not among the approvers/);
  await h.ssm.send(new StopAutomationExecutionCommand({ AutomationExecutionId: other }));
  const cancelled = await h.waitFor(other, ended);
  assert.equal(cancelled.AutomationExecutionStatus, 'Cancelled');
  assert.equal(cancelled.StepExecutions?.[0]?.StepStatus, 'Cancelled');
});

test('aws:approve: a rejection fails the step and the execution; no decision within timeoutSeconds times out', async () => {
  const name = await h.runbook('reject', {
    mainSteps: [
      { name: 'Ask', action: 'aws:approve', timeoutSeconds: 600, inputs: { Approvers: ['admin'], MinRequiredApprovals: 1 } },
      { name: 'Never', action: 'aws:sleep', inputs: { Duration: 'PT1S' } },
    ],
  });
  const rejected = await h.start(name);
  await h.waitFor(rejected, (e) => e.AutomationExecutionStatus === 'Waiting');
  await h.ssm.send(new SendAutomationSignalCommand({ AutomationExecutionId: rejected, SignalType: 'Reject', Payload: { Comment: ['not today'] } }));
  const r = await h.waitFor(rejected, ended);
  assert.equal(r.AutomationExecutionStatus, 'Failed');
  assert.equal(r.StepExecutions?.length, 1);
  assert.match(r.StepExecutions![0]!.FailureMessage!, /Rejected by .*admin: not today/);
  assert.match(r.FailureMessage!, /Step Ask failed: Rejected/);

  const slow = await h.start(name);
  await h.waitFor(slow, (e) => e.AutomationExecutionStatus === 'Waiting');
  h.clock.advance(601_000);
  const t = await h.waitFor(slow, ended);
  assert.equal(t.AutomationExecutionStatus, 'TimedOut');
  assert.equal(t.StepExecutions![0]!.StepStatus, 'TimedOut');
});

test('onFailure Abort, Continue and step:NAME; isCritical false; maxAttempts retries', async () => {
  const failing = { action: 'aws:executeAwsApi', inputs: { Service: 'ssm', Api: 'GetParameter', Name: '/does/not/exist' } };
  const abort = await h.runbook('abort', { mainSteps: [{ name: 'Bad', ...failing }, { name: 'Later', action: 'aws:sleep', inputs: { Duration: 'PT1S' } }] });
  const a = await h.waitFor(await h.start(abort), ended);
  assert.equal(a.AutomationExecutionStatus, 'Failed');
  assert.deepEqual(a.StepExecutions?.map((s) => s.StepName), ['Bad']);
  assert.match(a.StepExecutions![0]!.FailureMessage!, /ParameterNotFound/);

  const cont = await h.runbook('continue', { mainSteps: [{ name: 'Bad', onFailure: 'Continue', ...failing }, { name: 'Later', action: 'aws:updateVariable', inputs: { Name: 'X', Value: 'y' } }] });
  const c = await h.waitFor(await h.start(cont), ended);
  assert.deepEqual(c.StepExecutions?.map((s) => [s.StepName, s.StepStatus]), [['Bad', 'Failed'], ['Later', 'Success']]);
  assert.equal(c.AutomationExecutionStatus, 'Failed', 'a critical step failed, so the execution reports Failed even though it continued');

  const soft = await h.runbook('soft', { mainSteps: [{ name: 'Bad', onFailure: 'Continue', isCritical: false, ...failing }, { name: 'Later', action: 'aws:updateVariable', inputs: { Name: 'X', Value: 'y' } }] });
  assert.equal((await h.waitFor(await h.start(soft), ended)).AutomationExecutionStatus, 'Success');

  const jump = await h.runbook('jump', {
    mainSteps: [
      { name: 'Bad', onFailure: 'step:Recover', isCritical: false, ...failing },
      { name: 'Skipped', action: 'aws:updateVariable', inputs: { Name: 'X', Value: 'skipped' }, isEnd: true },
      { name: 'Recover', action: 'aws:updateVariable', inputs: { Name: 'X', Value: 'recovered' } },
    ],
    variables: { X: { type: 'String', default: '' } },
  });
  const j = await h.waitFor(await h.start(jump), ended);
  assert.deepEqual(j.StepExecutions?.map((s) => s.StepName), ['Bad', 'Recover']);
  assert.deepEqual(j.Variables, { X: ['recovered'] });

  const retry = await h.runbook('retry', { mainSteps: [{ name: 'Bad', maxAttempts: 3, ...failing }] });
  const r = await h.waitFor(await h.start(retry), ended);
  assert.equal(r.AutomationExecutionStatus, 'Failed');
  assert.equal(r.StepExecutions?.length, 1);
});

test('a step that runs out of timeoutSeconds is TimedOut, and so is the execution', async () => {
  const name = await h.runbook('timeout', { mainSteps: [{ name: 'Long', action: 'aws:sleep', timeoutSeconds: 60, inputs: { Duration: 'PT1H' } }] });
  const id = await h.start(name);
  await h.waitFor(id, (e) => e.StepExecutions?.[0]?.StepStatus === 'InProgress');
  h.clock.advance(61_000);
  const done = await h.waitFor(id, ended);
  assert.equal(done.AutomationExecutionStatus, 'TimedOut');
  assert.match(done.StepExecutions![0]!.FailureMessage!, /60 seconds/);
});

test('aws:branch: Default when no choice holds, a failure when there is no Default; And/Or/Not', async () => {
  const doc = (withDefault: boolean) => ({
    parameters: { N: { type: 'Integer' }, S: { type: 'String', default: 'abc' } },
    mainSteps: [
      {
        name: 'Choose',
        action: 'aws:branch',
        inputs: {
          Choices: [{ NextStep: 'Big', And: [{ Variable: '{{ N }}', NumericGreaterOrEquals: 10 }, { Not: { Variable: '{{ S }}', StartsWith: 'x' } }] }, { NextStep: 'Small', Or: [{ Variable: '{{ N }}', NumericLesser: 0 }, { Variable: '{{ S }}', EqualsIgnoreCase: 'ABC' }] }],
          ...(withDefault ? { Default: 'Other' } : {}),
        },
      },
      { name: 'Big', action: 'aws:updateVariable', inputs: { Name: 'V', Value: 'big' }, isEnd: true },
      { name: 'Small', action: 'aws:updateVariable', inputs: { Name: 'V', Value: 'small' }, isEnd: true },
      { name: 'Other', action: 'aws:updateVariable', inputs: { Name: 'V', Value: 'other' }, isEnd: true },
    ],
    variables: { V: { type: 'String', default: '' } },
  });
  const withDefault = await h.runbook('branch', doc(true));
  const run = async (name: string, p: Record<string, string[]>) => h.waitFor(await h.start(name, p), ended);
  assert.deepEqual((await run(withDefault, { N: ['12'] })).Variables, { V: ['big'] });
  assert.deepEqual((await run(withDefault, { N: ['5'] })).Variables, { V: ['small'] });
  assert.deepEqual((await run(withDefault, { N: ['5'], S: ['zzz'] })).Variables, { V: ['other'] });
  const noDefault = await h.runbook('branchless', doc(false));
  const failed = await run(noDefault, { N: ['5'], S: ['zzz'] });
  assert.equal(failed.AutomationExecutionStatus, 'Failed');
  assert.match(failed.StepExecutions![0]!.FailureMessage!, /no Default/);
});

test('aws:loop over Iterators runs its steps once per item, in order, and exposes the iteration', async () => {
  const name = await h.runbook('loop', {
    parameters: { Items: { type: 'StringList', default: ['a', 'b', 'c'] } },
    variables: { Acc: { type: 'String', default: '' } },
    mainSteps: [
      { name: 'Each', action: 'aws:loop', inputs: { Iterators: '{{ Items }}', Steps: [{ name: 'Add', action: 'aws:updateVariable', inputs: { Name: 'Acc', Value: '{{ variable:Acc }}{{ Each.CurrentIteratorValue }}{{ Each.CurrentIteration }}' } }] } },
      { name: 'Until', action: 'aws:loop', inputs: { MaxIterations: 10, LoopCondition: { Variable: '{{ Count.Payload }}', NumericLesser: 3 }, Steps: [{ name: 'Count', action: 'aws:executeScript', inputs: { Runtime: 'nodejs20.x', Handler: 'h', Script: 'function h(e) { return Number(e.i) }', InputPayload: { i: '{{ Until.CurrentIteration }}' } } }] } },
    ],
  });
  const done = await h.waitFor(await h.start(name), ended);
  assert.equal(done.AutomationExecutionStatus, 'Success', done.FailureMessage);
  assert.deepEqual(done.Variables, { Acc: ['a1b2c3'] });
  const adds = done.StepExecutions!.filter((s) => s.StepName === 'Add');
  assert.deepEqual(adds.map((s) => s.ParentStepDetails?.IteratorValue), ['a', 'b', 'c']);
  assert.equal(adds[0]!.ParentStepDetails?.StepName, 'Each');
  assert.equal(done.StepExecutions!.filter((s) => s.StepName === 'Count').length, 3);
});

test('aws:pause waits for Resume; Interactive mode waits for StartStep before each step', async () => {
  const name = await h.runbook('pause', { mainSteps: [{ name: 'Hold', action: 'aws:pause', inputs: {} }, { name: 'Go', action: 'aws:updateVariable', inputs: { Name: 'V', Value: 'x' } }] });
  const id = await h.start(name);
  await h.waitFor(id, (e) => e.AutomationExecutionStatus === 'Waiting');
  await h.ssm.send(new SendAutomationSignalCommand({ AutomationExecutionId: id, SignalType: 'Resume' }));
  assert.equal((await h.waitFor(id, ended)).AutomationExecutionStatus, 'Success');

  const inter = await h.start(name, undefined, { Mode: 'Interactive' });
  let e = await h.waitFor(inter, (x) => x.AutomationExecutionStatus === 'Waiting');
  assert.equal(e.StepExecutions?.[0]?.StepStatus, 'Pending');
  await assert.rejects(h.ssm.send(new SendAutomationSignalCommand({ AutomationExecutionId: inter, SignalType: 'StartStep', Payload: { StepName: ['Go'] } })), /InvalidAutomationSignalException/);
  await h.ssm.send(new SendAutomationSignalCommand({ AutomationExecutionId: inter, SignalType: 'StartStep', Payload: { StepName: ['Hold'] } }));
  e = await h.waitFor(inter, (x) => x.StepExecutions?.[0]?.StepStatus === 'Waiting');
  await h.ssm.send(new SendAutomationSignalCommand({ AutomationExecutionId: inter, SignalType: 'Resume' }));
  e = await h.waitFor(inter, (x) => x.StepExecutions?.[1]?.StepStatus === 'Pending' && x.AutomationExecutionStatus === 'Waiting');
  await h.ssm.send(new SendAutomationSignalCommand({ AutomationExecutionId: inter, SignalType: 'StartStep', Payload: { StepName: ['Go'] } }));
  assert.equal((await h.waitFor(inter, ended)).AutomationExecutionStatus, 'Success');
});

test('cancelling a sleeping execution runs its onCancel step and ends Cancelled; a finished one cannot be stopped', async () => {
  const name = await h.runbook('cancel', {
    mainSteps: [
      { name: 'Nap', action: 'aws:sleep', onCancel: 'step:Cleanup', inputs: { Duration: 'PT1H' } },
      { name: 'Work', action: 'aws:updateVariable', inputs: { Name: 'V', Value: 'worked' }, isEnd: true },
      { name: 'Cleanup', action: 'aws:updateVariable', inputs: { Name: 'V', Value: 'cleaned' } },
    ],
    variables: { V: { type: 'String', default: '' } },
  });
  const id = await h.start(name);
  await h.waitFor(id, (e) => e.StepExecutions?.[0]?.StepStatus === 'InProgress');
  await h.ssm.send(new StopAutomationExecutionCommand({ AutomationExecutionId: id, Type: 'Cancel' }));
  const done = await h.waitFor(id, ended);
  assert.equal(done.AutomationExecutionStatus, 'Cancelled');
  assert.deepEqual(done.StepExecutions?.map((s) => [s.StepName, s.StepStatus]), [['Nap', 'Cancelled'], ['Cleanup', 'Success']]);
  assert.deepEqual(done.Variables, { V: ['cleaned'] });
  await assert.rejects(h.ssm.send(new StopAutomationExecutionCommand({ AutomationExecutionId: id })), /InvalidAutomationStatusUpdateException/);
});

test('aws:executeAutomation runs a child runbook and waits; a failing child fails the parent step', async () => {
  const child = await h.runbook('child', {
    parameters: { Fail: { type: 'Boolean', default: false } },
    mainSteps: [
      { name: 'Check', action: 'aws:branch', inputs: { Choices: [{ NextStep: 'Boom', Variable: '{{ Fail }}', BooleanEquals: true }], Default: 'Fine' } },
      { name: 'Fine', action: 'aws:updateVariable', inputs: { Name: 'R', Value: 'ok' }, isEnd: true },
      { name: 'Boom', action: 'aws:executeAwsApi', inputs: { Service: 'ssm', Api: 'GetParameter', Name: '/no/such/thing' } },
    ],
  });
  const parent = await h.runbook('parent', {
    parameters: { Fail: { type: 'String', default: 'false' } },
    mainSteps: [{ name: 'Run', action: 'aws:executeAutomation', inputs: { DocumentName: child, RuntimeParameters: { Fail: '{{ Fail }}' } } }],
    outputs: ['Run.Status'],
  });
  const ok = await h.waitFor(await h.start(parent), ended);
  assert.equal(ok.AutomationExecutionStatus, 'Success', ok.FailureMessage);
  const childId = ok.StepExecutions![0]!.Outputs!.ExecutionId![0]!;
  const c = await h.get(childId);
  assert.equal(c.ParentAutomationExecutionId, ok.AutomationExecutionId);
  assert.equal(c.AutomationExecutionStatus, 'Success');

  const bad = await h.waitFor(await h.start(parent, { Fail: ['true'] }), ended);
  assert.equal(bad.AutomationExecutionStatus, 'Failed');
  assert.match(bad.StepExecutions![0]!.FailureMessage!, /Child automation .* ended Failed/);
});

test('rate control: one child per target, never more than MaxConcurrency at once, and no new targets once MaxErrors is exceeded', async () => {
  const name = await h.runbook('fleet', {
    parameters: { Item: { type: 'String' } },
    mainSteps: [
      { name: 'Check', action: 'aws:branch', inputs: { Choices: [{ NextStep: 'Fail', Variable: '{{ Item }}', StartsWith: 'bad' }], Default: 'Wait' } },
      { name: 'Wait', action: 'aws:sleep', inputs: { Duration: 'PT1M' }, isEnd: true },
      { name: 'Fail', action: 'aws:executeAwsApi', inputs: { Service: 'ssm', Api: 'GetParameter', Name: '/no/such' } },
    ],
  });
  const values = ['a', 'b', 'c', 'd', 'e'];
  const id = await h.start(name, undefined, { TargetParameterName: 'Item', Targets: [{ Key: 'ParameterValues', Values: values }], MaxConcurrency: '2', MaxErrors: '0' });
  let peak = 0;
  const done = await h.waitFor(
    id,
    (e) => {
      const running = e.StepExecutions!.filter((s) => s.StepStatus === 'InProgress').length;
      peak = Math.max(peak, running);
      return ended(e);
    },
    { stepMs: 20_000 },
  );
  assert.equal(done.AutomationExecutionStatus, 'Success', done.FailureMessage);
  assert.equal(peak, 2);
  assert.equal(done.StepExecutions!.length, 5);
  assert.deepEqual(done.ResolvedTargets?.ParameterValues, values);
  const children = await h.ssm.send(new DescribeAutomationExecutionsCommand({ Filters: [{ Key: 'ParentExecutionId', Values: [id] }] }));
  assert.deepEqual(children.AutomationExecutionMetadataList!.map((m) => m.Target).sort(), values);

  const errs = await h.start(name, undefined, { TargetParameterName: 'Item', Targets: [{ Key: 'ParameterValues', Values: ['bad1', 'bad2', 'c', 'd', 'e'] }], MaxConcurrency: '1', MaxErrors: '1' });
  const f = await h.waitFor(errs, ended, { stepMs: 20_000 });
  assert.equal(f.AutomationExecutionStatus, 'Failed');
  assert.equal(f.StepExecutions!.length, 2, 'after the second failure (more than MaxErrors 1) no further target started');
  assert.match(f.FailureMessage!, /MaxErrors/);
});

test('bad input: unknown runbook and version, a Command document, undeclared or missing parameters, Targets without TargetParameterName; nothing is written', async () => {
  const name = await h.runbook('strict', { parameters: { Need: { type: 'String', allowedPattern: '^[a-z]+$' } }, mainSteps: [{ name: 'S', action: 'aws:sleep', inputs: { Duration: 'PT1S' } }] });
  const before = (await h.ssm.send(new DescribeAutomationExecutionsCommand({}))).AutomationExecutionMetadataList!.length;
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ DocumentName: 'NoSuchRunbook' }, /AutomationDefinitionNotFoundException/],
    [{ DocumentName: name, DocumentVersion: '9' }, /AutomationDefinitionVersionNotFoundException/],
    [{ DocumentName: 'AWS-RunShellScript' }, /AutomationDefinitionNotFoundException.*Command/],
    [{ DocumentName: name }, /InvalidAutomationExecutionParametersException.*Need/],
    [{ DocumentName: name, Parameters: { Need: ['UPPER'] } }, /InvalidAutomationExecutionParametersException/],
    [{ DocumentName: name, Parameters: { Need: ['ok'], Extra: ['x'] } }, /InvalidAutomationExecutionParametersException.*Extra/],
    [{ DocumentName: name, Parameters: { Need: ['ok'] }, Targets: [{ Key: 'ParameterValues', Values: ['a'] }] }, /ValidationException.*TargetParameterName/],
    [{ DocumentName: name, TargetParameterName: 'Nope', Targets: [{ Key: 'ParameterValues', Values: ['a'] }] }, /InvalidAutomationExecutionParametersException.*Nope/],
    [{ DocumentName: name, Parameters: { Need: ['ok'] }, MaxConcurrency: '0' }, /ValidationException/],
  ];
  for (const [input, expected] of cases) {
    await assert.rejects(h.ssm.send(new StartAutomationExecutionCommand(input as never)), (e: Error) => expected.test(`${e.name} ${e.message}`), JSON.stringify(input));
  }
  const ec2 = await h.runbook('ec2', { mainSteps: [{ name: 'Stop', action: 'aws:changeInstanceState', inputs: { InstanceIds: ['i-0123456789abcdef0'], DesiredState: 'stopped' } }] });
  await assert.rejects(h.ssm.send(new StartAutomationExecutionCommand({ DocumentName: ec2 })), /ValidationException.*step Stop uses aws:changeInstanceState/);
  await assert.rejects(h.ssm.send(new GetAutomationExecutionCommand({ AutomationExecutionId: '00000000-0000-0000-0000-000000000000' })), /AutomationExecutionNotFoundException/);
  await assert.rejects(h.ssm.send(new DescribeAutomationExecutionsCommand({ Filters: [{ Key: 'Nope' as never, Values: ['x'] }] })), /InvalidFilterKey|ValidationException/);
  const after = (await h.ssm.send(new DescribeAutomationExecutionsCommand({}))).AutomationExecutionMetadataList!.length;
  assert.equal(after, before);
});

test('ClientToken makes StartAutomationExecution idempotent; reused with other input it is refused', async () => {
  const name = await h.runbook('token', { mainSteps: [{ name: 'S', action: 'aws:sleep', inputs: { Duration: 'PT1S' } }] });
  const token = '6f1c3a4e-1b2c-4d5e-8f90-123456789abc';
  const a = await h.start(name, undefined, { ClientToken: token });
  const b = await h.start(name, undefined, { ClientToken: token });
  assert.equal(a, b);
  await assert.rejects(h.start(name, undefined, { ClientToken: token, Mode: 'Interactive' }), /IdempotentParameterMismatch/);
});
});
