import { sql, type Kysely } from 'kysely';
import type { EventLog } from '../events/log.js';
import type { AnyDb } from '../store/database.js';
import { commandStatus, countInvocations, TERMINAL, type Counts } from './status.js';
import { errorLimit } from './rate.js';
import { commandEvent } from './status-events.js';
import type { CommandRow, CommandTables, InvocationRow } from './tables.js';

export const tables = (db: AnyDb): Kysely<CommandTables> => db.withTables<CommandTables>();

/**
 * Orders the changes of each command (an invocation's status, a piece of output), so that a
 * follower reading "everything after N" never misses one. Numbers are clock microseconds that
 * never repeat in this process. With several writers (PostgreSQL: a pool, other replicas) a
 * transaction first claims the commands it will change: the claim serialises the command's
 * transactions, so each commits before the next numbers its changes, and the next numbers
 * start above every committed one whatever the replicas' clocks say. The claim also lets each
 * transaction recount the command's invocations without missing another's.
 */
export class ChangeCounter {
  private last = 0;
  constructor(
    private readonly now: () => number,
    private readonly engine: 'sqlite' | 'postgres' = 'sqlite',
  ) {}

  /** Call first in a transaction that changes these commands (SQLite's write lock already serialises). */
  async claim(db: AnyDb, commandIds: Iterable<string>): Promise<void> {
    if (this.engine !== 'postgres') return;
    const k = db.withTables<CommandTables>();
    // In one order everywhere, so two transactions claiming several commands cannot deadlock.
    const ids = [...new Set(commandIds)].sort();
    for (const id of ids) await sql`select pg_advisory_xact_lock(hashtext(${`capstan:command:${id}`}))`.execute(k);
    for (const id of ids) {
      const inv = await k.selectFrom('command_invocations').select('change_seq').where('command_id', '=', id).orderBy('change_seq', 'desc').limit(1).executeTakeFirst();
      const out = await k.selectFrom('command_output').select('seq').where('command_id', '=', id).orderBy('seq', 'desc').limit(1).executeTakeFirst();
      this.last = Math.max(this.last, Number(inv?.change_seq ?? 0), Number(out?.seq ?? 0));
    }
  }

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

/**
 * Recomputes the command's counts and status from its invocations; returns the row as it now is.
 * A change of Status is announced with `events`, in the same transaction.
 */
export async function refreshCommand(db: AnyDb, cmd: CommandRow, events: EventLog): Promise<CommandRow> {
  const c = await countsOf(db, cmd.command_id);
  const s = commandStatus(c, errorLimit(cmd.max_errors, c.target), cmd.cancel_requested === 1);
  const next = { status: s.status, status_details: s.details, target_count: c.target, completed_count: c.completed, error_count: c.errors, delivery_timed_out_count: c.deliveryTimedOut };
  if (Object.entries(next).some(([k, v]) => cmd[k as keyof CommandRow] !== v)) {
    await tables(db).updateTable('commands').set(next).where('command_id', '=', cmd.command_id).execute();
  }
  const after = { ...cmd, ...next };
  if (after.status !== cmd.status) await events.append(commandEvent(after), db);
  return after;
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
