import { randomUUID } from 'node:crypto';
import { concurrencyLimit, errorLimit } from '../commands/rate.js';
import { commandService } from '../commands/index.js';
import { FINISHED_COMMAND } from '../commands/status.js';
import type { Core } from '../protocol/context.js';
import { isAwsError } from '../protocol/errors.js';
import type { Job } from '../scheduler/scheduler.js';
import { taskEvent } from './events.js';
import { ENDED, Invocations, invocationRequest, type Change, type Placement } from './invocations.js';
import { HOUR, formatInZone } from './schedule.js';
import { tables, type MaintenanceDb } from './store.js';
import type { ExecutionRow, InvocationRow, TaskExecutionRow, TaskRow, WindowRow } from './tables.js';
import { resolveTaskTargets, type TargetPlacement } from './targets.js';

export const ADVANCE_JOB = 'maintenance.advance';
export const WEBHOOK_JOB = 'maintenance.webhook';

export const RUNNING = ['PENDING', 'IN_PROGRESS', 'CANCELLING'];
export const FINAL = new Set(['SUCCESS', 'FAILED', 'TIMED_OUT', 'CANCELLED', 'SKIPPED_OVERLAPPING']);
const ACTIVE = new Set(['IN_PROGRESS', 'CANCELLING']);
const WEBHOOK_TRIES = 3;
/** AWS keeps a window's execution history for 30 days. */
export const HISTORY_MS = 30 * 24 * HOUR;

const when = (ms: number, tz: string) => formatInZone(ms, tz);

/**
 * A window's executions. Opening a window writes its execution, a task execution per task
 * (the task's definition copied) and an advance job, in one transaction. The advance job drives
 * the execution: it starts the lowest priority's tasks together, each on its targets at most
 * MaxConcurrency at a time, follows what they started, starts the next priority once all of
 * these ended, starts nothing new once the cutoff is reached, stops CANCEL_TASK tasks at the
 * cutoff (Run Command) and the window's end (Automation), and ends the execution.
 */
export class Runs {
  private readonly db: MaintenanceDb;
  readonly invocations: Invocations;

  constructor(private readonly core: Core) {
    this.db = tables(core.database.db);
    this.invocations = new Invocations(core);
    core.scheduler.handle(ADVANCE_JOB, (job) => this.advance(job));
    core.scheduler.handle(WEBHOOK_JOB, (job) => this.webhook(job));
    // A finished command wakes its execution at once rather than at its next look.
    commandService(core).onCommandChange((before, after) => {
      if (!FINISHED_COMMAND.has(after.status) || before?.status === after.status) return;
      void this.wakeFor(after.command_id).catch(() => undefined);
    });
  }

  /** The window opens (at `scheduledAt`): an execution of its tasks, or SKIPPED_OVERLAPPING while an earlier one runs. */
  async open(db: MaintenanceDb, w: WindowRow, scheduledAt: number, now: number): Promise<ExecutionRow> {
    const end = scheduledAt + w.duration * HOUR;
    const e: ExecutionRow = {
      window_execution_id: randomUUID(),
      window_id: w.window_id,
      account_id: w.account_id,
      region: w.region,
      status: 'PENDING',
      status_details: '',
      scheduled_at: scheduledAt,
      start_time: now,
      end_time: null,
      cutoff_at: end - w.cutoff * HOUR,
      window_end_at: end,
      cancel_requested: 0,
      created_at: now,
    };
    const running = await db.selectFrom('maintenance_window_executions').select('window_execution_id').where('window_id', '=', w.window_id).where('status', 'in', RUNNING).executeTakeFirst();
    if (running) {
      const skipped = { ...e, status: 'SKIPPED_OVERLAPPING', status_details: `Execution ${running.window_execution_id} of this window was still running.`, end_time: now };
      await db.insertInto('maintenance_window_executions').values(skipped).execute();
      return skipped;
    }
    await db.insertInto('maintenance_window_executions').values(e).execute();
    const tasks = await db.selectFrom('maintenance_window_tasks').selectAll().where('window_id', '=', w.window_id).orderBy('priority').orderBy('created_at').execute();
    for (const [k, t] of tasks.entries()) {
      await db
        .insertInto('maintenance_window_task_executions')
        .values({ task_execution_id: randomUUID(), window_execution_id: e.window_execution_id, window_id: w.window_id, window_task_id: t.window_task_id, priority: t.priority, task_type: t.task_type, task_arn: t.task_arn, definition: JSON.stringify(t), status: 'PENDING', status_details: '', start_time: null, end_time: null, cut: 0, created_at: now + k })
        .execute();
    }
    await this.core.scheduler.enqueue({ kind: ADVANCE_JOB, dedupeKey: e.window_execution_id, dueAt: now, payload: { executionId: e.window_execution_id }, maxAttempts: 50 }, db);
    return e;
  }

  /** Starts that came and went while the server was not running: recorded, not run late outside their window. */
  async missed(db: MaintenanceDb, w: WindowRow, starts: number[], now: number): Promise<void> {
    const first = starts[0]!;
    const last = starts[starts.length - 1]!;
    const tz = w.schedule_timezone || 'UTC';
    const details =
      starts.length === 1
        ? `Skipped: the server was not running for the whole window (${when(first, tz)} for ${w.duration} h); it is not run late.`
        : `Skipped: the server was not running for ${starts.length} windows from ${when(first, tz)} to ${when(last, tz)}; they are not run late.`;
    const end = last + w.duration * HOUR;
    await db
      .insertInto('maintenance_window_executions')
      .values({ window_execution_id: randomUUID(), window_id: w.window_id, account_id: w.account_id, region: w.region, status: 'TIMED_OUT', status_details: details, scheduled_at: last, start_time: last, end_time: end, cutoff_at: end - w.cutoff * HOUR, window_end_at: end, cancel_requested: 0, created_at: now })
      .execute();
  }

  /** CancelMaintenanceWindowExecution: tasks not started never start; those running finish. */
  async cancel(e: ExecutionRow): Promise<void> {
    await this.core.database.db.transaction().execute(async (trx) => {
      const db = tables(trx);
      await db.updateTable('maintenance_window_executions').set({ cancel_requested: 1, status: 'CANCELLING', status_details: 'Cancellation requested.' }).where('window_execution_id', '=', e.window_execution_id).where('status', 'in', RUNNING).execute();
      await db.updateTable('maintenance_window_task_executions').set({ status: 'CANCELLED', status_details: 'Not started: the window execution was cancelled.', end_time: this.core.clock.now() }).where('window_execution_id', '=', e.window_execution_id).where('status', '=', 'PENDING').execute();
    });
    await this.wake(e.window_execution_id, this.core.clock.now());
  }

  async wake(executionId: string, at: number): Promise<void> {
    await this.core.scheduler.wake({ kind: ADVANCE_JOB, dedupeKey: executionId, dueAt: at, payload: { executionId }, maxAttempts: 50 });
  }

  private async wakeFor(commandId: string): Promise<void> {
    const inv = await this.db.selectFrom('maintenance_window_invocations').select('window_execution_id').where('token', '=', commandId).executeTakeFirst();
    if (inv) await this.wake(inv.window_execution_id, this.core.clock.now());
  }

  private async advance(job: Job): Promise<void> {
    const { executionId } = job.payload as { executionId: string };
    const e = await this.db.selectFrom('maintenance_window_executions').selectAll().where('window_execution_id', '=', executionId).executeTakeFirst();
    if (!e || FINAL.has(e.status)) return;
    const w = await this.db.selectFrom('maintenance_windows').selectAll().where('window_id', '=', e.window_id).executeTakeFirst();
    if (!w) return;
    const now = this.core.clock.now();
    if (e.status === 'PENDING') {
      await this.db.updateTable('maintenance_window_executions').set({ status: 'IN_PROGRESS' }).where('window_execution_id', '=', executionId).where('status', '=', 'PENDING').execute();
    }
    const tasks = () => this.db.selectFrom('maintenance_window_task_executions').selectAll().where('window_execution_id', '=', executionId).orderBy('priority').orderBy('created_at').execute();
    for (const t of await tasks()) if (ACTIVE.has(t.status)) await this.step(e, t, now);
    for (;;) {
      const all = await tasks();
      if (all.some((t) => ACTIVE.has(t.status))) break;
      const pending = all.filter((t) => t.status === 'PENDING');
      if (!pending.length || e.cancel_requested) return this.finish(job, e, all, now);
      if (now >= e.cutoff_at) {
        const details = `Not started: the window's cutoff (${when(e.cutoff_at, w.schedule_timezone)}) had passed when priority ${pending[0]!.priority}'s turn came.`;
        await this.db.updateTable('maintenance_window_task_executions').set({ status: 'CANCELLED', status_details: details, cut: 1, end_time: now }).where('window_execution_id', '=', executionId).where('status', '=', 'PENDING').execute();
        continue;
      }
      const priority = pending[0]!.priority;
      for (const t of pending.filter((x) => x.priority === priority)) {
        const started = await this.startTask(e, w, t, now);
        if (started) await this.step(e, started, now);
      }
    }
    const running = (await tasks()).filter((t) => ACTIVE.has(t.status));
    const since = Math.max(0, ...running.map((t) => t.start_time ?? now));
    // Sooner at first, when most invocations end; a long one is looked at every 15 s.
    const age = now - since;
    let next = now + (age < 60_000 ? 1_000 : age < 600_000 ? 5_000 : 15_000);
    for (const at of [e.cutoff_at, e.window_end_at]) if (at > now) next = Math.min(next, at);
    await this.core.database.db.transaction().execute(async (trx) => {
      await job.settle(trx);
      await this.core.scheduler.enqueue({ kind: ADVANCE_JOB, dedupeKey: executionId, dueAt: next, payload: { executionId }, maxAttempts: 50 }, trx);
    });
  }

  /** A task's turn: its targets become invocations, one per node (or one for a task without targets). */
  private async startTask(e: ExecutionRow, w: WindowRow, t: TaskExecutionRow, now: number): Promise<TaskExecutionRow | undefined> {
    const task = JSON.parse(t.definition) as TaskRow;
    let placements: TargetPlacement[];
    try {
      placements = await resolveTaskTargets(this.core, w, task);
    } catch (err) {
      if (!isAwsError(err)) throw err;
      await this.endTask(e, t, 'FAILED', `${err.message}`.slice(0, 250), now);
      return undefined;
    }
    if (!placements.length) {
      await this.endTask(e, t, 'SUCCESS', 'No managed node matched the task\'s targets.', now);
      return undefined;
    }
    const started = await this.core.database.db.transaction().execute(async (trx) => {
      const db = tables(trx);
      // A cancellation that came meanwhile has already ended the task: then nothing of it starts.
      const moved = await db.updateTable('maintenance_window_task_executions').set({ status: 'IN_PROGRESS', start_time: now }).where('task_execution_id', '=', t.task_execution_id).where('status', '=', 'PENDING').executeTakeFirst();
      if (Number(moved.numUpdatedRows) !== 1) return false;
      for (const [seq, p] of placements.entries()) {
        const invocationId = randomUUID();
        const placement: Placement = { resourceId: p.resourceId, windowTargetId: p.windowTargetId, windowId: w.window_id, windowExecutionId: e.window_execution_id, taskExecutionId: t.task_execution_id, invocationId };
        await db
          .insertInto('maintenance_window_invocations')
          .values({
            invocation_id: invocationId,
            task_execution_id: t.task_execution_id,
            window_execution_id: e.window_execution_id,
            seq,
            task_type: t.task_type,
            resource_id: p.resourceId,
            window_target_id: p.windowTargetId,
            owner_information: p.ownerInformation,
            token: randomUUID(),
            execution_id: '',
            parameters: JSON.stringify(invocationRequest(task, placement)),
            status: 'PENDING',
            status_details: '',
            start_time: null,
            end_time: null,
            attempts: 0,
          })
          .execute();
      }
      return true;
    });
    return started ? { ...t, status: 'IN_PROGRESS', start_time: now } : undefined;
  }

  /** Follows a running task's invocations, applies the cutoff and the window's end, starts more within MaxConcurrency, and ends it when all ended. */
  private async step(e: ExecutionRow, t: TaskExecutionRow, now: number): Promise<void> {
    const task = JSON.parse(t.definition) as TaskRow;
    const invs = await this.db.selectFrom('maintenance_window_invocations').selectAll().where('task_execution_id', '=', t.task_execution_id).orderBy('seq').execute();
    const update = async (inv: InvocationRow, change: Partial<InvocationRow>) => {
      Object.assign(inv, change);
      await this.db.updateTable('maintenance_window_invocations').set(change).where('invocation_id', '=', inv.invocation_id).execute();
    };
    for (const inv of invs) {
      if (!ACTIVE.has(inv.status)) continue;
      const change = await this.invocations.follow(task, e.region, inv, now);
      if (change) await update(inv, change);
    }
    let cut = t.cut === 1;
    if (task.cutoff_behavior === 'CANCEL_TASK' && now >= e.cutoff_at) {
      for (const inv of invs.filter((i) => i.status === 'PENDING')) {
        await update(inv, { status: 'CANCELLED', status_details: 'Not started: the window reached its cutoff.', end_time: now });
        cut = true;
      }
      // Run Command is stopped at the cutoff, as AWS does; automations are left until the window's end; a webhook cannot be called back.
      const stopNow = task.task_type === 'RUN_COMMAND' || now >= e.window_end_at;
      for (const inv of stopNow ? invs.filter((i) => i.status === 'IN_PROGRESS') : []) {
        const why = now >= e.window_end_at ? 'the window ended' : 'the window reached its cutoff';
        if (await this.invocations.stop(task, e.region, inv)) {
          await update(inv, { status: 'CANCELLING', status_details: `Cancelling: ${why}.` });
          cut = true;
        }
      }
    } else {
      const errors = invs.filter((i) => i.status === 'FAILED' || i.status === 'TIMED_OUT').length;
      const pending = invs.filter((i) => i.status === 'PENDING');
      if (pending.length && errors > errorLimit(task.max_errors, invs.length)) {
        for (const inv of pending) await update(inv, { status: 'CANCELLED', status_details: `Not started: ${errors} invocations failed, more than MaxErrors ${task.max_errors} allows.`, end_time: now });
      } else {
        let room = concurrencyLimit(task.max_concurrency, invs.length) - invs.filter((i) => ACTIVE.has(i.status)).length;
        for (const inv of pending) {
          if (room-- <= 0) break;
          await this.startInvocation(e, task, inv, now, update);
        }
      }
    }
    if (cut && !t.cut) await this.db.updateTable('maintenance_window_task_executions').set({ cut: 1 }).where('task_execution_id', '=', t.task_execution_id).execute();
    if (invs.some((i) => !ENDED.has(i.status))) return;
    const count = (s: string) => invs.filter((i) => i.status === s).length;
    const failures = count('FAILED') + count('TIMED_OUT');
    const summary = `${count('SUCCESS')} of ${invs.length} invocations succeeded${failures ? `, ${failures} failed` : ''}${count('CANCELLED') ? `, ${count('CANCELLED')} cancelled or not started` : ''}.`;
    const status = cut ? 'TIMED_OUT' : failures ? 'FAILED' : count('CANCELLED') === invs.length ? 'CANCELLED' : 'SUCCESS';
    await this.endTask(e, t, status, cut ? `The window's time ran out: ${summary}` : summary, now);
  }

  private async startInvocation(e: ExecutionRow, task: TaskRow, inv: InvocationRow, now: number, update: (inv: InvocationRow, change: Partial<InvocationRow>) => Promise<void>): Promise<void> {
    if (task.task_type === 'LAMBDA' || task.task_type === 'STEP_FUNCTIONS') {
      await this.core.database.db.transaction().execute(async (trx) => {
        await tables(trx).updateTable('maintenance_window_invocations').set({ status: 'IN_PROGRESS', status_details: 'InProgress', start_time: now, execution_id: inv.token }).where('invocation_id', '=', inv.invocation_id).execute();
        await this.core.scheduler.enqueue({ kind: WEBHOOK_JOB, dedupeKey: `${inv.invocation_id}:0`, dueAt: now, payload: { invocationId: inv.invocation_id }, maxAttempts: 5 }, trx);
      });
      Object.assign(inv, { status: 'IN_PROGRESS', status_details: 'InProgress', start_time: now, execution_id: inv.token });
      return;
    }
    // Marked started before anything is sent: after a crash, following it sends what was not sent.
    await update(inv, { status: 'IN_PROGRESS', status_details: 'InProgress', start_time: now });
    const change: Change = await this.invocations.send(task, e.region, inv, now);
    await update(inv, change);
  }

  /** Ends a task execution and, with it, writes its event: only the call that moved it writes one. */
  private async endTask(e: ExecutionRow, t: TaskExecutionRow, status: string, details: string, now: number): Promise<void> {
    const text = details.slice(0, 250);
    await this.core.database.db.transaction().execute(async (trx) => {
      const moved = await tables(trx).updateTable('maintenance_window_task_executions').set({ status, status_details: text, end_time: now }).where('task_execution_id', '=', t.task_execution_id).where('status', 'in', RUNNING).executeTakeFirst();
      if (Number(moved.numUpdatedRows) > 0) await this.core.events.append(taskEvent(e, t, status, text, now), trx);
    });
  }

  private async finish(job: Job, e: ExecutionRow, all: TaskExecutionRow[], now: number): Promise<void> {
    const count = (s: string) => all.filter((t) => t.status === s).length;
    const cut = all.some((t) => t.cut === 1);
    const current = await this.db.selectFrom('maintenance_window_executions').select(['cancel_requested']).where('window_execution_id', '=', e.window_execution_id).executeTakeFirst();
    const cancelled = (current?.cancel_requested ?? e.cancel_requested) === 1;
    const status = cancelled ? 'CANCELLED' : count('FAILED') ? 'FAILED' : cut || count('TIMED_OUT') ? 'TIMED_OUT' : 'SUCCESS';
    const parts = [`${count('SUCCESS')} of ${all.length} tasks succeeded`];
    if (count('FAILED')) parts.push(`${count('FAILED')} failed`);
    if (count('TIMED_OUT')) parts.push(`${count('TIMED_OUT')} ran out of time`);
    if (count('CANCELLED')) parts.push(`${count('CANCELLED')} not started`);
    const details = all.length === 0 ? 'The window has no tasks.' : `${parts.join(', ')}.${cancelled ? ' Cancelled on request.' : ''}`;
    await this.core.database.db.transaction().execute(async (trx) => {
      await job.settle(trx);
      await tables(trx).updateTable('maintenance_window_executions').set({ status, status_details: details, end_time: now }).where('window_execution_id', '=', e.window_execution_id).execute();
    });
  }

  /** One try of a webhook invocation; a retryable failure tries again (three tries in all), then the execution is woken. */
  private async webhook(job: Job): Promise<void> {
    const { invocationId } = job.payload as { invocationId: string };
    const inv = await this.db.selectFrom('maintenance_window_invocations').selectAll().where('invocation_id', '=', invocationId).executeTakeFirst();
    if (!inv || inv.status !== 'IN_PROGRESS') return;
    const t = await this.db.selectFrom('maintenance_window_task_executions').selectAll().where('task_execution_id', '=', inv.task_execution_id).executeTakeFirstOrThrow();
    const e = await this.db.selectFrom('maintenance_window_executions').selectAll().where('window_execution_id', '=', inv.window_execution_id).executeTakeFirstOrThrow();
    const task = JSON.parse(t.definition) as TaskRow;
    const outcome = await this.invocations.webhook(task, e.region, inv, { windowId: e.window_id, windowExecutionId: e.window_execution_id, taskExecutionId: t.task_execution_id, invocationId, resourceId: inv.resource_id, windowTargetId: inv.window_target_id });
    const attempts = inv.attempts + 1;
    const now = this.core.clock.now();
    await this.core.database.db.transaction().execute(async (trx) => {
      await job.settle(trx);
      const db = tables(trx);
      if (!outcome.ok && outcome.retry && attempts < WEBHOOK_TRIES) {
        await db.updateTable('maintenance_window_invocations').set({ attempts, status_details: `Try ${attempts} of ${WEBHOOK_TRIES}: ${outcome.details}`.slice(0, 250) }).where('invocation_id', '=', invocationId).execute();
        await this.core.scheduler.enqueue({ kind: WEBHOOK_JOB, dedupeKey: `${invocationId}:${attempts}`, dueAt: now + 5_000 * attempts, payload: { invocationId }, maxAttempts: 5 }, trx);
        return;
      }
      await db.updateTable('maintenance_window_invocations').set({ attempts, status: outcome.ok ? 'SUCCESS' : 'FAILED', status_details: outcome.details, end_time: now }).where('invocation_id', '=', invocationId).execute();
    });
    await this.wake(e.window_execution_id, now);
  }
}
