import type { Kysely } from 'kysely';
import type { Clock } from '../scheduler/clock.js';
import type { AnyDb, Database } from '../store/database.js';
import { eventId } from './ids.js';
import type { EventRow, EventTables } from './tables.js';

export interface DomainEvent {
  accountId: string;
  region: string;
  source: string;
  detailType: string;
  resources: string[];
  detail: Record<string, unknown>;
}

export interface StoredEvent extends DomainEvent {
  id: string;
  time: number;
}

/**
 * Work that belongs with an event and must commit with it (event rules route it to their
 * targets). Runs with the transaction the event is written in: a hook must use `db`, never
 * the store's own handle, which on SQLite is the one connection that transaction holds.
 */
export type AppendHook = (events: readonly StoredEvent[], db: AnyDb) => Promise<void>;

/** SQLite binds at most 32,766 values per statement: 8 columns a row. */
const ROWS_PER_INSERT = 4000;

/**
 * What happened in the system, written in the transaction of the change that caused it, so an
 * event exists exactly when its change does. Consumers (event rules, OpsCenter) read it or hook
 * into its writing.
 */
export class EventLog {
  private readonly db: Kysely<EventTables>;
  private readonly hooks: AppendHook[] = [];

  constructor(
    database: Database,
    private readonly clock: Clock,
  ) {
    this.db = database.db.withTables<EventTables>();
  }

  onAppend(hook: AppendHook): void {
    this.hooks.push(hook);
  }

  async append(event: DomainEvent, db?: AnyDb): Promise<string> {
    const [stored] = await this.appendAll([event], db);
    return stored!.id;
  }

  /**
   * Writes the events with `db` (the transaction of their change); without one, in a
   * transaction of their own, so the hooks' work still commits with them.
   */
  async appendAll(events: readonly DomainEvent[], db?: AnyDb): Promise<StoredEvent[]> {
    if (events.length === 0) return [];
    if (!db) return this.db.transaction().execute((trx) => this.write(events, trx));
    return this.write(events, db);
  }

  private async write(events: readonly DomainEvent[], db: AnyDb): Promise<StoredEvent[]> {
    const time = this.clock.now();
    const stored = events.map((e): StoredEvent => ({ ...e, id: eventId(time), time }));
    const rows = stored.map((e): EventRow => ({
      id: e.id,
      account_id: e.accountId,
      region: e.region,
      time: e.time,
      source: e.source,
      detail_type: e.detailType,
      resources: JSON.stringify(e.resources),
      detail: JSON.stringify(e.detail),
    }));
    const table = db.withTables<EventTables>();
    for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) await table.insertInto('events').values(rows.slice(i, i + ROWS_PER_INSERT)).execute();
    for (const hook of this.hooks) await hook(stored, db);
    return stored;
  }

  async get(id: string): Promise<StoredEvent | undefined> {
    const row = await this.db.selectFrom('events').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async list(q: { accountId: string; region: string; detailType?: string; since?: number; limit?: number }): Promise<StoredEvent[]> {
    let query = this.db.selectFrom('events').selectAll().where('account_id', '=', q.accountId).where('region', '=', q.region);
    if (q.detailType) query = query.where('detail_type', '=', q.detailType);
    if (q.since !== undefined) query = query.where('time', '>=', q.since);
    const rows = await query.orderBy('time').orderBy('id').limit(q.limit ?? 1000).execute();
    return rows.map(fromRow);
  }

  /**
   * Forgets events older than `before`, a batch at a time so no transaction holds the store for
   * long; returns how many went.
   */
  async prune(before: number, batch = 5000): Promise<number> {
    let total = 0;
    for (;;) {
      const ids = (await this.db.selectFrom('events').select('id').where('time', '<', before).limit(batch).execute()).map((r) => r.id);
      if (ids.length === 0) return total;
      for (let i = 0; i < ids.length; i += 500) await this.db.deleteFrom('events').where('id', 'in', ids.slice(i, i + 500)).execute();
      total += ids.length;
      if (ids.length < batch) return total;
    }
  }
}

function fromRow(r: EventRow): StoredEvent {
  return {
    id: r.id,
    time: Number(r.time),
    accountId: r.account_id,
    region: r.region,
    source: r.source,
    detailType: r.detail_type,
    resources: JSON.parse(r.resources) as string[],
    detail: JSON.parse(r.detail) as Record<string, unknown>,
  };
}
