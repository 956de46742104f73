/**
 * The console's State Manager pages in Chromium against a real server and a real agent: an
 * association made on the Create page runs AWS-RunShellScript on the agent's node at once, its
 * page follows the run to Success node by node, Run now runs it again, and Delete removes it;
 * one made to run only at its cron times waits until the list's Run now starts it. The SDK
 * confirms what the pages show. Setup and the per-test checks are ./harness.ts's.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateAssociationCommand, DescribeAssociationCommand, DescribeAssociationExecutionsCommand, DescribeAssociationExecutionTargetsCommand, GetCommandInvocationCommand, SSMClient,
} from '@aws-sdk/client-ssm';
import { ConsoleHarness, refusedCall, until as waitFor, type RealAgent } from './harness.js';

const harness = new ConsoleHarness('associations');
let ssm: SSMClient;
let agent: RealAgent;

/** Waits for `probe`; a timeout shows what the agent printed last. */
const until = <T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, ms = 60_000) => waitFor(what, probe, ms, () => `agent:\n${agent?.output().slice(-2000) ?? ''}`);

before(async () => {
  await harness.start(async (t) => {
    ssm = new SSMClient(t.clientConfig());
    agent = await harness.startAgent();
  });
});

after(async () => {
  ssm?.destroy();
  await harness.stop();
});

const executions = async (id: string) => (await ssm.send(new DescribeAssociationExecutionsCommand({ AssociationId: id }))).AssociationExecutions ?? [];

test('an association made on the Create page runs on the real node at once; its page shows Success per node, Run now runs it again, Delete removes it', async (tc) => {
  const marker = `state-manager-${Math.floor(Math.random() * 1e9)}`;
  const name = `console-e2e-${Date.now()}`;
  const node = agent.instanceId;
  let id = '';
  await harness.browse(
    tc,
    async ({ page, shot }) => {
      await harness.signIn(page, 'state-manager');
      await page.getByTestId('nav-state-manager').waitFor();
      assert.equal(await page.getByTestId('nav-state-manager').getAttribute('aria-current'), 'page');
      await page.getByTestId('assoc-create').click();
      await page.waitForURL(/\/console\/state-manager\/create$/);

      // A Command document, and the form built from its parameters.
      await page.getByTestId('assoc-document').selectOption('AWS-RunShellScript');
      await page.getByTestId('assoc-param-commands').fill(`echo ${marker}`);
      await page.getByTestId('assoc-target-mode-ids').check();
      await page.getByTestId('assoc-target-search').fill(node.slice(-8));
      await page.getByTestId(`assoc-target-node-${node}`).check();
      assert.match((await page.getByTestId('assoc-target-chosen').textContent())!, new RegExp(node));
      await page.getByTestId('assoc-name').fill(name);

      // The server judges the schedule; its refusal sits by the field.
      await page.getByTestId('assoc-schedule').fill('rate(2 fortnights)');
      await page.getByTestId('assoc-submit').click();
      await page.getByTestId('assoc-error').waitFor();
      assert.equal(await page.getByTestId('assoc-error-code').textContent(), 'InvalidSchedule');
      assert.equal(await page.getByTestId('assoc-schedule').getAttribute('aria-invalid'), 'true');
      await shot('invalid-schedule');
      // An example fills the field and clears the refusal there.
      await page.getByTestId('assoc-schedule-example-0').click();
      assert.equal(await page.getByTestId('assoc-schedule').inputValue(), 'rate(30 minutes)');
      assert.equal(await page.getByTestId('assoc-schedule').getAttribute('aria-invalid'), null);
      await shot('create');
      await page.getByTestId('assoc-submit').click();

      await page.waitForURL(/\/console\/state-manager\/associations\/[0-9a-f-]{36}$/);
      id = page.url().split('/').pop()!;
      assert.match((await page.getByTestId('assoc-info').textContent())!, new RegExp(name));
      assert.equal(await page.getByTestId('assoc-detail-schedule').textContent(), 'rate(30 minutes)');
      assert.equal(await page.getByTestId('assoc-detail-targets').textContent(), node);
      assert.ok(((await page.locator('[data-testid="assoc-parameters"] [data-key="commands"]').textContent()) ?? '').includes(marker));

      // It runs at once: the page follows it to Success on the node.
      await page.locator(`[data-testid="assoc-node-row"][data-resource-id="${node}"][data-status="Success"]`).waitFor({ timeout: 60_000 });
      await page.locator('[data-testid="assoc-status"]', { hasText: /^Success$/ }).waitFor();
      await page.getByTestId('assoc-done').waitFor();
      assert.equal(await page.locator('[data-testid="assoc-execution-row"][data-status="Success"]').count(), 1);
      assert.match((await page.getByTestId('assoc-counts').textContent())!, /Success 1/);
      const output = page.locator(`[data-testid="assoc-node-row"][data-resource-id="${node}"] [data-testid="assoc-target-output"]`);
      const commandId = (await output.textContent())!;
      const invocation = await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: node }));
      assert.equal(invocation.Status, 'Success');
      assert.ok(invocation.StandardOutputContent?.includes(marker), `the script ran on the node: ${invocation.StandardOutputContent}`);
      assert.equal(await page.locator('[data-testid="assoc-version-row"][data-version="1"]').count(), 1, 'version 1 is listed');
      await shot('first-run');

      // The list shows it with its status per node, and finds it by name.
      await page.getByTestId('nav-state-manager').click();
      const row = page.locator(`[data-testid="assoc-row"][data-association-id="${id}"]`);
      await row.waitFor();
      assert.equal(await row.getAttribute('data-status'), 'Success');
      assert.equal(await row.getByTestId('assoc-targets-summary').textContent(), node);
      assert.match((await row.getByTestId('assoc-counts').textContent())!, /^Success 1$/);
      assert.match((await row.textContent())!, /AWS-RunShellScript/);
      assert.match((await row.textContent())!, /rate\(30 minutes\)/);
      await page.getByTestId('assoc-filter-name').fill(name);
      await page.getByTestId('assoc-filter-apply').click();
      await page.waitForURL(/name=console-e2e-/);
      await until('only this association listed', async () => {
        const ids = await page.getByTestId('assoc-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-association-id')));
        return ids.length === 1 && ids[0] === id;
      });
      await shot('list');

      // Run now: a second execution appears and succeeds.
      await row.getByTestId('assoc-link').click();
      await page.waitForURL(new RegExp(`/state-manager/associations/${id}$`));
      await page.getByTestId('assoc-execution-row').first().waitFor();
      await page.getByTestId('assoc-run-now').click();
      await page.getByTestId('assoc-run-now-sent').waitFor();
      await until('two executions, both Success', async () => (await page.locator('[data-testid="assoc-execution-row"][data-status="Success"]').count()) === 2);
      await page.locator(`[data-testid="assoc-node-row"][data-resource-id="${node}"][data-status="Success"]`).waitFor();
      const rows = await page.getByTestId('assoc-execution-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-execution-id')));
      const sdk = await executions(id);
      assert.equal(sdk.length, 2, 'DescribeAssociationExecutions has two executions');
      assert.ok(sdk.every((e) => e.Status === 'Success'), JSON.stringify(sdk));
      const newest = [...sdk].sort((a, b) => b.CreatedTime!.getTime() - a.CreatedTime!.getTime());
      assert.deepEqual(rows, newest.map((e) => e.ExecutionId), 'the history is newest first');

      // The first execution's own targets.
      await page.locator(`[data-testid="assoc-execution-row"][data-execution-id="${rows[1]}"] [data-testid="assoc-execution-select"]`).click();
      const targets = page.locator(`[data-testid="assoc-exec-targets"][data-execution-id="${rows[1]}"]`);
      await targets.locator(`[data-testid="assoc-target-row"][data-resource-id="${node}"][data-status="Success"]`).waitFor();
      const sdkTargets = (await ssm.send(new DescribeAssociationExecutionTargetsCommand({ AssociationId: id, ExecutionId: rows[1]! }))).AssociationExecutionTargets ?? [];
      assert.equal(await targets.locator('[data-testid="assoc-target-output"]').textContent(), sdkTargets[0]?.OutputSource?.OutputSourceId);
      await shot('run-now');

      // The node's page lists the association.
      await page.locator(`[data-testid="assoc-node-row"][data-resource-id="${node}"] [data-testid="assoc-node-link"]`).click();
      await page.waitForURL(new RegExp(`/console/nodes/${node}$`));
      const onNode = page.locator(`[data-testid="node-association-row"][data-association-id="${id}"]`);
      await onNode.waitFor();
      assert.equal(await onNode.getAttribute('data-status'), 'Success');
      assert.match((await onNode.textContent())!, new RegExp(name));
      await shot('node');

      // Delete asks first, then the association is gone.
      await onNode.getByRole('link', { name }).click();
      await page.waitForURL(new RegExp(`/state-manager/associations/${id}$`));
      await page.getByTestId('assoc-delete').click();
      await page.getByTestId('assoc-delete-confirm').click();
      await page.waitForURL(/\/console\/state-manager$/);
      await page.locator('[data-testid="assoc-table"], .empty').first().waitFor();
      assert.equal(await page.locator(`[data-testid="assoc-row"][data-association-id="${id}"]`).count(), 0);
    },
    { refusals: [refusedCall('CreateAssociation')] },
  );
  const gone = await ssm.send(new DescribeAssociationCommand({ AssociationId: id })).then(
    () => undefined,
    (e: Error) => e.name,
  );
  assert.equal(gone, 'AssociationDoesNotExist');
});

test('an association that runs only at its cron times waits; Run now in the list starts it and the row turns Success', async (tc) => {
  const node = agent.instanceId;
  const name = `console-e2e-cron-${Date.now()}`;
  const created = await ssm.send(
    new CreateAssociationCommand({
      Name: 'AWS-RunShellScript',
      AssociationName: name,
      Parameters: { commands: ['echo cron-only'] },
      Targets: [{ Key: 'InstanceIds', Values: [node] }],
      ScheduleExpression: 'cron(0 3 ? * SUN *)',
      ApplyOnlyAtCronInterval: true,
    }),
  );
  const id = created.AssociationDescription!.AssociationId!;
  await harness.browse(tc, async ({ page, shot }) => {
    await harness.signIn(page, `state-manager?name=${name}`);
    const row = page.locator(`[data-testid="assoc-row"][data-association-id="${id}"]`);
    await row.waitFor();
    assert.notEqual(await row.getAttribute('data-status'), 'Success', 'it has not run');
    assert.equal((await executions(id)).length, 0);
    await shot('waiting');

    await row.getByTestId('assoc-run').click();
    await row.getByTestId('assoc-run-sent').waitFor();
    await until('the row Success', async () => (await row.getAttribute('data-status')) === 'Success');
    assert.match((await row.getByTestId('assoc-counts').textContent())!, /^Success 1$/);
    await shot('ran');

    await row.getByTestId('assoc-link').click();
    await page.getByTestId('assoc-detail-apply-only-at-cron').waitFor();
    assert.equal(await page.getByTestId('assoc-detail-apply-only-at-cron').textContent(), 'Only at the scheduled times');
    await page.locator(`[data-testid="assoc-node-row"][data-resource-id="${node}"][data-status="Success"]`).waitFor();
  });
  const ran = await executions(id);
  assert.equal(ran.length, 1);
  assert.equal(ran[0]!.Status, 'Success');
});
