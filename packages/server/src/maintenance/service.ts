import { randomBytes } from 'node:crypto';
import type { CallContext, Core } from '../protocol/context.js';
import { isValidTimeZone, parseScheduleExpression, ScheduleExpressionError } from '../scheduler/schedule-expression.js';
import type { Job } from '../scheduler/scheduler.js';
import { doesNotExist, idempotentMismatch, limitExceeded, validation } from './errors.js';
import { Registrations } from './registrations.js';
import { FINAL, HISTORY_MS, Runs } from './runs.js';
import { HOUR, nextStart, parseWindowDate, startsBetween } from './schedule.js';
import { removeWindow, requestHash, tables, type MaintenanceDb } from './store.js';
import type { ExecutionRow, WindowRow } from './tables.js';

export const WINDOW_JOB = 'maintenance.window';
/** AWS's quota of maintenance windows per account and region. */
export const MAX_WINDOWS = 50;

export interface WindowInput {
  Name?: string;
  Description?: string;
  StartDate?: string;
  EndDate?: string;
  Schedule?: string;
  ScheduleTimezone?: string;
  ScheduleOffset?: number;
  Duration?: number;
  Cutoff?: number;
  AllowUnassociatedTargets?: boolean;
  Enabled?: boolean;
  ClientToken?: string;
  Tags?: { Key: string; Value: string }[];
}

/** Maintenance windows: their definitions, their schedule (one job per window for its next start), and through `runs` their executions. */
export class MaintenanceService {
  readonly db: MaintenanceDb;
  readonly runs: Runs;
  readonly registrations: Registrations;
  private readonly postgres: boolean;

  constructor(private readonly core: Core) {
    this.db = tables(core.database.db);
    this.postgres = core.database.engine === 'postgres';
    this.runs = new Runs(core);
    this.registrations = new Registrations(core, (call, id) => this.get(call, id));
    core.scheduler.handle(WINDOW_JOB, (job) => this.opened(job));
  }

  async create(call: CallContext, i: WindowInput & Record<string, unknown>): Promise<string> {
    const hash = requestHash(i);
    if (i.ClientToken) {
      const prior = await this.db.selectFrom('maintenance_windows').select(['window_id', 'request_hash']).where('account_id', '=', call.accountId).where('region', '=', call.region).where('client_token', '=', i.ClientToken).executeTakeFirst();
      if (prior) {
        if (prior.request_hash !== hash) throw idempotentMismatch(`ClientToken ${i.ClientToken} was used to create maintenance window ${prior.window_id} with other parameters.`);
        return prior.window_id;
      }
    }
    const now = call.now;
    const row: WindowRow = {
      window_id: `mw-${randomBytes(9).toString('hex').slice(0, 17)}`,
      account_id: call.accountId,
      region: call.region,
      ...this.check(i, now),
      enabled: 1,
      anchor_at: now,
      client_token: i.ClientToken ?? '',
      request_hash: hash,
      tags: JSON.stringify(i.Tags ?? []),
      created_at: now,
      updated_at: now,
    };
    await this.transaction(async (db) => {
      const count = await db.selectFrom('maintenance_windows').select((eb) => eb.fn.countAll<number>().as('n')).where('account_id', '=', call.accountId).where('region', '=', call.region).executeTakeFirstOrThrow();
      if (Number(count.n) >= MAX_WINDOWS) throw limitExceeded(`An account has at most ${MAX_WINDOWS} maintenance windows per region.`);
      await db.insertInto('maintenance_windows').values(row).execute();
      await this.reschedule(db, row, now);
    });
    return row.window_id;
  }

  /** Given fields replace the stored ones; with Replace, fields left out go back to their defaults (and the required ones must be given). */
  async update(call: CallContext, i: WindowInput & { WindowId: string; Replace?: boolean }): Promise<WindowRow> {
    const current = await this.get(call, i.WindowId);
    if (i.Replace) for (const k of ['Name', 'Schedule', 'Duration', 'Cutoff', 'AllowUnassociatedTargets'] as const) if (i[k] === undefined) throw validation(`${k} is required when Replace is true.`);
    const keep = <T>(given: T | undefined, stored: T, reset: T): T => (given !== undefined ? given : i.Replace ? reset : stored);
    const merged: WindowInput = {
      Name: keep(i.Name, current.name, current.name),
      Description: keep(i.Description, current.description || undefined, undefined),
      StartDate: keep(i.StartDate, current.start_date || undefined, undefined),
      EndDate: keep(i.EndDate, current.end_date || undefined, undefined),
      Schedule: keep(i.Schedule, current.schedule, current.schedule),
      ScheduleTimezone: keep(i.ScheduleTimezone, current.schedule_timezone || undefined, undefined),
      ScheduleOffset: keep(i.ScheduleOffset, current.schedule_offset ?? undefined, undefined),
      Duration: keep(i.Duration, current.duration, current.duration),
      Cutoff: keep(i.Cutoff, current.cutoff, current.cutoff),
      AllowUnassociatedTargets: keep(i.AllowUnassociatedTargets, current.allow_unassociated_targets === 1, false),
    };
    const now = call.now;
    const checked = this.check(merged, now, current);
    const timingChanged = checked.schedule !== current.schedule || checked.start_date !== current.start_date;
    const row: WindowRow = { ...current, ...checked, enabled: (i.Enabled ?? current.enabled === 1) ? 1 : 0, anchor_at: timingChanged ? now : current.anchor_at, updated_at: now };
    await this.transaction(async (db) => {
      await db.updateTable('maintenance_windows').set(row).where('window_id', '=', row.window_id).execute();
      await this.reschedule(db, row, now);
    });
    return row;
  }

  async delete(call: CallContext, id: string): Promise<void> {
    // AWS answers DeleteMaintenanceWindow for a window that is already gone.
    const row = await this.db.selectFrom('maintenance_windows').select('window_id').where('window_id', '=', id).where('account_id', '=', call.accountId).where('region', '=', call.region).executeTakeFirst();
    if (!row) return;
    await this.transaction(async (db) => {
      await removeWindow(db, id);
      await this.core.scheduler.cancel(WINDOW_JOB, id, db);
    });
  }

  async get(call: CallContext, id: string): Promise<WindowRow> {
    const row = await this.db.selectFrom('maintenance_windows').selectAll().where('window_id', '=', id).executeTakeFirst();
    if (!row || row.account_id !== call.accountId || row.region !== call.region) throw doesNotExist(`Maintenance window ${id} does not exist.`);
    return row;
  }

  async execution(call: CallContext, id: string): Promise<ExecutionRow> {
    const row = await this.db.selectFrom('maintenance_window_executions').selectAll().where('window_execution_id', '=', id).executeTakeFirst();
    if (!row || row.account_id !== call.accountId || row.region !== call.region) throw doesNotExist(`Maintenance window execution ${id} does not exist.`);
    return row;
  }

  async cancelExecution(call: CallContext, id: string): Promise<void> {
    const e = await this.execution(call, id);
    if (FINAL.has(e.status) || e.cancel_requested) return;
    await this.runs.cancel(e);
  }

  /** The window's next start, or undefined when it is disabled or has none left. */
  nextExecution(w: WindowRow, now: number): number | undefined {
    return w.enabled ? nextStart(w, now) : undefined;
  }

  /**
   * A window's start is due. Starts whose whole window passed while the server was not running
   * are recorded, not run; a start whose window is still open runs now, within what is left of
   * it; then the next start is scheduled.
   */
  private async opened(job: Job): Promise<void> {
    const { windowId, at } = job.payload as { windowId: string; at: number };
    await this.transaction(async (db) => {
      let q = db.selectFrom('maintenance_windows').selectAll().where('window_id', '=', windowId);
      if (this.postgres) q = q.forUpdate();
      const w = await q.executeTakeFirst();
      await job.settle(db);
      if (!w || !w.enabled) return;
      const now = this.core.clock.now();
      const length = w.duration * HOUR;
      const starts = at <= now ? [at, ...startsBetween(w, at, now, 10_000)] : [];
      const missed = starts.filter((s) => s + length <= now);
      const open = starts.filter((s) => s + length > now);
      if (missed.length) await this.runs.missed(db, w, missed, now);
      for (const s of open) await this.runs.open(db, w, s, now);
      await this.prune(db, w.window_id, now);
      await this.reschedule(db, w, Math.max(now, starts[starts.length - 1] ?? now));
    });
  }

  private async reschedule(db: MaintenanceDb, w: WindowRow, after: number): Promise<void> {
    await this.core.scheduler.cancel(WINDOW_JOB, w.window_id, db);
    const at = this.nextExecution(w, after);
    if (at !== undefined) await this.core.scheduler.enqueue({ kind: WINDOW_JOB, dedupeKey: w.window_id, dueAt: at, payload: { windowId: w.window_id, at }, maxAttempts: 20 }, db);
  }

  private async prune(db: MaintenanceDb, windowId: string, now: number): Promise<void> {
    const old = db.selectFrom('maintenance_window_executions').select('window_execution_id').where('window_id', '=', windowId).where('end_time', '<', now - HISTORY_MS);
    await db.deleteFrom('maintenance_window_invocations').where('window_execution_id', 'in', old).execute();
    await db.deleteFrom('maintenance_window_task_executions').where('window_execution_id', 'in', old).execute();
    await db.deleteFrom('maintenance_window_executions').where('window_id', '=', windowId).where('end_time', '<', now - HISTORY_MS).execute();
  }

  /** Checks a window's complete definition; returns its definition fields. */
  private check(i: WindowInput, now: number, current?: WindowRow): Pick<WindowRow, 'name' | 'description' | 'schedule' | 'schedule_timezone' | 'schedule_offset' | 'duration' | 'cutoff' | 'allow_unassociated_targets' | 'start_date' | 'end_date' | 'start_at' | 'end_at'> {
    const schedule = i.Schedule!;
    let parsed;
    try {
      parsed = parseScheduleExpression(schedule);
    } catch (err) {
      if (err instanceof ScheduleExpressionError) throw validation(`Schedule: ${err.message}`);
      throw err;
    }
    const tz = i.ScheduleTimezone ?? '';
    if (tz && !isValidTimeZone(tz)) throw validation(`ScheduleTimezone: ${tz} is not an IANA time zone (e.g. America/New_York, Etc/UTC).`);
    if (i.ScheduleOffset !== undefined && parsed.kind !== 'cron') throw validation('ScheduleOffset needs a cron() Schedule: it moves each cron time that many days later.');
    if (i.Cutoff! >= i.Duration!) throw validation(`Cutoff (${i.Cutoff} h) must be less than Duration (${i.Duration} h): no task could start.`);
    const date = (field: 'StartDate' | 'EndDate') => {
      const text = i[field];
      if (text === undefined || text === '') return null;
      const ms = parseWindowDate(text, tz);
      if (ms === undefined) throw validation(`${field}: ${text} is not an ISO-8601 date and time such as 2026-11-01T03:00:00Z.`);
      return ms;
    };
    const startAt = date('StartDate');
    const endAt = date('EndDate');
    if (startAt !== null && endAt !== null && endAt <= startAt) throw validation('EndDate must be after StartDate.');
    if (endAt !== null && endAt <= now && i.EndDate !== current?.end_date) throw validation(`EndDate ${i.EndDate} is in the past.`);
    return {
      name: i.Name!,
      description: i.Description ?? '',
      schedule,
      schedule_timezone: tz,
      schedule_offset: i.ScheduleOffset ?? null,
      duration: i.Duration!,
      cutoff: i.Cutoff!,
      allow_unassociated_targets: i.AllowUnassociatedTargets ? 1 : 0,
      start_date: i.StartDate ?? '',
      end_date: i.EndDate ?? '',
      start_at: startAt,
      end_at: endAt,
    };
  }

  private transaction<T>(fn: (db: MaintenanceDb) => Promise<T>): Promise<T> {
    return this.core.database.db.transaction().execute((trx) => fn(tables(trx)));
  }
}
