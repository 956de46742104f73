import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import {
  CreateDocumentCommand,
  CreateOpsItemCommand,
  DescribeAutomationExecutionsCommand,
  DescribeOpsItemsCommand,
  GetOpsItemCommand,
  RegisterTaskWithMaintenanceWindowCommand,
  UpdateOpsItemCommand,
  type OpsItemStatus,
} from '@aws-sdk/client-ssm';
import { stringify } from 'yaml';
import { Harness, shellTask } from '../maintenance/test-support/harness.js';
import { onEveryEngine } from '../test-support/engines.js';
import type { Engine } from '../test-support/server.js';
import { jsonHeaders, rawCall } from '../test-support/sign.js';

const TASK_EVENT = 'Maintenance Window Task Execution State-change Notification';

onEveryEngine('OpsCenter: maintenance task failures, OpsItem events and runbooks started from OpsItems', (engine: Engine) => {
  const h = new Harness(Date.UTC(2026, 10, 25, 10, 0, 0));
  let hooks: Server;
  let url = '';
  before(async () => {
    await h.start(engine);
    hooks = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.statusCode = req.url?.startsWith('/broken') ? 500 : 200;
        res.end('{}');
      });
    });
    await new Promise<void>((r) => hooks.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}`;
  });
  after(async () => {
    await h.stop();
    await new Promise((r) => hooks.close(r));
  });

  const account = () => h.t.accountId;
  const capstan = async (target: string, body: Record<string, unknown>) => {
    const res = await rawCall({ endpoint: h.t.endpoint, service: 'ssm', credentials: h.t.credentials, headers: jsonHeaders(target), body: JSON.stringify(body), signingDate: new Date(h.clock.now()) });
    return { status: res.status, body: res.json() };
  };
  const events = (detailType: string) => h.t.server.core.events.list({ accountId: account(), region: 'us-east-1', detailType });
  const bySource = async (source: string) => (await h.ssm().send(new DescribeOpsItemsCommand({ OpsItemFilters: [{ Key: 'Source', Values: [source], Operator: 'Equal' }] }))).OpsItemSummaries!;

  test('a failed maintenance window task of any type publishes its state-change event and raises one OpsItem per task; the rule can be turned off', async () => {
    const node = await h.node();
    h.failPattern = /task:fails/;
    const windowId = await h.window({ Name: 'ops-failing', Schedule: 'cron(0 3 ? * SUN *)', AllowUnassociatedTargets: true });
    const hook = (await h.ssm().send(new RegisterTaskWithMaintenanceWindowCommand({ WindowId: windowId, TaskType: 'LAMBDA', TaskArn: `${url}/broken`, Priority: 1 }))).WindowTaskId!;
    const command = (
      await h.ssm().send(
        new RegisterTaskWithMaintenanceWindowCommand({ WindowId: windowId, TaskType: 'RUN_COMMAND', TaskArn: 'AWS-RunShellScript', Priority: 2, Targets: [{ Key: 'InstanceIds', Values: [node.instanceId] }], MaxConcurrency: '1', MaxErrors: '1', TaskInvocationParameters: shellTask('fails') }),
      )
    ).WindowTaskId!;
    await h.ssm().send(new RegisterTaskWithMaintenanceWindowCommand({ WindowId: windowId, TaskType: 'LAMBDA', TaskArn: `${url}/fine`, Priority: 3 }));
    h.clock.set(Date.UTC(2026, 10, 29, 3, 0, 0));
    const [e] = await h.ended(windowId, 1);
    const tasks = await h.tasks(e!.WindowExecutionId!);
    assert.deepEqual(tasks.map((t) => [t.TaskType, t.Status]), [['LAMBDA', 'FAILED'], ['RUN_COMMAND', 'FAILED'], ['LAMBDA', 'SUCCESS']]);

    const published = (await events(TASK_EVENT)).filter((x) => x.detail['window-execution-id'] === e!.WindowExecutionId);
    assert.deepEqual(published.map((x) => [x.detail['task-type'], x.detail.status]).sort(), [['LAMBDA', 'FAILED'], ['LAMBDA', 'SUCCESS'], ['RUN_COMMAND', 'FAILED']], 'one event per task execution, each when it ended');
    const failedHook = published.find((x) => x.detail['window-task-id'] === hook)!;
    assert.equal(failedHook.source, 'aws.ssm');
    assert.deepEqual(failedHook.resources, [`arn:aws:ssm:us-east-1:${account()}:maintenancewindow/${windowId}`]);
    assert.equal(failedHook.detail['window-id'], windowId);
    assert.equal(failedHook.detail['task-execution-id'], tasks[0]!.TaskExecutionId);
    assert.match(String(failedHook.detail['end-time']), /^\d{4}-\d\d-\d\dT/);

    const items = await h.settle(async () => {
      const found = await bySource('Maintenance Window');
      return found.length === 2 && found;
    });
    const full = await Promise.all(items.map(async (s) => (await h.ssm().send(new GetOpsItemCommand({ OpsItemId: s.OpsItemId }))).OpsItem!));
    const forCommand = full.find((i) => i.OperationalData?.windowTaskId?.Value === command)!;
    assert.match(forCommand.Title!, new RegExp(`Maintenance window ${windowId}: RUN_COMMAND task AWS-RunShellScript failed`));
    assert.match(forCommand.Description!, /0 of 1 invocations succeeded, 1 failed/);
    assert.deepEqual(JSON.parse(forCommand.OperationalData!['/aws/resources']!.Value!), [{ arn: `arn:aws:ssm:us-east-1:${account()}:maintenancewindow/${windowId}` }]);
    assert.match(forCommand.CreatedBy!, /:opscenter-rule\/MaintenanceWindowTaskFailed$/);
    assert.ok(full.some((i) => i.OperationalData?.windowTaskId?.Value === hook && /LAMBDA task .*\/broken failed/.test(i.Title!)));

    const off = await capstan('AmazonSSM.CapstanUpdateOpsItemRule', { Name: 'MaintenanceWindowTaskFailed', Enabled: false });
    assert.equal(off.status, 200, JSON.stringify(off.body));
    try {
      h.clock.set(Date.UTC(2026, 11, 6, 3, 0, 0));
      await h.ended(windowId, 2);
      await h.quiet();
      const after = await bySource('Maintenance Window');
      assert.equal(after.length, 2, 'a disabled rule raises nothing');
      for (const i of after) assert.equal((await h.ssm().send(new GetOpsItemCommand({ OpsItemId: i.OpsItemId }))).OpsItem!.OperationalData?.['/aws/dedup'] !== undefined, true);
    } finally {
      await capstan('AmazonSSM.CapstanUpdateOpsItemRule', { Name: 'MaintenanceWindowTaskFailed', Enabled: true });
      h.failPattern = undefined;
    }
  });

  test('creating and changing an OpsItem publishes OpsItem Create and OpsItem Update events', async () => {
    const { OpsItemId } = await h.ssm().send(new CreateOpsItemCommand({ Title: 'Disk full on db-1', Description: 'The data volume is full.', Source: 'monitoring', Severity: '1', Priority: 1, Category: 'Availability' }));
    const [created] = (await events('OpsItem Create')).filter((x) => x.detail['ops-item-id'] === OpsItemId);
    assert.ok(created, 'an OpsItem Create event');
    assert.equal(created.source, 'aws.ssm');
    assert.deepEqual(created.resources, [`arn:aws:ssm:us-east-1:${account()}:opsitem/${OpsItemId}`]);
    assert.deepEqual(
      { severity: created.detail.severity, priority: created.detail.priority, status: created.detail.status, title: created.detail.title, source: created.detail.source },
      { severity: '1', priority: 1, status: 'Open', title: 'Disk full on db-1', source: 'monitoring' },
    );
    await h.ssm().send(new UpdateOpsItemCommand({ OpsItemId, Status: 'InProgress', Severity: '2' }));
    const [updated] = (await events('OpsItem Update')).filter((x) => x.detail['ops-item-id'] === OpsItemId);
    assert.equal(updated!.detail.status, 'InProgress');
    assert.equal(updated!.detail.severity, '2');
    assert.deepEqual([...(updated!.detail['changed-fields'] as string[])].sort(), ['Severity', 'Status']);

    const bad = h.ssm().send(new UpdateOpsItemCommand({ OpsItemId, Status: 'Finished' as OpsItemStatus }));
    await assert.rejects(bad, (err: Error) => err.name === 'OpsItemInvalidParameterException');
    assert.equal((await events('OpsItem Update')).filter((x) => x.detail['ops-item-id'] === OpsItemId).length, 1, 'a refused update publishes nothing');
  });

  test('DescribeAutomationExecutions with OpsItemId finds the runbooks started from that OpsItem', async () => {
    await h.ssm().send(
      new CreateDocumentCommand({ Name: 'Ops-Note', DocumentType: 'Automation', DocumentFormat: 'YAML', Content: stringify({ schemaVersion: '0.3', mainSteps: [{ name: 'wait', action: 'aws:sleep', inputs: { Duration: 'PT0S' } }] }) }),
    );
    const { OpsItemId: first } = await h.ssm().send(new CreateOpsItemCommand({ Title: 'first', Description: 'first', Source: 'tests' }));
    const { OpsItemId: second } = await h.ssm().send(new CreateOpsItemCommand({ Title: 'second', Description: 'second', Source: 'tests' }));
    const start = async (id: string) => {
      const res = await capstan('AmazonSSM.CapstanStartOpsItemRunbook', { OpsItemId: id, DocumentName: 'Ops-Note' });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.AutomationExecutionId as string;
    };
    const a = await start(first!);
    const b = await start(first!);
    const c = await start(second!);
    const found = async (ids: string[]) =>
      (await h.ssm().send(new DescribeAutomationExecutionsCommand({ Filters: [{ Key: 'OpsItemId', Values: ids }] }))).AutomationExecutionMetadataList!.map((x) => x.AutomationExecutionId).sort();
    assert.deepEqual(await found([first!]), [a, b].sort());
    assert.deepEqual(await found([second!]), [c]);
    assert.deepEqual(await found([first!, second!]), [a, b, c].sort());
    assert.deepEqual(await found(['oi-000000000000']), []);
    const both = await h.ssm().send(new DescribeAutomationExecutionsCommand({ Filters: [{ Key: 'OpsItemId', Values: [first!] }, { Key: 'ExecutionId', Values: [a] }] }));
    assert.deepEqual(both.AutomationExecutionMetadataList!.map((x) => x.AutomationExecutionId), [a], 'combines with the other filters');
  });
});
