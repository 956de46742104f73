import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateApiDestinationCommand, CreateConnectionCommand, DeleteApiDestinationCommand, DeleteConnectionCommand, DeleteRuleCommand, DescribeApiDestinationCommand, DescribeConnectionCommand,
  DescribeRuleCommand, DisableRuleCommand, EnableRuleCommand, EventBridgeClient, ListApiDestinationsCommand, ListConnectionsCommand, ListRuleNamesByTargetCommand, ListRulesCommand,
  ListTagsForResourceCommand, ListTargetsByRuleCommand, PutRuleCommand, PutTargetsCommand, RemoveTargetsCommand, TagResourceCommand, TestEventPatternCommand, UntagResourceCommand,
  UpdateApiDestinationCommand, UpdateConnectionCommand, type Target,
} from '@aws-sdk/client-eventbridge';
import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { onEveryEngine } from '../test-support/engines.js';
import { failure } from '../test-support/failure.js';
import { startTestServer, type TestServer } from '../test-support/server.js';

const trust = (service: string) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }] });

onEveryEngine('event rules', (engine) => {
  let t: TestServer;
  let events: EventBridgeClient;
  let roleArn: string;
  let untrusting: string;
  before(async () => {
    t = await startTestServer({ engine });
    events = new EventBridgeClient(t.clientConfig());
    const iam = new IAMClient(t.clientConfig());
    roleArn = (await iam.send(new CreateRoleCommand({ RoleName: 'rules-role', AssumeRolePolicyDocument: trust('events.amazonaws.com') }))).Role!.Arn!;
    untrusting = (await iam.send(new CreateRoleCommand({ RoleName: 'ssm-only-role', AssumeRolePolicyDocument: trust('ssm.amazonaws.com') }))).Role!.Arn!;
  });
  after(async () => {
    await t.stop();
  });
  const arnOf = (name: string) => `arn:aws:events:us-east-1:${t.accountId}:rule/${name}`;
  const runbook = (name: string) => `arn:aws:ssm:us-east-1:${t.accountId}:automation-definition/${name}`;
  const pattern = JSON.stringify({ source: ['aws.ssm'], 'detail-type': ['Parameter Store Change'] });

  test('rules are created, described, listed by prefix in pages, replaced, disabled and deleted', async () => {
    const put = await events.send(new PutRuleCommand({ Name: 'crud-one', EventPattern: pattern, Description: 'first', Tags: [{ Key: 'team', Value: 'ops' }] }));
    assert.equal(put.RuleArn, arnOf('crud-one'));
    const d = await events.send(new DescribeRuleCommand({ Name: 'crud-one' }));
    assert.deepEqual([d.Name, d.Arn, d.EventPattern, d.State, d.Description, d.EventBusName, d.CreatedBy], ['crud-one', arnOf('crud-one'), pattern, 'ENABLED', 'first', 'default', t.accountId]);
    for (const n of ['crud-two', 'crud-three', 'other']) await events.send(new PutRuleCommand({ Name: n, EventPattern: pattern, EventBusName: 'default' }));

    const names: string[] = [];
    let NextToken: string | undefined;
    do {
      const page = await events.send(new ListRulesCommand({ NamePrefix: 'crud-', Limit: 2, ...(NextToken ? { NextToken } : {}) }));
      assert.ok(page.Rules!.length <= 2);
      names.push(...page.Rules!.map((r) => r.Name!));
      NextToken = page.NextToken;
    } while (NextToken);
    assert.deepEqual(names, ['crud-one', 'crud-three', 'crud-two']);

    // PutRule replaces: what it leaves out is cleared.
    await events.send(new PutRuleCommand({ Name: 'crud-one', EventPattern: pattern, State: 'DISABLED' }));
    const replaced = await events.send(new DescribeRuleCommand({ Name: 'crud-one', EventBusName: `arn:aws:events:us-east-1:${t.accountId}:event-bus/default` }));
    assert.deepEqual([replaced.State, replaced.Description], ['DISABLED', undefined]);
    await events.send(new EnableRuleCommand({ Name: 'crud-one' }));
    assert.equal((await events.send(new DescribeRuleCommand({ Name: 'crud-one' }))).State, 'ENABLED');
    await events.send(new DisableRuleCommand({ Name: 'crud-one' }));
    assert.equal((await events.send(new DescribeRuleCommand({ Name: 'crud-one' }))).State, 'DISABLED');
    assert.deepEqual((await events.send(new ListTagsForResourceCommand({ ResourceARN: arnOf('crud-one') }))).Tags, [{ Key: 'team', Value: 'ops' }], 'tags stay across a replace');

    await events.send(new DeleteRuleCommand({ Name: 'crud-two' }));
    assert.equal((await failure(events.send(new DescribeRuleCommand({ Name: 'crud-two' })))).name, 'ResourceNotFoundException');
    await events.send(new DeleteRuleCommand({ Name: 'crud-two' })); // gone already: EventBridge answers success
  });

  test('bad rules get EventBridge\'s errors and write nothing', async () => {
    const bad = async (input: ConstructorParameters<typeof PutRuleCommand>[0]) => failure(events.send(new PutRuleCommand(input)));
    const e1 = await bad({ Name: 'bad-pattern', EventPattern: '{"source": [{"prefixx": "aws."}]}' });
    assert.equal(e1.name, 'InvalidEventPatternException');
    assert.match(e1.message, /Event pattern is not valid\. Reason: unrecognized match type prefixx \(at source\[0\]\)/);
    assert.equal((await bad({ Name: 'bad-pattern', EventPattern: '{"source": "aws.ssm"}' })).name, 'InvalidEventPatternException');
    assert.equal((await bad({ Name: 'bad-pattern', EventPattern: 'nope' })).name, 'InvalidEventPatternException');
    assert.equal((await failure(events.send(new DescribeRuleCommand({ Name: 'bad-pattern' })))).name, 'ResourceNotFoundException');
    const none = await bad({ Name: 'no-pattern' });
    assert.equal(none.name, 'ValidationException');
    assert.match(none.message, /EventPattern or ScheduleExpression must be specified/);
    assert.equal((await bad({ Name: 'bad name!', EventPattern: pattern })).name, 'ValidationException');
    assert.equal((await bad({ Name: 'x'.repeat(65), EventPattern: pattern })).name, 'ValidationException');
    const sched = await bad({ Name: 'bad-schedule', ScheduleExpression: 'rate(5 fortnights)' });
    assert.equal(sched.name, 'ValidationException');
    assert.match(sched.message, /ScheduleExpression is not valid/);
    assert.match((await bad({ Name: 'at-schedule', ScheduleExpression: 'at(2030-01-01T00:00:00)' })).message, /cron\(\.\.\.\) or rate\(\.\.\.\)/);
    const bus = await bad({ Name: 'other-bus', EventPattern: pattern, EventBusName: 'orders' });
    assert.deepEqual([bus.name, bus.message], ['ResourceNotFoundException', 'Event bus orders does not exist.']);
    assert.equal((await failure(events.send(new EnableRuleCommand({ Name: 'nowhere' })))).name, 'ResourceNotFoundException');
    const rules = (await events.send(new ListRulesCommand({}))).Rules!.map((r) => r.Name);
    for (const n of ['bad-pattern', 'no-pattern', 'bad-schedule', 'at-schedule', 'other-bus']) assert.ok(!rules.includes(n), `${n} was not written`);
    await events.send(new PutRuleCommand({ Name: 'hourly', ScheduleExpression: 'rate(1 hour)' }));
    assert.equal((await events.send(new DescribeRuleCommand({ Name: 'hourly' }))).ScheduleExpression, 'rate(1 hour)');
  });

  test('targets are put, listed in pages, found by ARN and removed; a rule with targets is not deleted', async () => {
    await events.send(new PutRuleCommand({ Name: 'with-targets', EventPattern: pattern }));
    const targets: Target[] = [
      { Id: 'runbook', Arn: runbook('Restart'), RoleArn: roleArn, Input: '{"Service":["nginx"]}' },
      { Id: 'command', Arn: 'arn:aws:ssm:us-east-1::document/AWS-RunShellScript', RoleArn: roleArn, RunCommandParameters: { RunCommandTargets: [{ Key: 'tag:Env', Values: ['prod'] }] }, Input: '{"commands":["uptime"]}' },
      { Id: 'versioned', Arn: `${runbook('Restart')}:$DEFAULT`, RoleArn: roleArn, InputTransformer: { InputPathsMap: { name: '$.detail.name' }, InputTemplate: '{"Parameter": "<name>"}' } },
    ];
    const out = await events.send(new PutTargetsCommand({ Rule: 'with-targets', Targets: targets }));
    assert.equal(out.FailedEntryCount, 0);
    const first = await events.send(new ListTargetsByRuleCommand({ Rule: 'with-targets', Limit: 2 }));
    const rest = await events.send(new ListTargetsByRuleCommand({ Rule: 'with-targets', Limit: 2, NextToken: first.NextToken! }));
    assert.deepEqual([...first.Targets!, ...rest.Targets!].map((x) => x.Id), ['command', 'runbook', 'versioned']);
    assert.deepEqual(first.Targets![0]!.RunCommandParameters, targets[1]!.RunCommandParameters);
    assert.equal(rest.NextToken, undefined);
    const byArn = await events.send(new ListRuleNamesByTargetCommand({ TargetArn: runbook('Restart') }));
    assert.deepEqual(byArn.RuleNames, ['with-targets']);

    const del = await failure(events.send(new DeleteRuleCommand({ Name: 'with-targets' })));
    assert.deepEqual([del.name, del.message], ['ValidationException', "Rule can't be deleted since it has targets."]);
    // Putting a target again under its Id replaces it.
    await events.send(new PutTargetsCommand({ Rule: 'with-targets', Targets: [{ ...targets[0]!, Input: '{"Service":["sshd"]}' }] }));
    assert.equal((await events.send(new ListTargetsByRuleCommand({ Rule: 'with-targets' }))).Targets!.find((x) => x.Id === 'runbook')!.Input, '{"Service":["sshd"]}');
    await events.send(new RemoveTargetsCommand({ Rule: 'with-targets', Ids: ['runbook', 'command', 'versioned', 'never-there'] }));
    assert.deepEqual((await events.send(new ListTargetsByRuleCommand({ Rule: 'with-targets' }))).Targets, []);
    await events.send(new DeleteRuleCommand({ Name: 'with-targets' }));
  });

  test('bad targets are refused with what is wrong, and a refused call writes none of its targets', async () => {
    await events.send(new PutRuleCommand({ Name: 'strict', EventPattern: pattern }));
    const good: Target = { Id: 'good', Arn: runbook('Restart'), RoleArn: roleArn };
    const refuse = async (bad: Target, why: RegExp, code = 'ValidationException') => {
      const e = await failure(events.send(new PutTargetsCommand({ Rule: 'strict', Targets: [good, bad] })));
      assert.equal(e.name, code, e.message);
      assert.match(e.message, why);
    };
    await refuse({ Id: 'q', Arn: 'arn:aws:sqs:us-east-1:111122223333:queue', RoleArn: roleArn }, /not a target Capstan can deliver to/);
    await refuse({ Id: 'assoc', Arn: `arn:aws:ssm:us-east-1:${t.accountId}:association/7d4ec6a2-ef3b-4a61-8e57-56fe03ab7a6b`, RoleArn: roleArn, Input: '{}' }, /association runs with its own parameters/);
    await refuse({ Id: 'assoc', Arn: `arn:aws:ssm:us-east-1:${t.accountId}:association/not-an-id`, RoleArn: roleArn }, /not an association id/);
    await refuse({ Id: 'norole', Arn: runbook('Restart') }, /RoleArn is required/);
    await refuse({ Id: 'ghost', Arn: runbook('Restart'), RoleArn: `arn:aws:iam::${t.accountId}:role/ghost` }, /role\/ghost does not exist/);
    await refuse({ Id: 'distrust', Arn: runbook('Restart'), RoleArn: untrusting }, /does not trust events\.amazonaws\.com/);
    await refuse({ Id: 'json', Arn: runbook('Restart'), RoleArn: roleArn, Input: '{nope' }, /Input must be valid JSON/);
    await refuse({ Id: 'params', Arn: runbook('Restart'), RoleArn: roleArn, Input: '"just text"' }, /JSON object of parameter names/);
    await refuse({ Id: 'both', Arn: runbook('Restart'), RoleArn: roleArn, Input: '{}', InputPath: '$.detail' }, /mutually exclusive/);
    await refuse({ Id: 'path', Arn: runbook('Restart'), RoleArn: roleArn, InputPath: 'detail.name' }, /must start with \$/);
    await refuse({ Id: 'cmd', Arn: 'arn:aws:ssm:us-east-1::document/AWS-RunShellScript', RoleArn: roleArn }, /needs RunCommandParameters/);
    await refuse({ Id: 'region', Arn: `arn:aws:ssm:eu-west-1:${t.accountId}:automation-definition/Restart`, RoleArn: roleArn }, /rule's region, us-east-1/);
    await refuse({ Id: 'dest', Arn: `arn:aws:events:us-east-1:${t.accountId}:api-destination/none/0d7e6b6a-1c4e-4c5e-9d6e-0d1c7a4c3a2b`, RoleArn: roleArn }, /does not exist/);
    await refuse({ Id: 'sqs', Arn: runbook('Restart'), RoleArn: roleArn, SqsParameters: { MessageGroupId: 'g' } }, /unknown fields: SqsParameters/);
    assert.deepEqual((await events.send(new ListTargetsByRuleCommand({ Rule: 'strict' }))).Targets, [], 'nothing half-written');

    const six = Array.from({ length: 6 }, (_, i): Target => ({ ...good, Id: `t${i}` }));
    assert.equal((await failure(events.send(new PutTargetsCommand({ Rule: 'strict', Targets: six })))).name, 'LimitExceededException');
    assert.equal((await failure(events.send(new PutTargetsCommand({ Rule: 'strict', Targets: [good, good] })))).name, 'ValidationException');
    assert.equal((await failure(events.send(new PutTargetsCommand({ Rule: 'no-such-rule', Targets: [good] })))).name, 'ResourceNotFoundException');
    assert.equal((await failure(events.send(new ListTargetsByRuleCommand({ Rule: 'no-such-rule' })))).name, 'ResourceNotFoundException');
  });

  test('putting a target needs iam:PassRole on its role, as in AWS', async () => {
    const iam = new IAMClient(t.clientConfig());
    await iam.send(new CreateUserCommand({ UserName: 'rule-writer' }));
    await iam.send(new PutUserPolicyCommand({ UserName: 'rule-writer', PolicyName: 'events', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'events:*', Resource: '*' }] }) }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'rule-writer' }))).AccessKey!;
    const writer = new EventBridgeClient(t.clientConfig({ credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! } }));
    await writer.send(new PutRuleCommand({ Name: 'writer-rule', EventPattern: pattern }));
    const e = await failure(writer.send(new PutTargetsCommand({ Rule: 'writer-rule', Targets: [{ Id: 'rb', Arn: runbook('Restart'), RoleArn: roleArn }] })));
    assert.equal(e.name, 'AccessDeniedException');
    assert.match(e.message, /iam:PassRole on resource: .*role\/rules-role/);
    assert.deepEqual((await writer.send(new ListTargetsByRuleCommand({ Rule: 'writer-rule' }))).Targets, []);
  });

  test('TestEventPattern answers whether an event matches, and refuses bad patterns and events', async () => {
    const event = JSON.stringify({ id: '1', account: t.accountId, source: 'aws.ssm', time: '2026-01-01T00:00:00Z', region: 'us-east-1', resources: [], 'detail-type': 'Parameter Store Change', detail: { operation: 'Update' } });
    assert.equal((await events.send(new TestEventPatternCommand({ EventPattern: JSON.stringify({ detail: { operation: ['Update', 'Create'] } }), Event: event }))).Result, true);
    assert.equal((await events.send(new TestEventPatternCommand({ EventPattern: JSON.stringify({ detail: { operation: [{ 'anything-but': 'Update' }] } }), Event: event }))).Result, false);
    assert.equal((await failure(events.send(new TestEventPatternCommand({ EventPattern: '{"a": [{"numeric": [">"]}]}', Event: event })))).name, 'InvalidEventPatternException');
    const e = await failure(events.send(new TestEventPatternCommand({ EventPattern: pattern, Event: '{"source": "aws.ssm"}' })));
    assert.equal(e.name, 'ValidationException');
    assert.match(e.message, /missing id, account, time, region, resources, detail-type/);
  });

  test('rules are tagged and untagged; tags of what does not exist are refused', async () => {
    await events.send(new PutRuleCommand({ Name: 'tagged', EventPattern: pattern }));
    await events.send(new TagResourceCommand({ ResourceARN: arnOf('tagged'), Tags: [{ Key: 'b', Value: '2' }, { Key: 'a', Value: '1' }] }));
    await events.send(new UntagResourceCommand({ ResourceARN: arnOf('tagged'), TagKeys: ['b'] }));
    assert.deepEqual((await events.send(new ListTagsForResourceCommand({ ResourceARN: arnOf('tagged') }))).Tags, [{ Key: 'a', Value: '1' }]);
    assert.equal((await failure(events.send(new TagResourceCommand({ ResourceARN: arnOf('ghost'), Tags: [{ Key: 'a', Value: '1' }] })))).name, 'ResourceNotFoundException');
    assert.equal((await failure(events.send(new TagResourceCommand({ ResourceARN: arnOf('tagged'), Tags: [{ Key: 'aws:x', Value: '1' }] })))).name, 'ValidationException');
  });

  test('connections keep their secrets sealed and unshown; API destinations point at http(s) endpoints', async () => {
    const secret = 'sk-live-7a1f9c0d2e4b6a8c';
    const conn = await events.send(new CreateConnectionCommand({ Name: 'hooks', AuthorizationType: 'API_KEY', AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'X-Api-Key', ApiKeyValue: secret }, InvocationHttpParameters: { HeaderParameters: [{ Key: 'X-Team', Value: 'ops', IsValueSecret: false }, { Key: 'X-Token', Value: 'hidden-value', IsValueSecret: true }] } } }));
    assert.match(conn.ConnectionArn!, new RegExp(`^arn:aws:events:us-east-1:${t.accountId}:connection/hooks/[0-9a-f-]{36}$`));
    assert.equal(conn.ConnectionState, 'AUTHORIZED');
    const d = await events.send(new DescribeConnectionCommand({ Name: 'hooks' }));
    assert.deepEqual(d.AuthParameters, { ApiKeyAuthParameters: { ApiKeyName: 'X-Api-Key' }, InvocationHttpParameters: { HeaderParameters: [{ Key: 'X-Team', Value: 'ops', IsValueSecret: false }, { Key: 'X-Token', IsValueSecret: true }] } });
    assert.ok(!JSON.stringify(d).includes(secret) && !JSON.stringify(d).includes('hidden-value'));
    const basic = await events.send(new CreateConnectionCommand({ Name: 'basic', AuthorizationType: 'BASIC', AuthParameters: { BasicAuthParameters: { Username: 'u', Password: 'p4ssw0rd-unique' } } }));
    assert.equal((await failure(events.send(new CreateConnectionCommand({ Name: 'basic', AuthorizationType: 'BASIC', AuthParameters: { BasicAuthParameters: { Username: 'u', Password: 'x' } } })))).name, 'ResourceAlreadyExistsException');
    assert.equal((await failure(events.send(new CreateConnectionCommand({ Name: 'oauth', AuthorizationType: 'OAUTH_CLIENT_CREDENTIALS', AuthParameters: {} })))).name, 'ValidationException');
    assert.equal((await failure(events.send(new CreateConnectionCommand({ Name: 'half', AuthorizationType: 'BASIC', AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'a', ApiKeyValue: 'b' } } })))).name, 'ValidationException');
    await events.send(new UpdateConnectionCommand({ Name: 'hooks', Description: 'webhooks', AuthParameters: { ApiKeyAuthParameters: { ApiKeyValue: 'rotated-secret-value' } } }));
    const updated = await events.send(new DescribeConnectionCommand({ Name: 'hooks' }));
    assert.deepEqual([updated.Description, updated.AuthParameters!.ApiKeyAuthParameters], ['webhooks', { ApiKeyName: 'X-Api-Key' }], 'the key name stays when only the value rotates');
    const listed = await events.send(new ListConnectionsCommand({ NamePrefix: 'ho' }));
    assert.deepEqual(listed.Connections!.map((c) => c.Name), ['hooks']);

    const dest = await events.send(new CreateApiDestinationCommand({ Name: 'pager', ConnectionArn: conn.ConnectionArn!, InvocationEndpoint: 'https://hooks.example.com/events/*', HttpMethod: 'POST', InvocationRateLimitPerSecond: 10 }));
    assert.equal(dest.ApiDestinationState, 'ACTIVE');
    const dd = await events.send(new DescribeApiDestinationCommand({ Name: 'pager' }));
    assert.deepEqual([dd.ApiDestinationArn, dd.ConnectionArn, dd.InvocationEndpoint, dd.HttpMethod, dd.InvocationRateLimitPerSecond], [dest.ApiDestinationArn, conn.ConnectionArn, 'https://hooks.example.com/events/*', 'POST', 10]);
    await events.send(new UpdateApiDestinationCommand({ Name: 'pager', HttpMethod: 'PUT', ConnectionArn: basic.ConnectionArn! }));
    assert.equal((await events.send(new DescribeApiDestinationCommand({ Name: 'pager' }))).HttpMethod, 'PUT');
    const destBad = (InvocationEndpoint: string) => failure(events.send(new CreateApiDestinationCommand({ Name: 'bad', ConnectionArn: conn.ConnectionArn!, InvocationEndpoint, HttpMethod: 'POST' })));
    assert.match((await destBad('ftp://example.com/x')).message, /http:\/\/ or https:\/\//);
    assert.match((await destBad('https://user:pw@example.com/x')).message, /must not carry credentials/);
    assert.equal((await failure(events.send(new CreateApiDestinationCommand({ Name: 'orphan', ConnectionArn: `${conn.ConnectionArn!}x`, InvocationEndpoint: 'https://example.com', HttpMethod: 'POST' })))).name, 'ResourceNotFoundException');
    assert.deepEqual((await events.send(new ListApiDestinationsCommand({ ConnectionArn: basic.ConnectionArn! }))).ApiDestinations!.map((a) => a.Name), ['pager']);
    const inUse = await failure(events.send(new DeleteConnectionCommand({ Name: 'basic' })));
    assert.match(inUse.message, /used by API destination\(s\) pager/);
    await events.send(new DeleteApiDestinationCommand({ Name: 'pager' }));
    assert.equal((await events.send(new DeleteConnectionCommand({ Name: 'basic' }))).ConnectionState, 'DELETING');
    assert.equal((await failure(events.send(new DescribeConnectionCommand({ Name: 'basic' })))).name, 'ResourceNotFoundException');
    assert.equal((await failure(events.send(new DescribeApiDestinationCommand({ Name: 'pager' })))).name, 'ResourceNotFoundException');

    // Secrets never reach the audit trail; on SQLite, not the database file either.
    await t.server.core.audit.flush();
    const trail = await new CloudTrailClient(t.clientConfig()).send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'CreateConnection' }] }));
    const text = JSON.stringify(trail.Events);
    assert.ok(text.includes('HIDDEN_DUE_TO_SECURITY_REASONS'));
    for (const s of [secret, 'p4ssw0rd-unique', 'hidden-value', 'rotated-secret-value']) assert.ok(!text.includes(s), `${s} is not in the audit trail`);
    if (engine === 'sqlite') {
      const { readFileSync, existsSync } = await import('node:fs');
      const files = ['capstan.db', 'capstan.db-wal'].map((f) => `${t.dataDir}/${f}`).filter((f) => existsSync(f));
      for (const f of files) for (const s of [secret, 'p4ssw0rd-unique', 'hidden-value']) assert.ok(!readFileSync(f).includes(s), `${s} is not in ${f}`);
    }
  });
});
