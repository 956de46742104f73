import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AwsError } from '../../protocol/errors.js';
import { validFixtures, validFixture } from './fixtures/index.js';
import { BASES, invalidFixtures } from './fixtures/invalid/index.js';
import { parseContent, validateDocument, type DocumentType, type ValidatedDocument } from './index.js';

function rejection(run: () => unknown): AwsError {
  try {
    run();
  } catch (e) {
    assert.ok(e instanceof AwsError, `expected an AwsError, got ${String(e)}`);
    return e;
  }
  assert.fail('the document was accepted');
}

const validate = (f: { content: string; format: 'JSON' | 'YAML' | 'TEXT'; type: DocumentType }) =>
  validateDocument({ content: f.content, format: f.format, documentType: f.type });

/** What each valid fixture must come out as: schema version, platforms, steps, parameters in order. */
const EXPECTED: Record<string, Pick<ValidatedDocument, 'schemaVersion' | 'platformTypes' | 'stepNames'> & { parameters: string[] }> = {
  'command-1.2-shell': { schemaVersion: '1.2', platformTypes: ['Linux', 'MacOS'], stepNames: ['aws:runShellScript'], parameters: ['commands', 'workingDirectory', 'executionTimeout'] },
  'command-1.2-domain-join': { schemaVersion: '1.2', platformTypes: ['Windows', 'Linux', 'MacOS'], stepNames: ['aws:domainJoin', 'aws:refreshAssociation'], parameters: ['directoryId', 'directoryName', 'dnsIpAddresses'] },
  'command-2.0-download-and-run': { schemaVersion: '2.0', platformTypes: ['Windows', 'Linux', 'MacOS'], stepNames: ['fetch', 'run.script'], parameters: ['scriptUrl'] },
  'command-2.0-docker': { schemaVersion: '2.0', platformTypes: ['Windows', 'Linux', 'MacOS'], stepNames: ['configure-docker', 'list_containers'], parameters: ['action'] },
  'command-2.2-cross-platform': {
    schemaVersion: '2.2',
    platformTypes: ['Windows', 'Linux', 'MacOS'],
    stepNames: ['WriteWindows', 'WriteLinux', 'WriteMac', 'Cleanup'],
    parameters: ['Message', 'Files', 'Verbose', 'Retries', 'Tags', 'Mounts', 'Commands'],
  },
  'command-2.2-run-document': { schemaVersion: '2.2', platformTypes: ['Windows', 'Linux'], stepNames: ['runNested', 'install_agent_addon'], parameters: ['documentName', 'logLevel'] },
  'command-2.2-windows': { schemaVersion: '2.2', platformTypes: ['Windows'], stepNames: ['installMsi', 'installModule', 'scan'], parameters: [] },
  'policy-2.0-inventory': { schemaVersion: '2.0', platformTypes: ['Windows', 'Linux', 'MacOS'], stepNames: ['collectSoftwareInventoryItems'], parameters: ['applications', 'files'] },
  'automation-0.3-restore': {
    schemaVersion: '0.3',
    platformTypes: ['Windows', 'Linux', 'MacOS'],
    stepNames: ['DescribeNodes', 'ChooseAction', 'Approve', 'StopNodes', 'Settle', 'Report'],
    parameters: ['AutomationAssumeRole', 'InstanceIds', 'Approver', 'WaitFor'],
  },
  'automation-0.3-script-loop': { schemaVersion: '0.3', platformTypes: ['Windows', 'Linux', 'MacOS'], stepNames: ['TagEach', 'TagOne', 'Count', 'Summarise', 'Hold'], parameters: ['VolumeIds', 'Owner'] },
  'session-standard-stream': { schemaVersion: '1.0', platformTypes: ['Windows', 'Linux', 'MacOS'], stepNames: [], parameters: [] },
  'session-standard-stream-run-as': { schemaVersion: '1.0', platformTypes: ['Windows', 'Linux', 'MacOS'], stepNames: [], parameters: [] },
  'session-port': { schemaVersion: '1.0', platformTypes: ['Windows', 'Linux', 'MacOS'], stepNames: [], parameters: ['portNumber', 'localPortNumber', 'host'] },
  'session-interactive': { schemaVersion: '1.0', platformTypes: ['Windows', 'Linux', 'MacOS'], stepNames: [], parameters: ['logpath'] },
  'session-noninteractive': { schemaVersion: '1.0', platformTypes: ['Windows', 'Linux', 'MacOS'], stepNames: [], parameters: ['path'] },
  'package-2.0': { schemaVersion: '2.0', platformTypes: ['Windows', 'Linux'], stepNames: [], parameters: [] },
  'changecalendar-freeze': { schemaVersion: '2.0', platformTypes: ['Windows', 'Linux', 'MacOS'], stepNames: [], parameters: [] },
  'changecalendar-empty': { schemaVersion: '2.0', platformTypes: ['Windows', 'Linux', 'MacOS'], stepNames: [], parameters: [] },
  'application-configuration': { schemaVersion: undefined, platformTypes: ['Windows', 'Linux', 'MacOS'], stepNames: [], parameters: [] },
  'application-configuration-logging': { schemaVersion: undefined, platformTypes: ['Windows', 'Linux', 'MacOS'], stepNames: [], parameters: [] },
  'application-configuration-schema': { schemaVersion: undefined, platformTypes: ['Windows', 'Linux', 'MacOS'], stepNames: [], parameters: [] },
  cloudformation: { schemaVersion: undefined, platformTypes: ['Windows', 'Linux', 'MacOS'], stepNames: [], parameters: [] },
  'change-template': { schemaVersion: '0.3', platformTypes: ['Windows', 'Linux', 'MacOS'], stepNames: [], parameters: ['Approver'] },
};

test('the valid corpus covers every schema version of every SSM-defined type, in JSON and YAML', () => {
  const has = (type: DocumentType, version: string | undefined, format: string) =>
    validFixtures.some((f) => f.type === type && f.format === format && EXPECTED[f.name]!.schemaVersion === version);
  for (const version of ['1.2', '2.0', '2.2']) for (const format of ['JSON', 'YAML']) assert.ok(has('Command', version, format), `Command ${version} ${format}`);
  for (const [type, version] of [['Automation', '0.3'], ['Policy', '2.0'], ['Package', '2.0'], ['ChangeCalendar', '2.0'], ['ApplicationConfiguration', undefined]] as const) {
    assert.ok(validFixtures.some((f) => f.type === type && EXPECTED[f.name]!.schemaVersion === version), `${type} ${version}`);
  }
  const sessionTypes = validFixtures.filter((f) => f.type === 'Session').map((f) => (parseContent(f.content, f.format) as { sessionType: string }).sessionType);
  assert.deepEqual([...new Set(sessionTypes)].sort(), ['InteractiveCommands', 'NonInteractiveCommands', 'Port', 'Standard_Stream']);
  assert.deepEqual(Object.keys(EXPECTED).sort(), validFixtures.map((f) => f.name).sort(), 'every fixture has an expectation');
});

for (const fixture of validFixtures) {
  test(`valid: ${fixture.name} (${fixture.type}, ${fixture.format})`, () => {
    const out = validate(fixture);
    const expected = EXPECTED[fixture.name]!;
    assert.equal(out.schemaVersion, expected.schemaVersion);
    assert.deepEqual(out.platformTypes, expected.platformTypes);
    assert.deepEqual(out.stepNames, expected.stepNames);
    assert.deepEqual(out.parameters.map((p) => p.name), expected.parameters);
    assert.deepEqual(out.content, fixture.type === 'ChangeCalendar' ? fixture.content : parseContent(fixture.content, fixture.format));
  });
}

test('a validated document reports its description and full parameter declarations', () => {
  const out = validate(validFixture('command-2.2-cross-platform'));
  assert.equal(out.description, 'Write a greeting on every platform, then clean up.');
  assert.deepEqual(out.parameters[0], {
    name: 'Message',
    type: 'String',
    description: 'Message to write.',
    default: 'Hello',
    allowedPattern: '^[^"]*$',
    minChars: 1,
    maxChars: 200,
  });
  assert.deepEqual(out.parameters[1], { name: 'Files', type: 'StringList', default: ['/tmp/a', '/tmp/b'], minItems: 1, maxItems: 5 });
  assert.deepEqual(out.parameters[3], { name: 'Retries', type: 'Integer', default: 3, allowedValues: ['1', '3', '5'] });
  assert.equal(validate(validFixture('changecalendar-freeze')).description, 'Freeze changes over the holidays');
  assert.equal(validate(validFixture('cloudformation')).description, 'A bucket for session logs.');
});

for (const base of BASES) {
  test(`invalid-fixture base is valid: ${base.name}`, () => {
    assert.doesNotThrow(() => validate(base));
  });
}

test('the invalid corpus is large, named uniquely, and covers every error code', () => {
  assert.ok(invalidFixtures.length >= 45, `only ${invalidFixtures.length} invalid fixtures`);
  // Names become document names in the API tests, so they are unique across types.
  const names = invalidFixtures.map((f) => f.name);
  assert.equal(new Set(names).size, names.length, 'duplicate fixture names');
  assert.deepEqual([...new Set(invalidFixtures.map((f) => f.code))].sort(), ['InvalidDocument', 'InvalidDocumentContent', 'InvalidDocumentSchemaVersion']);
});

for (const fixture of invalidFixtures) {
  test(`invalid: ${fixture.type}/${fixture.name} -> ${fixture.code}`, () => {
    const error = rejection(() => validate(fixture));
    assert.equal(error.code, fixture.code, `message: ${error.message}`);
    assert.ok(error.message.includes(fixture.message), `expected ${JSON.stringify(fixture.message)} in ${JSON.stringify(error.message)}`);
    assert.equal(error.status, 400);
    assert.equal(error.messageMember, 'Message');
  });
}

test('a missing plugin input names the step by index and name, and the field', () => {
  const content = JSON.stringify({
    schemaVersion: '2.2',
    mainSteps: [
      { action: 'aws:runShellScript', name: 'setup', inputs: { runCommand: 'true' } },
      { action: 'aws:runShellScript', name: 'runScript', inputs: {} },
    ],
  });
  const error = rejection(() => validateDocument({ content, format: 'JSON', documentType: 'Command' }));
  assert.equal(error.message, 'mainSteps[1] (name: runScript): action aws:runShellScript requires inputs.runCommand');
});

test('references the agent would never substitute are left alone; ones it would are checked', () => {
  const doc = (command: string) =>
    JSON.stringify({ schemaVersion: '2.2', parameters: { p: { type: 'String', default: 'x' } }, mainSteps: [{ action: 'aws:runShellScript', name: 's', inputs: { runCommand: [command] } }] });
  const ok = (command: string) => validateDocument({ content: doc(command), format: 'JSON', documentType: 'Command' });
  for (const command of ['docker inspect -f "{{ .State.Running }}" c', 'echo {{ p }}{{p}}', 'echo {{ssm:/a/b:3}} {{ ssm-secure:token }} {{resolve:secretsmanager:x}}', 'echo "{{ a | b }}"']) {
    assert.doesNotThrow(() => ok(command), command);
  }
  assert.match(rejection(() => ok('echo {{ q }}')).message, /references undeclared parameter "q"/);
  assert.match(rejection(() => ok('echo {{p}} and {{ Q_2 }}')).message, /undeclared parameter "Q_2"/);
});

test('an unknown document type or a format its type cannot take is InvalidDocument, not a content error', () => {
  const command = validFixture('command-2.2-windows');
  const unknown = rejection(() => validateDocument({ content: command.content, format: 'JSON', documentType: 'Script' as DocumentType }));
  assert.equal(unknown.code, 'InvalidDocument');
  assert.match(unknown.message, /^Document type "Script" is not supported/);
  const runbook = validFixture('automation-0.3-restore');
  assert.equal(rejection(() => validateDocument({ content: runbook.content, format: 'TEXT', documentType: 'Automation' })).code, 'InvalidDocument');
  const calendar = validFixture('changecalendar-empty');
  assert.equal(rejection(() => validateDocument({ content: calendar.content, format: 'YAML', documentType: 'ChangeCalendar' })).code, 'InvalidDocument');
});
