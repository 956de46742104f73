import type { NewJob, NodeService } from '../nodes/index.js';
import type { Core } from '../protocol/context.js';
import type { CommandEvents } from './events.js';
import type { NodePayloads } from './node-payload.js';
import { concurrencyLimit, errorLimit } from './rate.js';
import { commandById, countsOf, refreshCommand, tables, type ChangeCounter } from './store.js';
import { TERMINAL } from './status.js';
import { invocationsChanged } from './status-events.js';
import type { CommandRow } from './tables.js';

/** Told when a command's status changes (webhook notifications). */
export type CommandChanged = (before: CommandRow | undefined, after: CommandRow) => void;

/**
 * Rate control: sends a command to at most MaxConcurrency nodes at a time and, once more than
 * MaxErrors invocations have failed, sends it to no more (those never sent end Terminated;
 * those already running finish). Runs once per command at a time on this process; on several
 * replicas the row updates decide (an invocation is dispatched by an update that requires
 * `dispatched = 0`).
 */
export class Dispatcher {
  private readonly queued = new Map<string, Promise<void>>();
  onChange: CommandChanged = () => undefined;

  constructor(
    private readonly core: Core,
    private readonly nodes: NodeService,
    private readonly events: CommandEvents,
    private readonly changes: ChangeCounter,
    private readonly payloads: NodePayloads,
  ) {}

  /** Dispatches what the command's limits allow now; calls for one command run one after another. */
  kick(commandId: string): Promise<void> {
    const prev = this.queued.get(commandId) ?? Promise.resolve();
    const run = prev.then(() => this.run(commandId)).catch(() => undefined);
    this.queued.set(commandId, run);
    void run.then(() => this.queued.get(commandId) === run && this.queued.delete(commandId));
    return run;
  }

  private async run(commandId: string): Promise<void> {
    const now = this.core.clock.now();
    const outcome = await this.core.database.db.transaction().execute(async (trx) => {
      await this.changes.claim(trx, [commandId]);
      const cmd = await commandById(trx, commandId);
      if (!cmd || cmd.cancel_requested === 1) return undefined;
      const counts = await countsOf(trx, commandId);
      const t = tables(trx);
      if (counts.errors + counts.deliveryTimedOut > errorLimit(cmd.max_errors, counts.target)) {
        const stopped = await t
          .updateTable('command_invocations')
          .set({ status_details: 'Terminated', ended_at: now, change_seq: this.changes.next() })
          .where('command_id', '=', commandId)
          .where('dispatched', '=', 0)
          .where('status_details', '=', 'Pending')
          .returning('instance_id')
          .execute();
        if (stopped.length === 0) return undefined;
        await invocationsChanged(this.core.events, trx, cmd, stopped.map((r) => r.instance_id), 'Terminated');
        return { before: cmd, after: await refreshCommand(trx, cmd, this.core.events), jobs: [] as NewJob[] };
      }
      const running = counts.target - counts.completed - (await this.undispatched(trx, commandId));
      const room = concurrencyLimit(cmd.max_concurrency, counts.target) - running;
      if (room <= 0) return undefined;
      const next = await t.selectFrom('command_invocations').select('instance_id').where('command_id', '=', commandId).where('dispatched', '=', 0).where('status_details', '=', 'Pending').orderBy('seq').limit(room).execute();
      if (next.length === 0) return undefined;
      const ids = next.map((r) => r.instance_id);
      const online = new Set(await this.connected(trx, ids));
      const seq = this.changes.next();
      for (let i = 0; i < ids.length; i += 500) {
        const part = ids.slice(i, i + 500);
        const on = part.filter((id) => online.has(id));
        const off = part.filter((id) => !online.has(id));
        // Delayed: the node is not connected now; it gets the job when it comes back, until the delivery timeout.
        if (on.length) await t.updateTable('command_invocations').set({ dispatched: 1, change_seq: seq }).where('command_id', '=', commandId).where('instance_id', 'in', on).execute();
        if (off.length) await t.updateTable('command_invocations').set({ dispatched: 1, status_details: 'Delayed', change_seq: seq }).where('command_id', '=', commandId).where('instance_id', 'in', off).execute();
      }
      await invocationsChanged(this.core.events, trx, cmd, ids.filter((id) => !online.has(id)), 'Delayed');
      const jobs = await this.payloads.jobs(trx, cmd, ids);
      await this.nodes.jobs.enqueue(trx, jobs);
      return { before: cmd, after: await refreshCommand(trx, cmd, this.core.events), jobs };
    });
    if (!outcome) return;
    this.nodes.jobs.push(outcome.jobs);
    this.events.changed(commandId);
    if (outcome.before.status_details !== outcome.after.status_details) this.onChange(outcome.before, outcome.after);
  }

  /**
   * Kicks every command with invocations still to send. A kick follows each change that makes
   * room (a reply, a timeout), on the replica where it happened; a replica that dies between the
   * change and its kick leaves the command waiting, and this sweep (on every replica) picks it up.
   */
  async sweep(): Promise<number> {
    const rows = await tables(this.core.database.db)
      .selectFrom('command_invocations')
      .select('command_id')
      .distinct()
      .where('dispatched', '=', 0)
      .where('status_details', '=', 'Pending')
      .limit(1000)
      .execute();
    const idle = rows.map((r) => r.command_id).filter((id) => !this.queued.has(id));
    for (const id of idle) await this.kick(id);
    return idle.length;
  }

  private async undispatched(db: Parameters<typeof tables>[0], commandId: string): Promise<number> {
    const r = await tables(db).selectFrom('command_invocations').select((eb) => eb.fn.countAll<number>().as('n')).where('command_id', '=', commandId).where('dispatched', '=', 0).where('status_details', 'not in', [...TERMINAL]).executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  private async connected(db: Parameters<typeof tables>[0], ids: string[]): Promise<string[]> {
    const out: string[] = [];
    const nodes = db.withTables<{ managed_instances: { instance_id: string; connected: number } }>();
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await nodes.selectFrom('managed_instances').select('instance_id').where('instance_id', 'in', ids.slice(i, i + 500)).where('connected', '=', 1).execute();
      for (const r of rows) out.push(r.instance_id);
    }
    return out;
  }
}
