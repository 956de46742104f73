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
// A batch is records back to back, each field written as LENGTH:TEXT, or ~ for null: the event's
// columns in the order workerData.order gives (their places in the table), then how many
// resource strings follow, then those (type, name, ...).
const ORDER = workerData.order;
const NUMERIC = new Set([4, 7]);
function field(text, at) {
  if (text.charCodeAt(at.i) === 126) { at.i++; return null; }
  const colon = text.indexOf(':', at.i);
  const end = colon + 1 + Number(text.slice(at.i, colon));
  const value = text.slice(colon + 1, end);
  at.i = end;
  return value;
}
function decode(text) {
  const rows = [];
  const at = { i: 0 };
  while (at.i < text.length) {
    const row = new Array(19);
    for (let k = 0; k < 19; k++) { const c = ORDER[k]; const v = field(text, at); row[c] = NUMERIC.has(c) && v !== null ? Number(v) : v; }
    const n = Number(field(text, at));
    const resources = new Array(n);
    for (let j = 0; j < n; j++) resources[j] = field(text, at);
    rows.push([row, resources]);
  }
  return rows;
}
const writeRows = db.transaction((rows, from, to) => {
  for (let i = from; i < to; i++) {
    const [row, resources] = rows[i];
    insertEvent.run(row);
    for (let j = 0; j < resources.length; j += 2) insertResource.run(row[0], row[2], row[4], resources[j], resources[j + 1]);
  }
});
parentPort.on('message', (m) => {
  try {
    const rows = decode(m.batch);
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
 * The fields that stay the same from one call of a caller to the next, written first so that
 * their encoding can be kept (`callerBlock`); then the call's own.
 */
const CALLER_COLUMNS = [
  'account_id', 'region', 'event_source', 'event_name', 'read_only', 'principal_arn', 'principal_id', 'principal_type', 'username', 'access_key_id', 'source_ip', 'user_agent',
] as const satisfies readonly (keyof AuditEventRow)[];
const WIRE_COLUMNS = [...CALLER_COLUMNS, 'event_id', 'request_id', 'event_time', 'error_code', 'error_message', 'request_parameters', 'resources'] as const;
/** Where each field on the wire goes in the table's column order. */
const WIRE_ORDER = WIRE_COLUMNS.map((c) => EVENT_COLUMNS.indexOf(c));

/**
 * One record as the worker reads it: each field as `LENGTH:TEXT` (length in UTF-16 code units, as
 * both ends count them) or `~` for null: the event's columns in WIRE_COLUMNS order, the number of
 * resource strings, then `type, name, …`. Records wait for their batch as these flat strings
 * (object graphs outlived young-generation collection and were cloned field by field on their
 * way to the worker), and writing one is concatenation, with none of JSON's escaping of the
 * JSON texts the event carries.
 */
export function encodeRecord(rec: AuditRecord): string {
  const e = rec.event;
  let out =
    callerBlock(e) + field(e.event_id) + field(e.request_id) + field(String(e.event_time)) + field(e.error_code) + field(e.error_message) +
    field(e.request_parameters) + field(e.resources) + field(String(rec.resources.length * 2));
  for (const r of rec.resources) out += field(r.type) + field(r.name);
  // The concatenation is a tree of strings, and it waits in the buffer long enough to survive a
  // young-generation collection; reading a character makes V8 flatten it to one string.
  out.charCodeAt(0);
  return out;
}

/** The encoded caller fields last seen with each access key; one caller's calls repeat them. */
const callers = new Map<string, { values: unknown[]; text: string }>();
const CALLERS_KEPT = 4096;

function callerBlock(e: AuditEventRow): string {
  const known = callers.get(e.access_key_id);
  if (known !== undefined && CALLER_COLUMNS.every((c, i) => known.values[i] === e[c])) return known.text;
  const values = CALLER_COLUMNS.map((c) => e[c]);
  let text = '';
  for (const v of values) text += field(typeof v === 'number' ? String(v) : v);
  text.charCodeAt(0);
  if (known === undefined && callers.size >= CALLERS_KEPT) callers.delete(callers.keys().next().value!);
  callers.set(e.access_key_id, { values, text });
  return text;
}

function field(text: string | null): string {
  return text === null ? '~' : `${text.length}:${text}`;
}

/** The inverse of encodeRecord, for writing from this thread should the worker be gone. */
export function decodeRecord(text: string): AuditRecord {
  let at = 0;
  const next = (): string | null => {
    if (text.charCodeAt(at) === TILDE) {
      at++;
      return null;
    }
    const colon = text.indexOf(':', at);
    const end = colon + 1 + Number(text.slice(at, colon));
    const value = text.slice(colon + 1, end);
    at = end;
    return value;
  };
  const event: Record<string, unknown> = {};
  for (const c of WIRE_COLUMNS) {
    const v = next();
    event[c] = c === 'event_time' || c === 'read_only' ? Number(v) : v;
  }
  const n = Number(next());
  const resources: { type: string; name: string }[] = [];
  for (let i = 0; i < n; i += 2) resources.push({ type: next()!, name: next()! });
  return { event: event as unknown as AuditEventRow, resources };
}

const TILDE = 0x7e;

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
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, driver, order: WIRE_ORDER } });
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
      this.worker.postMessage({ seq, batch: batch.join('') });
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
