import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/database.js';
import { decodeRecord, encodeRecord, SqliteAuditWriter } from './sqlite-writer.js';
import type { AuditEventRow, AuditResourceRow, AuditTables } from './tables.js';

export interface AuditRecord {
  event: AuditEventRow;
  resources: readonly { readonly type: string; readonly name: string }[];
}

export interface AuditQuery {
  accountId: string;
  region?: string;
  startTime?: number;
  endTime?: number;
  attribute?: { key: string; value: string };
  limit: number;
  /** Keyset cursor: events strictly older than this (time, id). */
  before?: { time: number; id: string };
}

const FLUSH_MS = 100;
const MAX_BUFFER = 2_000;
const BATCH = 200;

/**
 * PostgreSQL text cannot hold U+0000, and one such value fails the statement that writes the
 * whole batch: a caller could erase the records of everyone's calls around its own by putting
 * a NUL in a refused input (echoed in the error message). It is stored as U+FFFD instead.
 */
function withoutNul<T>(v: T): T {
  return (typeof v === 'string' && v.includes('\0') ? v.replaceAll('\0', '\uFFFD') : v) as T;
}

/**
 * The audit trail. Records are buffered and written in batches so that auditing every call
 * does not halve the throughput of the hot read paths; `flush()` runs on shutdown and
 * before every query, so what a caller did is visible to the next lookup.
 */
export class AuditTrail {
  private readonly db: Kysely<AuditTables>;
  /** Records waiting for the next batch; encoded at once when the worker writes them. */
  private buffer: (AuditRecord | string)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly sqliteWriter: SqliteAuditWriter | undefined;
  private readonly engine: Database['engine'];

  constructor(database: Database) {
    this.engine = database.engine;
    this.db = database.db.withTables<AuditTables>();
    this.sqliteWriter = database.sqlitePath ? new SqliteAuditWriter(database.sqlitePath) : undefined;
  }

  /** Writes what is buffered and stops the writer. */
  async close(): Promise<void> {
    await this.flush();
    await this.sqliteWriter?.close();
  }

  record(rec: AuditRecord): void {
    this.buffer.push(this.sqliteWriter ? encodeRecord(rec) : rec);
    if (this.buffer.length >= MAX_BUFFER) void this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), FLUSH_MS);
      this.timer.unref();
    }
  }

  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.buffer;
    this.buffer = [];
    this.flushing = this.flushing.then(() => (batch.length ? this.write(batch) : undefined)).catch((err: unknown) => {
      // The trail must not take the API down with it; report and keep serving.
      process.emitWarning(`audit trail write failed: ${(err as Error).message}`);
    });
    return this.flushing;
  }

  private async write(buffered: (AuditRecord | string)[]): Promise<void> {
    if (this.sqliteWriter?.alive) return this.sqliteWriter.write(buffered.map((r) => (typeof r === 'string' ? r : encodeRecord(r))));
    // Should the writer thread ever die, the trail goes on from this thread rather than drop records.
    const batch = buffered.map((r) => (typeof r === 'string' ? decodeRecord(r) : r));
    if (this.engine === 'postgres') return this.writePostgres(batch);
    await this.db.transaction().execute(async (trx) => {
      for (let i = 0; i < batch.length; i += BATCH) {
        const slice = batch.slice(i, i + BATCH);
        await trx.insertInto('audit_events').values(slice.map((r) => r.event)).execute();
        const resources: AuditResourceRow[] = slice.flatMap((r) =>
          r.resources.map((res) => ({ event_id: r.event.event_id, account_id: r.event.account_id, event_time: r.event.event_time, resource_type: res.type, resource_name: res.name })),
        );
        if (resources.length) await trx.insertInto('audit_resources').values(resources).execute();
      }
    });
  }

  /**
   * One statement per table for the whole batch, the rows passed as arrays: at tens of thousands
   * of calls a second, row-by-row VALUES lists made PostgreSQL fall behind and the backlog
   * starved the API of connections.
   */
  private async writePostgres(batch: AuditRecord[]): Promise<void> {
    const col = <K extends keyof AuditEventRow>(k: K) => batch.map((r) => withoutNul(r.event[k]));
    const resources = batch.flatMap((r) => r.resources.map((res) => [r.event.event_id, r.event.account_id, withoutNul(res.type), withoutNul(res.name), r.event.event_time] as const));
    await this.db.transaction().execute(async (trx) => {
      await sql`insert into audit_events (event_id, request_id, account_id, region, event_time, event_source, event_name, read_only, principal_arn,
          principal_id, principal_type, username, access_key_id, source_ip, user_agent, error_code, error_message, request_parameters, resources)
        select * from unnest(${col('event_id')}::text[], ${col('request_id')}::text[], ${col('account_id')}::text[], ${col('region')}::text[],
          ${col('event_time')}::bigint[], ${col('event_source')}::text[], ${col('event_name')}::text[], ${col('read_only')}::integer[],
          ${col('principal_arn')}::text[], ${col('principal_id')}::text[], ${col('principal_type')}::text[], ${col('username')}::text[],
          ${col('access_key_id')}::text[], ${col('source_ip')}::text[], ${col('user_agent')}::text[], ${col('error_code')}::text[],
          ${col('error_message')}::text[], ${col('request_parameters')}::text[], ${col('resources')}::text[])`.execute(trx);
      if (resources.length) {
        await sql`insert into audit_resources (event_id, account_id, resource_type, resource_name, event_time)
          select * from unnest(${resources.map((r) => r[0])}::text[], ${resources.map((r) => r[1])}::text[], ${resources.map((r) => r[2])}::text[], ${resources.map((r) => r[3])}::text[], ${resources.map((r) => r[4])}::bigint[])`.execute(trx);
      }
    });
  }

  async lookup(q: AuditQuery): Promise<{ events: AuditEventRow[]; more: boolean }> {
    await this.flush();
    let query = this.db.selectFrom('audit_events').selectAll('audit_events').where('audit_events.account_id', '=', q.accountId);
    if (q.region) query = query.where('region', '=', q.region);
    if (q.startTime !== undefined) query = query.where('event_time', '>=', q.startTime);
    if (q.endTime !== undefined) query = query.where('event_time', '<=', q.endTime);
    if (q.before) {
      const { time, id } = q.before;
      query = query.where((eb) => eb.or([eb('event_time', '<', time), eb.and([eb('event_time', '=', time), eb('event_id', '<', id)])]));
    }
    if (q.attribute) {
      const { key, value } = q.attribute;
      const column = ATTRIBUTE_COLUMNS[key];
      if (column === 'read_only') query = query.where('read_only', '=', value === 'true' ? 1 : 0);
      else if (column === 'event_id') query = query.where('event_time', '=', timeOfId(value)).where('event_id', '=', value);
      else if (column) query = query.where(column, '=', value);
      else {
        const col = key === 'ResourceType' ? 'resource_type' : 'resource_name';
        query = query.where('event_id', 'in', (eb) =>
          eb.selectFrom('audit_resources').select('audit_resources.event_id').where('audit_resources.account_id', '=', q.accountId).where(col, '=', value),
        );
      }
    }
    const rows = await query.orderBy('event_time', 'desc').orderBy('event_id', 'desc').limit(q.limit + 1).execute();
    const more = rows.length > q.limit;
    const events = rows.slice(0, q.limit);
    return { events, more };
  }
}

/** Event ids are version-7 UUIDs: their first 48 bits are the event's time in milliseconds. */
function timeOfId(id: string): number {
  const hex = id.replace(/-/g, '').slice(0, 12);
  return /^[0-9a-f]{12}$/i.test(hex) ? parseInt(hex, 16) : -1;
}

const ATTRIBUTE_COLUMNS: Record<string, 'event_id' | 'event_name' | 'read_only' | 'username' | 'event_source' | 'access_key_id' | undefined> = {
  EventId: 'event_id',
  EventName: 'event_name',
  ReadOnly: 'read_only',
  Username: 'username',
  EventSource: 'event_source',
  AccessKeyId: 'access_key_id',
};
