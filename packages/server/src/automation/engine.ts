import type { Core } from '../protocol/context.js';
import type { Job } from '../scheduler/scheduler.js';
import { actorCall, type Actor } from '../protocol/actor.js';
import type { Action, ChildStart, Json, Outcome, StepContext } from './actions/types.js';
import { StepFailure } from './errors.js';
import { automationEvents } from './events.js';
import { following, findStep, isCritical, onCancelOf, onFailureOf, DEFAULT_STEP_TIMEOUT_S, type Runbook, type StepDef, type StepList } from './runbook.js';
import { convertOutput, select, toWireValues } from './selectors.js';
import { automationStore as store, isTerminal, tables, type AutomationDb } from './store.js';
import type { ExecutionRow, StepRow } from './tables.js';
import { advanceRateControl, isRateControlled } from './targets.js';
import { resolveInputs, shownInputs, stepValues } from './values.js';

export const ADVANCE_JOB = 'automation.advance';
/** Tries of one wake-up before the execution is failed as stuck: transient store errors get retried with backoff first. */
export const ADVANCE_ATTEMPTS = 12;

/** Steps that wait for a person get this long unless the runbook says otherwise (aws:approve's AWS maximum). */
const WAIT_FOR_PEOPLE_S = 7 * 24 * 3600;
/** A unit of work: at most this many in one job run, so one execution cannot hold a scheduler slot for ever. */
const MAX_UNITS_PER_RUN = 500;

type Unit = { kind: 'again' } | { kind: 'wait'; wakeAt?: number } | { kind: 'done' };

export interface EngineDeps {
  actions: Readonly<Record<string, Action>>;
  /** Starts a child execution of another runbook (aws:executeAutomation): resolves and checks it, then writes it in its own transaction. */
  startChild(parent: ExecutionRow, parentSeq: number, input: ChildStart): Promise<void>;
  /** Writes a rate-controlled parent's child (same runbook, parameters checked at the parent's start) in `db`. */
  spawn(db: AutomationDb, parent: ExecutionRow, parentSeq: number, child: { executionId: string; parameters: Record<string, string[]>; target: string }): Promise<void>;
  /** Asks an execution to stop, in `db`. */
  stop(db: AutomationDb, executionId: string): Promise<void>;
}

/**
 * Runs executions forward. All progress of one execution happens in the one scheduler job keyed
 * by its id, so one replica at a time moves it; every state change is a transaction on the
 * execution's row, and anything that waits (a sleep, an approval, a command) ends the job run
 * with the next wake-up written as a job due then. A replica that dies mid-step loses the job's
 * lease and another one continues from the rows.
 */
export class Engine {
  private readonly db: AutomationDb;
  private readonly postgres: boolean;

  constructor(
    private readonly core: Core,
    private readonly deps: EngineDeps,
  ) {
    this.db = tables(core.database.db);
    this.postgres = core.database.engine === 'postgres';
  }

  /** Makes the execution advance soon: from a signal, a child ending, a stop. Call inside the writer's transaction. */
  async wake(trx: AutomationDb, executionId: string, at?: number): Promise<void> {
    const now = at ?? this.core.clock.now();
    await trx.updateTable('automation_executions').set({ wake_at: now }).where('execution_id', '=', executionId).execute();
    await this.core.scheduler.wake({ kind: ADVANCE_JOB, dedupeKey: executionId, dueAt: now, payload: { executionId }, maxAttempts: ADVANCE_ATTEMPTS }, trx);
  }

  async handle(job: Job): Promise<void> {
    const { executionId } = job.payload as { executionId: string };
    const mine = new Set<number>();
    for (let units = 0; ; units += 1) {
      let unit: Unit;
      try {
        unit = units < MAX_UNITS_PER_RUN ? await this.unit(executionId, mine) : { kind: 'wait', wakeAt: this.core.clock.now() };
      } catch (err) {
        // The scheduler retries with backoff; on the last try the execution ends rather than hangs.
        if (job.attempt < ADVANCE_ATTEMPTS) throw err;
        unit = await this.giveUp(executionId, err);
      }
      if (unit.kind === 'again') continue;
      const again = await this.core.database.db.transaction().execute(async (trx) => {
        const db = tables(trx);
        const ex = await store.lock(db, executionId, this.postgres);
        const now = this.core.clock.now();
        const wakeAt = ex?.wake_at ?? null;
        if (ex && wakeAt !== null && wakeAt <= now && !isTerminal(ex.status)) {
          await db.updateTable('automation_executions').set({ wake_at: null }).where('execution_id', '=', executionId).execute();
          return true;
        }
        await job.settle(trx);
        if (!ex || unit.kind === 'done' || isTerminal(ex.status)) return false;
        const due = Math.min(unit.wakeAt ?? Infinity, wakeAt ?? Infinity);
        await db.updateTable('automation_executions').set({ wake_at: null }).where('execution_id', '=', executionId).execute();
        if (Number.isFinite(due)) await this.core.scheduler.enqueue({ kind: ADVANCE_JOB, dedupeKey: executionId, dueAt: due, payload: { executionId }, maxAttempts: ADVANCE_ATTEMPTS }, trx);
        return false;
      });
      if (!again) return;
    }
  }

  private giveUp(executionId: string, err: unknown): Promise<Unit> {
    return this.transaction(async (db) => {
      const ex = await store.lock(db, executionId, this.postgres);
      if (!ex || isTerminal(ex.status)) return { kind: 'done' } as Unit;
      ex.failure_message = `Capstan could not advance this execution after ${ADVANCE_ATTEMPTS} tries: ${(err as Error)?.message ?? String(err)}`.slice(0, 2000);
      await store.updateExecution(db, executionId, { failure_message: ex.failure_message });
      return this.finish(db, ex, 'Failed');
    });
  }

  /** One step of progress; the action itself runs outside any transaction. */
  private async unit(executionId: string, mine: Set<number>): Promise<Unit> {
    const plan = await this.transaction(async (db) => {
      const ex = await store.lock(db, executionId, this.postgres);
      if (!ex || isTerminal(ex.status)) return { kind: 'done' } as const;
      if (isRateControlled(ex)) return { kind: 'unit', unit: await advanceRateControl(this.core, db, ex, this.rateDeps()) } as const;
      const runbook = JSON.parse(ex.runbook) as Runbook;
      const now = this.core.clock.now();
      if (ex.current_seq === null) {
        if (ex.stop_requested) return { kind: 'unit', unit: await this.finish(db, ex) } as const;
        await store.addStep(db, ex, runbook.mainSteps[0]!);
        await this.setStatus(db, ex, 'InProgress');
        return { kind: 'unit', unit: { kind: 'again' } } as const;
      }
      const row = (await store.step(db, executionId, ex.current_seq))!;
      const def = JSON.parse(row.definition) as StepDef;
      const action = this.deps.actions[def.action];
      if (row.status === 'Pending') {
        if (ex.stop_requested === 'Cancel') {
          await store.updateStep(db, executionId, row.seq, { status: 'Cancelled', ended_at: now });
          return { kind: 'unit', unit: await this.finish(db, ex) } as const;
        }
        const state = JSON.parse(row.state) as Json;
        if (ex.mode === 'Interactive' && !state.startRequested) {
          await this.setStatus(db, ex, 'Waiting');
          return { kind: 'unit', unit: { kind: 'wait' } } as const;
        }
        if (!action) return { kind: 'unit', unit: await this.applyOutcome(db, ex, row, def, { status: 'Failed', message: `Capstan cannot run ${def.action} steps.`, failureType: 'Invocation' }) } as const;
        await this.setStatus(db, ex, 'InProgress');
        const attempt = row.attempt + 1;
        return { kind: 'run', ex, row: { ...row, attempt, started_at: now }, def, action, starting: true } as const;
      }
      if (row.status !== 'InProgress' && row.status !== 'Waiting') {
        // A finished row left current: an interrupted move to the next step; move on from it.
        return { kind: 'unit', unit: await this.afterStep(db, ex, row, def, row.status === 'Success') } as const;
      }
      if (!action) return { kind: 'unit', unit: { kind: 'done' } } as const;
      if (row.starting === 1 && !mine.has(row.seq)) {
        return {
          kind: 'unit',
          unit: await this.applyOutcome(db, ex, row, def, {
            status: 'Failed',
            message: `Capstan stopped while this ${def.action} step was running. It may have taken effect, and ${def.action} steps are not run twice, so the step failed; check its effect before running the automation again.`,
            failureType: 'Unknown',
          }),
        } as const;
      }
      return { kind: 'run', ex, row, def, action, starting: false } as const;
    });
    if (plan.kind === 'done') return plan;
    if (plan.kind === 'unit') return plan.unit;
    return this.runStep(plan.ex, plan.row, plan.def, plan.action, plan.starting, mine);
  }

  private async runStep(ex: ExecutionRow, row: StepRow, def: StepDef, action: Action, starting: boolean, mine: Set<number>): Promise<Unit> {
    const actor = JSON.parse(ex.actor) as Actor;
    const now = this.core.clock.now();
    const startedAt = row.started_at ?? now;
    const deadline = startedAt + this.timeoutOf(def) * 1000;
    const abort = new AbortController();
    let ctx: StepContext;
    try {
      const call = await actorCall(this.core, actor, ex.region);
      const rows = await store.steps(this.db, ex.execution_id);
      const values = await stepValues(call, ex, rows);
      const inputs = resolveInputs(def.inputs, values);
      ctx = this.context(ex, row, def, inputs, JSON.parse(row.state) as Json, actor, deadline, abort.signal);
      if (starting) {
        const state = action.prepare?.(ctx) ?? {};
        ctx.state = state;
        const repeatable = action.repeatable(ctx);
        await this.transaction(async (db) => {
          await store.updateStep(db, ex.execution_id, row.seq, {
            status: 'InProgress',
            attempt: row.attempt,
            started_at: startedAt,
            ended_at: null,
            state: JSON.stringify(state),
            starting: repeatable ? 0 : 1,
            inputs: JSON.stringify(shownInputs(def.inputs, values)),
            failure_message: '',
            failure_details: '',
          });
        });
        mine.add(row.seq);
        await this.stepEvent(ex, { ...row, status: 'InProgress' });
      }
    } catch (err) {
      return this.settleOutcome(ex.execution_id, row, def, failure(err));
    }
    const stopping = (await store.get(this.db, ex.execution_id))?.stop_requested === 'Cancel';
    const stepStopped = ctx.state.stopRequested === true;
    let outcome: Outcome;
    if (stopping || stepStopped || now >= deadline) {
      await action.cancel?.(ctx).catch(() => undefined);
      outcome = stopping
        ? { status: 'Cancelled', message: 'The automation was cancelled.' }
        : stepStopped
          ? { status: 'Failed', message: 'The step was stopped by a StopStep signal.', failureType: 'Invocation' }
          : { status: 'TimedOut', message: `The step did not finish within its ${this.timeoutOf(def)} seconds.` };
    } else {
      const timer = setTimeout(() => abort.abort(), Math.max(0, deadline - now));
      timer.unref();
      try {
        outcome = await action.run(ctx);
      } catch (err) {
        outcome = failure(err);
      } finally {
        clearTimeout(timer);
      }
      if (abort.signal.aborted && outcome.status !== 'Success') outcome = { status: 'TimedOut', message: `The step did not finish within its ${this.timeoutOf(def)} seconds.` };
    }
    return this.settleOutcome(ex.execution_id, row, def, outcome, ctx.state, deadline);
  }

  private settleOutcome(executionId: string, row: StepRow, def: StepDef, outcome: Outcome, state?: Json, deadline?: number): Promise<Unit> {
    return this.transaction(async (db) => {
      const ex = await store.lock(db, executionId, this.postgres);
      const current = ex && (await store.step(db, executionId, row.seq));
      // Cancelled, or moved on by another path meanwhile: what this run found no longer matters.
      if (!ex || !current || isTerminal(ex.status) || ex.current_seq !== row.seq || !['InProgress', 'Waiting', 'Pending'].includes(current.status)) return { kind: 'again' } as Unit;
      if (state) await store.updateStep(db, executionId, row.seq, { state: JSON.stringify(state) });
      const fresh = { ...current, state: state ? JSON.stringify(state) : current.state, attempt: row.attempt, started_at: row.started_at ?? current.started_at };
      return this.applyOutcome(db, ex, fresh, def, outcome, deadline);
    });
  }

  private async applyOutcome(db: AutomationDb, ex: ExecutionRow, row: StepRow, def: StepDef, outcome: Outcome, deadline?: number): Promise<Unit> {
    const now = this.core.clock.now();
    const id = ex.execution_id;
    if (outcome.status === 'InProgress' || outcome.status === 'Waiting') {
      await store.updateStep(db, id, row.seq, { status: outcome.status, starting: 0 });
      await this.setStatus(db, ex, outcome.status === 'Waiting' ? 'Waiting' : 'InProgress');
      const wakeAt = Math.min(outcome.wakeAt ?? Infinity, deadline ?? Infinity);
      return Number.isFinite(wakeAt) ? { kind: 'wait', wakeAt } : { kind: 'wait' };
    }
    if (outcome.status === 'Enter') {
      // aws:loop: its next iteration starts at the first of its Steps.
      await store.updateStep(db, id, row.seq, { status: 'InProgress', starting: 0 });
      const first = ((def.inputs?.Steps ?? []) as StepDef[])[0]!;
      const value = outcome.iteratorValue === undefined ? null : typeof outcome.iteratorValue === 'string' ? outcome.iteratorValue : JSON.stringify(outcome.iteratorValue);
      await store.addStep(db, ex, first, { parentSeq: row.seq, iteration: outcome.iteration, iteratorValue: value });
      return { kind: 'again' };
    }
    if (outcome.status === 'Success') {
      let outputs: Json;
      try {
        outputs = { ...(outcome.outputs ?? {}), ...selectOutputs(def, outcome.response) };
      } catch (err) {
        return this.applyOutcome(db, ex, row, def, failure(err), deadline);
      }
      await store.updateStep(db, id, row.seq, {
        status: 'Success',
        starting: 0,
        outputs: JSON.stringify(outputs),
        response: outcome.responseText ?? '',
        response_code: outcome.responseCode ?? '',
        attempt: row.attempt,
        started_at: row.started_at,
        ended_at: now,
      });
      if (outcome.variables) {
        ex.variables = JSON.stringify({ ...(JSON.parse(ex.variables) as Json), ...outcome.variables });
        await store.updateExecution(db, id, { variables: ex.variables });
      }
      await this.stepEvent(ex, { ...row, status: 'Success', ended_at: now }, db);
      if (ex.stop_requested === 'Cancel' && ex.status === 'Cancelling') return this.finish(db, ex);
      return this.moveOn(db, ex, row, outcome.next !== undefined ? findStep(this.listOf(ex, row), outcome.next) : following(this.listOf(ex, row), def));
    }
    // Failed, TimedOut or Cancelled.
    const maxAttempts = Number(def.maxAttempts ?? 1);
    if (outcome.status !== 'Cancelled' && row.attempt < maxAttempts && ex.stop_requested === '') {
      await store.updateStep(db, id, row.seq, { status: 'Pending', state: '{}', starting: 0, attempt: row.attempt, started_at: row.started_at, failure_message: `Attempt ${row.attempt} of ${maxAttempts}: ${outcome.message}` });
      return { kind: 'again' };
    }
    await store.updateStep(db, id, row.seq, {
      status: outcome.status,
      starting: 0,
      outputs: JSON.stringify(outcome.outputs ?? {}),
      response_code: outcome.responseCode ?? '',
      failure_message: outcome.message.slice(0, 10_000),
      failure_details: JSON.stringify({ FailureStage: 'Execution', FailureType: outcome.failureType ?? (outcome.status === 'TimedOut' ? 'Verification' : 'Invocation'), Details: {} }),
      attempt: row.attempt,
      started_at: row.started_at,
      ended_at: now,
    });
    await this.stepEvent(ex, { ...row, status: outcome.status, ended_at: now }, db);
    if (outcome.status === 'Cancelled') {
      const onCancel = onCancelOf(def);
      if (onCancel.startsWith('step:') && row.parent_seq === null) {
        const target = findStep(this.listOf(ex, row), onCancel.slice(5));
        // The onCancel step runs as an ordinary step; the execution still ends Cancelled.
        if (target) {
          await store.updateExecution(db, id, { stop_requested: 'Cancel:handled' });
          ex.stop_requested = 'Cancel:handled';
          await store.addStep(db, ex, target);
          return { kind: 'again' };
        }
      }
      return this.finish(db, ex);
    }
    if (isCritical(def)) {
      ex.failure_message = `Step ${def.name} ${outcome.status === 'TimedOut' ? 'timed out' : 'failed'}: ${outcome.message}`.slice(0, 10_000);
      await store.updateExecution(db, id, { failure_message: ex.failure_message });
    }
    const onFailure = onFailureOf(def);
    if (onFailure === 'Continue') return this.moveOn(db, ex, row, following(this.listOf(ex, row), def));
    if (onFailure.startsWith('step:')) return this.moveOn(db, ex, row, findStep(this.listOf(ex, row), onFailure.slice(5)));
    // Abort: the list this step is in ends; a loop's inner failure fails the loop.
    if (row.parent_seq !== null) {
      const loop = (await store.step(db, id, row.parent_seq))!;
      ex.current_seq = loop.seq;
      await store.updateExecution(db, id, { current_seq: loop.seq, current_step: loop.step_name, current_action: loop.action });
      return this.applyOutcome(db, ex, loop, JSON.parse(loop.definition) as StepDef, { status: outcome.status, message: `Step ${def.name} (iteration ${row.iteration}) ${outcome.status === 'TimedOut' ? 'timed out' : 'failed'}: ${outcome.message}` });
    }
    return this.finish(db, ex, outcome.status === 'TimedOut' ? 'TimedOut' : 'Failed');
  }

  private afterStep(db: AutomationDb, ex: ExecutionRow, row: StepRow, def: StepDef, succeeded: boolean): Promise<Unit> {
    return this.moveOn(db, ex, row, succeeded || onFailureOf(def) === 'Continue' ? following(this.listOf(ex, row), def) : undefined);
  }

  /** To the next step of the same list, or back to the loop at its end, or the end of the execution. */
  private async moveOn(db: AutomationDb, ex: ExecutionRow, row: StepRow, next: StepDef | undefined): Promise<Unit> {
    if (ex.stop_requested === 'Complete') return this.finish(db, ex);
    if (next) {
      await store.addStep(db, ex, next, { parentSeq: row.parent_seq, iteration: row.iteration, iteratorValue: row.iterator_value });
      return { kind: 'again' };
    }
    if (row.parent_seq !== null) {
      const loop = (await store.step(db, ex.execution_id, row.parent_seq))!;
      ex.current_seq = loop.seq;
      await store.updateExecution(db, ex.execution_id, { current_seq: loop.seq, current_step: loop.step_name, current_action: loop.action });
      return { kind: 'again' };
    }
    return this.finish(db, ex);
  }

  /** Ends the execution: Cancelled when stopped, Failed/TimedOut when a critical step failed, otherwise Success. */
  private async finish(db: AutomationDb, ex: ExecutionRow, forced?: 'Failed' | 'TimedOut'): Promise<Unit> {
    const now = this.core.clock.now();
    const status = ex.stop_requested.startsWith('Cancel') ? 'Cancelled' : forced ?? (ex.failure_message ? 'Failed' : 'Success');
    const rows = await store.steps(db, ex.execution_id);
    const runbook = JSON.parse(ex.runbook) as Runbook;
    const outputs: Record<string, string[]> = {};
    for (const ref of runbook.outputs ?? []) {
      const [step, ...rest] = ref.split('.');
      const name = rest.join('.');
      const row = [...rows].reverse().find((r) => r.step_name === step && Object.hasOwn(JSON.parse(r.outputs) as Json, name));
      if (row) outputs[ref] = toWireValues((JSON.parse(row.outputs) as Json)[name]);
    }
    await store.updateExecution(db, ex.execution_id, { status, outputs: JSON.stringify(outputs), ended_at: now, current_seq: null, current_step: '', current_action: '' });
    await automationEvents.execution(this.core, db, { ...ex, status, ended_at: now });
    if (ex.parent_id) await this.wake(db, ex.parent_id);
    return { kind: 'done' };
  }

  private async setStatus(db: AutomationDb, ex: ExecutionRow, status: string): Promise<void> {
    if (ex.status === status || (ex.status === 'Cancelling' && status !== 'Cancelled')) return;
    ex.status = status;
    await store.updateExecution(db, ex.execution_id, { status });
    await automationEvents.execution(this.core, db, ex);
  }

  private async stepEvent(ex: ExecutionRow, row: StepRow, db: AutomationDb = this.db): Promise<void> {
    await automationEvents.step(this.core, db, ex, row);
  }

  /** The list a step row belongs to: mainSteps, or the Steps of the loop it runs in. */
  private listOf(ex: ExecutionRow, row: StepRow): StepList {
    const runbook = JSON.parse(ex.runbook) as Runbook;
    if (row.parent_seq === null) return runbook.mainSteps;
    return innerSteps(runbook.mainSteps, row.step_name) ?? [];
  }

  private timeoutOf(def: StepDef): number {
    const t = Number(def.timeoutSeconds);
    if (Number.isFinite(t) && t > 0) return t;
    if (def.action === 'aws:approve' || def.action === 'aws:pause') return WAIT_FOR_PEOPLE_S;
    return DEFAULT_STEP_TIMEOUT_S;
  }

  private context(ex: ExecutionRow, row: StepRow, def: StepDef, inputs: Json, state: Json, actor: Actor, deadline: number, signal: AbortSignal): StepContext {
    const core = this.core;
    return {
      core,
      execution: ex,
      step: row,
      def,
      inputs,
      state,
      now: core.clock.now(),
      deadline,
      actor,
      signal,
      call: () => actorCall(core, actor, ex.region),
      startChild: (input) => this.deps.startChild(ex, row.seq, input),
      child: async (childId) => {
        const child = await store.get(this.db, childId);
        return child ? { status: child.status, outputs: JSON.parse(child.outputs) as Record<string, string[]>, failureMessage: child.failure_message } : undefined;
      },
      stopChild: (childId) => this.transaction((db) => this.deps.stop(db, childId)),
    };
  }

  private rateDeps() {
    return { spawn: this.deps.spawn, stop: this.deps.stop, finish: (db: AutomationDb, ex: ExecutionRow, forced?: 'Failed') => this.finish(db, ex, forced), setStatus: (db: AutomationDb, ex: ExecutionRow, s: string) => this.setStatus(db, ex, s) };
  }

  private transaction<T>(fn: (db: AutomationDb) => Promise<T>): Promise<T> {
    return this.core.database.db.transaction().execute((trx) => fn(tables(trx)));
  }
}

/** The Steps of the aws:loop that contains `stepName`, searched through nested loops. */
export function innerSteps(list: StepList, stepName: string): StepList | undefined {
  for (const step of list) {
    if (step.action !== 'aws:loop') continue;
    const inner = (step.inputs?.Steps ?? []) as StepDef[];
    if (inner.some((s) => s.name === stepName)) return inner;
    const deeper = innerSteps(inner, stepName);
    if (deeper) return deeper;
  }
  return undefined;
}

function selectOutputs(def: StepDef, response: unknown): Json {
  const out: Json = {};
  for (const o of def.outputs ?? []) {
    const matches = select(response ?? {}, o.Selector);
    if (matches.length === 0) throw new StepFailure(`Output ${o.Name}: nothing in the step's response matches ${o.Selector}`, 'Verification');
    out[o.Name] = convertOutput(matches, o.Type, o.Name);
  }
  return out;
}

function failure(err: unknown): Outcome {
  if (err instanceof StepFailure) return { status: 'Failed', message: err.message, failureType: err.failureType };
  const e = err as { code?: string; message?: string };
  const message = e?.code ? `${e.code}: ${e.message}` : (e?.message ?? String(err));
  return { status: 'Failed', message, failureType: 'Invocation' };
}
