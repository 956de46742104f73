import assert from 'node:assert/strict';
import { test } from 'node:test';
import { initialValues, paramSpecs } from '../run-command/params';
import { parameterNamed, toAutomationParameters } from './params';

const content = JSON.stringify({
  schemaVersion: '0.3',
  parameters: {
    InstanceIds: { type: 'StringList', description: '(Required) Nodes.' },
    Message: { type: 'String', default: 'Please approve' },
    Count: { type: 'Integer', default: 2 },
    DryRun: { type: 'Boolean', default: false },
    Tags: { type: 'StringMap', default: {} },
    Devices: { type: 'MapList', default: [] },
    AutomationAssumeRole: { type: 'String', default: '' },
  },
  mainSteps: [],
});
const described = Object.entries(JSON.parse(content).parameters as Record<string, { type: string; default?: unknown }>).map(([Name, p]) => ({
  Name,
  Type: 'String',
  ...(p.default !== undefined ? { DefaultValue: typeof p.default === 'string' ? p.default : JSON.stringify(p.default) } : {}),
}));

test('values left at their default are left out; lists one item a line', () => {
  const specs = paramSpecs(described, content);
  const values = { ...initialValues(specs), InstanceIds: 'mi-0123456789abcdef0\n\n  \nmi-0123456789abcdef1\n' };
  assert.deepEqual(toAutomationParameters(specs, values), { InstanceIds: ['mi-0123456789abcdef0', 'mi-0123456789abcdef1'] });
});

test('each type becomes AWS list-of-strings form', () => {
  const specs = paramSpecs(described, content);
  const values = {
    ...initialValues(specs),
    InstanceIds: 'mi-1',
    Message: 'Ship it?',
    Count: ' 5 ',
    DryRun: 'true',
    Tags: '{ "env": "prod",\n  "team": "ops" }',
    Devices: '[{"DeviceName": "/dev/sda1"}, {"DeviceName": "/dev/sdb", "Size": 8}]',
    AutomationAssumeRole: 'arn:aws:iam::111122223333:role/automation',
  };
  assert.deepEqual(toAutomationParameters(specs, values), {
    InstanceIds: ['mi-1'],
    Message: ['Ship it?'],
    Count: ['5'],
    DryRun: ['true'],
    Tags: ['{"env":"prod","team":"ops"}'],
    Devices: ['{"DeviceName":"/dev/sda1"}', '{"DeviceName":"/dev/sdb","Size":8}'],
    AutomationAssumeRole: ['arn:aws:iam::111122223333:role/automation'],
  });
});

test('a single object for a MapList is one item; an emptied list is sent empty', () => {
  const specs = paramSpecs(described, content);
  const values = { ...initialValues(specs), InstanceIds: '', Devices: '{"DeviceName": "/dev/sdc"}' };
  assert.deepEqual(toAutomationParameters(specs, values), { InstanceIds: [], Devices: ['{"DeviceName":"/dev/sdc"}'] });
});

test('a server message is placed by the parameter it names', () => {
  const specs = paramSpecs(described, content);
  assert.equal(parameterNamed('Parameter "Count" is of type Integer and must be a whole number.', specs), 'Count');
  assert.equal(parameterNamed('Parameter AutomationAssumeRole does not match the allowed pattern.', specs), 'AutomationAssumeRole');
  assert.equal(parameterNamed('Required parameter InstanceIds was not given', specs), 'InstanceIds');
  assert.equal(parameterNamed('The runbook is not active.', specs), undefined);
});
