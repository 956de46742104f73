/**
 * The console's Maintenance Windows pages in Chromium against a real server (on the real clock)
 * and a real agent. A window made on the Create page with an at() schedule a few seconds ahead
 * (UTC) gets the agent's node as a target and an AWS-RunShellScript task from its page, shows on
 * the upcoming schedule in UTC and in the browser's zone (Asia/Kolkata, so the two differ), then
 * opens: its execution appears on its page and succeeds, with the node's invocation Success and
 * a link to the command. A second window, made through the SDK to open at the same moment with a
 * task that sleeps, is cancelled from its execution page while it runs. The SDK confirms what the
 * pages show. Setup and the per-test checks are ./harness.ts's.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateMaintenanceWindowCommand,
  DescribeMaintenanceWindowExecutionsCommand,
  DescribeMaintenanceWindowExecutionTasksCommand,
  GetCommandInvocationCommand,
  GetMaintenanceWindowCommand,
  RegisterTargetWithMaintenanceWindowCommand,
  RegisterTaskWithMaintenanceWindowCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { ConsoleHarness, refusedCall, until as waitFor, type InPage, type RealAgent } from './harness.js';

const harness = new ConsoleHarness('maintenance');
let ssm: SSMClient;
let agent: RealAgent;

/**
 * How far ahead of the Create button the windows open: time for the pages to create the window
 * and register its target and task, and for the SDK to make the second one (a few seconds), with
 * room to spare on a loaded machine. The test checks that all that finished in time, so a slow
 * run fails saying so rather than waiting in vain.
 */
const LEAD_MS = 20_000;

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

/** `at(2026-11-04T05:00:30)`: a one-off at that instant, read in UTC. */
const atUtc = (ms: number) => `at(${new Date(ms).toISOString().slice(0, 19)})`;
const hhmm = (ms: number, timeZone: string) => new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(ms);

test('a window made on the Create page opens on its schedule; its page follows the execution to Success on the real node; another is cancelled while it runs', async (tc) => {
  const marker = `maintenance-${Math.floor(Math.random() * 1e9)}`;
  const name = `console-e2e-${Date.now()}`;
  const node = agent.instanceId;
  let opensAt = 0;
  let sleepy = '';
  let windowId = '';
  await harness.browse(
    tc,
    async ({ page, shot }) => {
      await harness.signIn(page, 'maintenance-windows');
      await page.getByTestId('nav-maintenance-windows').waitFor();
      assert.equal(await page.getByTestId('nav-maintenance-windows').getAttribute('aria-current'), 'page');
      await page.getByTestId('mw-create').click();
      await page.waitForURL(/\/console\/maintenance-windows\/create$/);

      // The server judges the schedule; its refusal sits by the field.
      await page.getByTestId('mw-name').fill(name);
      await page.getByTestId('mw-schedule').fill('rate(2 fortnights)');
      await page.getByTestId('mw-timezone').selectOption('UTC');
      await page.getByTestId('mw-duration').fill('1');
      await page.getByTestId('mw-cutoff').fill('0');
      await page.getByTestId('mw-submit').click();
      await page.getByTestId('mw-error').waitFor();
      assert.equal(await page.getByTestId('mw-error-code').textContent(), 'ValidationException');
      assert.match((await page.getByTestId('mw-error-message').textContent())!, /^Schedule: /);
      assert.equal(await page.getByTestId('mw-schedule').getAttribute('aria-invalid'), 'true');
      assert.equal(await page.getByTestId('mw-duration').getAttribute('aria-invalid'), null);
      await shot('invalid-schedule');
      // An example fills the field and clears the refusal there.
      await page.getByTestId('mw-schedule-example-0').click();
      assert.equal(await page.getByTestId('mw-schedule').inputValue(), 'cron(0 3 ? * SUN *)');
      assert.equal(await page.getByTestId('mw-schedule').getAttribute('aria-invalid'), null);

      // From here on the clock runs: the window must get its target and task before it opens.
      opensAt = Math.ceil((Date.now() + LEAD_MS) / 1000) * 1000;
      const schedule = atUtc(opensAt);
      await page.getByTestId('mw-schedule').fill(schedule);
      await shot('create');
      await page.getByTestId('mw-submit').click();
      await page.waitForURL(/\/console\/maintenance-windows\/mw-[0-9a-f]{17}$/);
      windowId = page.url().split('/').pop()!;
      assert.equal(await page.getByTestId('mw-detail-schedule').textContent(), schedule);
      assert.equal(await page.getByTestId('mw-detail-timezone').textContent(), 'UTC');
      assert.equal(await page.getByTestId('mw-enabled').textContent(), 'Enabled');

      // The agent's node as a target.
      await page.getByTestId('mw-target-add').click();
      await page.getByTestId('mw-target-mode-ids').check();
      assert.equal(await page.getByTestId('mw-target-mode-all').count(), 0, 'a window target cannot be every node');
      await page.getByTestId('mw-target-search').fill(node.slice(-8));
      await page.getByTestId(`mw-target-node-${node}`).check();
      await page.getByTestId('mw-target-name').fill('e2e-node');
      await page.getByTestId('mw-target-owner').fill('console-e2e');
      await page.getByTestId('mw-target-submit').click();
      const targetRow = page.getByTestId('mw-target-row');
      await targetRow.waitFor();
      assert.equal(await targetRow.getByTestId('mw-target-summary').textContent(), node);
      const targetId = (await targetRow.getAttribute('data-target-id'))!;

      // A Run Command task on it, with the Run Command parameter form.
      await page.getByTestId('mw-task-add').click();
      await page.getByTestId('mw-task-document').selectOption('AWS-RunShellScript');
      await page.getByTestId('mw-task-param-commands').fill(`echo ${marker} on {{RESOURCE_ID}}`);
      assert.equal(await page.getByTestId(`mw-task-target-${targetId}`).isChecked(), true, 'the only target is chosen');
      await page.getByTestId('mw-task-name').fill('echo-marker');
      await page.getByTestId('mw-task-max-errors').fill('0');
      await page.getByTestId('mw-task-cutoff-behavior').selectOption('CANCEL_TASK');
      await shot('task-form');
      await page.getByTestId('mw-task-submit').click();
      const taskRow = page.getByTestId('mw-task-row');
      await taskRow.waitFor();
      assert.match((await taskRow.textContent())!, /echo-marker/);
      assert.match((await taskRow.textContent())!, /e2e-node/);
      assert.match((await taskRow.getByTestId('mw-task-params').textContent())!, new RegExp(marker));
      await shot('window');

      // The window to cancel: made through the SDK, to open with the other; its first task sleeps, its second would echo.
      sleepy = (await ssm.send(new CreateMaintenanceWindowCommand({ Name: `${name}-sleepy`, Schedule: schedule, ScheduleTimezone: 'UTC', Duration: 1, Cutoff: 0, AllowUnassociatedTargets: false }))).WindowId!;
      const sleepyTarget = (await ssm.send(new RegisterTargetWithMaintenanceWindowCommand({ WindowId: sleepy, ResourceType: 'INSTANCE', Targets: [{ Key: 'InstanceIds', Values: [node] }] }))).WindowTargetId!;
      for (const [priority, command] of [
        [1, 'sleep 12'],
        [2, 'echo never'],
      ] as const) {
        await ssm.send(
          new RegisterTaskWithMaintenanceWindowCommand({
            WindowId: sleepy,
            TaskType: 'RUN_COMMAND',
            TaskArn: 'AWS-RunShellScript',
            Targets: [{ Key: 'WindowTargetIds', Values: [sleepyTarget] }],
            Priority: priority,
            MaxConcurrency: '1',
            MaxErrors: '0',
            TaskInvocationParameters: { RunCommand: { Parameters: { commands: [command] } } },
          }),
        );
      }
      const lead = opensAt - Date.now();
      assert.ok(lead > 3_000, `the target and task were registered ${lead} ms before the window opens; LEAD_MS is too short for this machine`);
      tc.diagnostic(`registered ${Math.round(lead / 1000)} s before the window opens`);

      // The list: its row, and both windows on the upcoming schedule, in the browser's zone (Kolkata) and in UTC.
      await page.getByTestId('nav-maintenance-windows').click();
      const row = page.locator(`[data-testid="mw-row"][data-window-id="${windowId}"]`);
      await row.waitFor();
      assert.equal(await row.getAttribute('data-enabled'), 'true');
      // AWS writes starts to the minute: 05:00:30 reads 05:00.
      assert.match((await row.getByTestId('mw-next').textContent())!, /^(in \d+ s|within a minute) /);
      assert.match((await row.getByTestId('mw-schedule-cell').textContent())!, /UTC/);
      // A window that runs past midnight in the browser's zone is also drawn on the next day, as a continuation
      // with no start of its own (data-starts=""): the entry that opens it is the one with a start.
      const entry = page.locator(`[data-testid="mw-entry"][data-window-id="${windowId}"]:not([data-starts=""])`);
      await entry.waitFor();
      assert.equal(await entry.getAttribute('data-starts'), new Date(Math.floor(opensAt / 60_000) * 60_000).toISOString());
      assert.equal(await page.getByTestId('mw-calendar').getAttribute('data-zone'), 'Asia/Kolkata');
      const words = (await entry.textContent())!;
      assert.ok(words.includes(`${hhmm(opensAt, 'UTC')}–${hhmm(opensAt + 3_600_000, 'UTC')}`) && words.includes('UTC'), `the entry in UTC: ${words}`);
      assert.ok(words.includes(`${hhmm(opensAt, 'Asia/Kolkata')}–${hhmm(opensAt + 3_600_000, 'Asia/Kolkata')}`) && words.includes('your time'), `the entry in the browser's zone: ${words}`);
      // The day it is on is the browser's day; with the days in UTC it sits on the UTC day.
      const kolkataDay = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Kolkata' }).format(opensAt);
      assert.equal(await page.locator(`[data-testid="mw-day"][data-day="${kolkataDay}"] [data-testid="mw-entry"][data-window-id="${windowId}"]:not([data-starts=""])`).count(), 1);
      assert.equal(await page.locator(`[data-testid="mw-entry"][data-window-id="${sleepy}"]:not([data-starts=""])`).count(), 1, 'the other window is on the schedule too');
      await shot('schedule');
      await page.getByTestId('mw-calendar-zone').selectOption('UTC');
      await page.waitForURL(/zone=UTC/);
      await page.locator('[data-testid="mw-calendar"][data-zone="UTC"]').waitFor();
      const utcDay = new Date(opensAt).toISOString().slice(0, 10);
      assert.equal(await page.locator(`[data-testid="mw-day"][data-day="${utcDay}"] [data-testid="mw-entry"][data-window-id="${windowId}"]:not([data-starts=""])`).count(), 1);

      // Keyboard: Home and End reach the first and last window of the schedule, Up and Down move between them.
      const links = page.getByTestId('mw-entry-link');
      await links.first().focus();
      await page.keyboard.press('End');
      const focused = () => page.evaluate(() => (globalThis as unknown as { document: { activeElement: { getAttribute(n: string): string | null } | null } }).document.activeElement?.getAttribute('href') ?? '');
      assert.equal(await focused(), await links.last().getAttribute('href'));
      await page.keyboard.press('Home');
      assert.equal(await focused(), await links.first().getAttribute('href'));
      await page.keyboard.press('ArrowDown');
      assert.equal(await focused(), await links.nth(1).getAttribute('href'));
      await page.keyboard.press('ArrowUp');
      assert.equal(await focused(), await links.first().getAttribute('href'));

      // The window opens: its page shows the execution, which succeeds, without a reload.
      await entry.getByTestId('mw-entry-link').click();
      await page.waitForURL(new RegExp(`/maintenance-windows/${windowId}$`));
      const execRow = page.locator('[data-testid="mw-execution-row"]');
      await execRow.first().waitFor({ timeout: opensAt - Date.now() + 30_000 });
      await page.locator('[data-testid="mw-execution-row"][data-status="SUCCESS"]').waitFor({ timeout: 30_000 });
      assert.equal(await execRow.count(), 1);
      const executionId = (await execRow.getAttribute('data-execution-id'))!;
      await shot('executed');
      await execRow.getByTestId('mw-execution-link').click();
      await page.waitForURL(new RegExp(`/maintenance-windows/${windowId}/executions/${executionId}$`));
      await page.locator('[data-testid="mwx-status"]', { hasText: /^SUCCESS$/ }).waitFor();
      await page.getByTestId('mwx-done').waitFor();
      assert.equal(await page.getByTestId('mwx-cancel').count(), 0, 'nothing to cancel once it ended');
      const taskExec = page.getByTestId('mwx-task-row');
      assert.equal(await taskExec.count(), 1);
      assert.equal(await taskExec.getAttribute('data-status'), 'SUCCESS');
      assert.match((await taskExec.textContent())!, /AWS-RunShellScript/);
      assert.match((await taskExec.textContent())!, /RUN_COMMAND/);
      const invocation = page.locator(`[data-testid="mwx-invocation-row"][data-node="${node}"]`);
      assert.equal(await invocation.getAttribute('data-status'), 'SUCCESS');
      assert.match((await invocation.textContent())!, /console-e2e/, 'the target owner information');
      const commandId = (await invocation.getByTestId('mwx-invocation-link').textContent())!;
      const output = await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: node }));
      assert.equal(output.Status, 'Success');
      assert.equal(output.StandardOutputContent?.trim(), `${marker} on ${node}`, 'the script ran on the node with {{RESOURCE_ID}} filled in');
      await shot('execution');
      await invocation.getByTestId('mwx-invocation-link').click();
      await page.waitForURL(new RegExp(`/run-command/commands/${commandId}$`));
      await page.getByTestId('command-page').waitFor();

      const executions = (await ssm.send(new DescribeMaintenanceWindowExecutionsCommand({ WindowId: windowId }))).WindowExecutions ?? [];
      assert.deepEqual(
        executions.map((e) => [e.WindowExecutionId, e.Status]),
        [[executionId, 'SUCCESS']],
      );

      // The other window's execution is running its sleep: Cancel stops the next task from starting.
      await page.goto(`maintenance-windows/${sleepy}`);
      const sleepyRow = page.locator('[data-testid="mw-execution-row"]');
      await sleepyRow.first().waitFor();
      await sleepyRow.getByTestId('mw-execution-link').click();
      await page.locator('[data-testid="mwx-status"]', { hasText: /^IN_PROGRESS$/ }).waitFor();
      await page.getByTestId('mwx-following').waitFor();
      await page.getByTestId('mwx-cancel').click();
      await page.getByTestId('mwx-cancel-confirm').click();
      await page.locator('[data-testid="mwx-status"]', { hasText: /^CANCELLING$/ }).waitFor();
      await shot('cancelling');
      await page.locator('[data-testid="mwx-status"]', { hasText: /^CANCELLED$/ }).waitFor({ timeout: 30_000 });
      const sleepyTasks = page.getByTestId('mwx-task-row');
      assert.deepEqual(await sleepyTasks.evaluateAll((els) => els.map((e) => e.getAttribute('data-status'))), ['SUCCESS', 'CANCELLED'], 'the running task finished; the next never started');
      assert.deepEqual(await sleepyTasks.evaluateAll((els) => els.map((e) => e.querySelector('td')?.textContent)), ['1', '2'], 'in order of priority');
      await shot('cancelled');
      const sleepyExecution = (await ssm.send(new DescribeMaintenanceWindowExecutionsCommand({ WindowId: sleepy }))).WindowExecutions ?? [];
      assert.deepEqual(
        sleepyExecution.map((e) => e.Status),
        ['CANCELLED'],
      );
      const sleepyTaskStatuses = (await ssm.send(new DescribeMaintenanceWindowExecutionTasksCommand({ WindowExecutionId: sleepyExecution[0]!.WindowExecutionId! }))).WindowExecutionTaskIdentities ?? [];
      assert.deepEqual(
        sleepyTaskStatuses.map((t) => t.Status),
        ['SUCCESS', 'CANCELLED'],
      );

      // The node's page lists the windows that target it.
      await page.goto(`nodes/${node}`);
      await page.locator(`[data-testid="node-window-row"][data-window-id="${windowId}"]`).waitFor();
      assert.equal(await page.locator(`[data-testid="node-window-row"][data-window-id="${sleepy}"]`).count(), 1);
      await shot('node');

      // Disable, then delete (it asks first).
      await page.locator(`[data-testid="node-window-row"][data-window-id="${windowId}"] a`).click();
      await page.waitForURL(new RegExp(`/maintenance-windows/${windowId}$`));
      await page.getByTestId('mw-toggle-enabled').click();
      await page.locator('[data-testid="mw-enabled"]', { hasText: /^Disabled$/ }).waitFor();
      assert.equal((await ssm.send(new GetMaintenanceWindowCommand({ WindowId: windowId }))).Enabled, false);
      await page.getByTestId('mw-delete').click();
      await page.getByTestId('mw-delete-confirm').click();
      await page.waitForURL(/\/console\/maintenance-windows$/);
      await page.locator(`[data-testid="mw-row"][data-window-id="${sleepy}"]`).waitFor();
      assert.equal(await page.locator(`[data-testid="mw-row"][data-window-id="${windowId}"]`).count(), 0);
    },
    { refusals: [refusedCall('CreateMaintenanceWindow')], timezoneId: 'Asia/Kolkata' },
  );
  const gone = await ssm.send(new GetMaintenanceWindowCommand({ WindowId: windowId })).then(
    () => undefined,
    (e: Error) => e.name,
  );
  assert.equal(gone, 'DoesNotExistException');
});

test('on a narrow screen the schedule stacks and nothing scrolls sideways', async (tc) => {
  const name = `console-e2e-narrow-${Date.now()}`;
  const id = (await ssm.send(new CreateMaintenanceWindowCommand({ Name: name, Schedule: 'cron(30 22 ? * * *)', ScheduleTimezone: 'America/New_York', Duration: 4, Cutoff: 1, AllowUnassociatedTargets: false }))).WindowId!;
  await harness.browse(tc, async ({ page, shot }) => {
    await page.setViewportSize({ width: 380, height: 800 });
    await harness.signIn(page, 'maintenance-windows');
    const entries = page.locator(`[data-testid="mw-entry"][data-window-id="${id}"]`);
    await entries.first().waitFor();
    // Once a day for two weeks (today's may have gone by).
    await until('two weeks of it', async () => (await entries.count()) >= 13);
    const width = await page.evaluate(() => {
      const d = (globalThis as unknown as InPage).document;
      return { client: d.documentElement.clientWidth, scroll: d.documentElement.scrollWidth };
    });
    assert.ok(width.scroll <= width.client, `the page scrolls sideways: ${JSON.stringify(width)}`);
    const box = await entries.first().boundingBox();
    assert.ok(box && box.width <= 380, `an entry fits the screen: ${JSON.stringify(box)}`);
    await shot('narrow');
  });
});

test("targets by tag from the window page; a target a task names is not deregistered until the task is; Deregister asks first", async (tc) => {
  const node = agent.instanceId;
  const id = (await ssm.send(new CreateMaintenanceWindowCommand({ Name: `console-e2e-targets-${Date.now()}`, Schedule: 'cron(0 3 ? * SUN *)', ScheduleTimezone: 'Europe/Paris', Duration: 2, Cutoff: 1, AllowUnassociatedTargets: false }))).WindowId!;
  const target = (await ssm.send(new RegisterTargetWithMaintenanceWindowCommand({ WindowId: id, ResourceType: 'INSTANCE', Name: 'by-id', Targets: [{ Key: 'InstanceIds', Values: [node] }] }))).WindowTargetId!;
  await ssm.send(
    new RegisterTaskWithMaintenanceWindowCommand({
      WindowId: id,
      TaskType: 'RUN_COMMAND',
      TaskArn: 'AWS-RunShellScript',
      Name: 'uses-by-id',
      Targets: [{ Key: 'WindowTargetIds', Values: [target] }],
      MaxConcurrency: '1',
      MaxErrors: '0',
      TaskInvocationParameters: { RunCommand: { Parameters: { commands: ['true'] } } },
    }),
  );
  await harness.browse(
    tc,
    async ({ page, shot }) => {
      await harness.signIn(page, `maintenance-windows/${id}`);
      await page.getByTestId('mw-detail-timezone').waitFor();
      assert.equal(await page.getByTestId('mw-detail-timezone').textContent(), 'Europe/Paris');
      assert.match((await page.getByTestId('mw-detail-duration').textContent())!, /2 h, no new task in the last 1 h/);
      await page.getByTestId('mw-next-starts').waitFor();

      // A second target by tag, from the form.
      await page.getByTestId('mw-target-add').click();
      await page.getByTestId('mw-target-mode-tags').check();
      await page.getByTestId('mw-target-tag-key').fill('Role');
      await page.getByTestId('mw-target-tag-values').fill('web, api');
      await page.getByTestId('mw-target-name').fill('by-tag');
      await page.getByTestId('mw-target-submit').click();
      await until('two targets', async () => (await page.getByTestId('mw-target-row').count()) === 2);
      const byTag = page.locator('[data-testid="mw-target-row"]', { hasText: 'by-tag' });
      assert.equal(await byTag.getByTestId('mw-target-summary').textContent(), 'Tag Role = web or api');

      // The task names the first target: deregistering it is refused, and says why.
      const byId = page.locator(`[data-testid="mw-target-row"][data-target-id="${target}"]`);
      await byId.getByTestId('mw-target-deregister').click();
      await byId.getByTestId('mw-target-deregister-confirm').click();
      await page.getByTestId('mw-target-error').waitFor();
      assert.match((await page.getByTestId('mw-target-error').textContent())!, /TargetInUseException/);
      await shot('target-in-use');

      // Deregister the task, then the target.
      const task = page.getByTestId('mw-task-row');
      assert.match((await task.textContent())!, /by-id/);
      await task.getByTestId('mw-task-deregister').click();
      await task.getByTestId('mw-task-deregister-confirm').click();
      await until('no tasks', async () => (await page.getByTestId('mw-task-row').count()) === 0);
      await byId.getByTestId('mw-target-deregister').click();
      await byId.getByTestId('mw-target-deregister-confirm').click();
      await until('one target', async () => (await page.getByTestId('mw-target-row').count()) === 1);
      assert.equal(await page.locator('[data-testid="mw-target-row"]', { hasText: 'by-tag' }).count(), 1);
      await shot('deregistered');
    },
    { refusals: [refusedCall('DeregisterTargetFromMaintenanceWindow')] },
  );
});
