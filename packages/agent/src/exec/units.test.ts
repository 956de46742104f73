import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDocument } from './document.js';
import { evaluatePrecondition } from './precondition.js';
import { timeoutSeconds } from './plugins/inputs.js';
import { resolveParameters, substitute, substituteDocument } from './substitute.js';

test('substitution: a whole reference keeps its type, embedded ones become text, others pass through', () => {
  const values = { list: ['a', 'b'], n: 3, s: 'x' };
  assert.deepEqual(substitute('{{ list }}', values), ['a', 'b']);
  assert.equal(substitute('{{n}}', values), 3);
  assert.equal(substitute('n={{ n }} s={{s}} list={{ list }}', values), 'n=3 s=x list=["a","b"]');
  assert.equal(substitute('{{ssm:/a/b}} {{ unknown }}', values), '{{ssm:/a/b}} {{ unknown }}');
  assert.deepEqual(substitute({ k: ['{{ s }}', { deep: '{{ n }}' }] }, values), { k: ['x', { deep: 3 }] });
  const doc = { parameters: { s: { default: '{{ s }}' } }, mainSteps: ['{{ s }}'] };
  assert.deepEqual(substituteDocument(doc, values), { parameters: { s: { default: '{{ s }}' } }, mainSteps: ['x'] });
});

test('parameters: given, then defaults; missing required and undeclared ones are errors', () => {
  const doc = { parameters: { a: { type: 'String' }, b: { type: 'String', default: 'B' } } };
  assert.deepEqual(resolveParameters(doc, { a: 'A' }), { a: 'A', b: 'B' });
  assert.throws(() => resolveParameters(doc, {}), /parameter a is required/);
  assert.throws(() => resolveParameters(doc, { a: 'A', c: 1 }), /no parameter c/);
  assert.deepEqual(resolveParameters({}, {}), {});
});

test('timeoutSeconds: numbers or numeric strings in [5, 172800], else 3600', () => {
  assert.equal(timeoutSeconds('5'), 5);
  assert.equal(timeoutSeconds(172800), 172800);
  assert.equal(timeoutSeconds(7.5), 7.5);
  for (const bad of ['4', 0, 172801, 'soon', '', undefined, null, {}]) assert.equal(timeoutSeconds(bad), 3600, String(bad));
  assert.equal(timeoutSeconds(undefined, '60'), 60);
});

test('preconditions: StringEquals with two strings only', () => {
  assert.equal(evaluatePrecondition({ StringEquals: ['Windows', 'platformType'] }, 'Windows').kind, 'satisfied');
  assert.equal(evaluatePrecondition({ StringEquals: ['platformType', 'macos'] }, 'Linux').kind, 'unsatisfied');
  assert.equal(evaluatePrecondition({ StringEquals: ['platformType'] }, 'Linux').kind, 'unrecognized');
  assert.equal(evaluatePrecondition({ StringEquals: ['platformType', 'platformType'] }, 'Linux').kind, 'unrecognized');
  assert.equal(evaluatePrecondition({ StringEquals: ['{{ssm:/p}}', 'x'] }, 'Linux').kind, 'unrecognized');
  assert.equal(evaluatePrecondition('Linux', 'Linux').kind, 'unrecognized');
});

test('parsing: versions, step names and directories', () => {
  assert.deepEqual(parseDocument({ schemaVersion: 2, mainSteps: [] }), { schemaVersion: '2.0', preconditionsEnabled: false, steps: [] });
  assert.match((parseDocument({ schemaVersion: '3.0' }) as { error: string }).error, /Unsupported document schema version 3.0/);
  assert.match((parseDocument({ schemaVersion: '2.2', mainSteps: [{ action: 'a', name: 'x' }, { action: 'b', name: 'x' }] }) as { error: string }).error, /used twice/);
  const doc = parseDocument({ schemaVersion: '2.2', mainSteps: [{ action: 'aws:runShellScript', name: 'a/b' }, { action: 'aws:runShellScript', name: 'downloads' }] });
  assert.ok(!('error' in doc));
  assert.deepEqual(doc.steps.map((s) => s.dir), ['a_b', 'downloads-1']);
});
