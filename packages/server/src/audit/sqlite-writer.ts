import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
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
  '(@event_id, @request_id, @account_id, @region, @event_time, @event_source, @event_name, @read_only, @principal_arn, ' +
  '@principal_id, @principal_type, @username, @access_key_id, @source_ip, @user_agent, @error_code, @error_message, @request_parameters, @resources)');
const insertResource = db.prepare('insert into audit_resources (event_id, account_id, event_time, resource_type, resource_name) values (?, ?, ?, ?, ?)');
const writeBatch = db.transaction((batch) => {
  for (const r of batch) {
    insertEvent.run(r.event);
    for (const res of r.resources) insertResource.run(r.event.event_id, r.event.account_id, r.event.event_time, res.type, res.name);
  }
});
parentPort.on('message', (m) => {
  try {
    // Short transactions: the server's own writes wait for this lock, and they block while waiting.
    for (let i = 0; i < m.batch.length; i += 500) writeBatch.immediate(m.batch.slice(i, i + 500));
    parentPort.postMessage({ seq: m.seq });
  } catch (e) {
    parentPort.postMessage({ seq: m.seq, error: String(e && e.message || e) });
  }
});
`;

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

  write(batch: AuditRecord[]): Promise<void> {
    if (this.dead) return Promise.reject(this.dead);
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      this.worker.postMessage({ seq, batch });
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
