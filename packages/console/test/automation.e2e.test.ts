/**
 * The console's Automation pages in Chromium against a real server: a runbook whose first step
 * waits for the signed-in user's approval is started from the Start page, approved (or rejected)
 * on the execution page, and followed to its end, with the SDK confirming what the page shows.
 * Setup and the per-test checks (no console errors, no undeclared refusals) are ./harness.ts's.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateDocumentCommand, GetAutomationExecutionCommand, SendAutomationSignalCommand, SSMClient, StartAutomationExecutionCommand, type AutomationExecution } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { ConsoleHarness, refusedCall, until } from './harness.js';

const harness = new ConsoleHarness('automation');
let ssm: SSMClient;
/** The admin the console signs in as; the runbook names it as its approver. */
let approver = '';
let runbook = '';
/** Its approver is somebody else: the console user's signals are refused. */
let othersRunbook = '';
/** A pause, then a sleep: for Interactive mode and Resume. */
let pauseRunbook = '';

before(async () => {
  await harness.start(async (t) => {
    ssm = new SSMClient(t.clientConfig());
    const sts = new STSClient(t.clientConfig());
    approver = (await sts.send(new GetCallerIdentityCommand({}))).Arn!;
    sts.destroy();
    runbook = `console-e2e-approval-${Date.now()}`;
    const content = {
      schemaVersion: '0.3',
      description: 'Waits for the console user to approve, then settles for a second.',
      parameters: {
        Change: { type: 'String', description: '(Required) What is being approved.' },
        Settle: { type: 'String', description: '(Optional) How long to wait after approval.', default: 'PT1S', allowedValues: ['PT1S', 'PT2S'] },
      },
      mainSteps: [
        { name: 'ApproveChange', action: 'aws:approve', timeoutSeconds: 600, onFailure: 'Abort', inputs: { Approvers: [approver], MinRequiredApprovals: 1, Message: 'Approve {{ Change }}' } },
        { name: 'Settle', action: 'aws:sleep', isEnd: true, inputs: { Duration: '{{ Settle }}' } },
      ],
      outputs: ['ApproveChange.ApprovalStatus'],
    };
    await ssm.send(new CreateDocumentCommand({ Name: runbook, Content: JSON.stringify(content), DocumentFormat: 'JSON', DocumentType: 'Automation' }));
    othersRunbook = `${runbook}-others`;
    const others = { ...content, mainSteps: [{ ...content.mainSteps[0], inputs: { Approvers: [`arn:aws:iam::${t.accountId}:user/someone-else`], Message: 'Not yours to approve' } }, content.mainSteps[1]] };
    await ssm.send(new CreateDocumentCommand({ Name: othersRunbook, Content: JSON.stringify(others), DocumentFormat: 'JSON', DocumentType: 'Automation' }));
    pauseRunbook = `${runbook}-pause`;
    const pause = {
      schemaVersion: '0.3',
      mainSteps: [
        { name: 'Hold', action: 'aws:pause', inputs: {} },
        { name: 'Nap', action: 'aws:sleep', inputs: { Duration: 'PT1S' } },
      ],
    };
    await ssm.send(new CreateDocumentCommand({ Name: pauseRunbook, Content: JSON.stringify(pause), DocumentFormat: 'JSON', DocumentType: 'Automation' }));
  });
});

after(async () => {
  ssm?.destroy();
  await harness.stop();
});

const execution = async (id: string): Promise<AutomationExecution> => (await ssm.send(new GetAutomationExecutionCommand({ AutomationExecutionId: id }))).AutomationExecution!;

test('a runbook started from the console waits for approval; Approve with a comment runs it to Success, both steps green', async (tc) => {
  const change = `console e2e change ${Date.now()}`;
  let id = '';
  await harness.browse(tc, async ({ page, shot }) => {
    await harness.signIn(page, 'automation');
    await page.getByTestId('auto-start').click();
    await page.waitForURL(/\/console\/automation\/start$/);
    await page.getByTestId('auto-document').selectOption(runbook);
    // The form is the runbook's: its required parameter, and its allowed values as a select with the default chosen.
    await page.getByTestId('auto-param-Change').waitFor();
    assert.equal(await page.getByTestId('auto-param-Settle').inputValue(), 'PT1S');
    assert.deepEqual(await page.getByTestId('auto-param-Settle').locator('option').allTextContents(), ['PT1S', 'PT2S']);
    assert.match((await page.getByTestId('auto-document-steps').textContent())!, /ApproveChange \(aws:approve\) → Settle \(aws:sleep\)/);

    // Required: refused in the page before anything is sent.
    await page.getByTestId('auto-submit').click();
    await page.getByTestId('auto-invalid').waitFor();
    await page.getByTestId('auto-param-Change').fill(change);
    await page.getByTestId('auto-mode-Auto').check();
    await shot('start');
    await page.getByTestId('auto-submit').click();

    await page.waitForURL(/\/console\/automation\/executions\/[0-9a-f-]{36}$/);
    id = page.url().split('/').pop()!;
    const approval = page.getByTestId('auto-approval');
    await approval.waitFor();
    assert.equal(await approval.getAttribute('data-step'), 'ApproveChange');
    assert.ok(((await page.getByTestId('auto-approval-approvers').textContent()) ?? '').includes(approver), 'the approvers are shown');
    const waiting = await execution(id);
    assert.equal(waiting.AutomationExecutionStatus, 'Waiting', 'AWS: an execution waiting for approval is Waiting');
    assert.equal(await page.getByTestId('auto-status').textContent(), 'Waiting');
    assert.deepEqual(waiting.Parameters?.Change, [change], 'the parameter filled in the form reached the server');
    assert.ok(((await page.locator('[data-testid="auto-parameters"] [data-key="Change"]').textContent()) ?? '').includes(change));
    await page.locator('[data-testid="auto-step-ApproveChange"][data-ran="true"]').waitFor();
    assert.equal(await page.getByTestId('auto-step-Settle').getAttribute('data-status'), 'Pending', 'the sleep has not begun');
    await page.getByTestId('auto-following').waitFor();
    await shot('waiting-for-approval');

    await page.getByTestId('auto-approval-comment').fill('Looks good from the console');
    await page.getByTestId('auto-approve').click();

    await page.locator('[data-testid="auto-status"]', { hasText: /^Success$/ }).waitFor({ timeout: 30_000 });
    await page.getByTestId('auto-done').waitFor();
    assert.equal(await page.getByTestId('auto-approval').count(), 0, 'nothing waits any more');
    await page.locator('[data-testid="auto-step-ApproveChange"][data-status="Success"]').waitFor();
    await page.locator('[data-testid="auto-step-Settle"][data-status="Success"]').waitFor();
    assert.match((await page.getByTestId('auto-step-ApproveChange').getAttribute('class'))!, /tone-border-good/);
    assert.match((await page.getByTestId('auto-step-Settle').getAttribute('class'))!, /tone-border-good/);
    assert.equal(await page.locator('[data-testid="auto-graph"] path[data-from="ApproveChange"][data-to="Settle"][data-taken="true"]').count(), 1, 'the path taken is drawn');

    await page.getByTestId('auto-step-ApproveChange').click();
    await page.locator('[data-testid="auto-step-detail"][data-step="ApproveChange"]').waitFor();
    const status = page.locator('[data-testid="auto-step-outputs"] [data-key="ApprovalStatus"]');
    assert.match((await status.textContent())!, /Approved/);
    await shot('approved-success');

    // The list shows it, with its status, and leads back to it.
    await page.getByTestId('nav-automation').click();
    const row = page.locator(`[data-testid="auto-row"][data-execution-id="${id}"]`);
    await row.waitFor();
    assert.equal(await row.getAttribute('data-status'), 'Success');
    await page.getByTestId('auto-filter-status').selectOption('Failed');
    await page.locator('[data-testid="auto-table"], .empty').first().waitFor();
    await until('the Failed filter applied', async () => (await page.locator(`[data-testid="auto-row"][data-execution-id="${id}"]`).count()) === 0 && (await page.getByTestId('auto-filter-status').inputValue()) === 'Failed');
    await page.getByTestId('auto-filter-status').selectOption('');
    await page.getByTestId('auto-filter-document').fill(runbook);
    await page.getByTestId('auto-filter-document').press('Enter');
    await page.waitForURL(/document=console-e2e-approval-/);
    await until('only this runbook listed', async () => {
      const ids = await page.getByTestId('auto-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-execution-id')));
      return ids.length === 1 && ids[0] === id;
    });
    await shot('list');
    await page.locator(`[data-testid="auto-row"][data-execution-id="${id}"] [data-testid="auto-link"]`).click();
    await page.locator('[data-testid="auto-status"]', { hasText: /^Success$/ }).waitFor();
  });

  const done = await execution(id);
  assert.equal(done.AutomationExecutionStatus, 'Success');
  assert.equal(done.DocumentName, runbook);
  const steps = Object.fromEntries((done.StepExecutions ?? []).map((s) => [s.StepName, s]));
  assert.equal(steps.ApproveChange?.StepStatus, 'Success');
  assert.deepEqual(steps.ApproveChange?.Outputs?.ApprovalStatus, ['Approved']);
  assert.equal(steps.Settle?.StepStatus, 'Success');
});

test('Reject ends the execution Failed, the approve step red and the sleep never run, with the failure message shown', async (tc) => {
  const { AutomationExecutionId: id } = await ssm.send(new StartAutomationExecutionCommand({ DocumentName: runbook, Parameters: { Change: ['to be rejected'] } }));
  await until('the execution waiting for approval', async () => (await execution(id!)).AutomationExecutionStatus === 'Waiting');
  await harness.browse(tc, async ({ page, shot }) => {
    await harness.signIn(page, `automation/executions/${id}`);
    await page.getByTestId('auto-approval').waitFor();
    await page.getByTestId('auto-approval-comment').fill('Not today');
    await page.getByTestId('auto-reject').click();

    await page.locator('[data-testid="auto-status"]', { hasText: /^Failed$/ }).waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="auto-step-ApproveChange"][data-status="Failed"]').waitFor();
    assert.match((await page.getByTestId('auto-step-ApproveChange').getAttribute('class'))!, /tone-border-bad/);
    assert.equal(await page.getByTestId('auto-step-Settle').getAttribute('data-ran'), 'false', 'the step after a rejection never runs');
    const failure = page.getByTestId('auto-failure');
    await failure.waitFor();
    const sdk = await execution(id!);
    assert.equal(sdk.AutomationExecutionStatus, 'Failed');
    assert.ok(sdk.FailureMessage, 'the server says why it failed');
    assert.ok((await failure.textContent())!.includes(sdk.FailureMessage!), `the page shows the server's failure message: ${sdk.FailureMessage}`);
    const step = (sdk.StepExecutions ?? []).find((s) => s.StepName === 'ApproveChange')!;
    assert.equal(step.StepStatus, 'Failed');
    assert.ok(!(sdk.StepExecutions ?? []).some((s) => s.StepName === 'Settle' && s.ExecutionStartTime), 'Settle never started');
    // The failed step is the one shown; its own failure is there too.
    await page.locator('[data-testid="auto-step-detail"][data-step="ApproveChange"]').waitFor();
    if (step.FailureMessage) assert.ok((await page.getByTestId('auto-step-failure').textContent())!.includes(step.FailureMessage));
    await shot('rejected');
  });
});

test("an approval that is not the user's to give: the server's refusal shows, and Stop cancels the execution", async (tc) => {
  const { AutomationExecutionId: id } = await ssm.send(new StartAutomationExecutionCommand({ DocumentName: othersRunbook, Parameters: { Change: ['not mine'] } }));
  await until('the execution waiting for approval', async () => (await execution(id!)).AutomationExecutionStatus === 'Waiting');
  await harness.browse(
    tc,
    async ({ page, shot }) => {
      await harness.signIn(page, `automation/executions/${id}`);
      await page.getByTestId('auto-approval').waitFor();
      await page.getByTestId('auto-approve').click();
      const error = page.getByTestId('auto-signal-error');
      await error.waitFor();
      const sdk = await ssm.send(new SendAutomationSignalCommand({ AutomationExecutionId: id, SignalType: 'Approve' })).then(
        () => assert.fail('the server took an approval from someone not among the approvers'),
        (e: Error) => e,
      );
      const shown = (await error.textContent())!;
      assert.ok(shown.includes(sdk.name) && shown.includes(sdk.message), `the console shows the server's answer (${sdk.name}: ${sdk.message}): ${shown}`);
      assert.equal(await page.getByTestId('auto-status').textContent(), 'Waiting', 'still waiting');
      await shot('approval-refused');

      await page.getByTestId('auto-stop').click();
      await page.getByTestId('auto-stop-confirm').click();
      await page.locator('[data-testid="auto-status"]', { hasText: /^Cancelled$/ }).waitFor({ timeout: 30_000 });
      await page.getByTestId('auto-done').waitFor();
      assert.equal(await page.getByTestId('auto-stop').count(), 0, 'nothing left to stop');
      assert.equal(await page.getByTestId('auto-approval').count(), 0, 'nothing left to approve');
      await shot('cancelled');
    },
    { refusals: [refusedCall('SendAutomationSignal')] },
  );
  assert.equal((await execution(id!)).AutomationExecutionStatus, 'Cancelled');
});

test('Interactive mode: each step waits for Run next step, the pause for Resume, and the execution ends in Success', async (tc) => {
  let id = '';
  await harness.browse(tc, async ({ page, shot }) => {
    await harness.signIn(page, `automation/start?document=${encodeURIComponent(pauseRunbook)}`);
    await page.getByTestId('auto-form').waitFor();
    assert.equal(await page.getByTestId('auto-document').inputValue(), pauseRunbook, 'the runbook in the address is chosen');
    await page.getByTestId('auto-mode-Interactive').check();
    await page.getByTestId('auto-submit').click();
    await page.waitForURL(/\/console\/automation\/executions\/[0-9a-f-]{36}$/);
    id = page.url().split('/').pop()!;
    assert.equal(await page.getByTestId('auto-mode').textContent(), 'Interactive');

    // Nothing runs until asked: the first step is offered.
    await page.getByTestId('auto-interactive').waitFor();
    assert.equal(await page.getByTestId('auto-next-step').inputValue(), 'Hold');
    assert.equal(await page.getByTestId('auto-step-Hold').getAttribute('data-ran'), 'false');
    await shot('interactive-first-step');
    await page.getByTestId('auto-start-step').click();

    // The pause holds until Resume.
    await page.getByTestId('auto-paused').waitFor();
    await page.locator('[data-testid="auto-step-Hold"][data-status="Waiting"]').waitFor();
    await shot('paused');
    await page.getByTestId('auto-resume').click();

    // Then the next step waits to be started in turn.
    await page.locator('[data-testid="auto-step-Hold"][data-status="Success"]').waitFor();
    await page.getByTestId('auto-interactive').waitFor();
    await until('Nap offered next', async () => (await page.getByTestId('auto-next-step').inputValue()) === 'Nap');
    await page.getByTestId('auto-start-step').click();
    await page.locator('[data-testid="auto-status"]', { hasText: /^Success$/ }).waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="auto-step-Nap"][data-status="Success"]').waitFor();
    assert.equal(await page.locator('[data-testid="auto-graph"] path[data-from="Hold"][data-to="Nap"][data-taken="true"]').count(), 1);
    await shot('interactive-success');
  });
  const done = await execution(id);
  assert.equal(done.Mode, 'Interactive');
  assert.equal(done.AutomationExecutionStatus, 'Success');
  assert.deepEqual(
    (done.StepExecutions ?? []).map((s) => [s.StepName, s.StepStatus]),
    [
      ['Hold', 'Success'],
      ['Nap', 'Success'],
    ],
  );
});
