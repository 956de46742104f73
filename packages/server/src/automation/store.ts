import type { Kysely } from 'kysely';
import type { AnyDb } from '../store/database.js';
import type { AutomationTables, ExecutionRow, StepRow } from './tables.js';
import { randomUUID } from 'node:crypto';
import type { StepDef } from './runbook.js';

export type AutomationDb = Kysely<AutomationTables>;
export const tables = (db: AnyDb): AutomationDb => db.withTables<AutomationTables>();

export const TERMINAL = new Set(['Success', 'Failed', 'TimedOut', 'Cancelled', 'CompletedWithSuccess', 'CompletedWithFailure', 'Rejected', 'Exited']);
export const isTerminal = (status: string) => TERMINAL.has(status);

export const automationStore = {
  /** The execution, locked against other writers until the transaction ends (SQLite serialises writers anyway). */
  async lock(db: AutomationDb, id: string, postgres: boolean): Promise<ExecutionRow | undefined> {
    let q = db.selectFrom('automation_executions').selectAll().where('execution_id', '=', id);
    if (postgres) q = q.forUpdate();
    return q.executeTakeFirst();
  },
  get(db: AutomationDb, id: string): Promise<ExecutionRow | undefined> {
    return db.selectFrom('automation_executions').selectAll().where('execution_id', '=', id).executeTakeFirst();
  },
  steps(db: AutomationDb, id: string): Promise<StepRow[]> {
    return db.selectFrom('automation_steps').selectAll().where('execution_id', '=', id).orderBy('seq').execute();
  },
  step(db: AutomationDb, id: string, seq: number): Promise<StepRow | undefined> {
    return db.selectFrom('automation_steps').selectAll().where('execution_id', '=', id).where('seq', '=', seq).executeTakeFirst();
  },
  async updateExecution(db: AutomationDb, id: string, set: Partial<ExecutionRow>): Promise<void> {
    await db.updateTable('automation_executions').set(set).where('execution_id', '=', id).execute();
  },
  async updateStep(db: AutomationDb, id: string, seq: number, set: Partial<StepRow>): Promise<void> {
    await db.updateTable('automation_steps').set(set).where('execution_id', '=', id).where('seq', '=', seq).execute();
  },
  /** Adds the next step row (Pending) and makes it current. */
  async addStep(db: AutomationDb, ex: ExecutionRow, def: StepDef, extra: { parentSeq?: number | null; iteration?: number | null; iteratorValue?: string | null; status?: string } = {}): Promise<StepRow> {
    const row: StepRow = {
      execution_id: ex.execution_id,
      seq: ex.next_seq,
      step_execution_id: randomUUID(),
      step_name: def.name,
      action: def.action,
      status: extra.status ?? 'Pending',
      definition: JSON.stringify(def),
      inputs: '{}',
      outputs: '{}',
      response: '',
      response_code: '',
      failure_message: '',
      failure_details: '',
      overridden_parameters: '{}',
      state: '{}',
      attempt: 0,
      starting: 0,
      parent_seq: extra.parentSeq ?? null,
      iteration: extra.iteration ?? null,
      iterator_value: extra.iteratorValue ?? null,
      started_at: null,
      ended_at: null,
    };
    await db.insertInto('automation_steps').values(row).execute();
    ex.next_seq += 1;
    ex.current_seq = row.seq;
    await db.updateTable('automation_executions').set({ next_seq: ex.next_seq, current_seq: row.seq, current_step: def.name, current_action: def.action }).where('execution_id', '=', ex.execution_id).execute();
    return row;
  },
  children(db: AutomationDb, parentId: string): Promise<ExecutionRow[]> {
    return db.selectFrom('automation_executions').selectAll().where('parent_id', '=', parentId).orderBy('started_at').execute();
  },
};
