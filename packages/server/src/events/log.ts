import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../scheduler/clock.js';
import type { AnyDb, Database } from '../store/database.js';
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
 * What happened in the system, written in the transaction of the change that caused it, so an
 * event exists exactly when its change does. Later consumers (OpsCenter, notifications) read it.
 */
export class EventLog {
  private readonly db: Kysely<EventTables>;

  constructor(
    database: Database,
    private readonly clock: Clock,
  ) {
    this.db = database.db.withTables<EventTables>();
  }

  async append(event: DomainEvent, db?: AnyDb): Promise<string> {
    const events: Kysely<EventTables> = db ? db.withTables<EventTables>() : this.db;
    const row: EventRow = {
      id: randomUUID(),
      account_id: event.accountId,
      region: event.region,
      time: this.clock.now(),
      source: event.source,
      detail_type: event.detailType,
      resources: JSON.stringify(event.resources),
      detail: JSON.stringify(event.detail),
    };
    await events.insertInto('events').values(row).execute();
    return row.id;
  }

  async list(q: { accountId: string; region: string; detailType?: string; since?: number; limit?: number }): Promise<StoredEvent[]> {
    let query = this.db.selectFrom('events').selectAll().where('account_id', '=', q.accountId).where('region', '=', q.region);
    if (q.detailType) query = query.where('detail_type', '=', q.detailType);
    if (q.since !== undefined) query = query.where('time', '>=', q.since);
    const rows = await query.orderBy('time').orderBy('id').limit(q.limit ?? 1000).execute();
    return rows.map((r) => ({
      id: r.id,
      time: r.time,
      accountId: r.account_id,
      region: r.region,
      source: r.source,
      detailType: r.detail_type,
      resources: JSON.parse(r.resources) as string[],
      detail: JSON.parse(r.detail) as Record<string, unknown>,
    }));
  }
}
