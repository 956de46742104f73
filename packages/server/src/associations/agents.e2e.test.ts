/**
 * State Manager against real agents: an in-process server on a ManualClock, which only drives
 * the schedules, and real `capstan agent` processes that run AWS-RunShellScript on this machine
 * over their control channels. Each association's script writes a managed file under a temp
 * directory and appends its command id to a run log, so the log is the node's own record of
 * which runs reached it. The agents keep real time: after the server's clock is moved far ahead
 * they read ConnectionLost until their next ping, yet work still reaches them over the channel.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AddTagsToResourceCommand,
  CreateActivationCommand,
  CreateAssociationCommand,
  CreateDocumentCommand,
  DeleteAssociationCommand,
  DeleteDocumentCommand,
  DescribeAssociationCommand,
  DescribeAssociationExecutionsCommand,
  DescribeAssociationExecutionTargetsCommand,
  DescribeEffectiveInstanceAssociationsCommand,
  DescribeInstanceAssociationsStatusCommand,
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  ListAssociationsCommand,
  ListAssociationVersionsCommand,
  SSMClient,
  UpdateAssociationCommand,
  type AssociationExecution,
  type CreateAssociationCommandInput,
} from '@aws-sdk/client-ssm';
import { ManualClock } from '../scheduler/clock.js';
import { AgentProcess, buildAgentBundle } from '../test-support/agent-process.js';
import { startTestServer, type TestServer } from '../test-support/server.js';
import { until } from '../test-support/until.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;
/** Agents ping this often (real time); the association sweep runs this often (server time). */
const PING_MS = 5 * SECOND;
const ENDED = ['Success', 'Failed', 'Skipped'];

describe('State Manager with real agents', () => {
  const work = mkdtempSync(join(tmpdir(), 'capstan-assoc-agents-'));
  // A Wednesday, 10:00 UTC.
  const clock = new ManualClock(Date.UTC(2026, 10, 25, 10, 0, 0));
  let t: TestServer;
  /** Tagged Env=dev from the start. */
  let dev: AgentProcess;
  /** Untagged until a test tags it. */
  let spare: AgentProcess;
  const cleanups: string[] = [];

  // The SDK signs with its own clock; each client is made level with the server's, which the tests move.
  const ssm = () => new SSMClient({ ...t.clientConfig(), systemClockOffset: clock.now() - Date.now() });
  const send = async <T,>(f: (c: SSMClient) => Promise<T>): Promise<T> => {
    const c = ssm();
    try {
      return await f(c);
    } finally {
      c.destroy();
    }
  };
  const agentsOutput = () => `dev agent:\n${dev?.output ?? ''}\nspare agent:\n${spare?.output ?? ''}`;

  const executions = (id: string) => send(async (c) => (await c.send(new DescribeAssociationExecutionsCommand({ AssociationId: id }))).AssociationExecutions ?? []);
  const targetsOf = (id: string, executionId: string) => send(async (c) => (await c.send(new DescribeAssociationExecutionTargetsCommand({ AssociationId: id, ExecutionId: executionId }))).AssociationExecutionTargets ?? []);
  const show = (list: AssociationExecution[]) => JSON.stringify(list.map((e) => [e.Status, e.DetailedStatus, e.AssociationVersion, e.CreatedTime?.toISOString()]));

  /**
   * Waits, in real time, for the association to have `n` executions that all ended. Between
   * looks the server's clock moves `stepMs`, which the run's tracking (due a second after it
   * starts) needs; returns the executions newest first and how far the clock moved.
   */
  async function runsEnded(id: string, n: number, o: { stepMs?: number; ms?: number } = {}): Promise<{ list: AssociationExecution[]; movedMs: number }> {
    const from = clock.now();
    let last: AssociationExecution[] = [];
    const list = await until(
      `${n} ended executions of ${id}`,
      async () => {
        await t.server.core.scheduler.tick();
        last = await executions(id);
        if (last.length === n && last.every((e) => ENDED.includes(e.Status!))) return last;
        assert.ok(last.length <= n, `more executions than expected (${n}): ${show(last)}`);
        clock.advance(o.stepMs ?? SECOND);
        return undefined;
      },
      { ms: o.ms ?? 20_000, every: 50, detail: () => `executions: ${show(last)}\n${agentsOutput()}` },
    );
    return { list, movedMs: clock.now() - from };
  }

  /** Lets the server run whatever is due now (without moving its clock) and the agents answer; then says how many executions there are. */
  async function quietCount(id: string): Promise<number> {
    for (let i = 0; i < 4; i++) {
      await t.server.core.scheduler.tick();
      await new Promise((r) => setTimeout(r, 100));
    }
    return (await executions(id)).length;
  }

  /** Moves the server's clock to `at` (forward only) and lets what is due there run. */
  async function moveTo(at: number): Promise<void> {
    assert.ok(at >= clock.now(), `the test would move the clock back from ${new Date(clock.now()).toISOString()} to ${new Date(at).toISOString()}`);
    clock.set(at);
    await t.server.core.scheduler.tick();
  }

  async function create(input: Omit<CreateAssociationCommandInput, 'Name'> & { commands: string[] }): Promise<{ id: string; created: number }> {
    const { commands, ...rest } = input;
    const d = (await send((c) => c.send(new CreateAssociationCommand({ Name: 'AWS-RunShellScript', Parameters: { commands }, ...rest })))).AssociationDescription!;
    cleanups.push(d.AssociationId!);
    return { id: d.AssociationId!, created: d.Date!.getTime() };
  }
  const remove = async (id: string) => {
    await send((c) => c.send(new DeleteAssociationCommand({ AssociationId: id })));
    cleanups.splice(cleanups.indexOf(id), 1);
  };

  /** A fresh directory for one association's managed file and run log. */
  const place = (name: string) => {
    const dir = join(work, name);
    mkdirSync(dir);
    return { file: join(dir, 'managed.conf'), log: join(dir, 'runs.log') };
  };
  const runLog = (log: string): string[] => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []);
  /** Creates the file with `content` unless it has it already; logs the run as its command id. */
  const converge = (p: { file: string; log: string }, content: string) => [`[ "$(cat '${p.file}' 2>/dev/null)" = '${content}' ] || echo '${content}' > '${p.file}'`, `echo "$SSM_COMMAND_ID" >> '${p.log}'`];
  /** The command id each execution ran as, oldest first: what the run log should hold. */
  const commandIds = async (id: string, list: AssociationExecution[]) => {
    const out: string[] = [];
    for (const e of [...list].reverse()) for (const x of await targetsOf(id, e.ExecutionId!)) out.push(x.OutputSource!.OutputSourceId!);
    return out;
  };

  before(async () => {
    const [server, bundle] = await Promise.all([startTestServer({ clock, schedulerPollMs: 20, agentPingMs: PING_MS }), buildAgentBundle(join(work, 'agent-bundle'))]);
    t = server;
    const agent = async (name: string) => {
      const { ActivationId, ActivationCode } = await send((c) => c.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: 1 })));
      const stateDir = join(work, name);
      mkdirSync(stateDir);
      const a = await AgentProcess.register({ bundle, endpoint: t.endpoint, activationId: ActivationId!, activationCode: ActivationCode!, stateDir });
      await a.start();
      return a;
    };
    [dev, spare] = await Promise.all([agent('agent-dev'), agent('agent-spare')]);
    await send((c) => c.send(new AddTagsToResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: dev.instanceId, Tags: [{ Key: 'Env', Value: 'dev' }] })));
  });

  after(async () => {
    for (const id of cleanups) await send((c) => c.send(new DeleteAssociationCommand({ AssociationId: id }))).catch(() => undefined);
    await dev?.kill();
    await spare?.kill();
    await t?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  test('drift: a deleted managed file is recreated by the next rate(30 minutes) run, and the node ran exactly one run per interval', async () => {
    const p = place('drift');
    const { id, created } = await create({ commands: converge(p, 'made-by-capstan'), Targets: [{ Key: 'tag:Env', Values: ['dev'] }], ScheduleExpression: 'rate(30 minutes)', AssociationName: 'drift-e2e' });
    const first = await runsEnded(id, 1);
    assert.equal(first.list[0]!.Status, 'Success', show(first.list));
    assert.equal(readFileSync(p.file, 'utf8'), 'made-by-capstan\n');
    assert.equal(runLog(p.log).length, 1);

    rmSync(p.file);
    await moveTo(created + 30 * MINUTE - SECOND);
    assert.equal(await quietCount(id), 1, 'no run a second before the interval');
    assert.ok(!existsSync(p.file), 'nothing recreated the file before its run');

    await moveTo(created + 30 * MINUTE);
    // The agent's last ping is far behind the moved clock: the node reads ConnectionLost until its
    // next ping, but its channel is open and the run below reaches it all the same.
    const info = (await send((c) => c.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [dev.instanceId] }] })))).InstanceInformationList![0]!;
    const fresh = info.LastPingDateTime!.getTime() >= clock.now() - 2 * PING_MS;
    assert.equal(info.PingStatus, fresh ? 'Online' : 'ConnectionLost', `PingStatus follows the last ping (${info.LastPingDateTime?.toISOString()}) against the server's clock`);
    const second = await runsEnded(id, 2);
    assert.ok(second.movedMs < MINUTE, `the run ended within ${second.movedMs} ms of server time`);
    assert.equal(readFileSync(p.file, 'utf8'), 'made-by-capstan\n', 'the file is back');
    assert.deepEqual(runLog(p.log), await commandIds(id, second.list), 'the node ran the creation run and the scheduled one, once each');
    await until('the node Online again after its next real ping', async () => {
      const i = (await send((c) => c.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [dev.instanceId] }] })))).InstanceInformationList![0]!;
      return i.PingStatus === 'Online';
    }, { ms: 3 * PING_MS, every: 200 });

    // The next interval, with nothing to correct: one more run, the file left as it is.
    const mtime = statSync(p.file).mtimeMs;
    await moveTo(created + 60 * MINUTE - SECOND);
    assert.equal(await quietCount(id), 2, 'no run a second before the second interval');
    await moveTo(created + 60 * MINUTE);
    const third = await runsEnded(id, 3);
    assert.deepEqual(runLog(p.log), await commandIds(id, third.list), 'three intervals, three runs');
    assert.equal(statSync(p.file).mtimeMs, mtime, 'a file already right is not rewritten');
    await remove(id);
  });

  test('status and history through the SDK, in AWS shapes', async () => {
    const p = place('history');
    const { id, created } = await create({ commands: converge(p, 'history'), Targets: [{ Key: 'tag:Env', Values: ['dev'] }], ScheduleExpression: 'rate(1 hour)', AssociationName: 'history-e2e' });
    await runsEnded(id, 1);
    await moveTo(created + 60 * MINUTE);
    const { list } = await runsEnded(id, 2);

    assert.deepEqual(list.map((e) => e.CreatedTime!.getTime()), [created + 60 * MINUTE, created], 'newest first; the scheduled run at its time');
    for (const e of list) {
      assert.equal(e.AssociationId, id);
      assert.equal(e.AssociationVersion, '1');
      assert.match(e.ExecutionId!, /^[0-9a-f-]{36}$/);
      assert.equal(e.Status, 'Success');
      assert.equal(e.DetailedStatus, 'Success');
      assert.equal(e.ResourceCountByStatus, '{Success=1}');
      assert.ok(e.LastExecutionDate instanceof Date && e.LastExecutionDate.getTime() >= e.CreatedTime!.getTime());
    }
    const [target, ...more] = await targetsOf(id, list[0]!.ExecutionId!);
    assert.equal(more.length, 0);
    assert.equal(target!.AssociationId, id);
    assert.equal(target!.AssociationVersion, '1');
    assert.equal(target!.ExecutionId, list[0]!.ExecutionId);
    assert.equal(target!.ResourceId, dev.instanceId);
    assert.equal(target!.ResourceType, 'ManagedInstance');
    assert.equal(target!.Status, 'Success');
    assert.equal(target!.DetailedStatus, 'Success');
    assert.ok(target!.LastExecutionDate instanceof Date);
    assert.equal(target!.OutputSource?.OutputSourceType, 'RunCommand');
    // The output source is a real Run Command invocation whose output came from the node.
    const inv = await send((c) => c.send(new GetCommandInvocationCommand({ CommandId: target!.OutputSource!.OutputSourceId!, InstanceId: dev.instanceId })));
    assert.equal(inv.Status, 'Success');
    assert.equal(inv.DocumentName, 'AWS-RunShellScript');
    assert.deepEqual(runLog(p.log), await commandIds(id, list));

    const statuses = (await send((c) => c.send(new DescribeInstanceAssociationsStatusCommand({ InstanceId: dev.instanceId })))).InstanceAssociationStatusInfos!;
    const mine = statuses.find((s) => s.AssociationId === id);
    assert.ok(mine, `the node's statuses name the association: ${JSON.stringify(statuses)}`);
    assert.equal(mine.Name, 'AWS-RunShellScript');
    assert.equal(mine.AssociationName, 'history-e2e');
    assert.equal(mine.AssociationVersion, '1');
    assert.equal(mine.InstanceId, dev.instanceId);
    assert.equal(mine.Status, 'Success');
    assert.equal(mine.DetailedStatus, 'Success');
    assert.ok(mine.ExecutionDate instanceof Date);
    assert.match(mine.ExecutionSummary ?? '', /1 out of 1 plugin processed, 1 success/);

    const d = (await send((c) => c.send(new DescribeAssociationCommand({ AssociationId: id })))).AssociationDescription!;
    assert.equal(d.Overview?.Status, 'Success');
    assert.deepEqual(d.Overview?.AssociationStatusAggregatedCount, { Success: 1 });
    assert.equal(d.LastExecutionDate?.getTime(), created + 60 * MINUTE);
    assert.ok(d.LastSuccessfulExecutionDate instanceof Date && d.LastSuccessfulExecutionDate.getTime() >= created + 60 * MINUTE);
    assert.deepEqual(d.Targets, [{ Key: 'tag:Env', Values: ['dev'] }]);

    const listed = (await send((c) => c.send(new ListAssociationsCommand({ AssociationFilterList: [{ key: 'AssociationName', value: 'history-e2e' }] })))).Associations!;
    assert.equal(listed.length, 1);
    assert.equal(listed[0]!.AssociationId, id);
    assert.equal(listed[0]!.ScheduleExpression, 'rate(1 hour)');
    assert.equal(listed[0]!.Overview?.Status, 'Success');
    assert.equal(listed[0]!.LastExecutionDate?.getTime(), created + 60 * MINUTE);

    const effective = (await send((c) => c.send(new DescribeEffectiveInstanceAssociationsCommand({ InstanceId: dev.instanceId })))).Associations!;
    assert.ok(effective.some((a) => a.AssociationId === id && a.AssociationVersion === '1' && /runShellScript/.test(a.Content ?? '')), JSON.stringify(effective));
    await remove(id);
  });

  test('cron schedules fire at their time and not a second before; ApplyOnlyAtCronInterval does not run at creation; a day jumped runs once', async () => {
    const plain = place('cron-plain');
    const waits = place('cron-waits');
    const targets = [{ Key: 'InstanceIds', Values: [dev.instanceId] }];
    const a = await create({ commands: converge(plain, 'plain'), Targets: targets, ScheduleExpression: 'cron(45 13 ? * * *)' });
    const b = await create({ commands: converge(waits, 'waits'), Targets: targets, ScheduleExpression: 'cron(45 13 ? * * *)', ApplyOnlyAtCronInterval: true });
    await runsEnded(a.id, 1);
    assert.equal(await quietCount(b.id), 0, 'ApplyOnlyAtCronInterval: nothing runs at creation');
    assert.ok(!existsSync(waits.log));

    const now = new Date(clock.now());
    let fire = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), 13, 45);
    if (fire <= clock.now()) fire += DAY;
    for (const day of [0, 1]) {
      const at = fire + day * DAY;
      await moveTo(at - SECOND);
      assert.equal(await quietCount(a.id), 1 + day, `cron: no run at ${new Date(at - SECOND).toISOString()}`);
      assert.equal(await quietCount(b.id), day, `ApplyOnlyAtCronInterval: no run at ${new Date(at - SECOND).toISOString()}`);
      await moveTo(at);
      const ra = await runsEnded(a.id, 2 + day);
      const rb = await runsEnded(b.id, 1 + day);
      assert.equal(ra.list[0]!.CreatedTime!.getTime(), at, 'the cron run at its minute');
      assert.equal(rb.list[0]!.CreatedTime!.getTime(), at);
      assert.ok([...ra.list, ...rb.list].every((e) => e.Status === 'Success'), show([...ra.list, ...rb.list]));
      assert.deepEqual(runLog(plain.log), await commandIds(a.id, ra.list));
      assert.deepEqual(runLog(waits.log), await commandIds(b.id, rb.list));
    }
    assert.equal(readFileSync(waits.file, 'utf8'), 'waits\n');
    await remove(a.id);
    await remove(b.id);
  });

  test('a node tagged after the association was created gets its own run within one sweep', async () => {
    const p = place('late');
    const { id } = await create({ commands: converge(p, 'late'), Targets: [{ Key: 'tag:Role', Values: ['late-joiner'] }], ScheduleExpression: 'rate(30 minutes)' });
    const none = await runsEnded(id, 1);
    assert.equal(none.list[0]!.Status, 'Success');
    assert.equal((await targetsOf(id, none.list[0]!.ExecutionId!)).length, 0, 'no node matched at creation');

    await send((c) => c.send(new AddTagsToResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: spare.instanceId, Tags: [{ Key: 'Role', Value: 'late-joiner' }] })));
    const taggedAt = clock.now();
    const { list } = await runsEnded(id, 2, { stepMs: SECOND });
    const run = list[0]!;
    assert.ok(run.CreatedTime!.getTime() - taggedAt <= PING_MS + SECOND, `the node's run began ${run.CreatedTime!.getTime() - taggedAt} ms of server time after the tag; the sweep runs every ${PING_MS} ms`);
    assert.equal(run.Status, 'Success', show(list));
    const targets = await targetsOf(id, run.ExecutionId!);
    assert.deepEqual(targets.map((x) => x.ResourceId), [spare.instanceId]);
    assert.equal(readFileSync(p.file, 'utf8'), 'late\n', 'the late node applied it');
    assert.deepEqual(runLog(p.log), [targets[0]!.OutputSource!.OutputSourceId]);
    // Given the association once, the node is not new to it again.
    for (let i = 0; i < 3; i++) clock.advance(PING_MS);
    assert.equal(await quietCount(id), 2, 'the sweep gives a node the association once');
    const status = (await send((c) => c.send(new DescribeInstanceAssociationsStatusCommand({ InstanceId: spare.instanceId })))).InstanceAssociationStatusInfos!;
    assert.equal(status.find((s) => s.AssociationId === id)?.Status, 'Success');
    await remove(id);
  });

  test('a change calendar closed by an event skips the run inside it; the run after it goes ahead', async () => {
    const p = place('calendar');
    const start = clock.now();
    const ical = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
    const calendar = `Freeze-${process.pid}`;
    await send((c) =>
      c.send(
        new CreateDocumentCommand({
          Name: calendar,
          DocumentType: 'ChangeCalendar',
          DocumentFormat: 'TEXT',
          Content: ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//capstan//e2e//EN', 'X-CALENDAR-TYPE:DEFAULT_OPEN', 'BEGIN:VEVENT', `UID:freeze-${process.pid}`, `DTSTAMP:${ical(start)}`, `DTSTART:${ical(start + 20 * MINUTE)}`, `DTEND:${ical(start + 40 * MINUTE)}`, 'SUMMARY:change freeze', 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n'),
        }),
      ),
    );
    const { id, created } = await create({ commands: converge(p, 'calendar'), Targets: [{ Key: 'tag:Env', Values: ['dev'] }], ScheduleExpression: 'rate(30 minutes)', CalendarNames: [calendar] });
    assert.ok(created < start + 20 * MINUTE && created + 30 * MINUTE < start + 40 * MINUTE && created + 60 * MINUTE >= start + 40 * MINUTE, 'the second run falls in the freeze and the third after it');
    const open = await runsEnded(id, 1);
    assert.equal(open.list[0]!.Status, 'Success', 'the calendar is open at creation');
    assert.equal(runLog(p.log).length, 1);

    await moveTo(created + 30 * MINUTE);
    const frozen = await runsEnded(id, 2);
    assert.equal(frozen.list[0]!.Status, 'Skipped', show(frozen.list));
    assert.match(frozen.list[0]!.DetailedStatus!, new RegExp(`${calendar}.*CLOSED`));
    assert.equal((await targetsOf(id, frozen.list[0]!.ExecutionId!)).length, 0);
    assert.equal(runLog(p.log).length, 1, 'nothing ran on the node during the freeze');
    const d = (await send((c) => c.send(new DescribeAssociationCommand({ AssociationId: id })))).AssociationDescription!;
    assert.equal(d.Overview?.Status, 'Success', 'a skipped run leaves the last result standing');

    await moveTo(created + 60 * MINUTE);
    const after = await runsEnded(id, 3);
    assert.deepEqual(after.list.map((e) => e.Status), ['Success', 'Skipped', 'Success']);
    assert.deepEqual(runLog(p.log), await commandIds(id, after.list));
    await remove(id);
  });

  test('a calendar closed from the start skips once per scheduled run; the sweep does not start runs of its own meanwhile', async () => {
    const p = place('closed');
    const calendar = `Closed-${process.pid}`;
    await send((c) =>
      c.send(new CreateDocumentCommand({ Name: calendar, DocumentType: 'ChangeCalendar', DocumentFormat: 'TEXT', Content: ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//capstan//e2e//EN', 'X-CALENDAR-TYPE:DEFAULT_CLOSED', 'END:VCALENDAR', ''].join('\r\n') })),
    );
    const { id, created } = await create({ commands: converge(p, 'closed'), Targets: [{ Key: 'tag:Env', Values: ['dev'] }], ScheduleExpression: 'rate(30 minutes)', CalendarNames: [calendar] });
    try {
      const first = await runsEnded(id, 1);
      assert.equal(first.list[0]!.Status, 'Skipped');
      // Several sweeps, well inside the first interval: a skipped run is not a new node.
      for (let i = 0; i < 4; i++) {
        clock.advance(PING_MS);
        await quietCount(id);
      }
      const during = await executions(id);
      assert.equal(
        during.length,
        1,
        `a run skipped by the calendar records no association_nodes row; the sweep must not take the node for a new one and start a skipped NewTarget run every ${PING_MS} ms: ${show(during)}`,
      );
      await moveTo(created + 30 * MINUTE);
      const { list } = await runsEnded(id, 2);
      assert.deepEqual(list.map((e) => e.Status), ['Skipped', 'Skipped']);
      assert.deepEqual(runLog(p.log), [], 'nothing ran on the node');
    } finally {
      // Left behind, it would go on making runs during the tests after it.
      await remove(id);
    }
  });

  test('a run that fails before it reaches the node fails once per scheduled run; the sweep does not retry it every interval', async () => {
    const p = place('undeliverable');
    // Accepted at creation, refused when a run resolves it: the command is never sent.
    const { id, created } = await create({ commands: [`echo {{ssm:/capstan-e2e/missing-${process.pid}}} >> '${p.log}'`], Targets: [{ Key: 'tag:Env', Values: ['dev'] }], ScheduleExpression: 'rate(30 minutes)' });
    try {
      const first = await runsEnded(id, 1);
      assert.equal(first.list[0]!.Status, 'Failed');
      assert.match(first.list[0]!.DetailedStatus!, /InvalidParameters/);
      for (let i = 0; i < 4; i++) {
        clock.advance(PING_MS);
        await quietCount(id);
      }
      const during = await executions(id);
      assert.equal(
        during.length,
        1,
        `a run that failed at dispatch gives its nodes their (failed) run: no sweep starts it again as a new target: ${show(during)}`,
      );
      await moveTo(created + 30 * MINUTE);
      const { list } = await runsEnded(id, 2);
      assert.deepEqual(list.map((e) => e.Status), ['Failed', 'Failed']);
      assert.deepEqual(runLog(p.log), []);
    } finally {
      await remove(id);
    }
  });

  test('a document an association applies cannot be deleted while the association exists', async () => {
    const p = place('owned-document');
    const name = `Converge-${process.pid}`;
    await send((c) =>
      c.send(new CreateDocumentCommand({ Name: name, DocumentType: 'Command', DocumentFormat: 'JSON', Content: JSON.stringify({ schemaVersion: '2.2', description: 'converge', mainSteps: [{ action: 'aws:runShellScript', name: 'converge', inputs: { runCommand: converge(p, 'owned') } }] }) })),
    );
    const d = (await send((c) => c.send(new CreateAssociationCommand({ Name: name, Targets: [{ Key: 'tag:Env', Values: ['dev'] }], ScheduleExpression: 'rate(30 minutes)' })))).AssociationDescription!;
    try {
      await runsEnded(d.AssociationId!, 1);
      assert.equal(readFileSync(p.file, 'utf8'), 'owned\n');
      const refused = await send((c) => c.send(new DeleteDocumentCommand({ Name: name }))).then(
        () => undefined,
        (e: Error) => e,
      );
      assert.equal(
        refused?.name,
        'AssociatedInstances',
        'DeleteDocument refuses a document an association applies',
      );
    } finally {
      await send((c) => c.send(new DeleteAssociationCommand({ AssociationId: d.AssociationId! })));
      await send((c) => c.send(new DeleteDocumentCommand({ Name: name }))).catch(() => undefined);
    }
  });

  test('an update makes version 2, which runs at once and on the schedule after; the file follows the new parameters', async () => {
    const p = place('update');
    const { id, created } = await create({ commands: converge(p, 'version-one'), Targets: [{ Key: 'tag:Env', Values: ['dev'] }], ScheduleExpression: 'rate(30 minutes)', AssociationName: 'update-e2e' });
    await runsEnded(id, 1);
    assert.equal(readFileSync(p.file, 'utf8'), 'version-one\n');

    const updated = (await send((c) => c.send(new UpdateAssociationCommand({ AssociationId: id, Parameters: { commands: converge(p, 'version-two') } })))).AssociationDescription!;
    assert.equal(updated.AssociationVersion, '2');
    assert.equal(updated.ScheduleExpression, 'rate(30 minutes)', 'what the update leaves out stays');
    assert.equal(updated.AssociationName, 'update-e2e');
    const applied = await runsEnded(id, 2);
    assert.equal(applied.list[0]!.AssociationVersion, '2');
    assert.equal(applied.list[0]!.Status, 'Success');
    assert.equal(readFileSync(p.file, 'utf8'), 'version-two\n', 'the update was applied on the node');

    // The rate stays counted from the association's creation, and the scheduled run is version 2's.
    rmSync(p.file);
    await moveTo(created + 30 * MINUTE - SECOND);
    assert.equal(await quietCount(id), 2);
    await moveTo(created + 30 * MINUTE);
    const scheduled = await runsEnded(id, 3);
    assert.deepEqual(scheduled.list.map((e) => e.AssociationVersion), ['2', '2', '1']);
    assert.equal(readFileSync(p.file, 'utf8'), 'version-two\n');
    assert.deepEqual(runLog(p.log), await commandIds(id, scheduled.list));

    const versions = (await send((c) => c.send(new ListAssociationVersionsCommand({ AssociationId: id })))).AssociationVersions!;
    assert.deepEqual(versions.map((v) => v.AssociationVersion), ['1', '2']);
    assert.deepEqual(versions.map((v) => v.Parameters?.commands?.[0]), [converge(p, 'version-one')[0], converge(p, 'version-two')[0]]);
    const status = (await send((c) => c.send(new DescribeInstanceAssociationsStatusCommand({ InstanceId: dev.instanceId })))).InstanceAssociationStatusInfos!;
    assert.equal(status.find((s) => s.AssociationId === id)?.AssociationVersion, '2');
    await remove(id);
  });
});
