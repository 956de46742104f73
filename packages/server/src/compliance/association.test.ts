import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  CreateAssociationCommand,
  DeleteAssociationCommand,
  DescribeAssociationExecutionsCommand,
  ListComplianceItemsCommand,
  ListComplianceSummariesCommand,
  ListResourceComplianceSummariesCommand,
  PutComplianceItemsCommand,
  SSMClient,
  StartAssociationsOnceCommand,
} from '@aws-sdk/client-ssm';
import { settleScheduler, simulatedNode } from '../associations/test-support/fleet.js';
import { ManualClock } from '../scheduler/clock.js';
import { onEveryEngine } from '../test-support/engines.js';
import { failedStep, okStep, type SimulatedAgent } from '../test-support/sim-agent.js';
import { startTestServer, type Engine, type TestServer } from '../test-support/server.js';
import { COMPLIANCE_EVENT } from './index.js';

onEveryEngine('Association compliance', (engine: Engine) => {
  let t: TestServer;
  let clock: ManualClock;
  const agents: SimulatedAgent[] = [];
  // The SDK signs with its own clock; keep it level with the server's, which the tests move.
  const ssm = () => new SSMClient({ ...t.clientConfig(), systemClockOffset: clock.now() - Date.now() });

  before(async () => {
    clock = new ManualClock(Date.UTC(2026, 10, 25, 10, 0, 0));
    t = await startTestServer({ engine, clock, schedulerPollMs: 20, agentPingMs: 30_000 });
  });
  after(async () => {
    for (const a of agents) await a.close();
    await t.stop();
  });

  async function node(ok: boolean): Promise<string> {
    const a = await simulatedNode(ssm(), t, `assoc-cmp-${agents.length}`, () => (ok ? { status: 'Success', steps: [okStep()] } : { status: 'Failed', steps: [failedStep()] }));
    agents.push(a);
    return a.instanceId;
  }

  /** The association's runs once `n` of them have finished, newest first. */
  const finished = (id: string, n: number) =>
    settleScheduler(t, clock, async () => {
      const list = (await ssm().send(new DescribeAssociationExecutionsCommand({ AssociationId: id }))).AssociationExecutions ?? [];
      return list.length === n && list.every((e) => e.Status === 'Success' || e.Status === 'Failed') && list;
    });
  const association = async (resourceId: string) => (await ssm().send(new ListComplianceItemsCommand({ ResourceIds: [resourceId], Filters: [{ Key: 'ComplianceType', Values: ['Association'] }] }))).ComplianceItems ?? [];

  test('each run writes the association\'s item on each node: COMPLIANT where it succeeded, NON_COMPLIANT where it failed; deleting it takes the item away', async () => {
    const [good, bad] = [await node(true), await node(false)];
    const { AssociationDescription: web } = await ssm().send(
      new CreateAssociationCommand({ Name: 'AWS-RunShellScript', Parameters: { commands: ['true'] }, Targets: [{ Key: 'InstanceIds', Values: [good, bad] }], AssociationName: 'web-baseline', ComplianceSeverity: 'HIGH' }),
    );
    const [run] = await finished(web!.AssociationId!, 1);
    const [mine] = await association(good);
    assert.deepEqual(mine, {
      ComplianceType: 'Association',
      ResourceType: 'ManagedInstance',
      ResourceId: good,
      Id: web!.AssociationId,
      Title: 'web-baseline',
      Status: 'COMPLIANT',
      Severity: 'HIGH',
      ExecutionSummary: { ExecutionTime: new Date(mine!.ExecutionSummary!.ExecutionTime!), ExecutionId: run!.ExecutionId, ExecutionType: 'Command' },
      Details: { DocumentName: 'AWS-RunShellScript', DocumentVersion: mine!.Details!.DocumentVersion! },
    });
    assert.match(mine!.Details!.DocumentVersion!, /^\d+$/, 'the version the run used, not $DEFAULT');
    const [theirs] = await association(bad);
    assert.equal(theirs!.Status, 'NON_COMPLIANT');
    assert.equal(theirs!.Severity, 'HIGH');

    // A second association on the good node: its own item beside the first, titled by its document.
    const { AssociationDescription: quiet } = await ssm().send(new CreateAssociationCommand({ Name: 'AWS-RunShellScript', Parameters: { commands: ['true'] }, Targets: [{ Key: 'InstanceIds', Values: [good] }] }));
    await finished(quiet!.AssociationId!, 1);
    const both = await association(good);
    assert.deepEqual(both.map((i) => [i.Id, i.Title, i.Status, i.Severity]).sort(), [
      [web!.AssociationId, 'web-baseline', 'COMPLIANT', 'HIGH'],
      [quiet!.AssociationId, 'AWS-RunShellScript', 'COMPLIANT', 'UNSPECIFIED'],
    ].sort());

    const summaries = await ssm().send(new ListComplianceSummariesCommand({ Filters: [{ Key: 'ComplianceType', Values: ['Association'] }, { Key: 'ResourceId', Values: [good, bad] }] }));
    assert.equal(summaries.ComplianceSummaryItems![0]!.CompliantSummary!.CompliantCount, 1);
    assert.equal(summaries.ComplianceSummaryItems![0]!.NonCompliantSummary!.NonCompliantCount, 1);
    assert.equal(summaries.ComplianceSummaryItems![0]!.NonCompliantSummary!.SeveritySummary!.HighCount, 1);
    const events = (await t.server.core.events.list({ accountId: t.accountId, region: 'us-east-1', detailType: COMPLIANCE_EVENT })).filter((e) => e.detail['resource-id'] === bad);
    assert.deepEqual(events.map((e) => [e.detail['compliance-type'], e.detail['compliance-status'], e.detail.severity]), [['Association', 'non_compliant', 'high']]);

    // A run again, now that the bad node is fixed: its item turns COMPLIANT.
    agents[1]!.behaviour = () => ({ status: 'Success', steps: [okStep()] });
    await ssm().send(new StartAssociationsOnceCommand({ AssociationIds: [web!.AssociationId!] }));
    const [again] = await finished(web!.AssociationId!, 2);
    const [fixed] = await association(bad);
    assert.equal(fixed!.Status, 'COMPLIANT');
    assert.equal(fixed!.ExecutionSummary!.ExecutionId, again!.ExecutionId);

    await ssm().send(new DeleteAssociationCommand({ AssociationId: web!.AssociationId! }));
    assert.deepEqual((await association(good)).map((i) => i.Id), [quiet!.AssociationId]);
    assert.deepEqual(await association(bad), []);
    const left = await ssm().send(new ListResourceComplianceSummariesCommand({ Filters: [{ Key: 'ComplianceType', Values: ['Association'] }, { Key: 'ResourceId', Values: [good, bad] }] }));
    assert.deepEqual(left.ResourceComplianceSummaryItems!.map((s) => s.ResourceId), [good], 'a node left with no association has no Association compliance');
  });

  test('SyncCompliance MANUAL: runs write nothing and the user reports the association\'s compliance with a PARTIAL upload', async () => {
    const n = await node(true);
    const { AssociationDescription: manual } = await ssm().send(new CreateAssociationCommand({ Name: 'AWS-RunShellScript', Parameters: { commands: ['true'] }, Targets: [{ Key: 'InstanceIds', Values: [n] }], SyncCompliance: 'MANUAL' }));
    await finished(manual!.AssociationId!, 1);
    assert.deepEqual(await association(n), []);
    await ssm().send(
      new PutComplianceItemsCommand({
        ResourceId: n,
        ResourceType: 'ManagedInstance',
        ComplianceType: 'Association',
        ExecutionSummary: { ExecutionTime: new Date(clock.now()) },
        Items: [{ Id: manual!.AssociationId, Severity: 'MEDIUM', Status: 'NON_COMPLIANT' }],
        UploadType: 'PARTIAL',
      }),
    );
    assert.deepEqual((await association(n)).map((i) => [i.Id, i.Status, i.Severity]), [[manual!.AssociationId, 'NON_COMPLIANT', 'MEDIUM']]);
  });
});
