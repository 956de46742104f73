import type { AckMessage, JobMessage, OutputMessage, ReplyMessage } from '@capstan/wire';
import type { Kysely } from 'kysely';
import { seal, unseal } from '../crypto/seal.js';
import type { Core } from '../protocol/context.js';
import type { AnyDb } from '../store/database.js';
import type { NodeTables } from './tables.js';

export interface NewJob {
  instanceId: string;
  id: string;
  kind: JobMessage['kind'];
  payloadId: string;
}

/** What a capability that sends work to nodes does with the agents' answers. */
export interface AgentMessageSink {
  /** The agent has the job on disk (or refused it). The job's row is gone once this resolves. */
  ack(instanceId: string, m: AckMessage): Promise<void>;
  reply(instanceId: string, m: ReplyMessage): Promise<void>;
  output(instanceId: string, m: OutputMessage): Promise<void>;
}

/** A channel as the delivery layer needs it. */
export interface JobChannel {
  send(text: string): void;
}

const payloadContext = (id: string) => `capstan:node-job-payload:${id}`;

/**
 * The delivery contract's server half: a job is a row (written in the caller's transaction),
 * then a message on the node's channel if this process holds it; on every (re)connect the node
 * is sent whatever it has not acknowledged, in the order the jobs were made.
 */
export class NodeJobs {
  readonly channels = new Map<string, JobChannel>();
  sink: AgentMessageSink | undefined;
  private lastSeq = 0;
  /** Payloads are shared by all of a command's jobs: unseal each once, not once per node. */
  private readonly opened = new Map<string, Promise<JobMessage['payload'] | undefined>>();

  constructor(private readonly core: Core) {}

  private db(db?: AnyDb): Kysely<NodeTables> {
    return (db ?? this.core.database.db).withTables<NodeTables>();
  }

  /** Ordered across this process; a cancel made after a job is always sent after it. */
  private nextSeq(): number {
    this.lastSeq = Math.max(this.lastSeq + 1, this.core.clock.now() * 1000);
    return this.lastSeq;
  }

  async savePayload(db: AnyDb, payloadId: string, payload: unknown): Promise<void> {
    const sealed = seal(this.core.rootKey, JSON.stringify(payload), payloadContext(payloadId));
    await this.db(db).insertInto('node_job_payloads').values({ payload_id: payloadId, sealed, created_at: this.core.clock.now() }).execute();
  }

  async enqueue(db: AnyDb, jobs: readonly NewJob[]): Promise<void> {
    const now = this.core.clock.now();
    // SQLite takes at most 32,766 bound values per statement: 6 columns a row.
    for (let i = 0; i < jobs.length; i += 4000) {
      const rows = jobs.slice(i, i + 4000).map((j) => ({ instance_id: j.instanceId, job_id: j.id, kind: j.kind, payload_id: j.payloadId, seq: this.nextSeq(), created_at: now }));
      await this.db(db).insertInto('node_jobs').values(rows).onConflict((oc) => oc.columns(['instance_id', 'job_id']).doNothing()).execute();
    }
  }

  /** Jobs no longer to be sent (acknowledged, expired, or the invocation ended another way). */
  async forget(db: AnyDb | undefined, instanceId: string, ids: readonly string[]): Promise<void> {
    if (ids.length) await this.db(db).deleteFrom('node_jobs').where('instance_id', '=', instanceId).where('job_id', 'in', ids).execute();
  }

  async forgetPayload(db: AnyDb | undefined, payloadId: string): Promise<void> {
    await this.db(db).deleteFrom('node_jobs').where('payload_id', '=', payloadId).execute();
    await this.db(db).deleteFrom('node_job_payloads').where('payload_id', '=', payloadId).execute();
    this.opened.delete(payloadId);
  }

  /** Sends the given jobs to the nodes connected to this process (after their rows are committed). */
  push(jobs: readonly NewJob[]): void {
    // A command's jobs are one message for every node: read, open and serialise it once.
    const texts = new Map<string, Promise<string | undefined>>();
    for (const j of jobs) {
      const ch = this.channels.get(j.instanceId);
      if (!ch) continue;
      const key = `${j.payloadId}\u0000${j.id}\u0000${j.kind}`;
      let text = texts.get(key);
      if (!text) texts.set(key, (text = this.payload(j.payloadId).then((payload) => (payload === undefined ? undefined : JSON.stringify({ type: 'job', id: j.id, kind: j.kind, payload } satisfies JobMessage)))));
      void text.then(
        (t) => t !== undefined && ch.send(t),
        () => undefined,
      );
    }
  }

  /** Everything the node has not acknowledged, in order: called when its channel opens. */
  async resend(instanceId: string, ch: JobChannel): Promise<number> {
    const rows = await this.db().selectFrom('node_jobs').selectAll().where('instance_id', '=', instanceId).orderBy('seq').execute();
    for (const r of rows) {
      const payload = await this.payload(r.payload_id);
      if (payload !== undefined) ch.send(JSON.stringify({ type: 'job', id: r.job_id, kind: r.kind as JobMessage['kind'], payload } as JobMessage));
    }
    return rows.length;
  }

  /** Whether this process holds the node's channel now. */
  connectedHere = (instanceId: string) => this.channels.has(instanceId);

  /** One lookup per payload however many nodes ask at once: the promise is what is cached. */
  private payload(payloadId: string): Promise<JobMessage['payload'] | undefined> {
    let p = this.opened.get(payloadId);
    if (!p) {
      p = this.db()
        .selectFrom('node_job_payloads')
        .select('sealed')
        .where('payload_id', '=', payloadId)
        .executeTakeFirst()
        .then((row) => (row ? (JSON.parse(unseal(this.core.rootKey, row.sealed, payloadContext(payloadId)).toString('utf8')) as JobMessage['payload']) : undefined));
      if (this.opened.size > 256) this.opened.delete(this.opened.keys().next().value!);
      this.opened.set(payloadId, p);
      // A missing or unreadable payload is not remembered: it may be written a moment later.
      p.then(
        (v) => v === undefined && this.opened.delete(payloadId),
        () => this.opened.delete(payloadId),
      );
    }
    return p;
  }
}
