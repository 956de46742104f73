import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateApiDestinationCommand, CreateConnectionCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand, type Target } from '@aws-sdk/client-eventbridge';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { AddTagsToResourceCommand, CreateActivationCommand, CreateAssociationCommand, DescribeAssociationExecutionsCommand, CreateDocumentCommand, ListCommandInvocationsCommand, ListCommandsCommand, PutParameterCommand, SSMClient, StartAutomationExecutionCommand } from '@aws-sdk/client-ssm';
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { COMMAND_EVENT, INVOCATION_EVENT } from '../commands/index.js';
import { NODE_STATUS_EVENT } from '../nodes/index.js';
import { ManualClock } from '../scheduler/clock.js';
import { startTestServer, type TestServer } from '../test-support/server.js';
import { jsonHeaders, rawCall } from '../test-support/sign.js';
import { SimulatedAgent } from '../test-support/sim-agent.js';
import { until } from '../test-support/until.js';

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

interface Firing {
  FiringId: string;
  RuleName: string;
  TargetId: string;
  EventId: string;
  EventDetailType: string;
  Event: string;
  Status: string;
  Attempts: number;
  AutomationExecutionId?: string;
  CommandId?: string;
  HttpStatus?: number;
  ErrorCode?: string;
  ErrorMessage?: string;
}

const trust = (service: string) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }] });
const allow = (...actions: string[]) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] });


let t: TestServer;
const clock = new ManualClock(Date.now());
let hook: Server;
let hookUrl: string;
const received: Received[] = [];
/** What the webhook answers next (then 200). */
const answers: number[] = [];
let roleArn: string;
let iam: IAMClient;

// The SDK signs with its own clock; keep it level with the server's as the test moves time.
const config = () => ({ ...t.clientConfig(), systemClockOffset: clock.now() - Date.now() });
const eb = () => new EventBridgeClient(config());
const ssm = () => new SSMClient(config());

before(async () => {
  t = await startTestServer({ clock, schedulerPollMs: 20, agentPingMs: 1_000 });
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      res.writeHead(answers.shift() ?? 200).end('ok');
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}`;
  iam = new IAMClient(t.clientConfig());
  roleArn = (await iam.send(new CreateRoleCommand({ RoleName: 'events-target', AssumeRolePolicyDocument: trust('events.amazonaws.com') }))).Role!.Arn!;
  await iam.send(new PutRolePolicyCommand({ RoleName: 'events-target', PolicyName: 'targets', PolicyDocument: allow('events:InvokeApiDestination', 'ssm:SendCommand', 'ssm:StartAutomationExecution', 'ssm:StartAssociationsOnce') }));
});
after(async () => {
  await t.stop();
  await new Promise((r) => hook.close(r));
});

const firings = async (query: Record<string, unknown>): Promise<Firing[]> => {
  const r = await rawCall({ endpoint: t.endpoint, service: 'events', credentials: t.credentials, headers: jsonHeaders('AWSEvents.CapstanListRuleFirings'), body: JSON.stringify(query), signingDate: new Date(clock.now()) });
  assert.equal(r.status, 200, r.text);
  return (r.json() as { Firings: Firing[] }).Firings;
};
const settled = (rule: string, n = 1) =>
  until(`${n} finished firing(s) of ${rule}`, async () => {
    const f = (await firings({ RuleName: rule })).filter((x) => x.Status !== 'PENDING');
    return f.length >= n ? f : undefined;
  });
const put = (Name: string, Value: string, Type: 'String' | 'SecureString' = 'String') => ssm().send(new PutParameterCommand({ Name, Value, Type, Overwrite: true }));

let destinationArn: string;

test('a parameter change reaches a webhook as the EventBridge event, with the connection\'s key, and the firing is recorded', async () => {
  const conn = await eb().send(new CreateConnectionCommand({ Name: 'local-hook', AuthorizationType: 'API_KEY', AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'X-Api-Key', ApiKeyValue: 'key-123' }, InvocationHttpParameters: { QueryStringParameters: [{ Key: 'src', Value: 'capstan' }] } } }));
  destinationArn = (await eb().send(new CreateApiDestinationCommand({ Name: 'local', ConnectionArn: conn.ConnectionArn!, InvocationEndpoint: `${hookUrl}/hooks/*`, HttpMethod: 'POST' }))).ApiDestinationArn!;
  await eb().send(new PutRuleCommand({ Name: 'app-params', EventPattern: JSON.stringify({ source: ['aws.ssm'], 'detail-type': ['Parameter Store Change'], detail: { name: [{ prefix: '/app/' }] } }) }));
  await eb().send(new PutTargetsCommand({ Rule: 'app-params', Targets: [{ Id: 'hook', Arn: destinationArn, RoleArn: roleArn, HttpParameters: { PathParameterValues: ['params'], HeaderParameters: { 'X-Rule': 'app-params' } } }] }));

  await put('/other/x', 'ignored');
  await put('/app/db-password', 'the-secret-value', 'SecureString');
  const [f] = await settled('app-params');
  assert.equal(f!.Status, 'SUCCEEDED', f!.ErrorMessage);
  assert.deepEqual([f!.HttpStatus, f!.Attempts, f!.TargetId, f!.EventDetailType], [200, 1, 'hook', 'Parameter Store Change']);
  assert.equal(received.length, 1, 'only the matching change was sent');
  const r = received[0]!;
  assert.equal(r.method, 'POST');
  assert.equal(r.url, '/hooks/params?src=capstan');
  assert.equal(r.headers['x-api-key'], 'key-123');
  assert.equal(r.headers['x-rule'], 'app-params');
  const event = JSON.parse(r.body) as Record<string, unknown>;
  assert.deepEqual(Object.keys(event).sort(), ['account', 'detail', 'detail-type', 'id', 'region', 'resources', 'source', 'time', 'version']);
  assert.equal(event.id, f!.EventId);
  assert.deepEqual(event.detail, { operation: 'Create', name: '/app/db-password', type: 'SecureString', description: '' });
  assert.deepEqual(event.resources, [`arn:aws:ssm:us-east-1:${t.accountId}:parameter/app/db-password`]);
  assert.match(String(event.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.ok(!r.body.includes('the-secret-value') && !f!.Event.includes('the-secret-value'), 'a SecureString value never leaves in an event');
});

test('an InputTransformer shapes what the webhook gets; a 500 is retried with backoff, a 400 is final', async () => {
  await eb().send(new PutRuleCommand({ Name: 'transformed', EventPattern: JSON.stringify({ 'detail-type': ['Parameter Store Change'], detail: { name: ['/tx/a', '/tx/b'] } }) }));
  await eb().send(
    new PutTargetsCommand({
      Rule: 'transformed',
      Targets: [{ Id: 'hook', Arn: destinationArn, RoleArn: roleArn, InputTransformer: { InputPathsMap: { name: '$.detail.name', op: '$.detail.operation', nope: '$.detail.nothing' }, InputTemplate: '{"text": "<op> of <name> by <aws.events.rule-name>", "name": <name>, "missing": <nope>}' } }],
    }),
  );
  received.length = 0;
  answers.push(500);
  await put('/tx/a', '1');
  await until('the first attempt', async () => (received.length === 1 ? true : undefined));
  const pending = await until('the failed attempt recorded', async () => (await firings({ RuleName: 'transformed' })).find((x) => x.Attempts === 1));
  assert.deepEqual([pending.Status, pending.HttpStatus, pending.ErrorCode], ['PENDING', 500, 'SDK_CLIENT_ERROR']);
  clock.advance(5_000);
  const [ok] = await settled('transformed');
  assert.deepEqual([ok!.Status, ok!.Attempts, ok!.HttpStatus], ['SUCCEEDED', 2, 200]);
  assert.deepEqual(JSON.parse(received[1]!.body), { text: 'Create of /tx/a by transformed', name: '/tx/a', missing: null });

  answers.push(400);
  await put('/tx/b', '2');
  const done = await settled('transformed', 2);
  const bad = done.find((x) => x.FiringId !== ok!.FiringId)!;
  assert.deepEqual([bad.Status, bad.Attempts, bad.HttpStatus, bad.ErrorCode], ['FAILED', 1, 400, 'SDK_CLIENT_ERROR']);
  assert.equal((await firings({ RuleName: 'transformed', Status: 'FAILED' })).length, 1);
});

test('a rule whose role stops trusting EventBridge, or may not invoke the destination, records a failed firing', async () => {
  await iam.send(new CreateRoleCommand({ RoleName: 'fickle', AssumeRolePolicyDocument: trust('events.amazonaws.com') }));
  const fickle = `arn:aws:iam::${t.accountId}:role/fickle`;
  await eb().send(new PutRuleCommand({ Name: 'fickle', EventPattern: JSON.stringify({ detail: { name: ['/fickle'] } }) }));
  await eb().send(new PutTargetsCommand({ Rule: 'fickle', Targets: [{ Id: 'hook', Arn: destinationArn, RoleArn: fickle }] }));
  received.length = 0;
  await put('/fickle', '1');
  const [denied] = await settled('fickle');
  assert.deepEqual([denied!.Status, denied!.ErrorCode], ['FAILED', 'NO_PERMISSIONS']);
  assert.match(denied!.ErrorMessage!, /events:InvokeApiDestination/);

  await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'fickle', PolicyDocument: trust('ssm.amazonaws.com') }));
  await put('/fickle', '2');
  const both = await settled('fickle', 2);
  const distrust = both.find((x) => x.FiringId !== denied!.FiringId)!;
  assert.deepEqual([distrust.Status, distrust.ErrorCode], ['FAILED', 'NO_PERMISSIONS']);
  assert.match(distrust.ErrorMessage!, /does not trust events\.amazonaws\.com/);
  assert.equal(received.length, 0, 'nothing was sent');
});

test('a Run Command target runs the document on the tagged node, as the rule\'s role; command events are published', async () => {
  const { ActivationId, ActivationCode } = await ssm().send(new CreateActivationCommand({ IamRole: 'SSMServiceRole' }));
  const agent = new SimulatedAgent(t.endpoint, 'web-1');
  try {
    const node = await agent.register(ActivationId!, ActivationCode!);
    await agent.connect();
    await ssm().send(new AddTagsToResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: node, Tags: [{ Key: 'role', Value: 'web' }] }));
    const online = await t.server.core.events.list({ accountId: t.accountId, region: 'us-east-1', detailType: NODE_STATUS_EVENT });
    assert.deepEqual(online.filter((e) => e.detail['instance-id'] === node).map((e) => e.detail['ping-status']), ['Online'], 'the node\'s connection was announced');

    await eb().send(new PutRuleCommand({ Name: 'restart-web', EventPattern: JSON.stringify({ 'detail-type': ['Parameter Store Change'], detail: { name: ['/web/config'] } }) }));
    await eb().send(
      new PutTargetsCommand({
        Rule: 'restart-web',
        Targets: [
          {
            Id: 'run',
            Arn: 'arn:aws:ssm:us-east-1::document/AWS-RunShellScript',
            RoleArn: roleArn,
            RunCommandParameters: { RunCommandTargets: [{ Key: 'tag:role', Values: ['web'] }] },
            InputTransformer: { InputPathsMap: { name: '$.detail.name' }, InputTemplate: '{"commands": ["echo reload <name>"]}' },
          } satisfies Target,
        ],
      }),
    );
    await put('/web/config', 'v2');
    const [f] = await settled('restart-web');
    assert.equal(f!.Status, 'SUCCEEDED', f!.ErrorMessage);
    assert.ok(f!.CommandId);
    const cmd = (await ssm().send(new ListCommandsCommand({ CommandId: f!.CommandId! }))).Commands![0]!;
    assert.deepEqual([cmd.DocumentName, cmd.Comment, cmd.Parameters], ['AWS-RunShellScript', 'Event rule restart-web', { commands: ['echo reload /web/config'] }]);
    const inv = await until('the command to succeed on the node', async () => {
      const list = (await ssm().send(new ListCommandInvocationsCommand({ CommandId: f!.CommandId! }))).CommandInvocations ?? [];
      return list.length === 1 && list[0]!.Status === 'Success' ? list : undefined;
    });
    assert.equal(inv[0]!.InstanceId, node);
    const trail = await new CloudTrailClient(config()).send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'SendCommand' }] }));
    const call = JSON.parse(trail.Events!.find((e) => JSON.parse(e.CloudTrailEvent!).sourceIPAddress === 'events.amazonaws.com')!.CloudTrailEvent!) as { userIdentity: { arn: string }; userAgent: string };
    assert.equal(call.userIdentity.arn, `arn:aws:sts::${t.accountId}:assumed-role/events-target/events-restart-web`);

    const all = await t.server.core.events.list({ accountId: t.accountId, region: 'us-east-1' });
    const mine = all.filter((e) => e.detail['command-id'] === f!.CommandId);
    // The node's ack and reply may land in one transaction: the command then goes from Pending to Success at once.
    const statuses = mine.filter((e) => e.detailType === COMMAND_EVENT).map((e) => e.detail.status);
    assert.deepEqual([statuses[0], statuses[statuses.length - 1]], ['Pending', 'Success']);
    assert.deepEqual(mine.filter((e) => e.detailType === INVOCATION_EVENT).map((e) => e.detail.status), ['InProgress', 'Success']);
    const done = mine.find((e) => e.detailType === COMMAND_EVENT && e.detail.status === 'Success')!;
    assert.deepEqual(Object.keys(done.detail).sort(), ['command-id', 'document-name', 'expire-after', 'parameters', 'requested-date-time', 'status']);
    assert.deepEqual(mine.find((e) => e.detailType === INVOCATION_EVENT)!.resources, [`arn:aws:ssm:us-east-1:${t.accountId}:managed-instance/${node}`]);
  } finally {
    await agent.close();
  }
});

test('a scheduled rule sends a Scheduled Event to its targets at each period', async () => {
  received.length = 0;
  await eb().send(new PutRuleCommand({ Name: 'every-5', ScheduleExpression: 'rate(5 minutes)' }));
  await eb().send(new PutTargetsCommand({ Rule: 'every-5', Targets: [{ Id: 'hook', Arn: destinationArn, RoleArn: roleArn }] }));
  clock.advance(4 * 60_000);
  await t.server.core.scheduler.tick();
  assert.equal((await firings({ RuleName: 'every-5' })).length, 0, 'nothing before the period');
  clock.advance(60_000);
  const [f] = await settled('every-5');
  assert.equal(f!.Status, 'SUCCEEDED', f!.ErrorMessage);
  const event = JSON.parse(received.find((r) => r.body.includes('Scheduled Event'))!.body) as Record<string, unknown>;
  assert.deepEqual([event.source, event['detail-type'], event.resources, event.detail], ['aws.events', 'Scheduled Event', [`arn:aws:events:us-east-1:${t.accountId}:rule/every-5`], {}]);
  clock.advance(5 * 60_000);
  await settled('every-5', 2);
});

test('the automation engine\'s status events are matched like any other', async () => {
  received.length = 0;
  await ssm().send(
    new CreateDocumentCommand({
      Name: 'Touch',
      DocumentType: 'Automation',
      DocumentFormat: 'JSON',
      Content: JSON.stringify({ schemaVersion: '0.3', mainSteps: [{ name: 'Put', action: 'aws:executeAwsApi', inputs: { Service: 'ssm', Api: 'PutParameter', Name: '/touched', Value: 'yes', Type: 'String', Overwrite: true } }] }),
    }),
  );
  await eb().send(new PutRuleCommand({ Name: 'automation-done', EventPattern: JSON.stringify({ source: ['aws.ssm'], 'detail-type': ['EC2 Automation Execution Status-change Notification'], detail: { Definition: ['Touch'], Status: ['Success'] } }) }));
  await eb().send(new PutTargetsCommand({ Rule: 'automation-done', Targets: [{ Id: 'hook', Arn: destinationArn, RoleArn: roleArn, InputPath: '$.detail' }] }));
  const id = (await ssm().send(new StartAutomationExecutionCommand({ DocumentName: 'Touch' }))).AutomationExecutionId!;
  const [f] = await settled('automation-done');
  assert.equal(f!.Status, 'SUCCEEDED', f!.ErrorMessage);
  const detail = JSON.parse(received.at(-1)!.body) as Record<string, unknown>;
  assert.deepEqual([detail.ExecutionId, detail.Status], [id, 'Success']);
});

test('an association target runs the association when a node comes Online, with the association\'s own parameters', async () => {
  const { AssociationDescription: a } = await ssm().send(
    new CreateAssociationCommand({ Name: 'AWS-RunShellScript', Parameters: { commands: ['echo converge'] }, Targets: [{ Key: 'InstanceIds', Values: ['*'] }], ScheduleExpression: 'cron(0 2 * * ? *)', ApplyOnlyAtCronInterval: true }),
  );
  const associationArn = `arn:aws:ssm:us-east-1:${t.accountId}:association/${a!.AssociationId}`;
  await eb().send(new PutRuleCommand({ Name: 'converge-on-online', EventPattern: JSON.stringify({ 'detail-type': [NODE_STATUS_EVENT], detail: { 'ping-status': ['Online'] } }) }));
  await assert.rejects(eb().send(new PutTargetsCommand({ Rule: 'converge-on-online', Targets: [{ Id: 'assoc', Arn: associationArn, RoleArn: roleArn, Input: '{"commands":["x"]}' }] })), /takes no Input/);
  await eb().send(new PutTargetsCommand({ Rule: 'converge-on-online', Targets: [{ Id: 'assoc', Arn: associationArn, RoleArn: roleArn }] }));
  const { ActivationId, ActivationCode } = await ssm().send(new CreateActivationCommand({ IamRole: 'SSMServiceRole' }));
  const agent = new SimulatedAgent(t.endpoint, 'new-node');
  try {
    await agent.register(ActivationId!, ActivationCode!);
    await agent.connect();
    const [f] = await settled('converge-on-online');
    assert.equal(f!.Status, 'SUCCEEDED', f!.ErrorMessage);
    const runs = await until('the association to run', async () => {
      await t.server.core.scheduler.tick();
      const list = (await ssm().send(new DescribeAssociationExecutionsCommand({ AssociationId: a!.AssociationId! }))).AssociationExecutions ?? [];
      return list.length > 0 ? list : undefined;
    });
    assert.equal(runs.length, 1, 'the Online event ran it once; its cron time has not come');
  } finally {
    await agent.close();
  }
});
