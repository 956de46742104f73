import { sql, type Kysely } from 'kysely';
import type { AnyDb } from '../store/database.js';
import { commandStatus, countInvocations, TERMINAL, type Counts } from './status.js';
import { errorLimit } from './rate.js';
import type { CommandRow, CommandTables, InvocationRow } from './tables.js';

export const tables = (db: AnyDb): Kysely<CommandTables> => db.withTables<CommandTables>();

/** A number that rises with every change this process makes (clock microseconds, never repeating). */
export class ChangeCounter {
  private last = 0;
  constructor(private readonly now: () => number) {}
  next(): number {
    this.last = Math.max(this.last + 1, this.now() * 1000);
    return this.last;
  }
}

export async function countsOf(db: AnyDb, commandId: string): Promise<Counts> {
  const rows = await tables(db)
    .selectFrom('command_invocations')
    .select(['status_details', sql<number>`count(*)`.as('n')])
    .where('command_id', '=', commandId)
    .groupBy('status_details')
    .execute();
  return countInvocations(rows.map((r) => ({ status_details: r.status_details, n: Number(r.n) })));
}

/** Recomputes the command's counts and status from its invocations; returns the row as it now is. */
export async function refreshCommand(db: AnyDb, cmd: CommandRow): Promise<CommandRow> {
  const c = await countsOf(db, cmd.command_id);
  const s = commandStatus(c, errorLimit(cmd.max_errors, c.target), cmd.cancel_requested === 1);
  const next = { status: s.status, status_details: s.details, target_count: c.target, completed_count: c.completed, error_count: c.errors, delivery_timed_out_count: c.deliveryTimedOut };
  if (Object.entries(next).some(([k, v]) => cmd[k as keyof CommandRow] !== v)) {
    await tables(db).updateTable('commands').set(next).where('command_id', '=', cmd.command_id).execute();
  }
  return { ...cmd, ...next };
}

export const commandById = (db: AnyDb, commandId: string) => tables(db).selectFrom('commands').selectAll().where('command_id', '=', commandId).executeTakeFirst();

export const invocation = (db: AnyDb, commandId: string, instanceId: string) =>
  tables(db).selectFrom('command_invocations').selectAll().where('command_id', '=', commandId).where('instance_id', '=', instanceId).executeTakeFirst();

export const isTerminal = (r: Pick<InvocationRow, 'status_details'>) => TERMINAL.has(r.status_details);

/** A step's whole stored stream, in order. */
export async function readStream(db: AnyDb, commandId: string, instanceId: string, step: string, stream: string): Promise<Buffer> {
  const rows = await tables(db).selectFrom('command_output').select(['offset', 'data']).where('command_id', '=', commandId).where('instance_id', '=', instanceId).where('step', '=', step).where('stream', '=', stream).orderBy('offset').execute();
  return Buffer.concat(rows.map((r) => Buffer.from(r.data)));
}
