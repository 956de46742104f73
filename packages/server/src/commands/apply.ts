import type { AckMessage, OutputMessage, ReplyMessage, StepResult } from '@capstan/wire';
import { sql } from 'kysely';
import type { AgentMessageSink, NodeService } from '../nodes/index.js';
import type { Core } from '../protocol/context.js';
import type { AnyDb } from '../store/database.js';
import type { CommandEvents } from './events.js';
import type { CommandChanged, Dispatcher } from './dispatch.js';
import { detailsFromDocument, TERMINAL } from './status.js';
import { invocationEvent } from './status-events.js';
import { commandById, refreshCommand, tables, type ChangeCounter } from './store.js';
import type { CommandRow } from './tables.js';
import { OUTPUT_NOT_STORED, OutputSpace, outputNotStoredMessage, stepWithoutOutput } from './output-space.js';

type Item =
  | { kind: 'ack'; instanceId: string; m: AckMessage; done: (e?: unknown) => void }
  | { kind: 'reply'; instanceId: string; m: ReplyMessage; done: (e?: unknown) => void }
  | { kind: 'output'; instanceId: string; m: OutputMessage; done: (e?: unknown) => void };

/** The most of one stream Capstan keeps; past it the rest is counted but not stored. */
export const DEFAULT_OUTPUT_CAP = 64 * 1024 * 1024;

/**
 * Applies what agents send about commands. Messages from every node are gathered and written
 * in one transaction per turn of the event loop, in arrival order: a fleet answering at once
 * costs a few transactions, not one per message. A message is acknowledged to the agent only
 * after its transaction commits.
 */
export class AgentReplies implements AgentMessageSink {
  private pending: Item[] = [];
  private flushing: Promise<void> | undefined;
  /** Where each stream's stored output ends, so a re-sent piece is recognised. */
  private readonly ends = new Map<string, number>();
  /** Streams with a piece that was not stored (no room): the rest of them is dropped too. */
  private readonly incomplete = new Set<string>();
  onChange: CommandChanged = () => undefined;
  /** An invocation's StatusDetails changed (after the change is committed). */
  onInvocation: (cmd: CommandRow, instanceId: string, details: string) => void = () => undefined;
  private changedInvocations: [string, string, string][] = [];
  /** An invocation's final reply was stored: its whole output is in the store. */
  onFinal: (cmd: CommandRow, instanceId: string) => void = () => undefined;
  private finals: [string, string][] = [];
  private readonly space: OutputSpace;

  constructor(
    private readonly core: Core,
    private readonly nodes: NodeService,
    private readonly dispatcher: Dispatcher,
    private readonly events: CommandEvents,
    private readonly changes: ChangeCounter,
    private readonly outputCap = DEFAULT_OUTPUT_CAP,
  ) {
    this.space = new OutputSpace(core.database.sqlitePath);
  }

  ack = (instanceId: string, m: AckMessage) => this.enqueue({ kind: 'ack', instanceId, m });
  reply = (instanceId: string, m: ReplyMessage) => this.enqueue({ kind: 'reply', instanceId, m });
  output = (instanceId: string, m: OutputMessage) => this.enqueue({ kind: 'output', instanceId, m });

  private enqueue(item: Omit<Item, 'done'>): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ ...item, done: (e) => (e === undefined ? resolve() : reject(e)) } as Item);
      if (!this.flushing) this.flushing = new Promise<void>((r) => setImmediate(r)).then(() => this.flush());
    });
  }

  private async flush(): Promise<void> {
    while (this.pending.length) {
      const batch = this.pending;
      this.pending = [];
      let touched = new Map<string, { ended: boolean }>();
      try {
        // A transaction that fails (a deadlock or serialization failure on PostgreSQL, a busy
        // SQLite) is tried again: an agent re-sends unacknowledged messages only when it reconnects.
        const changed = await retrying((attempt) => {
          touched = new Map();
          if (attempt > 1) {
            // What the failed attempt learned about stored output ends was rolled back with it.
            this.ends.clear();
            this.incomplete.clear();
            this.changedInvocations = [];
            this.finals = [];
          }
          return this.core.database.db.transaction().execute(async (trx) => {
            await this.changes.claim(trx, batch.filter((item) => !item.m.id.startsWith('cancel:')).map((item) => item.m.id));
            for (const item of batch) await this.apply(trx, item, touched);
            const befores = new Map<string, CommandRow>();
            for (const [commandId] of touched) {
              const before = await commandById(trx, commandId);
              if (before) befores.set(commandId, before);
            }
            // One append for the whole batch: a fleet answering at once is one insert, not one per node.
            const moved = this.changedInvocations.filter(([c]) => befores.has(c)).map(([c, i, d]) => invocationEvent(befores.get(c)!, i, d));
            await this.core.events.appendAll(moved, trx);
            const out = [];
            for (const before of befores.values()) out.push({ before, after: await refreshCommand(trx, before, this.core.events) });
            return out;
          });
        });
        for (const item of batch) item.done();
        // The commands as this batch left them: no lookup per node for what follows.
        const rows = new Map(changed.map(({ after }) => [after.command_id, after]));
        for (const [c, i, d] of this.changedInvocations.splice(0)) {
          const cmd = rows.get(c);
          if (cmd) this.onInvocation(cmd, i, d);
        }
        for (const [c, i] of this.finals.splice(0)) {
          const cmd = rows.get(c);
          if (cmd) this.onFinal(cmd, i);
        }
        for (const { before, after } of changed) {
          if (before.status_details !== after.status_details) this.onChange(before, after);
        }
        for (const [commandId, t] of touched) {
          this.events.changed(commandId);
          if (t.ended) void this.dispatcher.kick(commandId);
        }
      } catch (e) {
        // Nothing of the batch is stored; the agents keep their messages and send them again.
        this.ends.clear();
        this.incomplete.clear();
        this.changedInvocations = [];
        this.finals = [];
        for (const item of batch) item.done(e);
      }
    }
    this.flushing = undefined;
  }

  private async apply(db: AnyDb, item: Item, touched: Map<string, { ended: boolean }>): Promise<void> {
    const now = this.core.clock.now();
    const t = tables(db);
    const mark = (commandId: string, ended = false) => {
      const e = touched.get(commandId);
      touched.set(commandId, { ended: (e?.ended ?? false) || ended });
    };
    if (item.kind === 'ack') {
      const { m, instanceId } = item;
      await this.nodes.jobs.forget(db, instanceId, [m.id]);
      if (m.id.startsWith('cancel:')) return;
      const row = await t.selectFrom('command_invocations').select(['status_details', 'final']).where('command_id', '=', m.id).where('instance_id', '=', instanceId).executeTakeFirst();
      if (!row || TERMINAL.has(row.status_details) || row.final === 1) return;
      if (m.status === 'invalid') {
        await t
          .updateTable('command_invocations')
          .set({ status_details: 'Failed', final: 1, ended_at: now, trace_output: (m.message ?? 'the agent could not run this document').slice(0, 2500), change_seq: this.changes.next() })
          .where('command_id', '=', m.id)
          .where('instance_id', '=', instanceId)
          .execute();
        this.changedInvocations.push([m.id, instanceId, 'Failed']);
        mark(m.id, true);
        return;
      }
      if (row.status_details === 'Pending' || row.status_details === 'Delayed') {
        await t.updateTable('command_invocations').set({ status_details: 'InProgress', delivered_at: now, change_seq: this.changes.next() }).where('command_id', '=', m.id).where('instance_id', '=', instanceId).execute();
        this.changedInvocations.push([m.id, instanceId, 'InProgress']);
        mark(m.id);
      }
      return;
    }
    if (item.kind === 'reply') {
      const { m, instanceId } = item;
      const row = await t.selectFrom('command_invocations').select(['status_details', 'final', 'plugins', 'started_at', 'trace_output']).where('command_id', '=', m.id).where('instance_id', '=', instanceId).executeTakeFirst();
      if (!row || row.final === 1) return;
      const final = m.status !== 'InProgress' && m.status !== 'SuccessAndReboot';
      const lost = stepWithoutOutput(row.trace_output);
      let steps = mergeSteps(JSON.parse(row.plugins) as StepResult[], m.steps);
      // Output that was not stored makes the result incomplete: the step, and so the invocation, failed, saying why where GetCommandInvocation shows it.
      if (final && lost !== undefined) steps = steps.map((s) => (s.name === lost ? withoutOutput(s, row.trace_output) : s));
      const started = steps.reduce<number | null>((a, s) => (s.startedAt !== undefined && (a === null || s.startedAt < a) ? s.startedAt : a), row.started_at);
      let details = row.status_details;
      if (final) details = lost !== undefined ? 'Failed' : detailsFromDocument(m.status);
      else if (!TERMINAL.has(details) && details !== 'Cancelling') details = 'InProgress';
      const ran = steps.filter((s) => s.code !== -1 && s.status !== 'Skipped');
      await t
        .updateTable('command_invocations')
        .set({
          plugins: JSON.stringify(steps),
          status_details: details,
          started_at: started,
          delivered_at: sql`coalesce(delivered_at, ${now})`,
          ...(final ? { final: 1, ended_at: now, response_code: ran.length ? ran[ran.length - 1]!.code : -1 } : {}),
          ...(m.details ? { trace_output: (lost !== undefined ? `${row.trace_output}\n${m.details}` : m.details).slice(0, 2500) } : {}),
          change_seq: this.changes.next(),
        })
        .where('command_id', '=', m.id)
        .where('instance_id', '=', instanceId)
        .execute();
      if (details !== row.status_details) this.changedInvocations.push([m.id, instanceId, details]);
      if (final) this.finals.push([m.id, instanceId]);
      if (final) for (const s of steps) for (const stream of ['stdout', 'stderr']) this.ends.delete(`${m.id}/${instanceId}/${s.name}/${stream}`);
      if (final) for (const s of steps) for (const stream of ['stdout', 'stderr']) this.incomplete.delete(`${m.id}/${instanceId}/${s.name}/${stream}`);
      mark(m.id, final);
      return;
    }
    const { m, instanceId } = item;
    const key = `${m.id}/${instanceId}/${m.step}/${m.stream}`;
    let end = this.ends.get(key);
    if (end === undefined) {
      // Checked once per stream: a stream whose end is known belongs to an invocation.
      const belongs = await t.selectFrom('command_invocations').select(['final', 'trace_output']).where('command_id', '=', m.id).where('instance_id', '=', instanceId).executeTakeFirst();
      if (!belongs) return;
      // Once a piece was not stored the stream has a hole: nothing after it is stored either.
      if (stepWithoutOutput(belongs.trace_output) !== undefined) this.incomplete.add(key);
      const last = await t
        .selectFrom('command_output')
        .select(['offset', sql<number>`length(data)`.as('len')])
        .where('command_id', '=', m.id)
        .where('instance_id', '=', instanceId)
        .where('step', '=', m.step)
        .where('stream', '=', m.stream)
        .orderBy('offset', 'desc')
        .limit(1)
        .executeTakeFirst();
      end = last ? Number(last.offset) + Number(last.len) : 0;
    }
    const data = Buffer.from(m.data, 'base64');
    // Pieces come in order and at least once: one that starts before the stored end was stored already.
    if (m.offset < end || data.length === 0) return;
    if (this.incomplete.has(key)) {
      // acknowledged and dropped, like output past the cap
    } else if (m.offset + data.length <= this.outputCap && !this.space.take(data.length)) {
      this.incomplete.add(key);
      await this.outputNotStored(t, m, instanceId);
    } else if (m.offset + data.length <= this.outputCap) {
      // Another replica may have stored this piece already (the agent moved while it was in flight).
      await t
        .insertInto('command_output')
        .values({ command_id: m.id, instance_id: instanceId, step: m.step, stream: m.stream, offset: m.offset, data, seq: this.changes.next() })
        .onConflict((oc) => oc.columns(['command_id', 'instance_id', 'step', 'stream', 'offset']).doNothing())
        .execute();
    }
    this.ends.set(key, m.offset + data.length);
    mark(m.id);
  }

  /** Says, once per invocation, which stream lost output; its final reply then fails it. */
  private async outputNotStored(t: ReturnType<typeof tables>, m: OutputMessage, instanceId: string): Promise<void> {
    await t
      .updateTable('command_invocations')
      .set({ trace_output: outputNotStoredMessage(m.step, m.stream, m.offset) })
      .where('command_id', '=', m.id)
      .where('instance_id', '=', instanceId)
      .where('trace_output', 'not like', `${OUTPUT_NOT_STORED}%`)
      .execute();
  }
}

/** A step whose output was not all stored: Failed, with the reason after its stderr. */
function withoutOutput(s: StepResult, why: string): StepResult {
  const note = `${s.stderr && !s.stderr.endsWith('\n') ? '\n' : ''}${why.split('\n')[0]}`;
  return { ...s, status: s.status === 'Success' ? 'Failed' : s.status, stderr: s.stderr + note, stderrBytes: s.stderrBytes + Buffer.byteLength(note) };
}

/** Replies carry the steps reported so far; a later report of a step replaces the earlier one. */
function mergeSteps(known: StepResult[], reported: readonly StepResult[]): StepResult[] {
  const out = [...known];
  for (const s of reported) {
    const i = out.findIndex((k) => k.name === s.name);
    if (i < 0) out.push(s);
    else out[i] = s;
  }
  return out;
}

async function retrying<T>(run: (attempt: number) => Promise<T>, attempts = 4): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await run(i);
    } catch (e) {
      if (i >= attempts) throw e;
      await new Promise((r) => setTimeout(r, 10 * 4 ** i));
    }
  }
}
