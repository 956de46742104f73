import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  CreateAssociationCommand,
  CreateDocumentCommand,
  DeleteAssociationCommand,
  DescribeInstanceAssociationsStatusCommand,
  DescribeInstanceInformationCommand,
  DescribeInstancePropertiesCommand,
  SSMClient,
  type InstanceInformation,
} from '@aws-sdk/client-ssm';
import type { CommandPayload } from '@capstan/wire';
import { ManualClock } from '../scheduler/clock.js';
import { onEveryEngine } from '../test-support/engines.js';
import { startTestServer, type Engine, type TestServer } from '../test-support/server.js';
import { failedStep, okStep, type SimulatedAgent } from '../test-support/sim-agent.js';
import { settleScheduler, simulatedNode } from './test-support/fleet.js';

const FAILING = 'Capstan-Test-Failing';

onEveryEngine("A managed node's association status in DescribeInstanceInformation", (engine: Engine) => {
  let t: TestServer;
  let clock: ManualClock;
  const agents: SimulatedAgent[] = [];
  // The SDK signs with its own clock; keep it level with the server's, which the test moves.
  const ssm = () => new SSMClient({ ...t.clientConfig(), systemClockOffset: clock.now() - Date.now() });

  before(async () => {
    clock = new ManualClock(Date.UTC(2026, 10, 25, 10, 0, 0));
    t = await startTestServer({ engine, clock, schedulerPollMs: 20, agentPingMs: 30_000 });
  });
  after(async () => {
    for (const a of agents) await a.close();
    await t.stop();
  });

  /** A node that succeeds at everything but the failing document, whose runs it holds until told. */
  const held: { node: SimulatedAgent; commandId: string }[] = [];
  async function node(): Promise<SimulatedAgent> {
    const a = await simulatedNode(
      ssm(),
      t,
      `summary-${agents.length}`,
      (job) => {
        if ((job.payload as CommandPayload).documentName !== FAILING) return { status: 'Success', steps: [okStep('runShellScript', 'ok\n')] };
        held.push({ node: a, commandId: job.id });
        return 'hold';
      },
      { Fleet: 'summary' },
    );
    agents.push(a);
    return a;
  }

  const settle = <T>(probe: () => Promise<T | undefined | false>) => settleScheduler(t, clock, probe);

  const info = async (id: string): Promise<InstanceInformation> => (await ssm().send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [id] }] }))).InstanceInformationList![0]!;
  /** The test's nodes whose AssociationStatus is one of `values`. */
  const withStatus = async (...values: string[]) =>
    ((await ssm().send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'AssociationStatus', Values: values }] }))).InstanceInformationList ?? []).map((n) => n.InstanceId!).sort();
  const withDocument = async (name: string) =>
    ((await ssm().send(new DescribeInstancePropertiesCommand({ FiltersWithOperator: [{ Key: 'DocumentName', Operator: 'Equal', Values: [name] }] }))).InstanceProperties ?? []).map((n) => n.InstanceId!).sort();
  const when = (d: Date | undefined) => d?.getTime();

  test('success, then a failing association on one node, then that association deleted', async () => {
    const [x, y] = [await node(), await node()];
    const both = [x.instanceId, y.instanceId].sort();
    const before = await info(x.instanceId);
    assert.deepEqual([before.AssociationStatus, before.AssociationOverview, before.LastAssociationExecutionDate], [undefined, undefined, undefined], 'no association has run on a new node');
    assert.deepEqual(await withStatus('Success', 'Pending', 'Failed'), []);

    // An association on both nodes that succeeds.
    await ssm().send(new CreateAssociationCommand({ Name: 'AWS-RunShellScript', Parameters: { commands: ['echo ok'] }, Targets: [{ Key: 'tag:Fleet', Values: ['summary'] }], AssociationName: 'summary-ok' }));
    const ok = await settle(async () => {
      const n = await info(x.instanceId);
      return n.AssociationStatus === 'Success' && n;
    });
    assert.deepEqual(ok.AssociationOverview, { DetailedStatus: 'Success', InstanceAssociationStatusAggregatedCount: { Success: 1 } });
    assert.ok(ok.LastAssociationExecutionDate instanceof Date);
    assert.equal(when(ok.LastSuccessfulAssociationExecutionDate), when(ok.LastAssociationExecutionDate), 'every association succeeded at its last run');
    await settle(async () => (await info(y.instanceId)).AssociationStatus === 'Success');
    assert.deepEqual(await withStatus('Success'), both);
    assert.deepEqual(await withStatus('Failed', 'Pending'), []);
    assert.deepEqual(await withDocument('AWS-RunShellScript'), both);

    // A second association, on x only, runs a document that x fails: Pending while it runs, then Failed.
    await ssm().send(
      new CreateDocumentCommand({
        Name: FAILING,
        DocumentType: 'Command',
        Content: JSON.stringify({ schemaVersion: '2.2', description: 'Fails.', mainSteps: [{ action: 'aws:runShellScript', name: 'fail', inputs: { runCommand: ['exit 3'] } }] }),
      }),
    );
    const { AssociationDescription: failing } = await ssm().send(new CreateAssociationCommand({ Name: FAILING, Targets: [{ Key: 'InstanceIds', Values: [x.instanceId] }], AssociationName: 'summary-failing' }));
    const running = await settle(async () => {
      const n = await info(x.instanceId);
      return held.length > 0 && n.AssociationStatus === 'Pending' && n;
    });
    assert.equal(running.AssociationOverview?.DetailedStatus, 'InProgress');
    const counts = running.AssociationOverview?.InstanceAssociationStatusAggregatedCount ?? {};
    assert.equal(counts.Success, 1);
    assert.equal((counts.Pending ?? 0) + (counts.InProgress ?? 0), 1, JSON.stringify(counts));
    assert.deepEqual(await withStatus('Pending'), [x.instanceId]);
    assert.deepEqual(await withStatus('Success'), [y.instanceId]);

    clock.advance(60_000);
    held[0]!.node.finish(held[0]!.commandId, 'Failed', [failedStep('fail', 3)]);
    const failed = await settle(async () => {
      const n = await info(x.instanceId);
      return n.AssociationStatus === 'Failed' && n;
    });
    assert.deepEqual(failed.AssociationOverview, { DetailedStatus: 'Failed', InstanceAssociationStatusAggregatedCount: { Failed: 1, Success: 1 } });
    assert.ok(when(failed.LastAssociationExecutionDate)! > when(ok.LastAssociationExecutionDate)!, 'the failed run is the latest');
    assert.equal(when(failed.LastSuccessfulAssociationExecutionDate), when(ok.LastSuccessfulAssociationExecutionDate), 'not every association succeeded since');
    // What DescribeInstanceInformation aggregates is what DescribeInstanceAssociationsStatus lists.
    const statuses = (await ssm().send(new DescribeInstanceAssociationsStatusCommand({ InstanceId: x.instanceId }))).InstanceAssociationStatusInfos!;
    assert.deepEqual(statuses.map((s) => s.Status).sort(), ['Failed', 'Success']);
    assert.deepEqual(await withStatus('Failed'), [x.instanceId]);
    assert.deepEqual(await withStatus('Success'), [y.instanceId]);
    assert.deepEqual(await withStatus('Success', 'Failed'), both);
    assert.deepEqual(
      ((await ssm().send(new DescribeInstanceInformationCommand({ InstanceInformationFilterList: [{ key: 'AssociationStatus', valueSet: ['Failed'] }] }))).InstanceInformationList ?? []).map((n) => n.InstanceId),
      [x.instanceId],
      'the legacy filter list too',
    );
    const props = (await ssm().send(new DescribeInstancePropertiesCommand({ FiltersWithOperator: [{ Key: 'AssociationStatus', Operator: 'NotEqual', Values: ['Failed'] }] }))).InstanceProperties!;
    assert.deepEqual(props.map((p) => p.InstanceId), [y.instanceId]);
    assert.equal(props[0]!.AssociationStatus, 'Success');
    assert.deepEqual(await withDocument(FAILING), [x.instanceId]);

    // Deleting the failing association leaves x with the one that succeeded, in the same transaction.
    await ssm().send(new DeleteAssociationCommand({ AssociationId: failing!.AssociationId! }));
    const after = await info(x.instanceId);
    assert.equal(after.AssociationStatus, 'Success');
    assert.deepEqual(after.AssociationOverview, { DetailedStatus: 'Success', InstanceAssociationStatusAggregatedCount: { Success: 1 } });
    assert.equal(when(after.LastAssociationExecutionDate), when(failed.LastAssociationExecutionDate), 'the failed run did happen');
    assert.deepEqual(await withStatus('Failed'), []);
    assert.deepEqual(await withStatus('Success'), both);
    assert.deepEqual(await withDocument(FAILING), []);
    assert.deepEqual(await withDocument('AWS-RunShellScript'), both);
  });
});
