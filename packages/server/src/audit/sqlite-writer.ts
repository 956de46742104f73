import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { AuditEventRow } from './tables.js';
import type { AuditRecord } from './trail.js';

/**
 * The worker's whole program. It is evaluated from this string, not loaded from a file, so it
 * runs the same from TypeScript sources and from the build, with no loader in the worker.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = 5000');
const insertEvent = db.prepare(
  'insert into audit_events (event_id, request_id, account_id, region, event_time, event_source, event_name, read_only, principal_arn, ' +
  'principal_id, principal_type, username, access_key_id, source_ip, user_agent, error_code, error_message, request_parameters, resources) values ' +
  '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
const insertResource = db.prepare('insert into audit_resources (event_id, account_id, event_time, resource_type, resource_name) values (?, ?, ?, ?, ?)');
// A row is [event columns in table order..., [type, name, type, name, ...]].
const writeRows = db.transaction((rows, from, to) => {
  for (let i = from; i < to; i++) {
    const row = rows[i];
    const resources = row.pop();
    insertEvent.run(row);
    for (let j = 0; j < resources.length; j += 2) insertResource.run(row[0], row[2], row[4], resources[j], resources[j + 1]);
  }
});
parentPort.on('message', (m) => {
  try {
    const rows = JSON.parse(m.batch);
    // Short transactions: the server's own writes wait for this lock, and they block while waiting.
    for (let i = 0; i < rows.length; i += 500) writeRows.immediate(rows, i, Math.min(rows.length, i + 500));
    parentPort.postMessage({ seq: m.seq });
  } catch (e) {
    parentPort.postMessage({ seq: m.seq, error: String(e && e.message || e) });
  }
});
`;

/** The event columns in table order: a row travels to the worker as these values, then its resources. */
const EVENT_COLUMNS = [
  'event_id', 'request_id', 'account_id', 'region', 'event_time', 'event_source', 'event_name', 'read_only', 'principal_arn',
  'principal_id', 'principal_type', 'username', 'access_key_id', 'source_ip', 'user_agent', 'error_code', 'error_message', 'request_parameters', 'resources',
] as const satisfies readonly (keyof AuditEventRow)[];

/**
 * One record as the worker reads it: a JSON array of the event's columns, then its resources as
 * `[type, name, type, name, …]`. Records wait for their batch as these flat strings rather than
 * as object graphs (which outlived young-generation collection and were cloned field by field
 * on their way to the worker).
 */
export function encodeRecord(rec: AuditRecord): string {
  const e = rec.event;
  const pairs: string[] = [];
  for (const r of rec.resources) pairs.push(r.type, r.name);
  return JSON.stringify([e.event_id, e.request_id, e.account_id, e.region, e.event_time, e.event_source, e.event_name, e.read_only, e.principal_arn, e.principal_id, e.principal_type, e.username, e.access_key_id, e.source_ip, e.user_agent, e.error_code, e.error_message, e.request_parameters, e.resources, pairs]);
}

/** The inverse of encodeRecord, for writing from this thread should the worker be gone. */
export function decodeRecord(text: string): AuditRecord {
  const row = JSON.parse(text) as unknown[];
  const event = Object.fromEntries(EVENT_COLUMNS.map((c, i) => [c, row[i]])) as unknown as AuditEventRow;
  const pairs = row[EVENT_COLUMNS.length] as string[];
  const resources: AuditRecord['resources'] = [];
  for (let i = 0; i < pairs.length; i += 2) resources.push({ type: pairs[i]!, name: pairs[i + 1]! });
  return { event, resources };
}

/**
 * Writes audit batches to an SQLite store from a worker thread with its own connection, so
 * the synchronous inserts never stall the event loop that answers API calls.
 */
export class SqliteAuditWriter {
  private readonly worker: Worker;
  private seq = 0;
  private dead: Error | undefined;
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();

  constructor(path: string) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, driver } });
    this.worker.unref();
    this.worker.on('message', (m: { seq: number; error?: string }) => {
      const p = this.pending.get(m.seq);
      this.pending.delete(m.seq);
      if (m.error) p?.reject(new Error(m.error));
      else p?.resolve();
    });
    const fail = (err: Error) => {
      this.dead = err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`audit writer exited with code ${code}`)));
  }

  get alive(): boolean {
    return this.dead === undefined;
  }

  /** Writes records made by encodeRecord. */
  write(batch: readonly string[]): Promise<void> {
    if (this.dead) return Promise.reject(this.dead);
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      this.worker.postMessage({ seq, batch: `[${batch.join(',')}]` });
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
