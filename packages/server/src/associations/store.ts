import type { Kysely } from 'kysely';
import type { AnyDb } from '../store/database.js';
import type { AssociationRow, AssociationTables } from './tables.js';

export type AssociationDb = Kysely<AssociationTables>;
export const tables = (db: AnyDb): AssociationDb => db.withTables<AssociationTables>();

/** What a version keeps: the definition, not the run bookkeeping. */
const VERSIONED: (keyof AssociationRow)[] = ['name', 'document_type', 'document_version', 'association_name', 'instance_id', 'parameters', 'targets', 'target_maps', 'schedule_expression', 'schedule_offset', 'apply_only_at_cron_interval', 'max_concurrency', 'max_errors', 'compliance_severity', 'sync_compliance', 'output_location', 'calendar_names', 'duration', 'automation_target_parameter_name', 'dispatch_role', 'actor'];

export const associationStore = {
  get(db: AssociationDb, id: string): Promise<AssociationRow | undefined> {
    return db.selectFrom('associations').selectAll().where('association_id', '=', id).executeTakeFirst();
  },
  lock(db: AssociationDb, id: string, postgres: boolean): Promise<AssociationRow | undefined> {
    let q = db.selectFrom('associations').selectAll().where('association_id', '=', id);
    if (postgres) q = q.forUpdate();
    return q.executeTakeFirst();
  },
  async addVersion(db: AssociationDb, row: AssociationRow, now: number): Promise<void> {
    const snapshot: Partial<AssociationRow> = {};
    for (const k of VERSIONED) (snapshot as Record<string, unknown>)[k] = row[k];
    await db.insertInto('association_versions').values({ association_id: row.association_id, version: row.association_version, snapshot: JSON.stringify(snapshot), created_at: now }).execute();
  },
  /** The association as version `version` defined it. */
  async version(db: AssociationDb, row: AssociationRow, version: number): Promise<AssociationRow> {
    if (version === row.association_version) return row;
    const v = await db.selectFrom('association_versions').select('snapshot').where('association_id', '=', row.association_id).where('version', '=', version).executeTakeFirst();
    return v ? { ...row, ...(JSON.parse(v.snapshot) as Partial<AssociationRow>), association_version: version } : row;
  },
  /** Removes the association and its history; returns the nodes it had run on, whose summaries now leave it out. */
  async remove(db: AssociationDb, id: string): Promise<string[]> {
    const nodes = await this.nodesOf(db, id);
    await db.deleteFrom('association_execution_targets').where('association_id', '=', id).execute();
    await db.deleteFrom('association_executions').where('association_id', '=', id).execute();
    await db.deleteFrom('association_nodes').where('association_id', '=', id).execute();
    await db.deleteFrom('association_versions').where('association_id', '=', id).execute();
    await db.deleteFrom('associations').where('association_id', '=', id).execute();
    return nodes;
  },
  /** The nodes the association has run on (or is running on). */
  async nodesOf(db: AssociationDb, id: string): Promise<string[]> {
    return (await db.selectFrom('association_nodes').select('instance_id').where('association_id', '=', id).execute()).map((r) => r.instance_id);
  },
  /**
   * For each of the nodes, the latest result of each association on it: the node's row of the
   * execution association_nodes names (Pending while that row is not written yet, as
   * DescribeInstanceAssociationsStatus shows it).
   */
  async latestResults(db: AssociationDb, instanceIds: readonly string[]): Promise<LatestResult[]> {
    const out: LatestResult[] = [];
    for (let i = 0; i < instanceIds.length; i += 500) {
      const rows = await db
        .selectFrom('association_nodes as n')
        .innerJoin('associations as a', 'a.association_id', 'n.association_id')
        .leftJoin('association_execution_targets as t', (j) => j.onRef('t.execution_id', '=', 'n.execution_id').onRef('t.resource_id', '=', 'n.instance_id'))
        .select(['n.instance_id', 'n.association_id', 'a.name', 't.status', 't.updated_at', 'n.at'])
        .where('n.instance_id', 'in', instanceIds.slice(i, i + 500))
        .execute();
      for (const r of rows) out.push({ instanceId: r.instance_id, associationId: r.association_id, document: r.name, status: r.status ?? 'Pending', at: Number(r.updated_at ?? r.at) });
    }
    return out;
  },
};

export interface LatestResult {
  instanceId: string;
  associationId: string;
  document: string;
  /** As association_execution_targets has it: Pending, InProgress, Success or Failed. */
  status: string;
  at: number;
}
