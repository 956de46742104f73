import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { isAwsError } from '../../protocol/errors.js';
import { bindParameters, interpolate, type ParameterDeclaration, type ResolvedValue } from '../resolve/index.js';
import { validateDocument } from '../validation/index.js';
import { BUILTIN_DOCUMENTS, type BuiltinDocument } from './index.js';

type Doc = { schemaVersion: string; parameters?: Record<string, Omit<ParameterDeclaration, 'name'>>; [k: string]: unknown };
const parsed = (b: BuiltinDocument): Doc => (b.format === 'JSON' ? JSON.parse(b.content) : parseYaml(b.content)) as Doc;
const declarations = (b: BuiltinDocument): ParameterDeclaration[] => Object.entries(parsed(b).parameters ?? {}).map(([name, d]) => ({ name, ...d }));
const byName = (name: string) => BUILTIN_DOCUMENTS.find((b) => b.name === name) ?? assert.fail(`${name} is not built in`);

const REQUIRED = Symbol('required');
/** AWS's parameters of each document: name → [type, default or REQUIRED]. */
const EXPECTED: Record<string, Record<string, [string, unknown]>> = {
  'AWS-RunShellScript': { commands: ['StringList', REQUIRED], workingDirectory: ['String', ''], executionTimeout: ['String', '3600'] },
  'AWS-RunPowerShellScript': { commands: ['StringList', REQUIRED], workingDirectory: ['String', ''], executionTimeout: ['String', '3600'] },
  'AWS-RunDocument': { sourceType: ['String', REQUIRED], sourceInfo: ['StringMap', REQUIRED], documentParameters: ['StringMap', {}] },
  'AWS-RunPatchBaseline': {
    Operation: ['String', REQUIRED],
    AssociationId: ['String', ''],
    SnapshotId: ['String', ''],
    InstallOverrideList: ['String', ''],
    RebootOption: ['String', 'RebootIfNeeded'],
    BaselineOverride: ['String', ''],
  },
  'AWS-ConfigureAWSPackage': {
    action: ['String', REQUIRED],
    installationType: ['String', 'Uninstall and reinstall'],
    name: ['String', REQUIRED],
    version: ['String', ''],
    additionalArguments: ['StringMap', {}],
  },
  'AWS-GatherSoftwareInventory': Object.fromEntries(
    ['applications', 'awsComponents', 'files', 'networkConfig', 'windowsUpdates', 'instanceDetailedInformation', 'services', 'windowsRegistry', 'windowsRoles', 'customInventory', 'billingInfo'].map((n) => [
      n,
      ['String', n === 'files' || n === 'windowsRegistry' ? '' : 'Enabled'],
    ]),
  ),
  'AWS-UpdateSSMAgent': { version: ['String', ''], allowDowngrade: ['String', 'false'] },
  'AWS-StartInteractiveCommand': { command: ['String', REQUIRED] },
  'AWS-StartNonInteractiveCommand': { command: ['String', REQUIRED] },
  'AWS-StartPortForwardingSession': { portNumber: ['String', '80'], localPortNumber: ['String', '0'] },
  'AWS-StartPortForwardingSessionToRemoteHost': { host: ['String', REQUIRED], portNumber: ['String', '80'], localPortNumber: ['String', '0'] },
  'AWS-StartSSHSession': { portNumber: ['String', '22'] },
  'Capstan-StartFileCopySession': {},
  'Capstan-StartMultiPortForwardingSession': { destinations: ['StringList', REQUIRED] },
  'SSM-SessionManagerRunShell': {},
  'Capstan-RestartServiceOnNodes': { InstanceIds: ['StringList', REQUIRED], ServiceName: ['String', REQUIRED], AutomationAssumeRole: ['String', ''] },
  'Capstan-RunScriptWithApproval': {
    InstanceIds: ['StringList', REQUIRED],
    Commands: ['StringList', REQUIRED],
    WorkingDirectory: ['String', ''],
    ExecutionTimeout: ['String', '3600'],
    Approvers: ['StringList', REQUIRED],
    MinRequiredApprovals: ['Integer', 1],
    Message: ['String', 'Approve running a script on the listed nodes.'],
    AutomationAssumeRole: ['String', ''],
  },
  'Capstan-DiagnoseAgent': {},
  'Capstan-TroubleshootNode': { InstanceId: ['String', REQUIRED], AutomationAssumeRole: ['String', ''] },
  'Capstan-CollectDiagnostics': { InstanceIds: ['StringList', REQUIRED], ServiceName: ['String', ''], Since: ['String', '1 hour ago'], LogLines: ['Integer', 200], AutomationAssumeRole: ['String', ''] },
};

const SCHEMA: Record<BuiltinDocument['documentType'], string[]> = { Command: ['1.2', '2.2'], Policy: ['2.0'], Session: ['1.0'], Automation: ['0.3'], Package: ['2.0'] };

test('the built-ins are the required set, each parsing as its format with its type\'s schema version', () => {
  assert.deepEqual(BUILTIN_DOCUMENTS.map((b) => b.name).sort(), Object.keys(EXPECTED).sort());
  for (const b of BUILTIN_DOCUMENTS) {
    const doc = parsed(b);
    assert.ok(SCHEMA[b.documentType].includes(doc.schemaVersion), `${b.name}: schema ${doc.schemaVersion} for a ${b.documentType} document`);
    assert.equal(/^(AWS|SSM)-/.test(b.name), !b.name.startsWith('Capstan-'), b.name);
    assert.ok(b.description.length > 10, `${b.name} describes itself`);
    if (b.format === 'JSON') assert.doesNotThrow(() => JSON.parse(b.content));
  }
  const types = Object.fromEntries(BUILTIN_DOCUMENTS.map((b) => [b.name, b.documentType]));
  assert.equal(types['AWS-GatherSoftwareInventory'], 'Policy');
  assert.equal(types['AWS-StartSSHSession'], 'Session');
  assert.equal(types['Capstan-RunScriptWithApproval'], 'Automation');
  assert.ok(Object.isFrozen(BUILTIN_DOCUMENTS) && Object.isFrozen(BUILTIN_DOCUMENTS[0]), 'shared by every account, so nobody may change them');
});

test('each built-in declares AWS\'s parameter names, types and defaults, and nothing else', () => {
  for (const b of BUILTIN_DOCUMENTS) {
    const actual = Object.fromEntries(declarations(b).map((d) => [d.name, [d.type, d.default === undefined ? REQUIRED : d.default]]));
    assert.deepEqual(actual, EXPECTED[b.name], b.name);
  }
  const shell = Object.fromEntries(declarations(byName('AWS-RunShellScript')).map((d) => [d.name, d]));
  assert.equal(shell.commands!.minItems, 1);
  assert.equal(shell.workingDirectory!.maxChars, 4096);
  const patch = Object.fromEntries(declarations(byName('AWS-RunPatchBaseline')).map((d) => [d.name, d]));
  assert.deepEqual(patch.Operation!.allowedValues, ['Scan', 'Install']);
  assert.deepEqual(patch.RebootOption!.allowedValues, ['RebootIfNeeded', 'NoReboot']);
});

test('each built-in passes document validation, which reads the same parameters', () => {
  for (const b of BUILTIN_DOCUMENTS) {
    const v = validateDocument({ content: b.content, format: b.format, documentType: b.documentType });
    assert.deepEqual(v.parameters.map((p) => p.name), Object.keys(EXPECTED[b.name]!), b.name);
  }
  const platforms = (name: string) => validateDocument({ content: byName(name).content, format: 'JSON', documentType: 'Command' }).platformTypes;
  assert.deepEqual(platforms('AWS-RunShellScript'), ['Linux', 'MacOS']);
  assert.deepEqual(platforms('AWS-RunPatchBaseline'), ['Windows', 'Linux', 'MacOS']);
});

test('every placeholder names a declared parameter, and every parameter is used', () => {
  for (const b of BUILTIN_DOCUMENTS) {
    const declared = new Set(declarations(b).map((d) => d.name));
    // Step outputs (`{{ Step.Output }}`) are not parameters.
    const steps = b.documentType === 'Automation' ? new Set(((parsed(b) as { mainSteps?: { name: string }[] }).mainSteps ?? []).map((s) => s.name)) : new Set<string>();
    const used = new Set([...b.content.matchAll(/\{\{\s*([^{}\s]+)\s*\}\}/g)].map((m) => m[1]!).filter((n) => !steps.has(n.split('.')[0]!)));
    assert.deepEqual([...used].filter((n) => !declared.has(n)), [], `${b.name} refers to undeclared names`);
    assert.deepEqual([...declared].filter((n) => !used.has(n)), [], `${b.name} declares unused parameters`);
  }
});

function rejects(decls: ParameterDeclaration[], supplied: Record<string, string[]>, reason: RegExp) {
  assert.throws(() => bindParameters(decls, supplied), (e: unknown) => isAwsError(e) && e.code === 'InvalidParameters' && reason.test(e.message), JSON.stringify(supplied));
}

test('required parameters are exactly those without defaults, and the defaults satisfy their own rules', () => {
  for (const b of BUILTIN_DOCUMENTS) {
    const decls = declarations(b);
    const required = decls.filter((d) => d.default === undefined);
    if (required.length) rejects(decls, {}, new RegExp(`"${required[0]!.name}" is required`));
    else assert.deepEqual(Object.keys(bindParameters(decls, {})), decls.map((d) => d.name), b.name);
    // A default must pass the checks a supplied value gets; supplying it explicitly runs them.
    const defaults = Object.fromEntries(decls.filter((d) => typeof d.default === 'string').map((d) => [d.name, [d.default as string]]));
    const samples = Object.fromEntries(required.map((d) => [d.name, sampleList(b.name, d)]));
    assert.equal(Object.keys(bindParameters(decls, { ...defaults, ...samples })).length, decls.length, b.name);
  }
});

/** Valid values for the required parameters, per document. */
function sampleList(doc: string, d: ParameterDeclaration): string[] {
  if (d.type === 'StringList') return d.name === 'InstanceIds' ? ['mi-0123456789abcdef0'] : d.name === 'Approvers' ? ['alice'] : d.name === 'destinations' ? ['5432', 'db.internal:80', '[::1]:22'] : ['echo hi'];
  return [sampleFor(doc, d)];
}
function sampleFor(doc: string, d: ParameterDeclaration): string {
  if (d.allowedValues) return d.allowedValues[0]!;
  const samples: Record<string, string> = { sourceInfo: '{"name":"AWS-RunShellScript"}', name: 'CapstanAgentTools', command: 'top', host: 'db.internal', ServiceName: 'nginx.service', InstanceId: 'mi-0123456789abcdef0' };
  return samples[d.name] ?? assert.fail(`no sample for ${doc} ${d.name}`);
}

test('the patterns accept and refuse what AWS\'s documents do, and keep quotes out of shell lines', () => {
  const decl = (doc: string, name: string) => [declarations(byName(doc)).find((d) => d.name === name)!];
  const timeout = decl('AWS-RunShellScript', 'executionTimeout');
  for (const ok of ['5', '3600', '99999', '100000', '172800']) bindParameters(timeout, { executionTimeout: [ok] });
  for (const bad of ['0', '172801', '200000', '1h', '-1']) rejects(timeout, { executionTimeout: [bad] }, /does not match the allowed pattern/);
  const port = decl('AWS-StartPortForwardingSession', 'portNumber');
  for (const ok of ['1', '22', '8080', '65535']) bindParameters(port, { portNumber: [ok] });
  for (const bad of ['0', '65536', '080', 'http']) rejects(port, { portNumber: [bad] }, /allowed pattern/);
  bindParameters(decl('AWS-StartPortForwardingSession', 'localPortNumber'), { localPortNumber: ['0'] });
  const snapshot = decl('AWS-RunPatchBaseline', 'SnapshotId');
  bindParameters(snapshot, { SnapshotId: ['12345699-9405-4f69-bc5e-9315a0c0ffee'] });
  rejects(snapshot, { SnapshotId: ['not-a-guid'] }, /allowed pattern/);
  const override = decl('AWS-RunPatchBaseline', 'InstallOverrideList');
  for (const ok of ['', 'https://example.com/lists/override.yaml', 's3://my-bucket/patches/list.yaml']) bindParameters(override, { InstallOverrideList: [ok] });
  for (const bad of ['http://example.com/x.yaml', "https://example.com/x.yaml'; reboot; '", 's3://bucket']) rejects(override, { InstallOverrideList: [bad] }, /allowed pattern/);
  rejects(decl('Capstan-RestartServiceOnNodes', 'ServiceName'), { ServiceName: ["nginx'; rm -rf / #"] }, /allowed pattern/);
  rejects(decl('Capstan-CollectDiagnostics', 'Since'), { Since: ['$(reboot)'] }, /allowed pattern/);
});

test('binding and interpolating a built-in gives what the agent or the automation engine runs', () => {
  const shell = byName('AWS-RunShellScript');
  const values = bindParameters(declarations(shell), { commands: ['cd /srv', 'ls -la'] });
  const runtime = interpolate(parsed(shell), values).runtimeConfig as Record<string, { properties: Record<string, unknown>[] }>;
  assert.deepEqual(runtime['aws:runShellScript']!.properties[0], { id: '0.aws:runShellScript', runCommand: ['cd /srv', 'ls -la'], workingDirectory: '', timeoutSeconds: '3600' });

  const approval = byName('Capstan-RunScriptWithApproval');
  const bound: Record<string, ResolvedValue> = bindParameters(declarations(approval), { InstanceIds: ['mi-0123456789abcdef0', 'mi-0123456789abcdef1'], Commands: ['apt-get update', 'apt-get -y upgrade'], Approvers: ['alice', 'bob'], MinRequiredApprovals: ['2'] });
  const steps = interpolate(parsed(approval), bound).mainSteps as { name: string; inputs: Record<string, unknown> }[];
  assert.deepEqual(steps[0]!.inputs, { Approvers: ['alice', 'bob'], MinRequiredApprovals: 2, Message: 'Approve running a script on the listed nodes.' });
  assert.deepEqual(steps[1]!.inputs, {
    DocumentName: 'AWS-RunShellScript',
    InstanceIds: ['mi-0123456789abcdef0', 'mi-0123456789abcdef1'],
    Parameters: { commands: ['apt-get update', 'apt-get -y upgrade'], workingDirectory: '', executionTimeout: '3600' },
  });

  const session = byName('AWS-StartPortForwardingSessionToRemoteHost');
  const props = interpolate(parsed(session), bindParameters(declarations(session), { host: ['db.internal'], portNumber: ['5432'] })).properties;
  assert.deepEqual(props, { portNumber: '5432', type: 'LocalPortForwarding', host: 'db.internal', localPortNumber: '0' });
});
