import { sql, type Kysely } from 'kysely';
import type { AnyDb, Engine } from '../store/database.js';
import type { MigrationStep } from '../store/migrations.js';

/**
 * What a node's row keeps of its State Manager associations (0890_node_associations), shown by
 * DescribeInstanceInformation and DescribeInstanceProperties and filtered on in SQL (listing.ts).
 * State Manager computes it from its own tables and hands it over whenever a node's result
 * changes, so a listing of 10,000 nodes reads it from the rows it pages instead of asking
 * State Manager about each node.
 */
export interface NodeAssociationColumns {
  /** Success | Pending | Failed, or '' for a node no association has run on. */
  association_status: string;
  association_detailed_status: string;
  /** JSON map: per-node status → how many of the node's associations have it. */
  association_counts: string;
  /** JSON array of the documents the node's associations apply, for DescribeInstanceProperties' DocumentName filter. */
  association_documents: string;
  last_association_at: number | null;
  last_association_success_at: number | null;
}

type Tables = { managed_instances: NodeAssociationColumns & { instance_id: string } };

export const nodeAssociationMigrations: MigrationStep[] = [
  {
    name: '0890_node_associations',
    async up(db, engine) {
      await sql`ALTER TABLE managed_instances ADD COLUMN association_status text NOT NULL DEFAULT ''`.execute(db);
      await sql`ALTER TABLE managed_instances ADD COLUMN association_detailed_status text NOT NULL DEFAULT ''`.execute(db);
      await sql`ALTER TABLE managed_instances ADD COLUMN association_counts text NOT NULL DEFAULT '{}'`.execute(db);
      await sql`ALTER TABLE managed_instances ADD COLUMN association_documents text NOT NULL DEFAULT '[]'`.execute(db);
      await sql`ALTER TABLE managed_instances ADD COLUMN last_association_at bigint`.execute(db);
      await sql`ALTER TABLE managed_instances ADD COLUMN last_association_success_at bigint`.execute(db);
      // "Which nodes failed their associations" is the question an operator asks of a large fleet.
      // Pings never write these columns, so their updates stay HOT on PostgreSQL.
      await sql`CREATE INDEX managed_instances_by_association_status ON managed_instances (account_id, region, association_status, instance_id)`.execute(db);
      if (engine === 'postgres') await sql`create index managed_instances_association_documents on managed_instances using gin ((association_documents::jsonb))`.execute(db);
    },
  },
];

/** A node's associations as State Manager sees them: the latest result of each association on it. */
export interface AssociationSummary {
  /** AWS's aggregate: Failed if any failed, Pending if any has not finished, else Success; undefined when none has run on the node. */
  status: 'Success' | 'Pending' | 'Failed' | undefined;
  detailedStatus: string;
  /** Per-node status (as DescribeInstanceAssociationsStatus shows it) → number of associations. */
  counts: Record<string, number>;
  /** When the latest of those results was recorded. */
  lastExecutionAt: number | undefined;
  /** The distinct documents those associations apply. */
  documents: string[];
}

export const NO_ASSOCIATIONS: AssociationSummary = { status: undefined, detailedStatus: '', counts: {}, lastExecutionAt: undefined, documents: [] };

const CHUNK = 500;
const COLUMNS = ['association_status', 'association_detailed_status', 'association_counts', 'association_documents', 'last_association_at', 'last_association_success_at'] as const;

/**
 * Locks the nodes' rows (in id order, so two callers cannot deadlock), asks `summarize` for their
 * summaries and writes those that changed. On PostgreSQL the lock is what keeps two transactions
 * changing results of different associations on one node from each writing a summary that misses
 * the other's change: the second waits, and then reads what the first committed. SQLite runs one
 * writing transaction at a time anyway.
 */
export async function recordAssociationSummaries(
  trx: AnyDb,
  engine: Engine,
  instanceIds: readonly string[],
  summarize: (ids: string[]) => Promise<ReadonlyMap<string, AssociationSummary>>,
): Promise<void> {
  const ids = [...new Set(instanceIds)].sort();
  if (!ids.length) return;
  const db: Kysely<Tables> = trx.withTables<Tables>();
  const current = new Map<string, NodeAssociationColumns & { instance_id: string }>();
  for (let i = 0; i < ids.length; i += CHUNK) {
    let q = db.selectFrom('managed_instances').select(['instance_id', ...COLUMNS]).where('instance_id', 'in', ids.slice(i, i + CHUNK)).orderBy('instance_id');
    if (engine === 'postgres') q = q.forUpdate();
    for (const row of await q.execute()) current.set(row.instance_id, row);
  }
  // A node deregistered since its run has no row to keep a summary in.
  const present = ids.filter((id) => current.has(id));
  if (!present.length) return;
  const summaries = await summarize(present);
  for (const id of present) {
    const was = current.get(id)!;
    const next = columns(summaries.get(id) ?? NO_ASSOCIATIONS, was);
    if (COLUMNS.every((k) => String(next[k]) === String(was[k]))) continue;
    await db.updateTable('managed_instances').set(next).where('instance_id', '=', id).execute();
  }
}

const later = (a: number | null, b: number | undefined): number | null => (b === undefined ? a : a === null ? b : Math.max(Number(a), b));

/**
 * The dates only move forward: they tell when associations last ran on the node, which a deleted
 * association did too. LastSuccessfulAssociationExecutionDate is when the node last had every
 * association succeed, as AWS reports it (a node with one success among failures keeps an
 * older date), so it moves only with an aggregate Success.
 */
function columns(s: AssociationSummary, was: NodeAssociationColumns): NodeAssociationColumns {
  return {
    association_status: s.status ?? '',
    association_detailed_status: s.status ? s.detailedStatus : '',
    association_counts: JSON.stringify(s.status ? sortedKeys(s.counts) : {}),
    association_documents: JSON.stringify([...new Set(s.documents)].sort()),
    last_association_at: later(was.last_association_at, s.lastExecutionAt),
    last_association_success_at: s.status === 'Success' ? later(was.last_association_success_at, s.lastExecutionAt) : was.last_association_success_at === null ? null : Number(was.last_association_success_at),
  };
}

const sortedKeys = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
