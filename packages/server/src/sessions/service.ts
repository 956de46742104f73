import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import { timeOrderedId } from '../audit/ids.js';
import { resolveDocument } from '../documents/index.js';
import { interpolate, prepareParameters, type SuppliedParameters } from '../documents/resolve/index.js';
import { instanceArn, type NodeService } from '../nodes/index.js';
import type { CallContext, Core } from '../protocol/context.js';
import { sessionKeyArn } from './data-key.js';
import { doesNotExist, invalidDocument, targetNotConnected } from './errors.js';
import { Relay, type TranscriptStream } from './relay.js';
import type { SessionRow, SessionTables, TranscriptRow } from './tables.js';

export const PREFERENCES_DOCUMENT = 'SSM-SessionManagerRunShell';
export const STREAM_PATH = '/capstan/v1/session';
export const AGENT_SESSION_PATH = '/capstan/agent/v1/session';
export const ACTIVE = ['Connecting', 'Connected', 'Disconnected', 'Terminating'];
const SWEEP_MS = 1000;
/** How often a replica checks that the sessions it relays were not ended by another replica meanwhile. */
const RECHECK_MS = 5000;
/** Bus topic: a session relayed by another replica was ended here (TerminateSession, the node refused it, …). */
const ENDED_TOPIC = 'sessions.ended';

export const sessionArn = (region: string, account: string, id: string) => `arn:aws:ssm:${region}:${account}:session/${id}`;
export const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

export interface Preferences {
  idleMinutes: number;
  /** '' = no limit */
  maxDuration: string;
  runAsEnabled: boolean;
  runAsDefaultUser: string;
  shellProfileLinux: string;
  kmsKeyId: string;
}

/** The account's session preferences: its own SSM-SessionManagerRunShell if it has one, AWS's defaults otherwise. */
export async function preferences(call: CallContext): Promise<Preferences> {
  const doc = await resolveDocument(call, PREFERENCES_DOCUMENT);
  const inputs = ((doc.content ?? {}) as { inputs?: Record<string, unknown> }).inputs ?? {};
  const minutes = (v: unknown, lo: number, hi: number) => {
    const n = Number(typeof v === 'string' ? v.trim() : v);
    return v !== '' && v !== undefined && Number.isInteger(n) && n >= lo && n <= hi ? n : undefined;
  };
  const profile = (inputs.shellProfile ?? {}) as { linux?: unknown };
  const max = minutes(inputs.maxSessionDuration, 1, 1440);
  return {
    idleMinutes: minutes(inputs.idleSessionTimeout, 1, 60) ?? 20,
    maxDuration: max === undefined ? '' : String(max),
    runAsEnabled: inputs.runAsEnabled === true || inputs.runAsEnabled === 'true',
    runAsDefaultUser: typeof inputs.runAsDefaultUser === 'string' ? inputs.runAsDefaultUser : '',
    shellProfileLinux: typeof profile.linux === 'string' ? profile.linux : '',
    kmsKeyId: typeof inputs.kmsKeyId === 'string' ? inputs.kmsKeyId : '',
  };
}

/**
 * Session Manager: sessions as rows (what DescribeSessions lists), and for each active one a
 * relay between the client's stream socket and the agent's session socket. A session's relay
 * lives on the replica StartSession was called on: its stream URL is that replica's advertised
 * URL, and the agent is told (through whichever replica holds its control channel) to open its
 * session socket there too. Any replica may end a session; the relaying one hears of it on the
 * bus, or at its next recheck of the store. A session whose relaying replica dies ends
 * Terminated: its sockets went with the replica.
 */
export class SessionService {
  readonly db: Kysely<SessionTables>;
  readonly relays = new Map<string, Relay>();
  /** The server's URL as clients reach it. */
  publicUrl: () => string = () => '';
  /** How long a dropped side may take to come back (ResumeSession), and a new session to connect. */
  resumeWindowMs = 60_000;
  private readonly transcript = new Map<string, { seq: number; rows: TranscriptRow[]; writing: Promise<void> }>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    readonly core: Core,
    readonly nodes: NodeService,
  ) {
    this.db = core.database.db.withTables<SessionTables>();
    nodes.agentMessageHandlers.push((instanceId, m) => {
      if (m.type !== 'session-ack') return false;
      if (typeof m.sessionId === 'string' && m.status === 'refused') void this.refused(instanceId, m.sessionId, typeof m.message === 'string' ? m.message.slice(0, 500) : '').catch(() => undefined);
      return true;
    });
    nodes.onDeregister.push(async (_a, _r, id) => {
      const open = await this.db.selectFrom('sessions').select('session_id').where('target', '=', id).where('status', 'in', ACTIVE).execute();
      for (const r of open) await this.end(r.session_id, 'Terminated', 'The node was deregistered.');
    });
    const { bus, replicas } = core.cluster;
    bus.subscribe(ENDED_TOPIC, (m: { sessionId?: unknown }) => {
      if (typeof m.sessionId === 'string') void this.recheck([m.sessionId]).catch(() => undefined);
    });
    replicas.onDead((dead) => this.orphan(dead));
  }

  start(): void {
    let ticks = 0;
    this.sweeper = setInterval(() => {
      void this.sweep().catch(() => undefined);
      if (++ticks % (RECHECK_MS / SWEEP_MS) !== 0) return;
      if (this.relays.size) void this.recheck([...this.relays.keys()]).catch(() => undefined);
      void this.expireOrphans().catch(() => undefined);
    }, SWEEP_MS);
    this.sweeper.unref();
  }

  async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    // The relays live in this process: their sessions end with it (clients are told, rows are final).
    for (const relay of [...this.relays.values()]) await this.end(relay.sessionId, 'Terminated', 'The server shut down.').catch(() => undefined);
    await Promise.all([...this.transcript.keys()].map((id) => this.flush(id)));
  }

  streamUrl(sessionId: string, base = this.publicUrl()): string {
    return `${base.replace(/^http/, 'ws')}${STREAM_PATH}/${sessionId}/stream`;
  }

  async startSession(call: CallContext, i: { Target: string; DocumentName?: string; Parameters?: SuppliedParameters; Reason?: string }) {
    const docName = i.DocumentName ?? PREFERENCES_DOCUMENT;
    const doc = await resolveDocument(call, docName);
    if (doc.documentType !== 'Session') throw invalidDocument(`Document ${doc.name} is a ${doc.documentType} document; StartSession takes Session documents.`);
    const content = (doc.content ?? {}) as { sessionType?: unknown; properties?: unknown };
    const sessionType = typeof content.sessionType === 'string' ? content.sessionType : 'Standard_Stream';
    const node = await this.nodes.instance(call.accountId, call.region, i.Target);
    if (!node || !(await this.nodes.channelReplica(i.Target))) throw targetNotConnected(`${i.Target} is not connected.`);
    const { values } = await prepareParameters(call, doc.parameters, i.Parameters ?? {});
    const properties = interpolate(content.properties ?? {}, values);
    const prefs = await preferences(call);
    const kmsKeyArn = prefs.kmsKeyId ? await sessionKeyArn(call, prefs.kmsKeyId) : '';
    const p = call.principal;
    const runAsUser = prefs.runAsEnabled ? (p.tags['SSMSessionRunAs'] ?? prefs.runAsDefaultUser) : '';
    const who = (p.kind === 'assumed-role' ? (p.sessionName ?? p.name) : p.name).replace(/[^A-Za-z0-9_.@+=,-]/g, '').slice(0, 64) || 'session';
    const sessionId = `${who}-${randomBytes(9).toString('hex').slice(0, 17)}`;
    const token = randomBytes(32).toString('base64url');
    const row: SessionRow = {
      account_id: call.accountId,
      region: call.region,
      session_id: sessionId,
      target: i.Target,
      document_name: doc.name,
      owner: p.arn,
      owner_name: p.name,
      owner_id: p.userId,
      owner_kind: p.kind,
      reason: i.Reason ?? '',
      status: 'Connecting',
      session_type: sessionType,
      started_at: call.now,
      ended_at: null,
      max_session_duration: prefs.maxDuration,
      idle_timeout_minutes: prefs.idleMinutes,
      token_hash: hashToken(token),
      details: '',
      replica_id: this.core.cluster.replicaId,
      orphaned_at: null,
      kms_key_id: kmsKeyArn,
    };
    await this.db.insertInto('sessions').values(row).execute();
    this.openRelay(row, !prefs.kmsKeyId);
    const interactive = sessionType !== 'Port';
    const sent = await this.nodes.deliverToAgent(i.Target, {
      type: 'session',
      sessionId,
      // Where the agent opens its session socket: this replica, which relays the session.
      url: this.publicUrl(),
      sessionType,
      documentName: doc.name,
      properties,
      ...(interactive && runAsUser ? { runAsUser } : {}),
      ...(interactive && prefs.shellProfileLinux ? { shellProfile: prefs.shellProfileLinux } : {}),
      ...(prefs.kmsKeyId ? { kmsKeyId: prefs.kmsKeyId } : {}),
    });
    if (!sent) {
      await this.end(sessionId, 'Failed', `${i.Target} disconnected before the session could start.`);
      throw targetNotConnected(`${i.Target} is not connected.`);
    }
    return { SessionId: sessionId, TokenValue: token, StreamUrl: this.streamUrl(sessionId) };
  }

  /**
   * This replica's relay for a session. `adopted`: the session was relayed by a replica that
   * died, and both sides are to reconnect here.
   */
  private openRelay(row: SessionRow, recordable: boolean, adopted = false): Relay {
    const sessionId = row.session_id;
    const relay = new Relay(
      sessionId,
      row.target,
      { idleMs: row.idle_timeout_minutes * 60_000, maxMs: row.max_session_duration ? Number(row.max_session_duration) * 60_000 : undefined },
      {
        now: () => this.core.clock.now(),
        // KMS-encrypted payloads are ciphertext here, and Port sessions carry other programs' bytes: neither is a transcript.
        record: (stream, data) => recordable && row.session_type !== 'Port' && row.session_type !== 'CapstanFileCopy' && this.record(sessionId, stream, data),
        statusChanged: (status) => void this.setStatus(sessionId, status).catch(() => undefined),
        agentFinished: () => void this.end(sessionId, 'Terminated', 'The session ended on the node.').catch(() => undefined),
      },
      adopted ? { startedAt: row.started_at } : undefined,
    );
    this.relays.set(sessionId, relay);
    return relay;
  }

  /** The caller's session, or DoesNotExistException. */
  async session(call: CallContext, sessionId: string): Promise<SessionRow> {
    const row = await this.db.selectFrom('sessions').selectAll().where('session_id', '=', sessionId).where('account_id', '=', call.accountId).where('region', '=', call.region).executeTakeFirst();
    if (!row) throw doesNotExist(`Session ${sessionId} does not exist.`);
    return row;
  }

  /** A new single-use token for the same stream URL; empty once the session is over (the client then exits). */
  async resume(call: CallContext, sessionId: string) {
    // Whether a session exists is the answer only for its owner or a caller allowed to resume it.
    const row = await this.session(call, sessionId).catch(async (e: unknown) => {
      await call.authorize('ssm:ResumeSession', [sessionArn(call.region, call.accountId, sessionId)]);
      throw e;
    });
    if (row.owner !== call.principal.arn) await call.authorize('ssm:ResumeSession', [sessionArn(call.region, call.accountId, sessionId)]);
    let relayAt: string | undefined;
    if (!ACTIVE.includes(row.status)) relayAt = undefined;
    else if (row.replica_id === this.core.cluster.replicaId) relayAt = this.relays.has(sessionId) ? this.publicUrl() : undefined;
    else if (row.replica_id === '' && row.orphaned_at !== null) relayAt = (await this.adopt(row)) ? this.publicUrl() : undefined;
    else relayAt = await this.core.cluster.replicas.liveUrl(row.replica_id);
    if (relayAt === undefined) return { SessionId: sessionId, TokenValue: '', StreamUrl: this.streamUrl(sessionId) };
    const token = randomBytes(32).toString('base64url');
    await this.db.updateTable('sessions').set({ token_hash: hashToken(token) }).where('session_id', '=', sessionId).execute();
    return { SessionId: sessionId, TokenValue: token, StreamUrl: this.streamUrl(sessionId, relayAt) };
  }

  /**
   * Takes over a session whose relaying replica died: this replica relays it from now on, and
   * the agent (still redialling the dead replica) is told to come here. Exactly one replica wins.
   */
  private async adopt(row: SessionRow): Promise<boolean> {
    const won = await this.db
      .updateTable('sessions')
      .set({ replica_id: this.core.cluster.replicaId, orphaned_at: null })
      .where('session_id', '=', row.session_id)
      .where('replica_id', '=', '')
      .where('status', 'in', ACTIVE)
      .executeTakeFirst();
    if (Number(won.numUpdatedRows) !== 1) return false;
    // The transcript goes on where the dead replica's left off.
    const last = await this.db.selectFrom('session_transcript').select('seq').where('session_id', '=', row.session_id).orderBy('seq', 'desc').limit(1).executeTakeFirst();
    this.transcript.set(row.session_id, { seq: last ? Number(last.seq) + 1 : 0, rows: [], writing: Promise.resolve() });
    this.openRelay(row, !row.kms_key_id, true);
    await this.nodes.deliverToAgent(row.target, { type: 'session', sessionId: row.session_id, move: true, url: this.publicUrl() }).catch(() => false);
    return true;
  }

  async terminate(call: CallContext, sessionId: string) {
    const row = await this.session(call, sessionId);
    if (ACTIVE.includes(row.status)) await this.end(sessionId, 'Terminated', `Terminated by ${call.principal.arn}.`);
    return { SessionId: sessionId };
  }

  /**
   * Checks a stream socket's token (against the stored hash, in constant time) and uses it up:
   * the conditional update lets exactly one connection have it.
   */
  async takeToken(sessionId: string, token: string): Promise<Relay | undefined> {
    const relay = this.relays.get(sessionId);
    if (!relay || relay.ended) return undefined;
    const row = await this.db.selectFrom('sessions').select(['token_hash', 'status']).where('session_id', '=', sessionId).executeTakeFirst();
    if (!row || !row.token_hash || !ACTIVE.includes(row.status)) return undefined;
    const given = hashToken(token);
    if (!timingSafeEqual(Buffer.from(given, 'hex'), Buffer.from(row.token_hash, 'hex'))) return undefined;
    const used = await this.db.updateTable('sessions').set({ token_hash: '' }).where('session_id', '=', sessionId).where('token_hash', '=', given).executeTakeFirst();
    return Number(used.numUpdatedRows) === 1 ? relay : undefined;
  }

  private async setStatus(sessionId: string, status: 'Connected' | 'Disconnected'): Promise<void> {
    await this.db.updateTable('sessions').set({ status }).where('session_id', '=', sessionId).where('status', 'in', ['Connecting', 'Connected', 'Disconnected']).execute();
  }

  private async refused(instanceId: string, sessionId: string, message: string): Promise<void> {
    // The agent answers on its control channel, which may be on another replica than the relay.
    const row = await this.db.selectFrom('sessions').select('target').where('session_id', '=', sessionId).executeTakeFirst();
    if (row?.target === instanceId) await this.end(sessionId, 'Failed', `The node refused the session${message ? `: ${message}` : '.'}`);
  }

  /**
   * Ends a session: channel_closed to both sides, the row final, the agent told, an audit event.
   * On a replica other than the relaying one, the relaying one is told to close its sockets.
   */
  async end(sessionId: string, status: 'Terminated' | 'Failed', details: string, only: { orphaned?: boolean } = {}): Promise<void> {
    const relay = this.relays.get(sessionId);
    if (relay) this.closeRelay(relay, details);
    const now = this.core.clock.now();
    let ending = this.db.updateTable('sessions').set({ status, ended_at: now, details, token_hash: '' }).where('session_id', '=', sessionId).where('status', 'in', ACTIVE);
    // An orphan ends only while still one: a ResumeSession may have taken it over meanwhile.
    if (only.orphaned) ending = ending.where('replica_id', '=', '');
    const done = await ending.executeTakeFirst();
    await this.flush(sessionId);
    this.transcript.delete(sessionId);
    if (Number(done.numUpdatedRows) !== 1) return;
    const row = await this.db.selectFrom('sessions').selectAll().where('session_id', '=', sessionId).executeTakeFirst();
    if (!row) return;
    this.auditEnd(row);
    if (relay) return;
    // Tell the relaying replica, if another one relays it (an orphan has none).
    if (row.replica_id && row.replica_id !== this.core.cluster.replicaId) await this.core.cluster.bus.publish(ENDED_TOPIC, { sessionId }).catch(() => undefined);
    await this.nodes.deliverToAgent(row.target, { type: 'session-end', sessionId }).catch(() => false);
  }

  private closeRelay(relay: Relay, details: string): void {
    this.relays.delete(relay.sessionId);
    relay.close(details);
    void this.nodes.deliverToAgent(relay.ids.agent, { type: 'session-end', sessionId: relay.sessionId }).catch(() => false);
  }

  /** Closes the relays here whose sessions another replica has ended or taken over. */
  private async recheck(sessionIds: string[]): Promise<void> {
    const local = sessionIds.filter((id) => this.relays.has(id));
    for (let k = 0; k < local.length; k += 500) {
      const rows = await this.db.selectFrom('sessions').select(['session_id', 'status', 'details', 'replica_id']).where('session_id', 'in', local.slice(k, k + 500)).execute();
      for (const r of rows) {
        const relay = this.relays.get(r.session_id);
        // Ended elsewhere, or taken over while this replica was thought dead (a long pause).
        const mine = r.replica_id === this.core.cluster.replicaId;
        if (relay && (!ACTIVE.includes(r.status) || !mine)) {
          if (!mine) {
            // Not closeRelay: the session goes on elsewhere, and the agent must not be told to stop.
            this.relays.delete(r.session_id);
            relay.abandon();
            continue;
          }
          this.closeRelay(relay, r.details);
          await this.flush(r.session_id);
          this.transcript.delete(r.session_id);
        }
      }
    }
  }

  /**
   * Sessions relayed by replicas found dead lost their sockets, not their ends: the shell or
   * forward still runs on the node and the client may be retrying. They wait (Disconnected) for
   * a ResumeSession on any replica to take them over, and end when the resume window passes.
   */
  private async orphan(replicaIds: string[]): Promise<void> {
    await this.db
      .updateTable('sessions')
      .set({ replica_id: '', orphaned_at: this.core.clock.now(), status: 'Disconnected', token_hash: '' })
      .where('replica_id', 'in', replicaIds)
      .where('status', 'in', ACTIVE)
      .execute();
  }

  /** Orphans nobody resumed in time end; so do rows no replica relays at all (from before replicas were recorded). */
  private async expireOrphans(): Promise<void> {
    const now = this.core.clock.now();
    const due = await this.db
      .selectFrom('sessions')
      .select('session_id')
      .where('replica_id', '=', '')
      .where('status', 'in', ACTIVE)
      .where((eb) => eb.or([eb('orphaned_at', 'is', null), eb('orphaned_at', '<=', now - this.resumeWindowMs)]))
      .limit(500)
      .execute();
    for (const { session_id } of due) {
      await this.end(session_id, 'Terminated', `The server replica relaying the session stopped, and it was not resumed within ${this.resumeWindowMs / 1000} seconds.`, { orphaned: true });
    }
  }

  /** Idle timeout, maximum duration, and sides that did not come back, by the core clock. */
  async sweep(): Promise<number> {
    const now = this.core.clock.now();
    let ended = 0;
    for (const relay of [...this.relays.values()]) {
      const why = relay.expired(now, this.resumeWindowMs);
      if (!why) continue;
      await this.end(relay.sessionId, why.status, why.details);
      ended++;
    }
    return ended;
  }

  private record(sessionId: string, stream: TranscriptStream, data: Buffer): void {
    let t = this.transcript.get(sessionId);
    if (!t) {
      t = { seq: 0, rows: [], writing: Promise.resolve() };
      this.transcript.set(sessionId, t);
    }
    const first = t.rows.length === 0;
    // the relay lends a view of the frame (and of the buffer it came in): the transcript keeps its own copy
    t.rows.push({ session_id: sessionId, seq: t.seq++, at: this.core.clock.now(), stream, data: Buffer.from(data) });
    if (first) void this.flush(sessionId);
  }

  /** Writes what the relay recorded so far (one statement for whatever accumulated meanwhile). */
  flush(sessionId: string): Promise<void> {
    const t = this.transcript.get(sessionId);
    if (!t) return Promise.resolve();
    t.writing = t.writing.then(async () => {
      const rows = t.rows;
      t.rows = [];
      for (let k = 0; k < rows.length; k += 1000) await this.db.insertInto('session_transcript').values(rows.slice(k, k + 1000)).execute();
    }).catch((e: unknown) => process.emitWarning(`session transcript write failed: ${(e as Error).message}`));
    return t.writing;
  }

  async transcriptOf(sessionId: string): Promise<TranscriptRow[]> {
    await this.flush(sessionId);
    return this.db.selectFrom('session_transcript').selectAll().where('session_id', '=', sessionId).orderBy('seq').execute();
  }

  /** The end of a session in the audit trail, in the owner's name (StartSession is audited as a call). */
  private auditEnd(row: SessionRow): void {
    const now = row.ended_at ?? this.core.clock.now();
    const resources = [
      { type: 'AWS::SSM::Session', name: sessionArn(row.region, row.account_id, row.session_id) },
      { type: 'AWS::SSM::ManagedInstance', name: instanceArn(row.region, row.account_id, row.target) },
    ];
    this.core.audit.record({
      event: {
        event_id: timeOrderedId(now),
        request_id: randomUUID(),
        account_id: row.account_id,
        region: row.region,
        event_time: now,
        event_source: 'ssm.amazonaws.com',
        event_name: 'SessionEnded',
        read_only: 0,
        principal_arn: row.owner,
        principal_id: row.owner_id,
        principal_type: row.owner_kind === 'user' ? 'IAMUser' : 'AssumedRole',
        username: row.owner_name,
        access_key_id: '',
        source_ip: '',
        user_agent: 'capstan-session-relay',
        error_code: null,
        error_message: null,
        request_parameters: JSON.stringify({
          sessionId: row.session_id,
          target: row.target,
          documentName: row.document_name,
          reason: row.reason,
          status: row.status,
          details: row.details,
          durationSeconds: Math.round((now - row.started_at) / 1000),
        }),
        resources: JSON.stringify(resources),
      },
      resources,
    });
  }
}
