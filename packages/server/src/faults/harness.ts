import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { CreateActivationCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { JobMessage } from '@capstan/wire';
import { freshSchema, POSTGRES_URL } from '../test-support/postgres.js';
import { ReplicaSet } from '../test-support/replica-set.js';
import { ServerProcess } from '../test-support/server-process.js';
import type { Engine } from '../test-support/server.js';
import { SimulatedAgent } from '../test-support/sim-agent.js';

/** The seed of this run's kill points: CAPSTAN_FAULT_SEED, else a fixed one. */
export const FAULT_SEED = Number(process.env.CAPSTAN_FAULT_SEED ?? 20261126);

/** mulberry32: a small seeded generator, so a run's random kill points can be asked for again. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Integrity {
  /** What the engine's own checks found wrong (empty: nothing). */
  problems: string[];
  tables: number;
  rows: number;
  /** Indexes verified (amcheck), PostgreSQL only. */
  indexes: number;
}

/**
 * One `capstan server` process on its own store, which a test can SIGKILL and start again on
 * the same store and port: SQLite (a data directory) or PostgreSQL (a schema of its own).
 */
export interface KillableServer {
  readonly engine: Engine;
  readonly url: string;
  client(): SSMClient;
  kill(): Promise<void>;
  start(): Promise<void>;
  output(): string;
  /** The store checked by its engine (the server may be running or dead). */
  integrity(): Promise<Integrity>;
  close(): Promise<void>;
}

// A short lease: the dead process's leases on running jobs must run out before the new one takes them.
const ENV = { CAPSTAN_JOB_LEASE_MS: '2000' };

export async function killableServer(engine: Engine): Promise<KillableServer> {
  const work = mkdtempSync(join(tmpdir(), `capstan-faults-${engine}-`));
  if (engine === 'sqlite') {
    const dataDir = join(work, 'data');
    const s = await ServerProcess.start({ dataDir, env: ENV }).catch((e: unknown) => {
      rmSync(work, { recursive: true, force: true });
      throw e;
    });
    return {
      engine,
      url: s.url,
      client: () => new SSMClient(s.clientConfig()),
      kill: () => s.kill(),
      start: () => s.launch(),
      output: () => s.output,
      integrity: async () => sqliteIntegrity(join(dataDir, 'capstan.db')),
      close: async () => {
        await s.stop();
        rmSync(work, { recursive: true, force: true });
      },
    };
  }
  const schema = await freshSchema();
  mkdirSync(join(work, 'replicas'));
  let set: ReplicaSet;
  try {
    set = await ReplicaSet.start({ count: 1, databaseUrl: schema.url, workDir: join(work, 'replicas'), env: ENV });
  } catch (e) {
    await schema.drop();
    rmSync(work, { recursive: true, force: true });
    throw e;
  }
  return {
    engine,
    url: set.replicas[0]!.url,
    client: () => new SSMClient(set.clientConfig(0)),
    kill: () => set.kill(0),
    start: () => set.startReplica(0),
    output: () => set.replicas[0]!.output,
    integrity: () => postgresIntegrity(schema.url),
    close: async () => {
      await set.stop();
      await schema.drop();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/** `PRAGMA integrity_check` and `foreign_key_check`, and every row of every table read. */
function sqliteIntegrity(file: string): Integrity {
  // A connection of its own: opened after a SIGKILL it also replays the WAL, as the next server start would.
  const db = new BetterSqlite3(file, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    const problems: string[] = [];
    const check = db.pragma('integrity_check') as { integrity_check: string }[];
    if (check.length !== 1 || check[0]!.integrity_check !== 'ok') problems.push(...check.map((r) => `integrity_check: ${r.integrity_check}`));
    for (const r of db.pragma('foreign_key_check') as { table: string; rowid: number; parent: string }[]) problems.push(`foreign_key_check: ${r.table} row ${r.rowid} refers to a missing ${r.parent}`);
    const tables = (db.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%'").all() as { name: string }[]).map((t) => t.name);
    let rows = 0;
    for (const t of tables) for (const _ of db.prepare(`select * from "${t}"`).iterate()) rows++;
    return { problems, tables: tables.length, rows, indexes: 0 };
  } finally {
    db.close();
  }
}

/** amcheck's `bt_index_check` (with the heap) on every B-tree index of the schema, and every row of every table read. */
async function postgresIntegrity(url: string): Promise<Integrity> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const schema = (await c.query<{ s: string }>('select current_schema() as s')).rows[0]!.s;
    const problems: string[] = [];
    let indexes = 0;
    const amcheck = await installAmcheck();
    if (amcheck) {
      const idx = await c.query<{ oid: number; name: string }>(
        "select c.oid, c.relname as name from pg_index i join pg_class c on c.oid = i.indexrelid join pg_namespace n on n.oid = c.relnamespace join pg_am am on am.oid = c.relam where n.nspname = $1 and am.amname = 'btree'",
        [schema],
      );
      for (const i of idx.rows) {
        try {
          await c.query('select public.bt_index_check($1::regclass, true)', [i.oid]);
          indexes++;
        } catch (e) {
          problems.push(`bt_index_check ${i.name}: ${(e as Error).message}`);
        }
      }
    }
    const tables = (await c.query<{ t: string }>("select tablename as t from pg_tables where schemaname = $1", [schema])).rows.map((r) => r.t);
    let rows = 0;
    for (const t of tables) {
      // Every column of every row, detoasted: a damaged tuple fails here.
      const r = await c.query<{ n: string }>(`select count(md5(x::text)) as n from "${schema}"."${t}" x`);
      rows += Number(r.rows[0]!.n);
    }
    return { problems, tables: tables.length, rows, indexes };
  } finally {
    await c.end();
  }
}

let amcheckInstalled: Promise<boolean> | undefined;

/** amcheck in `public` (an extension exists once per database), or false when the server lacks it. */
function installAmcheck(): Promise<boolean> {
  amcheckInstalled ??= (async () => {
    const c = new pg.Client({ connectionString: POSTGRES_URL });
    await c.connect();
    try {
      const available = await c.query("select 1 from pg_available_extensions where name = 'amcheck'");
      if (available.rowCount === 0) return false;
      try {
        await c.query('create extension if not exists amcheck with schema public');
      } catch (e) {
        // Another test run created it at the same moment.
        if (!/already exists|duplicate key/.test((e as Error).message)) throw e;
      }
      return true;
    } finally {
      await c.end();
    }
  })();
  return amcheckInstalled;
}

/**
 * A simulated node that keeps what it reports until the server acknowledges it and sends it
 * again on its next connection, as the real agent's outbox does, so a reply the server died
 * before storing is not lost. It records every job delivery with the connection it came on.
 */
export class DurableSimAgent extends SimulatedAgent {
  private readonly outbox = new Map<string, Record<string, unknown>>();
  /** Connections opened so far; each delivery names the one it came on. */
  connections = 0;
  readonly deliveries: { id: string; connection: number; at: number }[] = [];
  /** When each job (by id) ended here: its final reply was sent. */
  readonly ended = new Map<string, number>();
  /** Jobs this node ran (the behaviour called), by id, as many times as it was called. */
  readonly ran: string[] = [];

  override async connect(endpoint?: string): Promise<void> {
    this.connections++;
    await super.connect(endpoint);
    for (const m of this.outbox.values()) super.send(m);
  }

  /** Wraps a behaviour so that every run of a job is counted. */
  counting(b: (job: JobMessage) => ReturnType<SimulatedAgent['behaviour']>): void {
    this.behaviour = (job) => {
      this.ran.push(job.id);
      return b(job);
    };
  }

  protected override send(m: object): void {
    const msg = m as Record<string, unknown>;
    // Every job that arrives is acknowledged at once (accepted or duplicate): that is its delivery.
    if (msg.type === 'ack') this.deliveries.push({ id: String(msg.id), connection: this.connections, at: Date.now() });
    if ((msg.type === 'reply' || msg.type === 'output') && typeof msg.replyId === 'string') {
      this.outbox.set(msg.replyId, msg);
      if (msg.type === 'reply' && msg.status !== 'InProgress' && !this.ended.has(String(msg.id))) this.ended.set(String(msg.id), Date.now());
    }
    super.send(m);
  }

  protected override onMessage(m: Record<string, unknown>): void {
    if (m.type === 'reply-ack' && typeof m.replyId === 'string') this.outbox.delete(m.replyId);
  }

  get unacknowledged(): number {
    return this.outbox.size;
  }
}

/** `count` simulated nodes registered with one activation and connected. */
export async function simFleet(server: KillableServer, count: number, name: string): Promise<DurableSimAgent[]> {
  const ssm = server.client();
  try {
    const { ActivationId, ActivationCode } = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: count }));
    const agents: DurableSimAgent[] = [];
    for (let i = 0; i < count; i++) {
      const a = new DurableSimAgent(server.url, `${name}-${i}`);
      await a.register(ActivationId!, ActivationCode!);
      agents.push(a);
    }
    await Promise.all(agents.map((a) => a.connect()));
    return agents;
  } finally {
    ssm.destroy();
  }
}

/** The most jobs (of those given) running at one instant, from when each node got it to when it answered. */
export function peakRunning(spans: { start: number; end: number }[]): number {
  const edges = spans.flatMap((s) => [
    { at: s.start, d: 1 },
    { at: s.end, d: -1 },
  ]);
  edges.sort((a, b) => (a.at === b.at ? a.d - b.d : a.at - b.at));
  let n = 0;
  let most = 0;
  for (const e of edges) most = Math.max(most, (n += e.d));
  return most;
}
