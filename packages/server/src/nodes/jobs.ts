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

/** Bus topic: jobs with this payload wait for nodes whose channels may be on another replica. */
export const JOBS_TOPIC = 'node.jobs';
/** A wake-up names the nodes when they are few; otherwise each replica looks up the payload's jobs. */
const NAMED_NODES_MAX = 200;
const SENT_MEMORY_MS = 10 * 60_000;

/** Drops the entries sent more than SENT_MEMORY_MS ago; they are the oldest, so at the front. */
function expire(jobs: Map<string, number>, now: number): void {
  for (const [jobId, at] of jobs) {
    if (at >= now - SENT_MEMORY_MS) return;
    jobs.delete(jobId);
  }
}

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
  /**
   * The jobs sent on each node's current channel, and when. A channel is a TCP connection: what
   * was sent on it arrives, or the channel closes and the next one gets everything again
   * (resend). So a channel carries a job once: the replay, however long the ack takes to commit,
   * and a command's wave racing the resend of the hello that opened the channel send only what it
   * never carried. Entries are kept for SENT_MEMORY_MS: a job still unacknowledged after that is
   * sent again rather than remembered forever. Oldest first, so expired ones are found at the front.
   */
  private readonly sent = new Map<string, { ch: JobChannel; jobs: Map<string, number> }>();

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

  /** A stored payload, read through `db` (a transaction the caller holds). */
  async read(db: AnyDb, payloadId: string): Promise<JobMessage['payload'] | undefined> {
    const row = await this.db(db).selectFrom('node_job_payloads').select('sealed').where('payload_id', '=', payloadId).executeTakeFirst();
    return row ? (JSON.parse(unseal(this.core.rootKey, row.sealed, payloadContext(payloadId)).toString('utf8')) as JobMessage['payload']) : undefined;
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
    if (!ids.length) return;
    await this.db(db).deleteFrom('node_jobs').where('instance_id', '=', instanceId).where('job_id', 'in', ids).execute();
    // Alone, nothing reads the rows again while a channel lasts (no replay, no wake-ups), so what
    // was acknowledged is forgotten now. Among replicas a replay may have read the row before the
    // ack committed: there the entry stays until it expires.
    const carried = this.core.cluster.shared ? undefined : this.sent.get(instanceId)?.jobs;
    if (carried) for (const id of ids) carried.delete(id);
  }

  /** The payload and those made from it for single nodes (`<payloadId>/<instanceId>`), with their jobs. */
  async forgetPayload(db: AnyDb | undefined, payloadId: string): Promise<void> {
    const own = `${payloadId}/%`;
    await this.db(db).deleteFrom('node_jobs').where((eb) => eb.or([eb('payload_id', '=', payloadId), eb('payload_id', 'like', own)])).execute();
    await this.db(db).deleteFrom('node_job_payloads').where((eb) => eb.or([eb('payload_id', '=', payloadId), eb('payload_id', 'like', own)])).execute();
    for (const id of this.opened.keys()) if (id === payloadId || id.startsWith(`${payloadId}/`)) this.opened.delete(id);
  }

  /**
   * Sends the given jobs (after their rows are committed) to the nodes whose channels this
   * process holds, and tells the other replicas about the rest.
   */
  push(jobs: readonly NewJob[]): void {
    // A command's jobs are one message for every node: read, open and serialise it once.
    const texts = new Map<string, Promise<string | undefined>>();
    const elsewhere = new Map<string, string[]>();
    for (const j of jobs) {
      const ch = this.channels.get(j.instanceId);
      if (!ch) {
        if (this.core.cluster.shared) elsewhere.set(j.payloadId, [...(elsewhere.get(j.payloadId) ?? []), j.instanceId]);
        continue;
      }
      const key = `${j.payloadId}\u0000${j.id}\u0000${j.kind}`;
      let text = texts.get(key);
      if (!text) texts.set(key, (text = this.payload(j.payloadId).then((payload) => (payload === undefined ? undefined : JSON.stringify({ type: 'job', id: j.id, kind: j.kind, payload } satisfies JobMessage)))));
      void text.then(
        (t) => t !== undefined && this.claim(j.instanceId, ch, j.id) && ch.send(t),
        () => undefined,
      );
    }
    for (const [payloadId, instances] of elsewhere) {
      void this.core.cluster.bus.publish(JOBS_TOPIC, { payloadId, ...(instances.length <= NAMED_NODES_MAX ? { instances } : {}) }).catch(() => undefined);
    }
  }

  /** Another replica stored jobs with this payload: sends those for nodes connected here. */
  async pushStored(payloadId: string, instances?: readonly string[]): Promise<void> {
    const here = instances?.filter((id) => this.channels.has(id));
    if (here && here.length === 0) return;
    let q = this.db().selectFrom('node_jobs').selectAll().where('payload_id', '=', payloadId);
    if (here) q = q.where('instance_id', 'in', here);
    const rows = await q.orderBy('seq').execute();
    await this.sendRows(rows.filter((r) => this.channels.has(r.instance_id) && !this.carried(r.instance_id, r.job_id)));
  }

  /**
   * The poll behind the wake-ups: jobs older than `ageMs` waiting for a node connected here that
   * its channel never carried are sent. A lost wake-up, or a job stored while its node was moving
   * between replicas, costs a delay, never the job; the agent acknowledges a job it already has
   * as a duplicate and runs it once.
   */
  async replay(ageMs: number): Promise<number> {
    const now = this.core.clock.now();
    const rows = await this.db()
      .selectFrom('node_jobs')
      .innerJoin('managed_instances', 'managed_instances.instance_id', 'node_jobs.instance_id')
      .selectAll('node_jobs')
      .where('managed_instances.channel_replica', '=', this.core.cluster.replicaId)
      .where('node_jobs.created_at', '<=', now - ageMs)
      .orderBy('node_jobs.seq')
      .limit(5000)
      .execute();
    for (const [instanceId, { jobs }] of this.sent) {
      expire(jobs, now);
      if (jobs.size === 0) this.sent.delete(instanceId);
    }
    const due = rows.filter((r) => this.channels.has(r.instance_id) && !this.carried(r.instance_id, r.job_id));
    await this.sendRows(due);
    return due.length;
  }

  /**
   * Everything the node has not acknowledged, in order: called when its channel opens. What a
   * command's wave sent on the channel meanwhile is not sent twice.
   */
  async resend(instanceId: string, ch: JobChannel): Promise<number> {
    const rows = await this.db().selectFrom('node_jobs').selectAll().where('instance_id', '=', instanceId).orderBy('seq').execute();
    await this.sendRows(rows, ch);
    return rows.length;
  }

  private async sendRows(rows: readonly { instance_id: string; job_id: string; kind: string; payload_id: string }[], only?: JobChannel): Promise<void> {
    for (const r of rows) {
      if (!this.channels.has(r.instance_id)) continue;
      const payload = await this.payload(r.payload_id);
      // The channel as it is now: one that replaced `only` meanwhile starts with its own resend.
      const ch = this.channels.get(r.instance_id);
      if (only && ch !== only) return;
      if (!ch || payload === undefined || !this.claim(r.instance_id, ch, r.job_id)) continue;
      ch.send(JSON.stringify({ type: 'job', id: r.job_id, kind: r.kind as JobMessage['kind'], payload } as JobMessage));
    }
  }

  /** The node's channel here closed: its next one starts with a resend of everything. */
  channelGone(instanceId: string): void {
    this.sent.delete(instanceId);
  }

  /** Whether the node's current channel carried the job less than SENT_MEMORY_MS ago. */
  private carried(instanceId: string, jobId: string): boolean {
    const s = this.sent.get(instanceId);
    const at = s && s.ch === this.channels.get(instanceId) ? s.jobs.get(jobId) : undefined;
    return at !== undefined && at >= this.core.clock.now() - SENT_MEMORY_MS;
  }

  /**
   * Whether `ch` is to carry the job now, recorded as carried when it is: not if it is no longer
   * the node's channel (the next one resends everything), nor if it carried the job already. The
   * check and the record are one step with the send that follows, so of two paths sending the
   * same job on one channel (a wave, the hello's resend, the replay) only the first does.
   */
  private claim(instanceId: string, ch: JobChannel, jobId: string): boolean {
    if (this.channels.get(instanceId) !== ch) return false;
    let s = this.sent.get(instanceId);
    if (!s || s.ch !== ch) this.sent.set(instanceId, (s = { ch, jobs: new Map() }));
    const now = this.core.clock.now();
    expire(s.jobs, now);
    if (s.jobs.has(jobId)) return false;
    s.jobs.set(jobId, now);
    return true;
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
