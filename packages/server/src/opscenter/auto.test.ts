import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import {
  CreateActivationCommand,
  CreateOpsItemCommand,
  DescribeOpsItemsCommand,
  GetAutomationExecutionCommand,
  GetOpsItemCommand,
  ListOpsItemEventsCommand,
  ListOpsItemRelatedItemsCommand,
  PutParameterCommand,
  UpdateOpsItemCommand,
  type OpsItemFilter,
} from '@aws-sdk/client-ssm';
import { automationHarness, ended, type AutomationHarness } from '../automation/test-support/harness.js';
import { complianceService } from '../compliance/index.js';
import { onEveryEngine } from '../test-support/engines.js';
import { SimulatedAgent } from '../test-support/sim-agent.js';
import { jsonHeaders, rawCall } from '../test-support/sign.js';
import { until } from '../test-support/until.js';

const PING = 1_000;
const MINUTE = 60_000;
const DAY = 86_400_000;

onEveryEngine('OpsCenter automatic OpsItems, runbooks and notifications', (engine) => {
  let h: AutomationHarness;
  const agents: SimulatedAgent[] = [];
  before(async () => {
    h = await automationHarness(engine, { agentPingMs: PING });
  });
  after(async () => {
    for (const a of agents) await a.close().catch(() => undefined);
    await h.stop();
  });

  const nodeArn = (id: string) => `arn:aws:ssm:us-east-1:${h.t.accountId}:managed-instance/${id}`;
  const tick = async (ms = 0) => {
    if (ms) h.clock.advance(ms);
    await h.t.server.core.scheduler.tick();
    await h.t.server.core.scheduler.tick();
  };
  const byResource = async (arn: string, source?: string) =>
    (await h.ssm.send(new DescribeOpsItemsCommand({ OpsItemFilters: [{ Key: 'ResourceId', Values: [arn], Operator: 'Equal' }, ...(source ? [{ Key: 'Source', Values: [source], Operator: 'Equal' } as OpsItemFilter] : [])] }))).OpsItemSummaries!;
  const capstan = async (target: string, body: Record<string, unknown>) => {
    const res = await rawCall({ endpoint: h.t.endpoint, service: 'ssm', credentials: h.t.credentials, headers: jsonHeaders(target), body: JSON.stringify(body), signingDate: new Date(h.clock.now()) });
    return { status: res.status, body: res.json() };
  };
  const related = async (id: string) => (await h.ssm.send(new ListOpsItemRelatedItemsCommand({ OpsItemId: id }))).Summaries!;
  const eventTypes = async (id: string) => (await h.ssm.send(new ListOpsItemEventsCommand({ Filters: [{ Key: 'OpsItemId', Values: [id], Operator: 'Equal' }] }))).Summaries!.map((e) => e.DetailType);

  async function newNode(): Promise<SimulatedAgent> {
    const { ActivationId, ActivationCode } = await h.ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole' }));
    const a = new SimulatedAgent(h.t.endpoint, `ops-${agents.length}`);
    await a.register(ActivationId!, ActivationCode!);
    await a.connect();
    agents.push(a);
    return a;
  }

  test('an automation failure raises one OpsItem on its node; a repeat counts on it; the rule can be turned off', async () => {
    const node = 'mi-0aaaaaaaaaaaaaaa1';
    const runbook = await h.runbook('ops-fails', {
      parameters: { InstanceId: { type: 'String' } },
      mainSteps: [{ name: 'Bad', action: 'aws:executeAwsApi', inputs: { Service: 'ssm', Api: 'GetParameter', Name: '/does/not/exist/{{ InstanceId }}' } }],
    });
    const first = await h.waitFor(await h.start(runbook, { InstanceId: [node] }), ended);
    assert.equal(first.AutomationExecutionStatus, 'Failed');
    const [summary] = await until('the OpsItem', async () => {
      await tick();
      const found = await byResource(nodeArn(node), 'Automation');
      return found.length ? found : undefined;
    });
    const item = (await h.ssm.send(new GetOpsItemCommand({ OpsItemId: summary!.OpsItemId }))).OpsItem!;
    assert.match(item.Title!, new RegExp(`Automation ${runbook} failed on ${node}`));
    assert.deepEqual(JSON.parse(item.OperationalData!['/aws/resources']!.Value!), [{ arn: nodeArn(node) }]);
    assert.deepEqual(JSON.parse(item.OperationalData!['/aws/automations']!.Value!), [{ automationType: 'AWS:SSM:Automation', automationId: runbook }]);
    assert.equal(item.OperationalData!.executionId!.Value, first.AutomationExecutionId);
    assert.match(item.Description!, /ParameterNotFound/);
    assert.match(item.CreatedBy!, /:opscenter-rule\/AutomationFailed$/);
    assert.deepEqual((await related(item.OpsItemId!)).map((r) => [r.ResourceType, r.ResourceUri]), [['AWS::SSM::AutomationExecution', `arn:aws:ssm:us-east-1:${h.t.accountId}:automation-execution/${first.AutomationExecutionId}`]]);
    assert.ok((await eventTypes(item.OpsItemId!)).includes('EC2 Automation Execution Status-change Notification'), 'the event that raised it is among its events');
    const context = await capstan('AmazonSSM.CapstanGetOpsItemContext', { OpsItemId: item.OpsItemId });
    assert.equal(context.status, 200, JSON.stringify(context.body));
    assert.equal((context.body.Resources as { Compliance: unknown }[])[0]!.Compliance, null, 'a node that is not registered has no compliance to show; the rest still answers');

    const second = await h.waitFor(await h.start(runbook, { InstanceId: [node] }), ended);
    await until('the repeat is counted', async () => {
      await tick();
      return (await related(item.OpsItemId!)).length === 2 || undefined;
    });
    assert.equal((await byResource(nodeArn(node), 'Automation')).length, 1, 'one OpsItem for both failures');
    assert.ok((await related(item.OpsItemId!)).some((r) => r.ResourceUri!.endsWith(second.AutomationExecutionId!)));
    assert.ok((await eventTypes(item.OpsItemId!)).includes('OpsItem Duplicate'));

    const off = await capstan('AmazonSSM.CapstanUpdateOpsItemRule', { Name: 'AutomationFailed', Enabled: false });
    assert.equal(off.status, 200, JSON.stringify(off.body));
    const other = 'mi-0aaaaaaaaaaaaaaa2';
    await h.waitFor(await h.start(runbook, { InstanceId: [other] }), ended);
    for (let i = 0; i < 5; i++) await tick();
    assert.equal((await byResource(nodeArn(other))).length, 0, 'a disabled rule raises nothing');
    await capstan('AmazonSSM.CapstanUpdateOpsItemRule', { Name: 'AutomationFailed', Enabled: true });
  });

  test('a node ConnectionLost past the threshold raises one OpsItem; its suggested runbook runs from it, linked; context and similar items show', async () => {
    const agent = await newNode();
    const arn = nodeArn(agent.instanceId);
    await agent.close();
    await tick(3 * PING);
    await tick(5 * MINUTE);
    assert.equal((await byResource(arn)).length, 0, 'five minutes lost is within the default ten');
    await tick(6 * MINUTE);
    const [summary] = await until('the ConnectionLost OpsItem', async () => {
      await tick();
      const found = await byResource(arn, 'Managed Node');
      return found.length ? found : undefined;
    });
    const id = summary!.OpsItemId!;
    const item = (await h.ssm.send(new GetOpsItemCommand({ OpsItemId: id }))).OpsItem!;
    assert.match(item.Title!, new RegExp(`${agent.instanceId}.* is ConnectionLost`));
    assert.deepEqual(JSON.parse(item.OperationalData!['/aws/resources']!.Value!), [{ arn }]);
    assert.deepEqual(JSON.parse(item.OperationalData!['/aws/automations']!.Value!).map((a: { automationId: string }) => a.automationId), ['Capstan-TroubleshootNode']);

    // Back, then lost again for longer than the threshold: the open item counts it.
    await agent.connect();
    await tick(PING);
    await agent.close();
    await tick(3 * PING);
    await tick(11 * MINUTE);
    await until('the second loss is counted', async () => {
      await tick();
      return (await eventTypes(id)).includes('OpsItem Duplicate') || undefined;
    });
    assert.equal((await byResource(arn, 'Managed Node')).length, 1);

    const bad = await capstan('AmazonSSM.CapstanStartOpsItemRunbook', { OpsItemId: id, DocumentName: 'No-Such-Runbook' });
    assert.equal(bad.status, 400);
    assert.equal((await related(id)).length, 0, 'a refused start links nothing');
    assert.equal((await capstan('AmazonSSM.CapstanStartOpsItemRunbook', { OpsItemId: 'oi-000000000000', DocumentName: 'Capstan-TroubleshootNode' })).body.__type, 'OpsItemNotFoundException');

    const started = await capstan('AmazonSSM.CapstanStartOpsItemRunbook', { OpsItemId: id, DocumentName: 'Capstan-TroubleshootNode' });
    assert.equal(started.status, 200, JSON.stringify(started.body));
    const executionId = started.body.AutomationExecutionId as string;
    const execution = (await h.ssm.send(new GetAutomationExecutionCommand({ AutomationExecutionId: executionId }))).AutomationExecution!;
    assert.deepEqual(execution.Parameters?.InstanceId, [agent.instanceId], 'the runbook got the OpsItem\'s node');
    assert.deepEqual((await related(id)).map((r) => [r.AssociationType, r.ResourceType, r.ResourceUri]), [['IsParentOf', 'AWS::SSM::AutomationExecution', `arn:aws:ssm:us-east-1:${h.t.accountId}:automation-execution/${executionId}`]]);
    const byAutomation = (await h.ssm.send(new DescribeOpsItemsCommand({ OpsItemFilters: [{ Key: 'AutomationId', Values: [executionId], Operator: 'Equal' }] }))).OpsItemSummaries!;
    assert.deepEqual(byAutomation.map((s) => s.OpsItemId), [id]);
    assert.ok((await eventTypes(id)).includes('OpsItem Runbook Started'));

    const context = (await capstan('AmazonSSM.CapstanGetOpsItemContext', { OpsItemId: id })).body as { SuggestedRunbooks: string[]; Occurrences: number; Resources: { Arn: string; AuditEvents: unknown[]; Commands: unknown[]; Compliance: unknown[] }[]; Automations: { AutomationExecutionId: string }[] };
    assert.deepEqual(context.SuggestedRunbooks, ['Capstan-TroubleshootNode']);
    assert.equal(context.Occurrences, 2);
    assert.equal(context.Resources[0]!.Arn, arn);
    assert.ok(Array.isArray(context.Resources[0]!.Commands) && Array.isArray(context.Resources[0]!.Compliance) && Array.isArray(context.Resources[0]!.AuditEvents));
    assert.deepEqual(context.Automations.map((a) => a.AutomationExecutionId), [executionId]);

    await h.ssm.send(new UpdateOpsItemCommand({ OpsItemId: id, Status: 'Resolved' }));
    await agent.connect();
    await tick(PING);
    await agent.close();
    await tick(3 * PING);
    await tick(11 * MINUTE);
    const next = await until('a new OpsItem after the first was resolved', async () => {
      await tick();
      return (await byResource(arn, 'Managed Node')).find((s) => s.OpsItemId !== id);
    });
    const similar = (await capstan('AmazonSSM.CapstanGetOpsItemContext', { OpsItemId: next.OpsItemId })).body.SimilarOpsItems as { OpsItemId: string; Status: string; Resolution?: { ResolvedBy: string }; Runbooks: string[] }[];
    const earlier = similar.find((s) => s.OpsItemId === id)!;
    assert.equal(earlier.Status, 'Resolved');
    assert.match(earlier.Resolution!.ResolvedBy, /^arn:aws:iam::/);
    assert.equal(earlier.Runbooks.length, 1, 'and the runbook that was run on it');
  });

  test('the rules are listed, tuned and checked: a longer ConnectionLost threshold waits longer', async () => {
    const rules = (await capstan('AmazonSSM.CapstanDescribeOpsItemRules', {})).body.Rules as { Name: string; Enabled: boolean; ThresholdMinutes?: number }[];
    assert.deepEqual(rules.map((r) => r.Name), ['AutomationFailed', 'MaintenanceWindowTaskFailed', 'NodeConnectionLost', 'PatchNonCompliant', 'ParameterPolicy']);
    assert.equal(rules.find((r) => r.Name === 'NodeConnectionLost')!.ThresholdMinutes, 10);
    assert.equal(rules.find((r) => r.Name === 'PatchNonCompliant')!.ThresholdMinutes, 7 * 24 * 60);
    const refused = await capstan('AmazonSSM.CapstanUpdateOpsItemRule', { Name: 'AutomationFailed', ThresholdMinutes: 5 });
    assert.equal(refused.body.__type, 'OpsItemInvalidParameterException');
    assert.equal((await capstan('AmazonSSM.CapstanUpdateOpsItemRule', { Name: 'NoSuchRule', Enabled: false })).body.__type, 'OpsItemInvalidParameterException');
    const tuned = await capstan('AmazonSSM.CapstanUpdateOpsItemRule', { Name: 'NodeConnectionLost', ThresholdMinutes: 30 });
    assert.deepEqual((tuned.body.Rule as { ThresholdMinutes: number }).ThresholdMinutes, 30);
    try {
      const agent = await newNode();
      const arn = nodeArn(agent.instanceId);
      await agent.close();
      await tick(3 * PING);
      await tick(11 * MINUTE);
      await tick();
      assert.equal((await byResource(arn)).length, 0, 'eleven minutes is within the tuned thirty');
      await tick(20 * MINUTE);
      await until('the OpsItem after thirty minutes', async () => {
        await tick();
        return (await byResource(arn, 'Managed Node')).length === 1 || undefined;
      });
    } finally {
      await capstan('AmazonSSM.CapstanUpdateOpsItemRule', { Name: 'NodeConnectionLost', ThresholdMinutes: 10 });
    }
  });

  test('a node non-compliant for patches past the threshold, and a parameter that expires, each raise an OpsItem', async () => {
    const agent = await newNode();
    const arn = nodeArn(agent.instanceId);
    const patch = (status: 'COMPLIANT' | 'NON_COMPLIANT') =>
      complianceService(h.t.server.core).put({
        accountId: h.t.accountId,
        region: 'us-east-1',
        resourceId: agent.instanceId,
        resourceType: 'ManagedInstance',
        complianceType: 'Patch',
        executionSummary: { ExecutionTime: h.clock.now() },
        items: [{ Id: 'openssl', Title: 'openssl', Severity: 'CRITICAL', Status: status }],
        uploadType: 'COMPLETE',
      });
    await patch('NON_COMPLIANT');
    await tick(6 * DAY);
    assert.equal((await byResource(arn, 'Patch Manager')).length, 0, 'six days is within the default seven');
    await tick(DAY + MINUTE);
    const [item] = await until('the patch OpsItem', async () => {
      await tick();
      const found = await byResource(arn, 'Patch Manager');
      return found.length ? found : undefined;
    });
    assert.equal(item!.Severity, '1', 'critical patches missing');

    const fixed = await newNode();
    const fixedArn = nodeArn(fixed.instanceId);
    await complianceService(h.t.server.core).put({ accountId: h.t.accountId, region: 'us-east-1', resourceId: fixed.instanceId, resourceType: 'ManagedInstance', complianceType: 'Patch', executionSummary: { ExecutionTime: h.clock.now() }, items: [{ Id: 'curl', Severity: 'HIGH', Status: 'NON_COMPLIANT' }], uploadType: 'COMPLETE' });
    await tick(DAY);
    await complianceService(h.t.server.core).put({ accountId: h.t.accountId, region: 'us-east-1', resourceId: fixed.instanceId, resourceType: 'ManagedInstance', complianceType: 'Patch', executionSummary: { ExecutionTime: h.clock.now() }, items: [{ Id: 'curl', Severity: 'HIGH', Status: 'COMPLIANT' }], uploadType: 'COMPLETE' });
    await tick(7 * DAY);
    await tick();
    assert.equal((await byResource(fixedArn, 'Patch Manager')).length, 0, 'patched within the threshold: nothing raised');

    const name = `/ops/expiring-${process.pid}`;
    const expires = new Date(h.clock.now() + 60 * MINUTE).toISOString();
    await h.ssm.send(new PutParameterCommand({ Name: name, Value: 'temp', Type: 'String', Tier: 'Advanced', Policies: JSON.stringify([{ Type: 'Expiration', Version: '1.0', Attributes: { Timestamp: expires } }]) }));
    await tick(61 * MINUTE);
    const paramArn = `arn:aws:ssm:us-east-1:${h.t.accountId}:parameter${name}`;
    const [expired] = await until('the parameter OpsItem', async () => {
      await tick();
      const found = await byResource(paramArn, 'Parameter Store');
      return found.length ? found : undefined;
    });
    assert.match(expired!.Title!, /expired and was deleted/);
  });

  test('Notifications: a signed webhook on creation and on each status change, none for other edits', async () => {
    const received: { headers: Record<string, string>; body: string }[] = [];
    const hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers as Record<string, string>, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/ops`;
    try {
      const { OpsItemId } = await h.ssm.send(new CreateOpsItemCommand({ Title: 'Queue backed up', Description: 'depth 10k', Source: 'queue-monitor', Notifications: [{ Arn: url }] }));
      await h.ssm.send(new UpdateOpsItemCommand({ OpsItemId, Description: 'depth 20k' }));
      await h.ssm.send(new UpdateOpsItemCommand({ OpsItemId, Status: 'InProgress' }));
      const bodies = await until('both webhooks', async () => {
        await tick();
        const mine = received.map((r) => JSON.parse(r.body) as Record<string, unknown>).filter((b) => b.opsItemId === OpsItemId);
        return mine.length >= 2 ? mine : undefined;
      });
      await tick();
      assert.deepEqual(
        // Deliveries are independent jobs, so they may arrive in either order (docs/opscenter.md).
        received
          .map((r) => JSON.parse(r.body) as Record<string, unknown>)
          .filter((b) => b.opsItemId === OpsItemId)
          .map((b) => [b.change, b.status, b.previousStatus])
          .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
        [['Create', 'Open', undefined], ['StatusChange', 'InProgress', 'Open']],
      );
      assert.ok(bodies.every((b) => b.title === 'Queue backed up'));
      const key = (await capstan('AmazonSSM.CapstanGetWebhookSigningKey', {})).body.SigningKey as string;
      for (const r of received) {
        const expected = `sha256=${createHmac('sha256', Buffer.from(key, 'base64')).update(`${r.headers['x-capstan-timestamp']}.${r.body}`).digest('hex')}`;
        assert.equal(r.headers['x-capstan-signature'], expected, 'signed with the account key');
      }
    } finally {
      hook.close();
    }
  });
});
