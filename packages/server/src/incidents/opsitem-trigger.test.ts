import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CreateResponsePlanCommand, ListIncidentRecordsCommand, StartIncidentCommand, UpdateIncidentRecordCommand } from '@aws-sdk/client-ssm-incidents';
import { CreateOpsItemCommand, UpdateOpsItemCommand } from '@aws-sdk/client-ssm';
import { CreateRoleCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { onEveryEngine } from '../test-support/engines.js';
import type { Engine } from '../test-support/server.js';
import { jsonHeaders, rawCall } from '../test-support/sign.js';
import { until } from '../test-support/until.js';
import { incidentHarness, type IncidentHarness } from './test-support/harness.js';

const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sts:AssumeRole' }] });

onEveryEngine('Incident Manager: incidents started by OpsItems', (engine: Engine) => {
  let h: IncidentHarness;
  before(async () => {
    h = await incidentHarness(engine);
  });
  after(async () => h.stop());

  const incidents = async (impact: number) =>
    (await h.incidents().send(new ListIncidentRecordsCommand({ filters: [{ key: 'impact', condition: { equals: { integerValues: [impact] } } }] }))).incidentRecordSummaries ?? [];
  /** Runs due work a few rounds, so a firing that was going to happen has happened. */
  const drain = async () => {
    for (let i = 0; i < 5; i++) {
      await h.t.server.core.scheduler.tick();
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  test('an event rule matching OpsItem Create of severity 1 starts an incident from the response plan; other severities and updates do not', async () => {
    const iam = h.iam();
    const role = (await iam.send(new CreateRoleCommand({ RoleName: 'opsitem-incidents', AssumeRolePolicyDocument: trust }))).Role!.Arn!;
    await iam.send(new PutRolePolicyCommand({ RoleName: 'opsitem-incidents', PolicyName: 'start', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ssm-incidents:StartIncident', Resource: '*' }] }) }));
    const { arn: plan } = await h.incidents().send(new CreateResponsePlanCommand({ name: 'critical-opsitems', incidentTemplate: { title: 'A critical OpsItem was raised', impact: 1 } }));
    const eb = new EventBridgeClient({ ...h.t.clientConfig(), systemClockOffset: h.clock.now() - Date.now() });
    await eb.send(new PutRuleCommand({ Name: 'critical-opsitems', EventPattern: JSON.stringify({ source: ['aws.ssm'], 'detail-type': ['OpsItem Create'], detail: { severity: ['1'] } }) }));
    await eb.send(new PutTargetsCommand({ Rule: 'critical-opsitems', Targets: [{ Id: 'plan', Arn: plan!, RoleArn: role }] }));

    const ssm = h.ssm();
    const { OpsItemId: minor } = await ssm.send(new CreateOpsItemCommand({ Title: 'Slow queries', Description: 'p99 above 2 s', Source: 'monitoring', Severity: '3' }));
    const { OpsItemId: critical } = await ssm.send(new CreateOpsItemCommand({ Title: 'Database down', Description: 'db-1 refuses connections', Source: 'monitoring', Severity: '1' }));
    const [incident] = await until('an incident from the severity 1 OpsItem', async () => {
      await h.t.server.core.scheduler.tick();
      const found = await incidents(1);
      return found.length ? found : undefined;
    });
    assert.equal(incident!.title, 'A critical OpsItem was raised');
    assert.equal(incident!.incidentRecordSource?.source, 'aws.ssm');
    assert.equal(incident!.incidentRecordSource?.invokedBy, 'events.amazonaws.com');
    assert.match(incident!.incidentRecordSource?.createdBy ?? '', /assumed-role\/opsitem-incidents\//);

    assert.equal(incident!.incidentRecordSource?.resourceArn, `arn:aws:events:us-east-1:${h.t.accountId}:rule/critical-opsitems`, 'the rule is the trigger');
    const published = await h.t.server.core.events.list({ accountId: h.t.accountId, region: 'us-east-1', detailType: 'OpsItem Create' });
    assert.ok(published.some((e) => e.detail['ops-item-id'] === critical && e.detail.severity === '1'));

    await ssm.send(new UpdateOpsItemCommand({ OpsItemId: minor, Severity: '1' }));
    await ssm.send(new CreateOpsItemCommand({ Title: 'Cache cold', Description: 'hit rate low', Source: 'monitoring', Severity: '2' }));
    await drain();
    assert.equal((await incidents(1)).length, 1, 'only OpsItem Create of severity 1 matches: no incident for severity 2 or for an update');
  });

  test('CapstanListIncidentMetrics answers each incident with its plan, acknowledgement and resolution times', async () => {
    const call = async (body: Record<string, unknown>) => {
      const res = await rawCall({ endpoint: h.t.endpoint, service: 'ssm', credentials: h.t.credentials, headers: jsonHeaders('AmazonSSM.CapstanListIncidentMetrics'), body: JSON.stringify(body), signingDate: new Date(h.clock.now()) });
      return { status: res.status, body: res.json() as { Incidents?: { Arn: string; ResponsePlanArn: string; Status: string; TimeToResolveSeconds?: number; Runbooks: unknown[] }[]; __type?: string; message?: string } };
    };
    const { arn: plan } = await h.incidents().send(new CreateResponsePlanCommand({ name: 'metrics-plan', incidentTemplate: { title: 'Metrics', impact: 3 } }));
    const { incidentRecordArn } = await h.incidents().send(new StartIncidentCommand({ responsePlanArn: plan! }));
    await h.advance(90_000);
    await h.incidents().send(new UpdateIncidentRecordCommand({ arn: incidentRecordArn!, status: 'RESOLVED' }));
    const mine = await call({ ResponsePlanArn: plan });
    assert.equal(mine.status, 200, JSON.stringify(mine.body));
    assert.deepEqual(mine.body.Incidents!.map((x) => [x.Arn, x.ResponsePlanArn, x.Status, x.TimeToResolveSeconds, x.Runbooks.length]), [[incidentRecordArn, plan, 'RESOLVED', 90, 0]]);
    assert.ok((await call({})).body.Incidents!.length >= 2, 'without a plan, every incident');
    const bad = await call({ ResponsePlanArn: 'not-a-plan' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.__type, 'ValidationException');
    assert.match(bad.body.message ?? '', /responsePlanArn/i);
  });
});
