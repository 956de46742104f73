import assert from 'node:assert/strict';
import { test } from 'node:test';
import { initialValues, paramSpecs } from '../run-command/params';
import {
  associationLabel,
  documentLabel,
  formatCounts,
  formIsValid,
  formTargets,
  newestFirst,
  parseResourceCounts,
  refusalPlace,
  targetsSummary,
  toCreateAssociationInput,
  validateAssociationForm,
  type AssociationForm,
} from './associations';

const A = 'mi-0123456789abcdef0';
const B = 'mi-0123456789abcdef1';
const C = 'mi-0123456789abcdef2';

test('targets read as one line: every node, a few nodes, tags, tag keys, groups', () => {
  assert.equal(targetsSummary({ Targets: [{ Key: 'InstanceIds', Values: ['*'] }] }), 'All managed nodes');
  assert.equal(targetsSummary({ Targets: [{ Key: 'InstanceIds', Values: [A] }] }), A);
  assert.equal(targetsSummary({ Targets: [{ Key: 'InstanceIds', Values: [A, B] }] }), `2 nodes: ${A} or ${B}`);
  assert.equal(targetsSummary({ Targets: [{ Key: 'InstanceIds', Values: [A, B, C] }] }), `3 nodes: ${A}, ${B} and 1 more`);
  assert.equal(targetsSummary({ Targets: [{ Key: 'tag:Env', Values: ['prod'] }] }), 'Tag Env = prod');
  assert.equal(targetsSummary({ Targets: [{ Key: 'tag:Env', Values: ['prod', 'staging'] }, { Key: 'tag-key', Values: ['Team'] }] }), 'Tag Env = prod or staging and Tag key Team');
  assert.equal(targetsSummary({ Targets: [{ Key: 'resource-groups:Name', Values: ['web'] }] }), 'Resource group web');
  assert.equal(targetsSummary({ Targets: [{ Key: 'tag:Role', Values: ['a', 'b', 'c', 'd'] }] }), 'Tag Role = a, b, c and 1 more');
  // The deprecated InstanceId, TargetMaps, nothing.
  assert.equal(targetsSummary({ InstanceId: A }), A);
  assert.equal(targetsSummary({ TargetMaps: [{ InstanceIds: [A] }, { InstanceIds: [B] }] }), '2 target maps');
  assert.equal(targetsSummary({}), '—');
});

test('names, documents and counts as the list shows them', () => {
  assert.equal(associationLabel({ AssociationId: 'id-1', AssociationName: 'nightly' }), 'nightly');
  assert.equal(associationLabel({ AssociationId: 'id-1' }), 'id-1');
  assert.equal(documentLabel('AWS-RunShellScript', '$DEFAULT'), 'AWS-RunShellScript');
  assert.equal(documentLabel('AWS-RunShellScript', undefined), 'AWS-RunShellScript');
  assert.equal(documentLabel('mine', '3'), 'mine (v3)');
  assert.equal(documentLabel('mine', '$LATEST'), 'mine (latest)');
  assert.equal(formatCounts({ Failed: 1, Success: 3 }), 'Success 3 · Failed 1');
  assert.equal(formatCounts({ Zeta: 1, Pending: 0, Alpha: 2, InProgress: 1 }), 'InProgress 1 · Alpha 2 · Zeta 1');
  assert.equal(formatCounts(undefined), '');
});

test("ResourceCountByStatus: AWS's map text, and JSON", () => {
  assert.deepEqual(parseResourceCounts('{Success=2, Failed=1}'), { Success: 2, Failed: 1 });
  assert.deepEqual(parseResourceCounts('{Success=1}'), { Success: 1 });
  assert.deepEqual(parseResourceCounts('{"Success":4,"TimedOut":1}'), { Success: 4, TimedOut: 1 });
  assert.deepEqual(parseResourceCounts('{}'), {});
  assert.deepEqual(parseResourceCounts(undefined), {});
});

test('executions newest first, whether the times are epoch seconds or ISO text', () => {
  const rows = [
    { ExecutionId: 'old', CreatedTime: 1_700_000_000 },
    { ExecutionId: 'new', CreatedTime: '2030-01-01T00:00:00Z' },
    { ExecutionId: 'mid', CreatedTime: 1_800_000_000.5 },
  ];
  assert.deepEqual(
    newestFirst(rows).map((r) => r.ExecutionId),
    ['new', 'mid', 'old'],
  );
});

const content = JSON.stringify({
  schemaVersion: '2.2',
  parameters: {
    commands: { type: 'StringList', description: '(Required) Commands to run.' },
    workingDirectory: { type: 'String', default: '' },
    executionTimeout: { type: 'String', default: '3600', allowedPattern: '([1-9][0-9]{0,4})|(1[0-6][0-9]{4})|(17[0-1][0-9]{3})|(172[0-7][0-9]{2})|(172800)' },
  },
  mainSteps: [],
});
const specs = paramSpecs(undefined, content);

const form = (over: Partial<AssociationForm> = {}): AssociationForm => ({
  document: 'AWS-RunShellScript',
  version: '$DEFAULT',
  values: { ...initialValues(specs), commands: 'echo state-manager\n' },
  targetMode: 'ids',
  ids: [A],
  tags: [{ key: '', values: '' }],
  schedule: 'rate(30 minutes)',
  applyOnlyAtCronInterval: false,
  name: '',
  maxConcurrency: '',
  maxErrors: '',
  complianceSeverity: '',
  ...over,
});

test('the form becomes CreateAssociation: node ids as an InstanceIds target, defaults and empty options left out', () => {
  assert.ok(formIsValid(validateAssociationForm(form(), specs)));
  assert.deepEqual(toCreateAssociationInput(form(), specs), {
    Name: 'AWS-RunShellScript',
    Parameters: { commands: ['echo state-manager'] },
    Targets: [{ Key: 'InstanceIds', Values: [A] }],
    ScheduleExpression: 'rate(30 minutes)',
  });
  const full = form({
    version: '2',
    targetMode: 'all',
    schedule: ' cron(0 2 ? * * *) ',
    applyOnlyAtCronInterval: true,
    name: ' nightly-check ',
    maxConcurrency: '10%',
    maxErrors: '0',
    complianceSeverity: 'HIGH',
    values: { ...initialValues(specs), commands: 'uptime', executionTimeout: '60' },
  });
  assert.ok(formIsValid(validateAssociationForm(full, specs)));
  assert.deepEqual(toCreateAssociationInput(full, specs), {
    Name: 'AWS-RunShellScript',
    DocumentVersion: '2',
    Parameters: { commands: ['uptime'], executionTimeout: ['60'] },
    Targets: [{ Key: 'InstanceIds', Values: ['*'] }],
    ScheduleExpression: 'cron(0 2 ? * * *)',
    ApplyOnlyAtCronInterval: true,
    AssociationName: 'nightly-check',
    MaxConcurrency: '10%',
    MaxErrors: '0',
    ComplianceSeverity: 'HIGH',
  });
  // No schedule: the association runs once, when it is created.
  assert.equal('ScheduleExpression' in toCreateAssociationInput(form({ schedule: '  ' }), specs), false);
});

test('tag rows: values are alternatives, a key without values matches any value', () => {
  assert.deepEqual(formTargets('tags', [], [{ key: ' Env ', values: 'prod, staging,' }, { key: 'Team', values: '' }, { key: ' ', values: 'x' }]), [
    { Key: 'tag:Env', Values: ['prod', 'staging'] },
    { Key: 'tag-key', Values: ['Team'] },
  ]);
  assert.equal(formTargets('tags', [], [{ key: '', values: 'x' }]), 'Give at least one tag key.');
  assert.equal(formTargets('ids', [], []), 'Choose at least one node.');
});

test('what the page refuses before sending', () => {
  const v = validateAssociationForm(
    form({ ids: [], schedule: 'every day', name: 'x', maxConcurrency: '0', maxErrors: '101%', values: { ...initialValues(specs), commands: '' } }),
    specs,
  );
  assert.deepEqual(Object.keys(v.fields).sort(), ['maxConcurrency', 'maxErrors', 'name', 'schedule', 'targets']);
  assert.deepEqual(Object.keys(v.params), ['commands']);
  assert.equal(formIsValid(v), false);
  // Only at the cron times: a rate, or no schedule, cannot.
  assert.ok(validateAssociationForm(form({ applyOnlyAtCronInterval: true }), specs).fields.applyOnlyAtCronInterval);
  assert.ok(validateAssociationForm(form({ applyOnlyAtCronInterval: true, schedule: '' }), specs).fields.applyOnlyAtCronInterval);
  assert.equal(validateAssociationForm(form({ applyOnlyAtCronInterval: true, schedule: 'cron(0 2 ? * * *)' }), specs).fields.applyOnlyAtCronInterval, undefined);
  assert.ok(validateAssociationForm(form({ document: '' }), specs).fields.document);
});

test("the server's refusals land by the field they are about", () => {
  assert.deepEqual(refusalPlace('InvalidSchedule', 'Schedule expression rate(2 fortnights) is not valid.', specs), { field: 'schedule' });
  assert.deepEqual(refusalPlace('InvalidTarget', 'No such target key.', specs), { field: 'targets' });
  assert.deepEqual(refusalPlace('InvalidInstanceId', 'nope', specs), { field: 'targets' });
  assert.deepEqual(refusalPlace('InvalidDocumentVersion', 'Version 9 does not exist.', specs), { field: 'document' });
  assert.deepEqual(refusalPlace('InvalidParameters', 'Parameter "executionTimeout" does not match its pattern.', specs), { field: 'parameters', param: 'executionTimeout' });
  assert.deepEqual(refusalPlace('InvalidParameters', 'Parameters are wrong.', specs), { field: 'parameters' });
  assert.deepEqual(refusalPlace('ValidationException', "Value 'x' at 'associationName' failed: AssociationName must match …", specs), { field: 'name' });
  assert.deepEqual(refusalPlace('ValidationException', 'MaxConcurrency must be …', specs), { field: 'maxConcurrency' });
  assert.deepEqual(refusalPlace('AssociationLimitExceeded', 'Too many.', specs), {});
});
