import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CreateMaintenanceWindowCommand, DescribeMaintenanceWindowExecutionsCommand, GetMaintenanceWindowCommand, GetMaintenanceWindowExecutionCommand, RegisterTaskWithMaintenanceWindowCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ManualClock } from '../scheduler/clock.js';
import { startTestServer, type TestServer } from '../test-support/server.js';

const HOUR = 3_600_000;

test('a window whose whole time passed while the server was stopped is recorded when it comes back, and not run late', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'capstan-mw-restart-'));
  const clock = new ManualClock(Date.UTC(2026, 10, 25, 10, 0, 0));
  const ssm = (t: TestServer) => new SSMClient({ ...t.clientConfig(), systemClockOffset: clock.now() - Date.now() });
  let t = await startTestServer({ dataDir, clock, schedulerPollMs: 20 });
  try {
    const { WindowId } = await ssm(t).send(new CreateMaintenanceWindowCommand({ Name: 'nightly', Schedule: 'cron(0 4 * * ? *)', ScheduleTimezone: 'Europe/Berlin', Duration: 1, Cutoff: 0, AllowUnassociatedTargets: true }));
    await ssm(t).send(new RegisterTaskWithMaintenanceWindowCommand({ WindowId, TaskType: 'RUN_COMMAND', TaskArn: 'AWS-RunShellScript', Targets: [{ Key: 'InstanceIds', Values: ['mi-0123456789abcdef0'] }], MaxConcurrency: '1', MaxErrors: '0', TaskInvocationParameters: { RunCommand: { Parameters: { commands: ['true'] } } } }));
    assert.equal((await ssm(t).send(new GetMaintenanceWindowCommand({ WindowId }))).NextExecutionTime, '2026-11-26T04:00+01:00');
    await t.stop();

    // Down from Wednesday 10:00 UTC until Thursday 06:00 UTC: Thursday's 04:00 Berlin window (03:00-04:00 UTC) came and went.
    clock.set(Date.UTC(2026, 10, 26, 6, 0, 0));
    t = await startTestServer({ dataDir, clock, schedulerPollMs: 20 });
    let list: { Status?: string; StatusDetails?: string; WindowExecutionId?: string; StartTime?: Date }[] = [];
    for (let i = 0; i < 100 && list.length === 0; i++) {
      await t.server.core.scheduler.tick();
      list = (await ssm(t).send(new DescribeMaintenanceWindowExecutionsCommand({ WindowId }))).WindowExecutions ?? [];
    }
    assert.equal(list.length, 1);
    assert.equal(list[0]!.Status, 'TIMED_OUT');
    assert.match(list[0]!.StatusDetails!, /^Skipped: the server was not running for the whole window \(2026-11-26T04:00\+01:00 for 1 h\)/);
    assert.equal(list[0]!.StartTime!.toISOString(), '2026-11-26T03:00:00.000Z');
    assert.deepEqual((await ssm(t).send(new GetMaintenanceWindowExecutionCommand({ WindowExecutionId: list[0]!.WindowExecutionId! }))).TaskIds, [], 'nothing was run');
    assert.equal((await ssm(t).send(new GetMaintenanceWindowCommand({ WindowId }))).NextExecutionTime, '2026-11-27T04:00+01:00');
  } finally {
    await t.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
