import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CreateGroupCommand, ResourceGroupsClient } from '@aws-sdk/client-resource-groups';
import { AddTagsToResourceCommand, RegisterTargetWithMaintenanceWindowCommand, RegisterTaskWithMaintenanceWindowCommand } from '@aws-sdk/client-ssm';
import { onEveryEngine } from '../test-support/engines.js';
import type { Engine } from '../test-support/server.js';
import { Harness, shellTask } from '../maintenance/test-support/harness.js';

onEveryEngine('Resource groups as maintenance window targets', (engine: Engine) => {
  // A Wednesday, 10:00 UTC.
  const h = new Harness(Date.UTC(2026, 10, 25, 10, 0, 0));
  before(() => h.start(engine));
  after(() => h.stop());

  test('a RESOURCE_GROUP window target runs its task on the group’s nodes as they are when the window opens', async () => {
    const rg = new ResourceGroupsClient({ ...h.t.clientConfig(), systemClockOffset: h.clock.now() - Date.now() });
    const web = [await h.node({ Role: 'web' }), await h.node({ Role: 'web' })];
    const db = await h.node({ Role: 'db' });
    const late = await h.node();
    await rg.send(new CreateGroupCommand({ Name: 'mw-web', ResourceQuery: { Type: 'TAG_FILTERS_1_0', Query: JSON.stringify({ ResourceTypeFilters: ['AWS::SSM::ManagedInstance'], TagFilters: [{ Key: 'Role', Values: ['web'] }] }) } }));
    const windowId = await h.window({ Name: 'noon', Schedule: 'cron(0 12 ? * * *)', Duration: 2, Cutoff: 1 });
    const { WindowTargetId } = await h.ssm().send(
      new RegisterTargetWithMaintenanceWindowCommand({ WindowId: windowId, ResourceType: 'RESOURCE_GROUP', Targets: [{ Key: 'resource-groups:Name', Values: ['mw-web'] }, { Key: 'resource-groups:ResourceTypeFilters', Values: ['AWS::EC2::Instance'] }] }),
    );
    await h.ssm().send(
      new RegisterTaskWithMaintenanceWindowCommand({ WindowId: windowId, Name: 'hello', TaskType: 'RUN_COMMAND', TaskArn: 'AWS-RunShellScript', Targets: [{ Key: 'WindowTargetIds', Values: [WindowTargetId!] }], MaxConcurrency: '10', MaxErrors: '0', TaskInvocationParameters: shellTask('hello') }),
    );
    // Tagged into the group after the target was registered: the group is resolved when the window runs.
    await h.ssm().send(new AddTagsToResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: late.instanceId, Tags: [{ Key: 'Role', Value: 'web' }] }));
    h.clock.set(Date.UTC(2026, 10, 25, 12, 0, 0));
    const [e] = await h.ended(windowId, 1);
    assert.equal(e!.Status, 'SUCCESS', e!.StatusDetails);
    const reached = h.received.map((r) => r.agent.instanceId).sort();
    assert.deepEqual(reached, [...web, late].map((a) => a.instanceId).sort());
    assert.ok(!reached.includes(db.instanceId));
  });
});
