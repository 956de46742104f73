import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import { timeOrderedId } from '../audit/ids.js';
import { resolveDocument } from '../documents/index.js';
import { interpolate, prepareParameters, type SuppliedParameters } from '../documents/resolve/index.js';
import { instanceArn, type NodeService } from '../nodes/index.js';
import type { CallContext, Core } from '../protocol/context.js';
import { doesNotExist, invalidDocument, targetNotConnected } from './errors.js';
import { Relay, type TranscriptStream } from './relay.js';
import type { SessionRow, SessionTables, TranscriptRow } from './tables.js';

export const PREFERENCES_DOCUMENT = 'SSM-SessionManagerRunShell';
export const STREAM_PATH = '/capstan/v1/session';
export const AGENT_SESSION_PATH = '/capstan/agent/v1/session';
export const ACTIVE = ['Connecting', 'Connected', 'Disconnected', 'Terminating'];
const SWEEP_MS = 1000;

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
 * relay in this process between the client's stream socket and the agent's session socket.
 * Relays live in the process that holds the node's control channel; they do not move.
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
      for (const relay of [...this.relays.values()]) if (relay.ids.agent === id) await this.end(relay.sessionId, 'Terminated', 'The node was deregistered.');
    });
  }

  start(): void {
    this.sweeper = setInterval(() => void this.sweep().catch(() => undefined), SWEEP_MS);
    this.sweeper.unref();
  }

  async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    // The relays live in this process: their sessions end with it (clients are told, rows are final).
    for (const relay of [...this.relays.values()]) await this.end(relay.sessionId, 'Terminated', 'The server shut down.').catch(() => undefined);
    await Promise.all([...this.transcript.keys()].map((id) => this.flush(id)));
  }

  streamUrl(sessionId: string): string {
    return `${this.publicUrl().replace(/^http/, 'ws')}${STREAM_PATH}/${sessionId}/stream`;
  }

  async startSession(call: CallContext, i: { Target: string; DocumentName?: string; Parameters?: SuppliedParameters; Reason?: string }) {
    const docName = i.DocumentName ?? PREFERENCES_DOCUMENT;
    const doc = await resolveDocument(call, docName);
    if (doc.documentType !== 'Session') throw invalidDocument(`Document ${doc.name} is a ${doc.documentType} document; StartSession takes Session documents.`);
    const content = (doc.content ?? {}) as { sessionType?: unknown; properties?: unknown };
    const sessionType = typeof content.sessionType === 'string' ? content.sessionType : 'Standard_Stream';
    const node = await this.nodes.instance(call.accountId, call.region, i.Target);
    if (!node || !this.nodes.jobs.connectedHere(i.Target)) throw targetNotConnected(`${i.Target} is not connected.`);
    const { values } = await prepareParameters(call, doc.parameters, i.Parameters ?? {});
    const properties = interpolate(content.properties ?? {}, values);
    const prefs = await preferences(call);
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
    };
    await this.db.insertInto('sessions').values(row).execute();
    const relay = new Relay(sessionId, i.Target, { idleMs: prefs.idleMinutes * 60_000, maxMs: prefs.maxDuration ? Number(prefs.maxDuration) * 60_000 : undefined }, {
      now: () => this.core.clock.now(),
      // KMS-encrypted payloads are ciphertext here, and Port sessions carry other programs' bytes: neither is a transcript.
      record: (stream, data) => !prefs.kmsKeyId && sessionType !== 'Port' && this.record(sessionId, stream, data),
      statusChanged: (status) => void this.setStatus(sessionId, status).catch(() => undefined),
      agentFinished: () => void this.end(sessionId, 'Terminated', 'The session ended on the node.').catch(() => undefined),
    });
    this.relays.set(sessionId, relay);
    const interactive = sessionType !== 'Port';
    const sent = this.nodes.sendToAgent(i.Target, {
      type: 'session',
      sessionId,
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

  /** The caller's session, or DoesNotExistException. */
  async session(call: CallContext, sessionId: string): Promise<SessionRow> {
    const row = await this.db.selectFrom('sessions').selectAll().where('session_id', '=', sessionId).where('account_id', '=', call.accountId).where('region', '=', call.region).executeTakeFirst();
    if (!row) throw doesNotExist(`Session ${sessionId} does not exist.`);
    return row;
  }

  /** A new single-use token for the same stream URL; empty once the session is over (the client then exits). */
  async resume(call: CallContext, sessionId: string) {
    const row = await this.session(call, sessionId);
    if (row.owner !== call.principal.arn) await call.authorize('ssm:ResumeSession', [sessionArn(call.region, call.accountId, sessionId)]);
    if (!ACTIVE.includes(row.status) || !this.relays.has(sessionId)) return { SessionId: sessionId, TokenValue: '', StreamUrl: this.streamUrl(sessionId) };
    const token = randomBytes(32).toString('base64url');
    await this.db.updateTable('sessions').set({ token_hash: hashToken(token) }).where('session_id', '=', sessionId).execute();
    return { SessionId: sessionId, TokenValue: token, StreamUrl: this.streamUrl(sessionId) };
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
    const relay = this.relays.get(sessionId);
    if (relay && relay.ids.agent === instanceId) await this.end(sessionId, 'Failed', `The node refused the session${message ? `: ${message}` : '.'}`);
  }

  /** Ends a session: channel_closed to both sides, the row final, the agent told, an audit event. */
  async end(sessionId: string, status: 'Terminated' | 'Failed', details: string): Promise<void> {
    const relay = this.relays.get(sessionId);
    if (relay) {
      this.relays.delete(sessionId);
      relay.close(details);
      this.nodes.sendToAgent(relay.ids.agent, { type: 'session-end', sessionId });
    }
    const now = this.core.clock.now();
    const done = await this.db
      .updateTable('sessions')
      .set({ status, ended_at: now, details, token_hash: '' })
      .where('session_id', '=', sessionId)
      .where('status', 'in', ACTIVE)
      .executeTakeFirst();
    await this.flush(sessionId);
    this.transcript.delete(sessionId);
    if (Number(done.numUpdatedRows) !== 1) return;
    const row = await this.db.selectFrom('sessions').selectAll().where('session_id', '=', sessionId).executeTakeFirst();
    if (row) this.auditEnd(row);
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
    t.rows.push({ session_id: sessionId, seq: t.seq++, at: this.core.clock.now(), stream, data });
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
