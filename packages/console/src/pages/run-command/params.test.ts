import assert from 'node:assert/strict';
import { test } from 'node:test';
import { paramSpecs, toCommandParameters, validateAll, validateParam, initialValues } from './params';

const content = JSON.stringify({
  schemaVersion: '2.2',
  parameters: {
    commands: { type: 'StringList', description: 'Commands', minItems: 1, displayType: 'textarea' },
    workingDirectory: { type: 'String', default: '' },
    executionTimeout: { type: 'String', default: '3600', allowedPattern: '^[0-9]{1,6}$' },
    mode: { type: 'String', allowedValues: ['fast', 'slow'], default: 'fast' },
    retries: { type: 'Integer', default: 2 },
    verbose: { type: 'Boolean', default: false },
    env: { type: 'StringMap', default: {} },
  },
});
const described = [
  { Name: 'commands', Type: 'StringList', Description: 'Commands' },
  { Name: 'workingDirectory', Type: 'String', DefaultValue: '' },
  { Name: 'executionTimeout', Type: 'String', DefaultValue: '3600' },
  { Name: 'mode', Type: 'String', DefaultValue: 'fast' },
  { Name: 'retries', Type: 'String', DefaultValue: '2' },
  { Name: 'verbose', Type: 'String', DefaultValue: 'false' },
  { Name: 'env', Type: 'String', DefaultValue: '{}' },
];

test('declarations in the content refine what DescribeDocument says', () => {
  const specs = paramSpecs(described, content);
  assert.equal(specs.length, 7);
  const commands = specs.find((s) => s.name === 'commands')!;
  assert.equal(commands.defaultText, undefined);
  assert.equal(commands.minItems, 1);
  assert.deepEqual(specs.find((s) => s.name === 'mode')!.allowedValues, ['fast', 'slow']);
  assert.equal(specs.find((s) => s.name === 'retries')!.type, 'Integer');
  assert.equal(specs.find((s) => s.name === 'retries')!.defaultText, '2');
  assert.equal(specs.find((s) => s.name === 'env')!.defaultText, '{}');
});

test('without content the described parameters still make a form', () => {
  const specs = paramSpecs(described, undefined);
  assert.equal(specs.find((s) => s.name === 'retries')!.type, 'String');
  assert.equal(specs.find((s) => s.name === 'commands')!.defaultText, undefined);
});

test('validation names what is wrong', () => {
  const specs = paramSpecs(described, content);
  const values = initialValues(specs);
  assert.deepEqual(Object.keys(validateAll(specs, values)), ['commands']);
  const timeout = specs.find((s) => s.name === 'executionTimeout')!;
  assert.match(validateParam(timeout, 'soon')!, /pattern/);
  assert.equal(validateParam(timeout, '{{ssm:/timeouts/long}}'), undefined);
  assert.match(validateParam(specs.find((s) => s.name === 'mode')!, 'medium')!, /one of/);
  assert.match(validateParam(specs.find((s) => s.name === 'retries')!, '2.5')!, /whole number/);
  assert.match(validateParam(specs.find((s) => s.name === 'env')!, '[1]')!, /JSON object/);
});

test('parameters left at their default are not sent; lists are one item a line', () => {
  const specs = paramSpecs(described, content);
  const values = { ...initialValues(specs), commands: 'echo hello\n\nuname -a\n', mode: 'slow' };
  assert.deepEqual(toCommandParameters(specs, values), { commands: ['echo hello', 'uname -a'], mode: ['slow'] });
});
