import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { StepResult } from '@capstan/wire';
import { aggregateStatus } from './flow.js';
import { removeTempDirs, run, shellDoc } from './test-support/harness.js';

after(removeTempDirs);

const statuses = (steps: StepResult[]) => steps.map((s) => `${s.name}:${s.status}:${s.code}`);

test('exit 168 ends the document as Success and drops stderr; 169 as Failed', async () => {
  const ok = await run(shellDoc([
    { name: 'a', run: 'echo out; echo err >&2; exit 168' },
    { name: 'b', run: 'echo b' },
  ]));
  assert.equal(ok.outcome.status, 'Success');
  assert.deepEqual(statuses(ok.outcome.steps), ['a:Success:168', 'b:Skipped:-1']);
  assert.equal(ok.outcome.steps[0]!.stdout, 'out\n');
  assert.equal(ok.outcome.steps[0]!.stderr, '');
  assert.equal(ok.outcome.steps[0]!.stderrBytes, 4);
  assert.deepEqual(ok.reported.map((s) => s.name), ['a', 'b']);

  const bad = await run(shellDoc([
    { name: 'a', run: 'exit 169' },
    { name: 'b', run: 'echo b' },
  ]));
  assert.equal(bad.outcome.status, 'Failed');
  assert.deepEqual(statuses(bad.outcome.steps), ['a:Failed:169', 'b:Skipped:-1']);
});

test('onFailure exit / successAndExit, onSuccess exit, and a last finallyStep', async () => {
  const exit = await run(shellDoc([
    { name: 'a', run: 'exit 2', inputs: { onFailure: 'exit' } },
    { name: 'b', run: 'echo b' },
    { name: 'c', run: 'echo cleanup', inputs: { finallyStep: true } },
  ]));
  assert.deepEqual(statuses(exit.outcome.steps), ['a:Failed:2', 'b:Skipped:-1', 'c:Success:0']);
  assert.equal(exit.outcome.steps[2]!.stdout, 'cleanup\n');
  assert.equal(exit.outcome.status, 'Failed');

  const soft = await run(shellDoc([
    { name: 'a', run: 'exit 2', inputs: { onFailure: 'successAndExit' } },
    { name: 'b', run: 'echo b' },
  ]));
  assert.deepEqual(statuses(soft.outcome.steps), ['a:Success:168', 'b:Skipped:-1']);
  assert.equal(soft.outcome.status, 'Success');

  const done = await run(shellDoc([
    { name: 'a', run: 'true', inputs: { onSuccess: 'exit' } },
    { name: 'b', run: 'echo b', inputs: { finallyStep: 'true' } },
    { name: 'c', run: 'echo c' },
  ]));
  // finallyStep only counts on the last step.
  assert.deepEqual(statuses(done.outcome.steps), ['a:Success:0', 'b:Skipped:-1', 'c:Skipped:-1']);
  assert.equal(done.outcome.status, 'Success');

  const plain = await run(shellDoc([
    { name: 'a', run: 'exit 2' },
    { name: 'b', run: 'true', inputs: { onSuccess: 'exit' } },
  ]));
  assert.deepEqual(statuses(plain.outcome.steps), ['a:Failed:2', 'b:Success:0']);
});

test('preconditions: platformType case-insensitive on 2.2, Failed before 2.2, unknown operators Failed', async () => {
  const r = await run(shellDoc([
    { name: 'linux', run: 'echo linux', precondition: { StringEquals: ['platformType', 'linux'] } },
    { name: 'windows', run: 'echo windows', precondition: { StringEquals: ['platformType', 'Windows'] } },
    { name: 'values', run: 'echo values', precondition: { StringEquals: ['a', 'a'] } },
    { name: 'weird', run: 'echo weird', precondition: { StringLike: ['platformType', 'Linux'] } },
  ]));
  assert.deepEqual(statuses(r.outcome.steps), ['linux:Success:0', 'windows:Skipped:-1', 'values:Success:0', 'weird:Failed:1']);
  assert.match(r.outcome.steps[1]!.details!, /unsatisfied preconditions/);
  assert.match(r.outcome.steps[3]!.details!, /Unrecognized precondition/);

  const macos = await run(shellDoc([{ name: 'm', run: 'echo mac', precondition: { StringEquals: ['platformType', 'MacOS'] } }]), { platformType: 'MacOS' });
  assert.equal(macos.outcome.steps[0]!.status, 'Success');

  const old = await run(shellDoc([{ name: 'a', run: 'echo a', precondition: { StringEquals: ['platformType', 'Linux'] } }], '2.0'));
  assert.deepEqual(statuses(old.outcome.steps), ['a:Failed:1']);
  assert.match(old.outcome.steps[0]!.details!, /prior to 2.2/);
});

test('all steps skipped is a Success', async () => {
  const r = await run(shellDoc([{ name: 'w', run: 'echo w', precondition: { StringEquals: ['platformType', 'Windows'] } }]));
  assert.equal(r.outcome.status, 'Success');
  assert.equal(r.outcome.steps[0]!.status, 'Skipped');
});

test('plugins this agent lacks: Failed on 1.2; on 2.2 Skipped when known, Failed when unknown', async () => {
  const v12 = await run({ schemaVersion: '1.2', runtimeConfig: { 'aws:applications': { properties: [{ id: '0.aws:applications', action: 'Install' }] } } });
  assert.deepEqual(statuses(v12.outcome.steps), ['0.aws:applications:Failed:1']);
  assert.equal(v12.outcome.status, 'Failed');

  const v22 = await run({
    schemaVersion: '2.2',
    mainSteps: [
      { action: 'aws:applications', name: 'msi', inputs: {} },
      { action: 'aws:noSuchThing', name: 'guarded', precondition: { StringEquals: ['platformType', 'Linux'] } },
      { action: 'aws:runShellScript', name: 'ok', inputs: { runCommand: 'echo ok' } },
    ],
  });
  assert.deepEqual(statuses(v22.outcome.steps), ['msi:Skipped:-1', 'guarded:Skipped:-1', 'ok:Success:0']);
  assert.equal(v22.outcome.status, 'Success');

  const unknown = await run({ schemaVersion: '2.2', mainSteps: [{ action: 'aws:noSuchThing', name: 'x' }] });
  assert.deepEqual(statuses(unknown.outcome.steps), ['x:Failed:1']);
  assert.match(unknown.outcome.steps[0]!.details!, /not supported by this version/);
});

test('schema 1.2: one step per property named by its id (else the plugin), AWS-RunShellScript style', async () => {
  const r = await run({
    schemaVersion: '1.2',
    runtimeConfig: {
      'aws:runShellScript': {
        properties: [
          { id: '0.aws:runShellScript', runCommand: ['echo first'], workingDirectory: '', timeoutSeconds: '' },
          { runCommand: 'echo second' },
        ],
      },
    },
  });
  assert.equal(r.outcome.status, 'Success');
  assert.deepEqual(r.outcome.steps.map((s) => [s.name, s.action, s.stdout]), [
    ['0.aws:runShellScript', 'aws:runShellScript', 'first\n'],
    ['aws:runShellScript', 'aws:runShellScript', 'second\n'],
  ]);
});

test('an unsupported or malformed document fails the whole invocation', async () => {
  for (const doc of [{ schemaVersion: '0.3', mainSteps: [] }, { schemaVersion: '2.2' }, 'not a document', { schemaVersion: '2.2', mainSteps: [{ name: 'a' }] }]) {
    const r = await run(doc);
    assert.equal(r.outcome.status, 'Failed');
    assert.ok(r.outcome.details, JSON.stringify(doc));
    assert.deepEqual(r.outcome.steps, []);
  }
  const yaml = await run('schemaVersion: "2.2"\nmainSteps:\n  - action: aws:runShellScript\n    name: y\n    inputs:\n      runCommand: [echo yaml]\n');
  assert.equal(yaml.outcome.steps[0]!.stdout, 'yaml\n');
});

test('document status priority: reboot > failed > timed out > cancelled > success', () => {
  const s = (status: StepResult['status']): StepResult => ({ name: status, action: 'a', status, code: 0, stdout: '', stderr: '', stdoutBytes: 0, stderrBytes: 0 });
  assert.equal(aggregateStatus([s('Failed'), s('SuccessAndReboot')]), 'SuccessAndReboot');
  assert.equal(aggregateStatus([s('TimedOut'), s('Failed'), s('Cancelled')]), 'Failed');
  assert.equal(aggregateStatus([s('Cancelled'), s('TimedOut')]), 'TimedOut');
  assert.equal(aggregateStatus([s('Success'), s('Cancelled')]), 'Cancelled');
  assert.equal(aggregateStatus([s('Success'), s('Skipped')]), 'Success');
  assert.equal(aggregateStatus([s('Success'), s('Pending')]), 'InProgress');
});
