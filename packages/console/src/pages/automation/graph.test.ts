import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AutomationExecution, StepExecution } from '../../api/types';
import { layoutGraph, stepDefinitions, waitingFor, type StepGraph } from './graph';

const runbook = JSON.stringify({
  schemaVersion: '0.3',
  mainSteps: [
    { name: 'approve', action: 'aws:approve', onFailure: 'Abort', inputs: { Approvers: ['arn:aws:iam::111122223333:user/admin'] } },
    {
      name: 'choose',
      action: 'aws:branch',
      inputs: {
        Choices: [
          { NextStep: 'linux', Variable: '{{ Platform }}', StringEquals: 'Linux' },
          { NextStep: 'windows', Variable: '{{ Platform }}', StringEquals: 'Windows' },
        ],
        Default: 'report',
      },
    },
    { name: 'linux', action: 'aws:runCommand', nextStep: 'report', onFailure: 'step:cleanup', inputs: {} },
    { name: 'windows', action: 'aws:runCommand', nextStep: 'report', inputs: {} },
    { name: 'report', action: 'aws:sleep', isEnd: true, inputs: { Duration: 'PT1S' } },
    { name: 'cleanup', action: 'aws:executeScript', inputs: {} },
  ],
});

const ran = (name: string, action: string, status: string, start: number, more: Partial<StepExecution> = {}): StepExecution => ({
  StepName: name,
  Action: action,
  StepStatus: status,
  ExecutionStartTime: start,
  ...(status === 'InProgress' || status === 'Waiting' ? {} : { ExecutionEndTime: start + 1 }),
  ...more,
});

const edge = (g: StepGraph, from: string, to: string) => g.edges.find((e) => e.from === from && e.to === to);

test('the steps of a runbook, with branches, jumps and failure targets', () => {
  const defs = stepDefinitions(runbook);
  assert.deepEqual(
    defs.map((d) => d.name),
    ['approve', 'choose', 'linux', 'windows', 'report', 'cleanup'],
  );
  const choose = defs.find((d) => d.name === 'choose')!;
  assert.deepEqual(choose.choices, ['linux', 'windows']);
  assert.equal(choose.defaultNext, 'report');
  assert.equal(defs.find((d) => d.name === 'report')!.isEnd, true);
  assert.deepEqual(stepDefinitions('not json'), []);
  assert.deepEqual(stepDefinitions(JSON.stringify({ mainSteps: 'nope' })), []);
});

test('every way out of a step is an edge: the next row straight down, the others in lanes that do not overlap', () => {
  const g = layoutGraph(stepDefinitions(runbook), []);
  assert.deepEqual(
    g.nodes.map((n) => [n.name, n.row, n.status]),
    [
      ['approve', 0, 'Pending'],
      ['choose', 1, 'Pending'],
      ['linux', 2, 'Pending'],
      ['windows', 3, 'Pending'],
      ['report', 4, 'Pending'],
      ['cleanup', 5, 'Pending'],
    ],
  );
  assert.deepEqual(
    g.edges.map((e) => `${e.from}->${e.to}:${e.kind}`),
    ['approve->choose:next', 'choose->linux:branch', 'choose->windows:branch', 'choose->report:default', 'linux->report:next', 'linux->cleanup:failure', 'windows->report:next'],
  );
  // isEnd: report leads nowhere, even though cleanup follows it in the document.
  assert.equal(edge(g, 'report', 'cleanup'), undefined);
  assert.equal(edge(g, 'approve', 'choose')!.straight, true);
  assert.equal(edge(g, 'choose', 'linux')!.straight, true);
  assert.equal(edge(g, 'windows', 'report')!.straight, true);
  const side = g.edges.filter((e) => !e.straight);
  assert.deepEqual(side.map((e) => `${e.from}->${e.to}`).sort(), ['choose->report', 'choose->windows', 'linux->cleanup', 'linux->report'].sort());
  for (const a of side)
    for (const b of side) {
      if (a === b || a.lane !== b.lane) continue;
      const span = (e: typeof a) => [Math.min(g.nodes.find((n) => n.name === e.from)!.row, g.nodes.find((n) => n.name === e.to)!.row), Math.max(g.nodes.find((n) => n.name === e.from)!.row, g.nodes.find((n) => n.name === e.to)!.row)];
      const [x1, x2] = span(a);
      const [y1, y2] = span(b);
      assert.ok(x2 < y1 || y2 < x1, `${a.from}->${a.to} and ${b.from}->${b.to} share lane ${a.lane}`);
    }
  assert.ok(g.lanes >= 2);
  assert.equal(edge(g, 'choose', 'windows')!.lane, 1, 'the shortest span takes the inner lane');
  // choose has three side-or-straight targets; its two side edges are spread.
  assert.equal(edge(g, 'choose', 'windows')!.outCount, 2);
  assert.deepEqual(
    g.nodes.find((n) => n.name === 'choose')!.targets.map((t) => `${t.to}:${t.kind}`),
    ['linux:branch', 'windows:branch', 'report:default'],
  );
});

test('the path taken is marked, steps not reached end as NotRun, and the branch shows where it went', () => {
  const steps = [
    ran('approve', 'aws:approve', 'Success', 100, { Outputs: { ApprovalStatus: ['Approved'] } }),
    ran('choose', 'aws:branch', 'Success', 102, { ValidNextSteps: ['linux', 'windows', 'report'] }),
    ran('windows', 'aws:runCommand', 'Success', 103),
    ran('report', 'aws:sleep', 'Success', 105),
  ];
  const g = layoutGraph(stepDefinitions(runbook), steps, { terminal: true });
  assert.deepEqual(
    g.edges.filter((e) => e.taken).map((e) => `${e.from}->${e.to}`),
    ['approve->choose', 'choose->windows', 'windows->report'],
  );
  const byName = Object.fromEntries(g.nodes.map((n) => [n.name, n]));
  assert.equal(byName.linux!.status, 'NotRun');
  assert.equal(byName.linux!.ran, false);
  assert.equal(byName.windows!.ran, true);
  assert.equal(byName.approve!.execution!.Outputs!.ApprovalStatus![0], 'Approved');
  assert.deepEqual(
    byName.choose!.targets.filter((t) => t.taken).map((t) => t.to),
    ['windows'],
  );
  assert.equal(g.nodes.some((n) => n.current), false, 'nothing is current once it is over');
});

test('without a definition the graph is built from the step executions and their ValidNextSteps', () => {
  const steps = [
    ran('first', 'aws:sleep', 'Success', 1, { NextStep: 'second' }),
    ran('second', 'aws:branch', 'Success', 2, { ValidNextSteps: ['third', 'fourth'] }),
    ran('fourth', 'aws:approve', 'Waiting', 3),
  ];
  const g = layoutGraph([], steps);
  assert.deepEqual(
    g.nodes.map((n) => n.name),
    ['first', 'second', 'fourth'],
  );
  assert.deepEqual(
    g.edges.map((e) => `${e.from}->${e.to}:${e.kind}:${e.taken}`),
    ['first->second:next:true', 'second->fourth:branch:true'],
  );
  assert.equal(g.nodes.find((n) => n.name === 'fourth')!.current, true);
});

test('a step run out of order (Interactive mode) adds the edge it took', () => {
  const steps = [ran('approve', 'aws:approve', 'Success', 1), ran('report', 'aws:sleep', 'Success', 2)];
  const g = layoutGraph(stepDefinitions(runbook), steps);
  const e = edge(g, 'approve', 'report')!;
  assert.equal(e.kind, 'ran');
  assert.equal(e.taken, true);
  assert.equal(g.nodes.find((n) => n.name === 'choose')!.status, 'Pending', 'still running: not yet reached is Pending');
});

test('a retried step counts its runs and shows its latest', () => {
  const steps = [ran('approve', 'aws:approve', 'Failed', 1), ran('approve', 'aws:approve', 'Success', 5)];
  const g = layoutGraph(stepDefinitions(runbook), steps);
  const n = g.nodes.find((x) => x.name === 'approve')!;
  assert.equal(n.runs, 2);
  assert.equal(n.status, 'Success');
  assert.equal(g.edges.filter((e) => e.from === e.to).length, 0);
});

const exec = (more: Partial<AutomationExecution>): AutomationExecution => ({ AutomationExecutionId: 'a'.repeat(36), AutomationExecutionStatus: 'InProgress', Mode: 'Auto', ...more });

test('an aws:approve step that waits asks for Approve or Reject; a finished one does not', () => {
  const waitingStep = ran('approve', 'aws:approve', 'Waiting', 1);
  assert.equal(waitingFor(exec({ AutomationExecutionStatus: 'Waiting', StepExecutions: [waitingStep], CurrentStepName: 'approve', CurrentAction: 'aws:approve' })).kind, 'approve');
  // Some servers keep the step InProgress while it waits; the action says what it waits for.
  assert.equal(waitingFor(exec({ StepExecutions: [ran('approve', 'aws:approve', 'InProgress', 1)] })).kind, 'approve');
  // Known only from the execution's CurrentAction, with the step listed without its action.
  const w = waitingFor(exec({ AutomationExecutionStatus: 'Waiting', StepExecutions: [{ StepName: 'approve', StepStatus: 'Waiting' }], CurrentStepName: 'approve', CurrentAction: 'aws:approve' }));
  assert.equal(w.kind, 'approve');
  assert.equal(waitingFor(exec({ AutomationExecutionStatus: 'Success', StepExecutions: [ran('approve', 'aws:approve', 'Success', 1)] })).kind, 'none');
  assert.equal(waitingFor(exec({ AutomationExecutionStatus: 'Failed', StepExecutions: [waitingStep] })).kind, 'none');
  assert.equal(waitingFor(exec({ StepExecutions: [ran('s', 'aws:sleep', 'InProgress', 1)] })).kind, 'none');
  assert.equal(waitingFor(undefined).kind, 'none');
});

test('an aws:pause step asks for Resume', () => {
  assert.equal(waitingFor(exec({ AutomationExecutionStatus: 'Waiting', StepExecutions: [ran('hold', 'aws:pause', 'Waiting', 1)] })).kind, 'resume');
});

test('an Interactive execution between steps asks which step to start, suggesting where the last one leads', () => {
  const defs = stepDefinitions(runbook);
  const steps = [ran('approve', 'aws:approve', 'Success', 1)];
  const g = layoutGraph(defs, steps);
  const w = waitingFor(exec({ Mode: 'Interactive', AutomationExecutionStatus: 'Waiting', StepExecutions: steps }), g);
  assert.equal(w.kind, 'startStep');
  if (w.kind !== 'startStep') return;
  assert.equal(w.next, 'choose');
  assert.deepEqual(w.candidates, ['approve', 'choose', 'linux', 'windows', 'report', 'cleanup']);
  const first = waitingFor(exec({ Mode: 'Interactive', AutomationExecutionStatus: 'Waiting', StepExecutions: [] }), layoutGraph(defs, []));
  assert.equal(first.kind === 'startStep' && first.next, 'approve');
  // A step running is not a moment to start another.
  assert.equal(waitingFor(exec({ Mode: 'Interactive', AutomationExecutionStatus: 'Waiting', StepExecutions: [ran('linux', 'aws:runCommand', 'InProgress', 1)] }), g).kind, 'none');
});

test('the steps inside an aws:loop stay with their loop', () => {
  const defs = stepDefinitions(JSON.stringify({ mainSteps: [{ name: 'each', action: 'aws:loop', inputs: { Iterators: ['a', 'b'], Steps: [{ name: 'inner', action: 'aws:sleep', inputs: { Duration: 'PT1S' } }] } }, { name: 'after', action: 'aws:sleep', inputs: {} }] }));
  const steps = [
    ran('each', 'aws:loop', 'Success', 1),
    ran('inner', 'aws:sleep', 'Success', 2, { ParentStepDetails: { StepName: 'each', Action: 'aws:loop', Iteration: 0, IteratorValue: 'a' } }),
    ran('inner', 'aws:sleep', 'Success', 3, { ParentStepDetails: { StepName: 'each', Action: 'aws:loop', Iteration: 1, IteratorValue: 'b' } }),
    ran('after', 'aws:sleep', 'Success', 4),
  ];
  const g = layoutGraph(defs, steps, { terminal: true });
  assert.deepEqual(
    g.nodes.map((n) => n.name),
    ['each', 'after'],
  );
  assert.equal(g.nodes[0]!.children.length, 2);
  assert.deepEqual(
    g.edges.map((e) => `${e.from}->${e.to}:${e.taken}`),
    ['each->after:true'],
  );
});

test('in Interactive mode the step the server lists next, not yet begun, is the one suggested', () => {
  const defs = stepDefinitions(runbook);
  const steps = [ran('approve', 'aws:approve', 'Success', 1), { StepName: 'choose', Action: 'aws:branch', StepStatus: 'Pending' }];
  const w = waitingFor(exec({ Mode: 'Interactive', AutomationExecutionStatus: 'Waiting', StepExecutions: steps, CurrentStepName: 'choose', CurrentAction: 'aws:branch' }), layoutGraph(defs, steps));
  assert.equal(w.kind === 'startStep' && w.next, 'choose');
});

test('an aws:approve step listed but not begun (Interactive) asks for StartStep, not a decision', () => {
  const steps = [{ StepName: 'approve', Action: 'aws:approve', StepStatus: 'Pending' }];
  const w = waitingFor(exec({ Mode: 'Interactive', AutomationExecutionStatus: 'Waiting', StepExecutions: steps, CurrentStepName: 'approve', CurrentAction: 'aws:approve' }), layoutGraph(stepDefinitions(runbook), steps));
  assert.equal(w.kind, 'startStep');
  assert.equal(w.kind === 'startStep' && w.next, 'approve');
});
