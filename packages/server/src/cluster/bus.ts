import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import type { Clock } from '../scheduler/clock.js';
import { currentSchema, type AnyDb, type Database } from '../store/database.js';
import type { ClusterTables } from './tables.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type BusHandler = (message: any, from: string) => void;

/**
 * Messages between the replicas sharing one store: wake-ups ("a command changed", "jobs are
 * waiting for this node") and requests for the replica holding a node's channel. A message
 * goes to every other replica; none comes back to its sender, which acts on its own work
 * directly. Delivery is best effort: whatever a message announces is also in the store, and
 * every user of the bus has a poll that finds it, so a lost message only delays.
 */
export interface ClusterBus {
  publish(topic: string, message: unknown, db?: AnyDb): Promise<void>;
  subscribe(topic: string, handler: BusHandler): void;
  /** Called after the bus lost its connection and has it again: messages may have been missed meanwhile. */
  onResync(handler: () => void): void;
  /** Whether messages are being received now (false while the connection is lost). */
  readonly live: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** SQLite: one process, nobody to tell. */
export class SoloBus implements ClusterBus {
  readonly live = true;
  async publish(): Promise<void> {}
  subscribe(): void {}
  onResync(): void {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
}

/** The bus's LISTEN channel for a schema (PostgreSQL names are at most 63 bytes). */
export const busChannel = (schema: string) => `capstan:${schema}`.slice(0, 63);

/** A PostgreSQL notification carries at most 8000 bytes; larger messages go through a table. */
const MAX_INLINE_BYTES = 7000;

interface Envelope {
  /** Sending replica. */
  f: string;
  t: string;
  m?: unknown;
  /** A cluster_messages row holding the whole envelope. */
  ref?: string;
}

/**
 * LISTEN/NOTIFY on a connection of its own. A notification sent in a transaction is delivered
 * when (and only if) it commits, so a wake-up never arrives before what it announces. The
 * channel is named after the schema: installations sharing a database do not hear each other.
 */
export class PostgresBus implements ClusterBus {
  private readonly handlers = new Map<string, BusHandler[]>();
  private readonly resync: (() => void)[] = [];
  private readonly db: Kysely<ClusterTables>;
  private client: pg.Client | undefined;
  private channel = '';
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;
  private listening = false;

  constructor(
    private readonly database: Database,
    private readonly clock: Clock,
    private readonly replicaId: string,
  ) {
    if (!database.url) throw new Error('the cluster bus needs the PostgreSQL URL');
    this.db = database.db.withTables<ClusterTables>();
  }

  get live(): boolean {
    return this.listening;
  }

  subscribe(topic: string, handler: BusHandler): void {
    const list = this.handlers.get(topic) ?? [];
    list.push(handler);
    this.handlers.set(topic, list);
  }

  onResync(handler: () => void): void {
    this.resync.push(handler);
  }

  async start(): Promise<void> {
    this.channel = busChannel(await currentSchema(this.db));
    await this.connect(false);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.listening = false;
    if (this.retry) clearTimeout(this.retry);
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
  }

  async publish(topic: string, message: unknown, db?: AnyDb): Promise<void> {
    const target: Kysely<ClusterTables> = db ? db.withTables<ClusterTables>() : this.db;
    let text = JSON.stringify({ f: this.replicaId, t: topic, m: message } satisfies Envelope);
    if (Buffer.byteLength(text) > MAX_INLINE_BYTES) {
      const id = randomUUID();
      await target.insertInto('cluster_messages').values({ id, body: text, created_at: this.clock.now() }).execute();
      text = JSON.stringify({ f: this.replicaId, t: topic, ref: id } satisfies Envelope);
    }
    await sql`select pg_notify(${this.channel}, ${text})`.execute(target);
  }

  /** Large messages older than this are gone: every replica has long since read them. */
  async prune(olderThanMs = 10 * 60_000): Promise<void> {
    await this.db.deleteFrom('cluster_messages').where('created_at', '<', this.clock.now() - olderThanMs).execute();
  }

  private async connect(again: boolean): Promise<void> {
    // Named, so an operator looking at pg_stat_activity knows what the idle LISTEN connection is.
    const client = new pg.Client({ connectionString: this.database.url, application_name: 'capstan-bus' });
    const lost = () => {
      if (this.client !== client) return;
      this.client = undefined;
      this.listening = false;
      client.removeAllListeners('notification');
      void client.end().catch(() => undefined);
      this.reconnectIn(1_000);
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', (n) => {
      if (n.channel === this.channel && n.payload) void this.receive(n.payload);
    });
    this.client = client;
    try {
      await client.connect();
      await client.query(`listen ${escapeIdentifier(this.channel)}`);
      if (this.client === client) this.listening = true;
    } catch (e) {
      this.client = undefined;
      void client.end().catch(() => undefined);
      throw e;
    }
    if (again) for (const f of this.resync) f();
  }

  /** Reconnects after `ms`, and every 2 s after that until it works. */
  private reconnectIn(ms: number): void {
    if (!this.stopped) this.retry = setTimeout(() => void this.connect(true).catch(() => this.reconnectIn(2_000)), ms);
  }

  private async receive(payload: string): Promise<void> {
    let env: Envelope;
    try {
      env = JSON.parse(payload) as Envelope;
      if (env.f === this.replicaId) return;
      if (env.ref) {
        const row = await this.db.selectFrom('cluster_messages').select('body').where('id', '=', env.ref).executeTakeFirst();
        if (!row) return;
        env = JSON.parse(row.body) as Envelope;
      }
    } catch {
      return;
    }
    for (const h of this.handlers.get(env.t) ?? []) {
      try {
        h(env.m, env.f);
      } catch (e) {
        process.emitWarning(`cluster message ${env.t} failed: ${(e as Error).message}`);
      }
    }
  }
}

function escapeIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
