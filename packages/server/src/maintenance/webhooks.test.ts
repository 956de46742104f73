import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { CreateApiDestinationCommand, CreateConnectionCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetMaintenanceWindowTaskCommand, RegisterTaskWithMaintenanceWindowCommand } from '@aws-sdk/client-ssm';
import { Harness } from './test-support/harness.js';

const h = new Harness(Date.UTC(2026, 10, 25, 10, 0, 0));
const requests: { path: string; headers: IncomingHttpHeaders; body: string }[] = [];
let hooks: Server;
let url = '';

before(async () => {
  await h.start();
  hooks = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      requests.push({ path: req.url ?? '', headers: req.headers, body });
      res.statusCode = req.url?.startsWith('/broken') ? 503 : 200;
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

test('LAMBDA and STEP_FUNCTIONS tasks are webhooks: a URL, or an API destination whose connection signs the request', async () => {
  const node = await h.node();
  const eb = new EventBridgeClient({ ...h.t.clientConfig(), systemClockOffset: h.clock.now() - Date.now() });
  const conn = await eb.send(new CreateConnectionCommand({ Name: 'mw-hook', AuthorizationType: 'API_KEY', AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'X-Api-Key', ApiKeyValue: 'key-123' } } }));
  const destination = (await eb.send(new CreateApiDestinationCommand({ Name: 'mw-workflow', ConnectionArn: conn.ConnectionArn!, InvocationEndpoint: `${url}/workflow`, HttpMethod: 'PUT' }))).ApiDestinationArn!;

  const windowId = await h.window({ Name: 'hooks', Schedule: 'cron(0 3 ? * SUN *)', AllowUnassociatedTargets: true });
  const lambda = (
    await h.ssm().send(
      new RegisterTaskWithMaintenanceWindowCommand({
        WindowId: windowId,
        TaskType: 'LAMBDA',
        TaskArn: `${url}/lambda`,
        Priority: 1,
        TaskInvocationParameters: { Lambda: { Payload: new TextEncoder().encode('{"window":"{{WINDOW_ID}}","execution":"{{WINDOW_EXECUTION_ID}}"}'), Qualifier: 'live' } },
      }),
    )
  ).WindowTaskId!;
  await h.ssm().send(
    new RegisterTaskWithMaintenanceWindowCommand({
      WindowId: windowId,
      TaskType: 'STEP_FUNCTIONS',
      TaskArn: destination,
      Priority: 2,
      Targets: [{ Key: 'InstanceIds', Values: [node.instanceId] }],
      MaxConcurrency: '1',
      MaxErrors: '0',
      TaskInvocationParameters: { StepFunctions: { Input: '{"node":"{{RESOURCE_ID}}"}', Name: 'patch-{{RESOURCE_ID}}' } },
    }),
  );
  await h.ssm().send(new RegisterTaskWithMaintenanceWindowCommand({ WindowId: windowId, TaskType: 'LAMBDA', TaskArn: `${url}/broken`, Priority: 3 }));
  const stored = await h.ssm().send(new GetMaintenanceWindowTaskCommand({ WindowId: windowId, WindowTaskId: lambda }));
  assert.equal(new TextDecoder().decode(stored.TaskInvocationParameters!.Lambda!.Payload), '{"window":"{{WINDOW_ID}}","execution":"{{WINDOW_EXECUTION_ID}}"}');
  assert.equal(stored.MaxConcurrency, '1', 'a task without targets gets the placeholder 1');

  h.clock.set(Date.UTC(2026, 10, 29, 3, 0, 0));
  const [e] = await h.ended(windowId, 1);
  assert.equal(e!.Status, 'FAILED', 'the broken hook failed the execution');
  const tasks = await h.tasks(e!.WindowExecutionId!);
  assert.deepEqual(tasks.map((t) => [t.TaskType, t.Status]), [['LAMBDA', 'SUCCESS'], ['STEP_FUNCTIONS', 'SUCCESS'], ['LAMBDA', 'FAILED']]);

  const l = requests.find((r) => r.path === '/lambda')!;
  assert.deepEqual(JSON.parse(l.body), { window: windowId, execution: e!.WindowExecutionId });
  assert.equal(l.headers['x-capstan-window-execution-id'], e!.WindowExecutionId);
  assert.equal(l.headers['x-capstan-qualifier'], 'live');
  assert.equal(l.headers['x-capstan-invocation-id'], (await h.invocations(e!.WindowExecutionId!, tasks[0]!.TaskExecutionId!))[0]!.InvocationId);

  const w = requests.find((r) => r.path === '/workflow')!;
  assert.deepEqual(JSON.parse(w.body), { node: node.instanceId });
  assert.equal(w.headers['x-api-key'], 'key-123', 'the connection authenticates the request');
  assert.equal(w.headers['x-capstan-execution-name'], `patch-${node.instanceId}`);
  assert.equal(w.headers['x-capstan-resource-id'], node.instanceId);

  assert.equal(requests.filter((r) => r.path === '/broken').length, 3, 'a 503 is tried three times');
  const [broken] = await h.invocations(e!.WindowExecutionId!, tasks[2]!.TaskExecutionId!);
  assert.equal(broken!.Status, 'FAILED');
  assert.match(broken!.StatusDetails!, /HTTP 503/);
});

test('a Lambda function or Step Functions state machine ARN is refused: Capstan has neither service', async () => {
  const windowId = await h.window({ Name: 'arns', Schedule: 'rate(1 day)' });
  await assert.rejects(
    h.ssm().send(new RegisterTaskWithMaintenanceWindowCommand({ WindowId: windowId, TaskType: 'LAMBDA', TaskArn: 'arn:aws:lambda:us-east-1:111122223333:function:patch' })),
    (e: Error) => e.name === 'FeatureNotAvailableException' && /webhook/.test(e.message),
  );
  await assert.rejects(
    h.ssm().send(new RegisterTaskWithMaintenanceWindowCommand({ WindowId: windowId, TaskType: 'STEP_FUNCTIONS', TaskArn: 'arn:aws:states:us-east-1:111122223333:stateMachine:patch' })),
    (e: Error) => e.name === 'FeatureNotAvailableException',
  );
  await assert.rejects(h.ssm().send(new RegisterTaskWithMaintenanceWindowCommand({ WindowId: windowId, TaskType: 'LAMBDA', TaskArn: 'ftp://example.com/x' })), (e: Error) => e.name === 'ValidationException' && /TaskArn/.test(e.message));
  await assert.rejects(
    h.ssm().send(new RegisterTaskWithMaintenanceWindowCommand({ WindowId: windowId, TaskType: 'STEP_FUNCTIONS', TaskArn: 'arn:aws:events:us-east-1:111122223333:api-destination/nope/00000000-0000-0000-0000-000000000000' })),
    (e: Error) => e.name === 'ValidationException' && /does not exist/.test(e.message),
  );
});
