import type { MigrationStep } from '../store/migrations.js';

export interface SessionRow {
  account_id: string;
  region: string;
  session_id: string;
  target: string;
  document_name: string;
  /** The caller's ARN (DescribeSessions' Owner). */
  owner: string;
  /** For the audit event at the end: the caller as the trail names it. */
  owner_name: string;
  owner_id: string;
  owner_kind: string;
  reason: string;
  /** Connecting | Connected | Disconnected | Terminating | Terminated | Failed */
  status: string;
  session_type: string;
  started_at: number;
  ended_at: number | null;
  /** Minutes as the preferences give them ('' = none). */
  max_session_duration: string;
  idle_timeout_minutes: number;
  /** SHA-256 (hex) of the one unused TokenValue; '' once it was used. */
  token_hash: string;
  /** Why it ended (terminated by …, idle timeout, maximum duration, the shell exited, …). */
  details: string;
  /** The replica relaying it: the one StartSession was called on (the client and the agent both connect there); '' once that replica died. */
  replica_id: string;
  /** When its relaying replica was found dead: ResumeSession may take it over on another replica until the resume window has passed. */
  orphaned_at: number | null;
  /** The ARN of the KMS key the preferences named when it started ('' = not encrypted end to end): the agent may have a data key under it opened for this session. */
  kms_key_id: string;
}

/** What the relay saw pass, in order: `input` / `output` bytes (Output payloads) and `size` events. */
export interface TranscriptRow {
  session_id: string;
  seq: number;
  at: number;
  stream: string;
  data: Buffer;
}

export type SessionTables = { sessions: SessionRow; session_transcript: TranscriptRow };

export const sessionMigrations: MigrationStep[] = [
  {
    name: '1000_sessions',
    async up(db, engine) {
      await db.schema
        .createTable('sessions')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('session_id', 'text', (c) => c.notNull().primaryKey())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('document_name', 'text', (c) => c.notNull())
        .addColumn('owner', 'text', (c) => c.notNull())
        .addColumn('owner_name', 'text', (c) => c.notNull())
        .addColumn('owner_id', 'text', (c) => c.notNull())
        .addColumn('owner_kind', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('session_type', 'text', (c) => c.notNull())
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('ended_at', 'bigint')
        .addColumn('max_session_duration', 'text', (c) => c.notNull())
        .addColumn('idle_timeout_minutes', 'integer', (c) => c.notNull())
        .addColumn('token_hash', 'text', (c) => c.notNull())
        .addColumn('details', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('sessions_by_time').on('sessions').columns(['account_id', 'region', 'started_at', 'session_id']).execute();
      await db.schema
        .createTable('session_transcript')
        .addColumn('session_id', 'text', (c) => c.notNull())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('stream', 'text', (c) => c.notNull())
        .addColumn('data', engine === 'postgres' ? 'bytea' : 'blob', (c) => c.notNull())
        .addPrimaryKeyConstraint('session_transcript_pk', ['session_id', 'seq'])
        .execute();
    },
  },
  {
    name: '1010_session_replica',
    async up(db) {
      await db.schema.alterTable('sessions').addColumn('replica_id', 'text', (c) => c.notNull().defaultTo('')).execute();
    },
  },
  {
    name: '1020_session_orphans',
    async up(db) {
      await db.schema.alterTable('sessions').addColumn('orphaned_at', 'bigint').execute();
    },
  },
  {
    name: '1030_session_kms_key',
    async up(db) {
      await db.schema.alterTable('sessions').addColumn('kms_key_id', 'text', (c) => c.notNull().defaultTo('')).execute();
    },
  },
];
