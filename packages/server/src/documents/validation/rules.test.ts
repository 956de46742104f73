import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AwsError } from '../../protocol/errors.js';
import { validateDocument, type DocumentType } from './index.js';

function check(doc: unknown, documentType: DocumentType = 'Command') {
  return validateDocument({ content: JSON.stringify(doc), format: 'JSON', documentType });
}

function message(doc: unknown, documentType: DocumentType = 'Command'): string {
  try {
    check(doc, documentType);
  } catch (e) {
    assert.ok(e instanceof AwsError);
    return e.message;
  }
  assert.fail('accepted');
}

const withParameter = (decl: object, command = 'echo {{ p }}') => ({
  schemaVersion: '2.2',
  parameters: { p: decl },
  mainSteps: [{ action: 'aws:runShellScript', name: 'run', inputs: { runCommand: [command] } }],
});

test('allowedPattern is read as AWS (Java) writes it: a leading (?i) and \\A ... \\z anchors', () => {
  assert.doesNotThrow(() => check(withParameter({ type: 'String', default: 'ABC', allowedPattern: '(?i)^[a-z]+$' })));
  assert.match(message(withParameter({ type: 'String', default: 'ABC', allowedPattern: '^[a-z]+$' })), /does not match the allowedPattern/);
  assert.doesNotThrow(() => check(withParameter({ type: 'String', default: 'abc', allowedPattern: '\\A[a-z]+\\z' })));
  assert.match(message(withParameter({ type: 'String', default: 'abc1', allowedPattern: '\\A[a-z]+\\z' })), /does not match/);
});

test('an empty default is "no value": it is not held to the pattern or minChars', () => {
  assert.doesNotThrow(() => check(withParameter({ type: 'String', default: '', allowedPattern: '^i-[0-9a-f]{8,17}$', minChars: 3 })));
  assert.match(message(withParameter({ type: 'String', default: 'x', allowedPattern: '^i-[0-9a-f]{8,17}$' })), /does not match/);
});

test('a default that is a whole {{ssm:...}} reference is resolved later, so its type is not checked now', () => {
  assert.doesNotThrow(() => check(withParameter({ type: 'StringList', default: '{{ ssm:/fleet/commands }}' })));
  assert.doesNotThrow(() => check(withParameter({ type: 'Integer', default: '{{ssm:/fleet/timeout}}' })));
  assert.match(message(withParameter({ type: 'Integer', default: 'ssm:/fleet/timeout' })), /must match the parameter type Integer/);
});

test('Integer and Boolean defaults are compared with allowedValues as text', () => {
  assert.doesNotThrow(() => check(withParameter({ type: 'Integer', default: 10, allowedValues: ['5', '10'] })));
  assert.match(message(withParameter({ type: 'Integer', default: 7, allowedValues: ['5', '10'] })), /the default 7 is not one of the allowedValues \(5, 10\)/);
  assert.doesNotThrow(() => check(withParameter({ type: 'Boolean', default: true, allowedValues: ['true'] })));
});

test('list bounds and character bounds apply to each kind they are meant for', () => {
  assert.doesNotThrow(() => check(withParameter({ type: 'StringList', default: ['ab', 'cd'], minItems: 2, maxItems: 2, maxChars: 2 })));
  assert.match(message(withParameter({ type: 'StringList', default: ['ab', 'cde'], maxChars: 2 })), /the default "cde" is longer than maxChars 2/);
  assert.match(message(withParameter({ type: 'MapList', default: [{}, {}, {}], maxItems: 2 })), /the default has 3 items, more than maxItems 2/);
  assert.match(message(withParameter({ type: 'StringMap', minItems: 1 })), /minItems applies only to StringList, MapList parameters, not StringMap/);
  assert.match(message(withParameter({ type: 'Boolean', maxChars: 5 })), /maxChars applies only to/);
});

test('parameters come back in declaration order with only the fields declared', () => {
  const out = check({
    schemaVersion: '2.2',
    parameters: { z: { type: 'String' }, a: { type: 'StringList', displayType: 'textarea', description: 'd' }, m: { type: 'Boolean', default: false } },
    mainSteps: [{ action: 'aws:runShellScript', name: 'run', inputs: { runCommand: ['echo {{ z }} {{ a }} {{ m }}'] } }],
  });
  assert.deepEqual(out.parameters, [
    { name: 'z', type: 'String' },
    { name: 'a', type: 'StringList', displayType: 'textarea', description: 'd' },
    { name: 'm', type: 'Boolean', default: false },
  ]);
});

test('references inside parameter defaults and nested inputs are checked; descriptions are not', () => {
  const doc = withParameter({ type: 'String', default: 'x', description: 'use {{ whatever }} here' });
  assert.doesNotThrow(() => check(doc));
  assert.match(message(withParameter({ type: 'String', default: 'prefix-{{ other }}' })), /^parameters\.p\.default references undeclared parameter "other"/);
  const nested = { ...withParameter({ type: 'String' }), mainSteps: [{ action: 'aws:runDocument', name: 'doc', inputs: { documentType: 'SSMDocument', documentPath: 'X', documentParameters: { a: { b: ['{{ nope }}'] } } } }] };
  assert.match(message(nested), /^mainSteps\[0\] \(name: doc\): inputs\.documentParameters\.a\.b\[0\] references undeclared parameter "nope"/);
});

test('Automation references: step outputs anywhere in the runbook, loop outputs, system variables', () => {
  const runbook = (command: string) => ({
    schemaVersion: '0.3',
    mainSteps: [
      { name: 'First', action: 'aws:executeAwsApi', inputs: { Service: 'ec2', Api: 'DescribeRegions' } },
      { name: 'Loop', action: 'aws:loop', inputs: { Iterators: ['a'], Steps: [{ name: 'Inner', action: 'aws:sleep', inputs: { Duration: 'PT1S' } }] } },
      { name: 'Last', action: 'aws:runCommand', inputs: { DocumentName: 'D', InstanceIds: ['i-1'], Parameters: { commands: [command] } } },
    ],
  });
  for (const ok of ['{{ First.Regions }}', '{{ Loop.CurrentIteratorValue }}', '{{ Inner.Output }}', '{{ automation:EXECUTION_ID }}', '{{global:AWS_PARTITION}}', '{{ ssm:/x }}']) {
    assert.doesNotThrow(() => check(runbook(ok), 'Automation'), ok);
  }
  assert.match(message(runbook('{{ automation:START_TIME }}'), 'Automation'), /unknown system variable \{\{ automation:START_TIME \}\}/);
  assert.match(message(runbook('{{ Later.Output }}'), 'Automation'), /the output of step "Later", which does not exist/);
});

test('Automation jumps may go backwards and to any step of the same list', () => {
  const doc = {
    schemaVersion: '0.3',
    mainSteps: [
      { name: 'A', action: 'aws:pause', onFailure: 'step:C', nextStep: 'C' },
      { name: 'B', action: 'aws:executeAwsApi', inputs: { Service: 'sns', Api: 'Publish' }, isEnd: true },
      { name: 'C', action: 'aws:pause', onFailure: 'Continue', onCancel: 'step:B', nextStep: 'A' },
    ],
  };
  assert.deepEqual(check(doc, 'Automation').stepNames, ['A', 'B', 'C']);
});

test('aws:executeScript runtimes: python3.x and PowerShell as AWS has them, and Capstan\'s nodejsN.x', () => {
  const runbook = (inputs: object) => ({ schemaVersion: '0.3', mainSteps: [{ name: 'Script', action: 'aws:executeScript', inputs }] });
  const script = (runtime: string, more: object = {}) => runbook({ Runtime: runtime, Script: 'x', ...more });
  for (const runtime of ['nodejs20.x', 'nodejs22.x', 'python3.11']) {
    assert.doesNotThrow(() => check(script(runtime, { Handler: 'handler', InputPayload: { a: 1 } }), 'Automation'), runtime);
    assert.match(message(script(runtime), 'Automation'), new RegExp(`requires inputs\\.Handler for the ${runtime.replace('.', '\\.')} runtime`));
  }
  assert.doesNotThrow(() => check(script('nodejs20.x', { Handler: 'tools.handler' }), 'Automation'), 'file.function names');
  assert.doesNotThrow(() => check(script('PowerShell 7.4'), 'Automation'));
  assert.doesNotThrow(() => check(script('PowerShell Core 6.0'), 'Automation'));
  assert.match(message(script('PowerShell 7.4', { Handler: 'h' }), 'Automation'), /inputs\.Handler is not supported for the PowerShell 7\.4 runtime/);
  for (const bad of ['nodejs20', 'node20.x', 'nodejs.x', 'javascript', 'python2.7']) {
    assert.match(message(script(bad, { Handler: 'h' }), 'Automation'), /is not a supported runtime \(python3\.x, nodejsN\.x, PowerShell Core 6\.0 or PowerShell 7\.x\)/, bad);
  }
});

test('Session commands may be a string or a list, per operating system', () => {
  const doc = (linux: unknown) => ({ schemaVersion: '1.0', sessionType: 'NonInteractiveCommands', properties: { linux: { commands: linux } } });
  assert.doesNotThrow(() => check(doc('uptime'), 'Session'));
  assert.doesNotThrow(() => check(doc(['uptime', 'df -h']), 'Session'));
  assert.match(message(doc(''), 'Session'), /properties\.linux\.commands must not be empty/);
  assert.match(message(doc(7), 'Session'), /properties\.linux\.commands must be a string or a non-empty list of strings, not number 7/);
});

test('a runbook step without inputs is fine for actions that need none', () => {
  assert.doesNotThrow(() => check({ schemaVersion: '0.3', mainSteps: [{ name: 'Hold', action: 'aws:pause' }] }, 'Automation'));
  assert.match(message({ schemaVersion: '0.3', mainSteps: [{ name: 'Hold', action: 'aws:pause', inputs: 'now' }] }, 'Automation'), /mainSteps\[0\] \(name: Hold\): inputs must be an object/);
});

test('generic types need only their schemaVersion, and keep their parameters', () => {
  const out = check({ schemaVersion: '1.0', parameters: { Window: { type: 'String', default: 'weekend' } }, anything: ['goes'] }, 'AutoApprovalPolicy');
  assert.equal(out.schemaVersion, '1.0');
  assert.deepEqual(out.parameters, [{ name: 'Window', type: 'String', default: 'weekend' }]);
  assert.match(message({ schemaVersion: 1 }, 'QuickSetup'), /schemaVersion must be a string/);
});
