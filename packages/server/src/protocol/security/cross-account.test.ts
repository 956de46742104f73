import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CreateActivationCommand, CreateAssociationCommand, CreateDocumentCommand, CreateMaintenanceWindowCommand, CreateOpsItemCommand, GetAutomationExecutionCommand,
  GetCommandInvocationCommand, ListDocumentsCommand, ModifyDocumentPermissionCommand, PutParameterCommand, SendCommandCommand, SSMClient, StartAutomationExecutionCommand,
} from '@aws-sdk/client-ssm';
import { ALL_OPERATIONS } from '../../server.js';
import type { AccountBootstrap } from '../../iam/service.js';
import { SimulatedAgent } from '../../test-support/sim-agent.js';
import { startTestServer, type TestServer } from '../../test-support/server.js';
import { until } from '../../test-support/until.js';
import type { AnyOperation } from '../registry.js';
import { callAs, changedTables, snapshot, tableNames, type Answer, type Credentials } from './harness.js';
import { validInput } from './valid-input.js';

/**
 * Account A owns parameters (a SecureString among them), an unshared document, a managed node
 * with a command run on it, an association, a maintenance window, an OpsItem and an automation
 * execution. Account B's admin, with every permission in B, must not see any of it through any
 * read operation, by name, by id or by an ARN naming A's account, nor change or delete any of it.
 * Once A shares the document with B, B sees that document and nothing more.
 */

let t: TestServer;
let a: SSMClient;
let bAccount: AccountBootstrap;
let b: Credentials;
let agent: SimulatedAgent;
const A: Record<string, string> = {};
/** Everything of A's that B must never be shown: names, ids, values, contents, titles. */
const secrets: string[] = [];
const tally = { reads: 0, sweep: 0, writes: 0 };

const opNamed = (service: string, name: string): AnyOperation => {
  const op = ALL_OPERATIONS.find((o) => o.service.key === service && o.name === name);
  if (!op) throw new Error(`no operation ${service}:${name}`);
  return op;
};

/** What of A's shows in an answer, beyond what the request itself named (error messages may echo the input). */
function leaks(answer: Answer, input: unknown): string[] {
  const sent = JSON.stringify(input);
  return secrets.filter((s) => answer.raw.includes(s) && !sent.includes(s));
}

/**
 * B's own trail records B's own requests, which named A's ids; what must not be there is any
 * event of A's, or anything of A's that B never sent.
 */
function trailLeaks(answer: Answer): string[] {
  const events = (JSON.parse(answer.raw) as { Events?: { CloudTrailEvent: string }[] }).Events ?? [];
  const foreign = events.map((e) => JSON.parse(e.CloudTrailEvent) as { recipientAccountId?: string; userIdentity?: { accountId?: string } }).filter((e) => e.recipientAccountId !== bAccount.accountId || e.userIdentity?.accountId !== bAccount.accountId);
  const neverSent = ['xacct-a-plain-value', 'xacct-a-secret-value-7f3e', 'xacct-a-doc-marker', 'xacct-a-activation', 'xacct-a-host', 'xacct-a-command', 'xacct-a-opsitem-description', 'xacct-a-runbook'];
  return [...foreign.map((e) => `an event of account ${e.recipientAccountId}`), ...neverSent.filter((s) => answer.raw.includes(s))];
}

const leaksIn = (service: string, name: string, answer: Answer, input: unknown) => (service === 'cloudtrail' && name === 'LookupEvents' ? trailLeaks(answer) : leaks(answer, input));

async function asB(service: string, name: string, input: unknown): Promise<Answer> {
  return callAs(t.endpoint, b, opNamed(service, name), input);
}

before(async () => {
  t = await startTestServer();
  a = new SSMClient(t.clientConfig());
  bAccount = await t.server.core.iam.createAccount({ name: 'security-b' });
  b = { accessKeyId: bAccount.accessKeyId, secretAccessKey: bAccount.secretAccessKey };
  const arn = (resource: string) => `arn:aws:ssm:us-east-1:${t.accountId}:${resource}`;

  await a.send(new PutParameterCommand({ Name: '/xacct-a/plain', Value: 'xacct-a-plain-value', Type: 'String' }));
  await a.send(new PutParameterCommand({ Name: '/xacct-a/secret', Value: 'xacct-a-secret-value-7f3e', Type: 'SecureString' }));
  Object.assign(A, { plain: '/xacct-a/plain', secret: '/xacct-a/secret', plainArn: arn('parameter/xacct-a/plain'), secretArn: arn('parameter/xacct-a/secret') });
  const content = JSON.stringify({ schemaVersion: '2.2', description: 'xacct-a-doc-marker', mainSteps: [{ action: 'aws:runShellScript', name: 'run', inputs: { runCommand: ['echo xacct'] } }] });
  await a.send(new CreateDocumentCommand({ Name: 'XacctADoc', Content: content, DocumentType: 'Command' }));
  await a.send(new CreateDocumentCommand({ Name: 'XacctAShared', Content: content.replace('xacct-a-doc-marker', 'xacct-a-shared-marker'), DocumentType: 'Command' }));
  Object.assign(A, { doc: 'XacctADoc', docArn: arn('document/XacctADoc'), shared: 'XacctAShared', sharedArn: arn('document/XacctAShared') });

  const activation = await a.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', Description: 'xacct-a-activation', RegistrationLimit: 1 }));
  agent = new SimulatedAgent(t.endpoint, 'xacct-a-host');
  A.instance = await agent.register(activation.ActivationId!, activation.ActivationCode!);
  A.activation = activation.ActivationId!;
  A.instanceArn = arn(`managed-instance/${A.instance}`);
  await agent.connect();
  const cmd = await a.send(new SendCommandCommand({ DocumentName: 'XacctADoc', InstanceIds: [A.instance], Comment: 'xacct-a-command' }));
  A.command = cmd.Command!.CommandId!;
  await until('A\'s command to finish', async () => (await a.send(new GetCommandInvocationCommand({ CommandId: A.command, InstanceId: A.instance }))).Status === 'Success' || undefined);

  A.association = (await a.send(new CreateAssociationCommand({ Name: 'XacctADoc', AssociationName: 'xacct-a-assoc', Targets: [{ Key: 'InstanceIds', Values: [A.instance] }] }))).AssociationDescription!.AssociationId!;
  A.window = (await a.send(new CreateMaintenanceWindowCommand({ Name: 'xacct-a-window', Schedule: 'cron(0 4 ? * SUN *)', Duration: 2, Cutoff: 1, AllowUnassociatedTargets: true }))).WindowId!;
  A.opsItem = (await a.send(new CreateOpsItemCommand({ Title: 'xacct-a-opsitem', Description: 'xacct-a-opsitem-description', Source: 'xacct' }))).OpsItemId!;
  A.opsItemArn = arn(`opsitem/${A.opsItem}`);
  const runbook = { schemaVersion: '0.3', description: 'xacct-a-runbook', mainSteps: [{ name: 'Wait', action: 'aws:sleep', inputs: { Duration: 'PT1H' } }] };
  await a.send(new CreateDocumentCommand({ Name: 'XacctARunbook', Content: JSON.stringify(runbook), DocumentType: 'Automation' }));
  A.automation = (await a.send(new StartAutomationExecutionCommand({ DocumentName: 'XacctARunbook' }))).AutomationExecutionId!;
  await until('A\'s automation to start', async () => ['InProgress', 'Waiting'].includes((await a.send(new GetAutomationExecutionCommand({ AutomationExecutionId: A.automation }))).AutomationExecution!.AutomationExecutionStatus!) || undefined);

  secrets.push(...Object.values(A), 'xacct-a-plain-value', 'xacct-a-secret-value-7f3e', 'xacct-a-doc-marker', 'xacct-a-shared-marker', 'xacct-a-activation', 'xacct-a-host', 'xacct-a-command', 'xacct-a-assoc', 'xacct-a-window', 'xacct-a-opsitem', 'xacct-a-runbook', 'XacctARunbook');
});

after(async () => {
  await agent?.close();
  await t?.stop();
  console.log(`# cross-account: ${tally.reads} targeted reads by name, id and ARN, ${tally.sweep} read operations swept, ${tally.writes} changes attempted by B; none showed or changed A's resources`);
});

/** B's reads of A's resources, by name, by id and by an ARN in A's account. */
function targetedReads(): [string, string, unknown][] {
  return [
    ['ssm', 'GetParameter', { Name: A.plain }], ['ssm', 'GetParameter', { Name: A.secretArn, WithDecryption: true }], ['ssm', 'GetParameter', { Name: A.plainArn }],
    ['ssm', 'GetParameters', { Names: [A.plain, A.secret, A.plainArn, A.secretArn], WithDecryption: true }], ['ssm', 'GetParametersByPath', { Path: '/xacct-a', Recursive: true, WithDecryption: true }],
    ['ssm', 'GetParameterHistory', { Name: A.secretArn, WithDecryption: true }], ['ssm', 'GetParameterHistory', { Name: A.plain }], ['ssm', 'DescribeParameters', {}],
    ['ssm', 'DescribeParameters', { ParameterFilters: [{ Key: 'Name', Option: 'BeginsWith', Values: ['/xacct-a'] }] }], ['ssm', 'ListTagsForResource', { ResourceType: 'Parameter', ResourceId: A.plain }],
    ['ssm', 'GetDocument', { Name: A.doc }], ['ssm', 'GetDocument', { Name: A.docArn }], ['ssm', 'DescribeDocument', { Name: A.docArn }], ['ssm', 'ListDocumentVersions', { Name: A.docArn }],
    ['ssm', 'DescribeDocumentPermission', { Name: A.docArn, PermissionType: 'Share' }], ['ssm', 'ListDocuments', {}], ['ssm', 'ListDocuments', { Filters: [{ Key: 'Owner', Values: ['All'] }] }],
    ['ssm', 'ListDocuments', { Filters: [{ Key: 'Owner', Values: ['Private'] }] }], ['ssm', 'ListDocumentMetadataHistory', { Name: A.docArn, Metadata: 'DocumentReviews' }],
    ['ssm', 'DescribeInstanceInformation', {}], ['ssm', 'DescribeInstanceInformation', { Filters: [{ Key: 'InstanceIds', Values: [A.instance] }] }], ['ssm', 'DescribeInstanceProperties', {}],
    ['ssm', 'CapstanDiagnoseNode', { InstanceId: A.instance }], ['ssm', 'GetConnectionStatus', { Target: A.instance }], ['ssm', 'ListTagsForResource', { ResourceType: 'ManagedInstance', ResourceId: A.instance }],
    ['ssm', 'DescribeActivations', {}], ['ssm', 'DescribeActivations', { Filters: [{ FilterKey: 'ActivationIds', FilterValues: [A.activation] }] }],
    ['ssm', 'ListCommands', {}], ['ssm', 'ListCommands', { CommandId: A.command }], ['ssm', 'ListCommandInvocations', { CommandId: A.command, Details: true }],
    ['ssm', 'GetCommandInvocation', { CommandId: A.command, InstanceId: A.instance }], ['ssm', 'CapstanGetCommandOutput', { CommandId: A.command, InstanceId: A.instance, StepName: 'run' }],
    ['ssm', 'ListInventoryEntries', { InstanceId: A.instance, TypeName: 'AWS:InstanceInformation' }], ['ssm', 'GetInventory', {}], ['ssm', 'ListComplianceItems', { ResourceIds: [A.instance], ResourceTypes: ['ManagedInstance'] }],
    ['ssm', 'DescribeInstancePatchStates', { InstanceIds: [A.instance] }], ['ssm', 'DescribeEffectiveInstanceAssociations', { InstanceId: A.instance }], ['ssm', 'DescribeInstanceAssociationsStatus', { InstanceId: A.instance }],
    ['ssm', 'DescribeAssociation', { AssociationId: A.association }], ['ssm', 'DescribeAssociation', { Name: A.doc, InstanceId: A.instance }], ['ssm', 'ListAssociations', {}],
    ['ssm', 'ListAssociationVersions', { AssociationId: A.association }], ['ssm', 'DescribeAssociationExecutions', { AssociationId: A.association }],
    ['ssm', 'GetMaintenanceWindow', { WindowId: A.window }], ['ssm', 'DescribeMaintenanceWindows', {}], ['ssm', 'DescribeMaintenanceWindowTargets', { WindowId: A.window }],
    ['ssm', 'DescribeMaintenanceWindowTasks', { WindowId: A.window }], ['ssm', 'DescribeMaintenanceWindowExecutions', { WindowId: A.window }], ['ssm', 'DescribeMaintenanceWindowSchedule', { WindowId: A.window }],
    ['ssm', 'DescribeMaintenanceWindowsForTarget', { Targets: [{ Key: 'InstanceIds', Values: [A.instance] }], ResourceType: 'INSTANCE' }],
    ['ssm', 'GetOpsItem', { OpsItemId: A.opsItem }], ['ssm', 'GetOpsItem', { OpsItemId: A.opsItem, OpsItemArn: A.opsItemArn }], ['ssm', 'DescribeOpsItems', {}],
    ['ssm', 'DescribeOpsItems', { OpsItemFilters: [{ Key: 'OpsItemId', Values: [A.opsItem], Operator: 'Equal' }] }], ['ssm', 'ListOpsItemEvents', {}], ['ssm', 'ListOpsItemRelatedItems', { OpsItemId: A.opsItem }],
    ['ssm', 'CapstanGetOpsItemContext', { OpsItemId: A.opsItem }], ['ssm', 'GetOpsSummary', {}],
    ['ssm', 'GetAutomationExecution', { AutomationExecutionId: A.automation }], ['ssm', 'DescribeAutomationExecutions', {}], ['ssm', 'DescribeAutomationStepExecutions', { AutomationExecutionId: A.automation }],
    ['tagging', 'GetResources', {}], ['tagging', 'GetResources', { ResourceARNList: [A.plainArn, A.docArn, A.instanceArn] }], ['cloudtrail', 'LookupEvents', {}],
  ];
}

/** B's attempts to change or delete A's resources; each must fail and leave A's data as it was. */
function writes(): [string, string, unknown][] {
  return [
    ['ssm', 'PutParameter', { Name: A.secretArn, Value: 'hijacked', Type: 'SecureString', Overwrite: true }], ['ssm', 'DeleteParameter', { Name: A.plainArn }],
    ['ssm', 'DeleteParameters', { Names: [A.plainArn, A.secretArn] }], ['ssm', 'LabelParameterVersion', { Name: A.plainArn, Labels: ['hijack'] }],
    ['ssm', 'AddTagsToResource', { ResourceType: 'Parameter', ResourceId: A.plainArn, Tags: [{ Key: 'k', Value: 'v' }] }],
    ['ssm', 'UpdateDocument', { Name: A.docArn, Content: '{}', DocumentVersion: '$LATEST' }], ['ssm', 'DeleteDocument', { Name: A.docArn }],
    ['ssm', 'ModifyDocumentPermission', { Name: A.docArn, PermissionType: 'Share', AccountIdsToAdd: ['All'] }], ['ssm', 'UpdateDocumentDefaultVersion', { Name: A.docArn, DocumentVersion: '1' }],
    ['ssm', 'SendCommand', { DocumentName: 'AWS-RunShellScript', InstanceIds: [A.instance], Parameters: { commands: ['id'] } }],
    ['ssm', 'SendCommand', { DocumentName: A.docArn, Targets: [{ Key: 'InstanceIds', Values: ['*'] }] }],
    ['ssm', 'StartSession', { Target: A.instance }], ['ssm', 'DeregisterManagedInstance', { InstanceId: A.instance }], ['ssm', 'DeleteActivation', { ActivationId: A.activation }],
    ['ssm', 'UpdateManagedInstanceRole', { InstanceId: A.instance, IamRole: 'hijack' }], ['ssm', 'AddTagsToResource', { ResourceType: 'ManagedInstance', ResourceId: A.instance, Tags: [{ Key: 'k', Value: 'v' }] }],
    ['ssm', 'CancelCommand', { CommandId: A.command }], ['ssm', 'PutInventory', { InstanceId: A.instance, Items: [{ TypeName: 'Custom:Hijack', SchemaVersion: '1.0', CaptureTime: '2026-01-01T00:00:00Z', Content: [{ a: 'b' }] }] }],
    ['ssm', 'PutComplianceItems', { ResourceId: A.instance, ResourceType: 'ManagedInstance', ComplianceType: 'Custom:Hijack', ExecutionSummary: { ExecutionTime: 1_700_000_000 }, Items: [{ Severity: 'HIGH', Status: 'NON_COMPLIANT' }] }],
    ['ssm', 'UpdateAssociation', { AssociationId: A.association, AssociationName: 'hijack' }], ['ssm', 'DeleteAssociation', { AssociationId: A.association }],
    ['ssm', 'StartAssociationsOnce', { AssociationIds: [A.association] }],
    ['ssm', 'UpdateMaintenanceWindow', { WindowId: A.window, Name: 'hijack' }], ['ssm', 'DeleteMaintenanceWindow', { WindowId: A.window }],
    ['ssm', 'RegisterTargetWithMaintenanceWindow', { WindowId: A.window, ResourceType: 'INSTANCE', Targets: [{ Key: 'InstanceIds', Values: [A.instance] }] }],
    ['ssm', 'UpdateOpsItem', { OpsItemId: A.opsItem, Title: 'hijack' }], ['ssm', 'DeleteOpsItem', { OpsItemId: A.opsItem }],
    ['ssm', 'StopAutomationExecution', { AutomationExecutionId: A.automation }], ['ssm', 'SendAutomationSignal', { AutomationExecutionId: A.automation, SignalType: 'Resume' }],
    ['tagging', 'TagResources', { ResourceARNList: [A.plainArn, A.docArn, A.instanceArn], Tags: { k: 'v' } }],
  ];
}

describe('cross-account isolation', () => {
  test('B sees none of A\'s resources through targeted reads by name, id and ARN', async () => {
    const found: string[] = [];
    for (const [service, name, input] of targetedReads()) {
      const answer = await asB(service, name, input);
      tally.reads++;
      assert.ok(answer.status < 500, `${service}:${name} ${answer.status} ${answer.raw.slice(0, 200)}`);
      const l = leaksIn(service, name, answer, input);
      if (l.length) found.push(`${service}:${name} ${JSON.stringify(input)} showed ${l.join(', ')}: ${answer.raw.slice(0, 300)}`);
    }
    assert.deepEqual(found, []);
  });

  test('B sees none of A\'s resources through any read operation of any service', async () => {
    const reads = ALL_OPERATIONS.filter((op) => /^(Get|Describe|List|Lookup|Search|BatchGet|CapstanGet|CapstanList|CapstanDescribe|CapstanSummarize|CapstanDiagnose)/.test(op.name) && op.service.key !== 'sts');
    const found: string[] = [];
    for (const op of reads) {
      const input = validInput(op.input);
      if (input === undefined) continue;
      const answer = await callAs(t.endpoint, b, op, input);
      tally.sweep++;
      const l = leaksIn(op.service.key, op.name, answer, input);
      if (l.length) found.push(`${op.service.key}:${op.name} showed ${l.join(', ')}: ${answer.raw.slice(0, 300)}`);
    }
    assert.ok(tally.sweep > 100, `read operations swept: ${tally.sweep}`);
    assert.deepEqual(found, []);
  });

  test('B cannot change or delete any of A\'s resources, and nothing is stored', async () => {
    const db = t.server.core.database.db as never;
    const tables = await tableNames(db);
    // The node's own row moves with its pings; the association's scheduler jobs with their runs.
    const moving = new Set(['managed_instances']);
    const before = await snapshot(db, tables);
    const jobsBefore = agent.jobs.length;
    const found: string[] = [];
    const succeeded: string[] = [];
    for (const [service, name, input] of writes()) {
      const answer = await asB(service, name, input);
      tally.writes++;
      // Some answer success for what they did not find, as AWS does (DeleteParameters lists it as invalid, DeleteOpsItem is idempotent): the store decides.
      if (answer.status < 300) succeeded.push(`${service}:${name}`);
      else if (answer.status >= 500) found.push(`${service}:${name} answered ${answer.status}`);
      const l = leaks(answer, input);
      if (l.length) found.push(`${service}:${name} showed ${l.join(', ')}`);
    }
    assert.deepEqual(found, []);
    assert.deepEqual(changedTables(before, await snapshot(db, tables)).filter((n) => !moving.has(n)), []);
    assert.equal(agent.jobs.length, jobsBefore, 'no job reached A\'s node');
    console.log(`# cross-account: B's changes answered with success yet changed nothing: ${succeeded.join(', ')}`);
  });

  test('an ARN naming another account or region never reaches the caller\'s own resource of that name', async () => {
    // The authorizer checks the ARN as given; were a handler to drop its account or region, a
    // policy denying the caller's own ARN could be walked around with a foreign one.
    const values = ['xacct-a-plain-value', 'xacct-a-doc-marker'];
    const found: string[] = [];
    for (const [account, region] of [[bAccount.accountId, 'us-east-1'], [t.accountId, 'eu-west-1']] as const) {
      const arn = (resource: string) => `arn:aws:ssm:${region}:${account}:${resource}`;
      const probes: [string, string, unknown][] = [
        ['ssm', 'GetParameter', { Name: arn('parameter/xacct-a/plain') }], ['ssm', 'GetParameters', { Names: [arn('parameter/xacct-a/plain')] }],
        ['ssm', 'GetParameterHistory', { Name: arn('parameter/xacct-a/plain') }], ['ssm', 'LabelParameterVersion', { Name: arn('parameter/xacct-a/plain'), Labels: ['moved'] }],
        ['ssm', 'DeleteParameter', { Name: arn('parameter/xacct-a/plain') }], ['ssm', 'GetDocument', { Name: arn('document/XacctADoc') }],
        ['ssm', 'DescribeDocument', { Name: arn('document/XacctADoc') }], ['ssm', 'DeleteDocument', { Name: arn('document/XacctADoc') }],
        ['ssm', 'ListTagsForResource', { ResourceType: 'Parameter', ResourceId: arn('parameter/xacct-a/plain') }],
        ['tagging', 'GetResources', { ResourceARNList: [arn('parameter/xacct-a/plain'), arn('document/XacctADoc')] }],
        ['tagging', 'TagResources', { ResourceARNList: [arn('parameter/xacct-a/plain')], Tags: { moved: 'yes' } }],
      ];
      for (const [service, name, input] of probes) {
        const answer = await callAs(t.endpoint, t.credentials, opNamed(service, name), input);
        tally.reads++;
        const shown = values.filter((v) => answer.raw.includes(v));
        if (shown.length || (answer.status < 300 && !/Invalid|Failed/.test(answer.raw) && !/"(ResourceTagMappingList|Parameters)":\[\]/.test(answer.raw))) found.push(`${service}:${name} ${JSON.stringify(input)}: ${answer.status} ${answer.raw.slice(0, 200)}`);
      }
    }
    assert.deepEqual(found, []);
    // A's own parameter and document are still there, unlabelled and untagged.
    const own = await callAs(t.endpoint, t.credentials, opNamed('ssm', 'GetParameter'), { Name: A.plain });
    assert.match(own.raw, /xacct-a-plain-value/);
    assert.doesNotMatch(own.raw, /moved/);
    const tags = await callAs(t.endpoint, t.credentials, opNamed('ssm', 'ListTagsForResource'), { ResourceType: 'Parameter', ResourceId: A.plain });
    assert.doesNotMatch(tags.raw, /moved/);
    assert.equal((await callAs(t.endpoint, t.credentials, opNamed('ssm', 'DescribeDocument'), { Name: A.doc })).status, 200);
  });

  test('shared with B, the document is readable by B through its ARN, and nothing else of A\'s is', async () => {
    await a.send(new ModifyDocumentPermissionCommand({ Name: A.shared, PermissionType: 'Share', AccountIdsToAdd: [bAccount.accountId] }));
    const got = await asB('ssm', 'GetDocument', { Name: A.sharedArn });
    assert.equal(got.status, 200, got.raw.slice(0, 300));
    assert.match(got.raw, /xacct-a-shared-marker/);
    const listed = await new SSMClient(t.clientConfig({ credentials: b })).send(new ListDocumentsCommand({ Filters: [{ Key: 'Owner', Values: ['Private'] }] }));
    assert.deepEqual(listed.DocumentIdentifiers?.map((d) => d.Name), [A.sharedArn]);

    // What B may now see is that document; everything else stays hidden.
    const visible = new Set([A.shared, A.sharedArn, 'xacct-a-shared-marker']);
    const hidden = secrets.filter((s) => !visible.has(s));
    secrets.splice(0, secrets.length, ...hidden);
    const found: string[] = [];
    for (const [service, name, input] of targetedReads()) {
      const answer = await asB(service, name, input);
      const l = leaksIn(service, name, answer, input);
      if (l.length) found.push(`${service}:${name} showed ${l.join(', ')}`);
    }
    assert.deepEqual(found, []);
    const change = await asB('ssm', 'UpdateDocument', { Name: A.sharedArn, Content: '{}', DocumentVersion: '$LATEST' });
    assert.ok(change.status >= 400, `B changed a document only shared with it: ${change.raw.slice(0, 200)}`);
    const remove = await asB('ssm', 'DeleteDocument', { Name: A.sharedArn });
    assert.ok(remove.status >= 400, `B deleted a document only shared with it: ${remove.raw.slice(0, 200)}`);
  });
});
