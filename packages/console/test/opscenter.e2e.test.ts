/**
 * The console's OpsCenter pages in Chromium against a real server: an automation that fails on a
 * node raises an OpsItem by itself; the list shows it beside items made through the API and
 * filters them by status, severity and source; the item's page shows its data, resource and
 * context, runs the suggested runbook (which the server links to the item, with the item's node
 * as its InstanceId) and resolves it. The SDK confirms what the pages show. Setup and the
 * per-test checks are ./harness.ts's.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateDocumentCommand, CreateOpsItemCommand, DescribeOpsItemsCommand, GetAutomationExecutionCommand, GetOpsItemCommand, ListOpsItemRelatedItemsCommand, SSMClient, StartAutomationExecutionCommand, UpdateOpsItemCommand } from '@aws-sdk/client-ssm';
import { jsonHeaders, rawCall } from '../../server/src/test-support/sign.js';
import { ConsoleHarness, until } from './harness.js';

const harness = new ConsoleHarness('opscenter');
let ssm: SSMClient;
const stamp = Date.now();
const NODE = 'mi-0e2e0000000000001';
const failing = `ops-e2e-fails-${stamp}`;
const fix = `ops-e2e-fix-${stamp}`;
let automationItem = '';
let severeItem = '';
let resolvedItem = '';

before(async () => {
  await harness.start(async (t) => {
    ssm = new SSMClient(t.clientConfig());
    const doc = (mainSteps: unknown[]) => JSON.stringify({ schemaVersion: '0.3', parameters: { InstanceId: { type: 'String' } }, mainSteps });
    await ssm.send(new CreateDocumentCommand({ Name: failing, DocumentType: 'Automation', DocumentFormat: 'JSON', Content: doc([{ name: 'Check', action: 'aws:executeAwsApi', inputs: { Service: 'ssm', Api: 'GetParameter', Name: '/ops-e2e/{{ InstanceId }}/missing' } }]) }));
    await ssm.send(new CreateDocumentCommand({ Name: fix, DocumentType: 'Automation', DocumentFormat: 'JSON', Content: doc([{ name: 'Settle', action: 'aws:sleep', inputs: { Duration: 'PT1S' } }]) }));
    // The operator's choice of runbook for failed automations, as CapstanUpdateOpsItemRule takes it.
    const tuned = await rawCall({ endpoint: t.endpoint, service: 'ssm', credentials: t.credentials, headers: jsonHeaders('AmazonSSM.CapstanUpdateOpsItemRule'), body: JSON.stringify({ Name: 'AutomationFailed', Runbooks: [fix] }) });
    assert.equal(tuned.status, 200, tuned.text);
    await ssm.send(new StartAutomationExecutionCommand({ DocumentName: failing, Parameters: { InstanceId: [NODE] } }));
    severeItem = (await ssm.send(new CreateOpsItemCommand({ Title: 'Checkout latency', Description: 'p99 above 2 s', Source: 'e2e-monitor', Severity: '1' }))).OpsItemId!;
    resolvedItem = (await ssm.send(new CreateOpsItemCommand({ Title: 'Old disk alert', Description: 'cleared', Source: 'e2e-monitor', Severity: '3' }))).OpsItemId!;
    await ssm.send(new UpdateOpsItemCommand({ OpsItemId: resolvedItem, Status: 'Resolved' }));
    automationItem = await until(
      'the OpsItem of the failed automation',
      async () => (await ssm.send(new DescribeOpsItemsCommand({ OpsItemFilters: [{ Key: 'Source', Values: ['Automation'], Operator: 'Equal' }, { Key: 'Title', Values: [failing], Operator: 'Contains' }] }))).OpsItemSummaries?.[0]?.OpsItemId,
      30_000,
    );
  });
});

after(async () => {
  ssm?.destroy();
  await harness.stop();
});

test('the list shows open OpsItems and filters them by status, severity and source', async (tc) => {
  await harness.browse(tc, async ({ page, shot }) => {
    await harness.signIn(page, 'opscenter');
    assert.equal(await page.getByTestId('nav-opscenter').getAttribute('aria-current'), 'page');
    const row = (id: string) => page.locator(`[data-testid="ops-row"][data-ops-item-id="${id}"]`);
    await row(automationItem).waitFor();
    await row(severeItem).waitFor();
    assert.equal(await row(resolvedItem).count(), 0, 'Open is the default');
    await shot('open');

    await page.getByTestId('ops-filter-severity').selectOption('1');
    await page.waitForURL(/severity=1/);
    await until('only severity 1', async () => (await page.getByTestId('ops-row').count()) === 1 && (await row(severeItem).count()) === 1);

    await page.getByTestId('ops-filter-severity').selectOption('');
    await page.getByTestId('ops-filter-source').fill('Automation');
    await page.getByTestId('ops-filter-source').press('Enter');
    await page.waitForURL(/source=Automation/);
    await until('only the automation item', async () => (await row(severeItem).count()) === 0 && (await row(automationItem).count()) === 1);

    await page.getByTestId('ops-filter-source').fill('');
    await page.getByTestId('ops-filter-source').press('Enter');
    await page.getByTestId('ops-filter-status').selectOption('Resolved');
    await until('only resolved items', async () => (await row(resolvedItem).count()) === 1 && (await row(automationItem).count()) === 0);
    assert.equal(await row(resolvedItem).getAttribute('data-status'), 'Resolved');
    await shot('resolved');
  });
});

test('an OpsItem\'s page shows its resource and context, runs the suggested runbook linked to it, and resolves it', async (tc) => {
  await harness.browse(tc, async ({ page, shot }) => {
    await harness.signIn(page, 'opscenter');
    await page.locator(`[data-testid="ops-row"][data-ops-item-id="${automationItem}"] [data-testid="ops-link"]`).click();
    await page.waitForURL(new RegExp(`/console/opscenter/items/${automationItem}$`));
    assert.equal(await page.getByTestId('ops-source').textContent(), 'Automation');
    assert.equal(await page.getByTestId('ops-status').textContent(), 'Open');
    const nodeArn = `arn:aws:ssm:us-east-1:${harness.t.accountId}:managed-instance/${NODE}`;
    assert.deepEqual(await page.getByTestId('ops-resource').allTextContents(), [nodeArn]);
    assert.equal(await page.locator(`[data-testid="ops-context-resource"][data-arn="${nodeArn}"]`).count(), 1, 'the context names the node');
    assert.equal(await page.locator('[data-testid="ops-related"]').count(), 1, 'the failed execution is related');
    assert.deepEqual(await page.getByTestId('ops-runbook').evaluateAll((els) => els.map((e) => e.getAttribute('data-runbook'))), [fix, failing]);
    assert.match((await page.locator('[data-testid="ops-data-row"][data-key="/aws/dedup"]').textContent()) ?? '', /dedupString/);
    await shot('item');

    await page.locator(`[data-testid="ops-runbook"][data-runbook="${fix}"] [data-testid="ops-runbook-run"]`).click();
    const link = page.getByTestId('ops-runbook-execution');
    await link.waitFor();
    const executionId = (await link.textContent())!.trim();
    const execution = (await ssm.send(new GetAutomationExecutionCommand({ AutomationExecutionId: executionId }))).AutomationExecution!;
    assert.equal(execution.DocumentName, fix);
    assert.deepEqual(execution.Parameters?.InstanceId, [NODE], 'the item\'s node went in as InstanceId');
    const related = (await ssm.send(new ListOpsItemRelatedItemsCommand({ OpsItemId: automationItem }))).Summaries!;
    assert.ok(related.some((r) => r.AssociationType === 'IsParentOf' && r.ResourceUri!.endsWith(`/${executionId}`)), 'the execution is linked to the OpsItem');
    await page.locator(`[data-testid="ops-automation"][data-execution-id="${executionId}"]`).waitFor();

    await page.getByTestId('ops-resolve').click();
    await until('the page shows Resolved', async () => (await page.getByTestId('ops-status').textContent()) === 'Resolved');
    assert.equal((await ssm.send(new GetOpsItemCommand({ OpsItemId: automationItem }))).OpsItem!.Status, 'Resolved');
    assert.equal(await page.getByTestId('ops-resolve').count(), 0, 'nothing left to resolve');
    await shot('resolved');
  });
});
