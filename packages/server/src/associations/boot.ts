import type { NodeBoot } from '../nodes/index.js';
import type { Core } from '../protocol/context.js';
import type { Runs } from './runs.js';
import { nodesOf } from './service.js';
import { associationStore as store, tables, type AssociationDb } from './store.js';

export const BOOT_TRIGGER = 'Boot';

/**
 * A node whose agent asks for it has booted: each Command association of its account and region
 * whose targets name it gets a run for that node alone, each in its own transaction, so one
 * association that cannot start does not hold back the others.
 *
 * Left out: Automation runbooks (they do not run on a node); associations that only run at their
 * cron interval, whose owner said when they run (and a reboot-at-2am association run at every boot
 * would never let the node stay up); and associations with a run still unfinished for the node,
 * which is what a document that rebooted the node (exit 194) looks like when the node is back:
 * the agent resumes that run, and a second would reboot it again.
 *
 * The nodes capability tells a boot at least once: a repeat finds the run this boot already made
 * (trigger Boot, this node alone, created since the boot was seen) and adds none.
 */
export async function applyOnBoot(core: Core, runs: Runs, accountId: string, region: string, instanceId: string, boot: NodeBoot): Promise<void> {
  const db = tables(core.database.db);
  const postgres = core.database.engine === 'postgres';
  const candidates = await db
    .selectFrom('associations')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('region', '=', region)
    .where('document_type', '=', 'Command')
    .where('apply_only_at_cron_interval', '=', 0)
    .orderBy('created_at')
    .execute();
  for (const candidate of candidates) {
    if (!(await nodesOf(core, candidate)).includes(instanceId)) continue;
    await core.database.db.transaction().execute(async (trx) => {
      const t = tables(trx);
      // Locked, so a repeat of this boot on another replica waits and then finds this run.
      const row = await store.lock(t, candidate.association_id, postgres);
      if (!row || row.document_type !== 'Command' || row.apply_only_at_cron_interval) return;
      if (await covered(t, row.association_id, instanceId, boot)) return;
      // Never dated before the boot was seen, even by a replica whose clock is behind, so a repeat recognises it.
      await runs.start(t, row, BOOT_TRIGGER, Math.max(core.clock.now(), boot.detectedAt), [instanceId]);
    });
  }
}

/** Whether the node already has a run of the association for this boot, or one still unfinished. */
async function covered(db: AssociationDb, associationId: string, instanceId: string, boot: NodeBoot): Promise<boolean> {
  const alone = JSON.stringify([instanceId]);
  const thisBoot = await db
    .selectFrom('association_executions')
    .select('execution_id')
    .where('association_id', '=', associationId)
    .where('trigger', '=', BOOT_TRIGGER)
    .where('target_ids', '=', alone)
    .where('created_at', '>=', boot.detectedAt)
    .executeTakeFirst();
  if (thisBoot) return true;
  // Not dispatched yet: '' means every node the targets name when it is.
  const pending = await db.selectFrom('association_executions').select('target_ids').where('association_id', '=', associationId).where('status', '=', 'Pending').execute();
  if (pending.some((p) => p.target_ids === '' || (JSON.parse(p.target_ids) as string[]).includes(instanceId))) return true;
  const running = await db
    .selectFrom('association_execution_targets as x')
    .innerJoin('association_executions as e', 'e.execution_id', 'x.execution_id')
    .select('x.execution_id')
    .where('x.association_id', '=', associationId)
    .where('x.resource_id', '=', instanceId)
    .where('e.status', '=', 'InProgress')
    .where('x.status', 'in', ['Pending', 'InProgress'])
    .executeTakeFirst();
  return running !== undefined;
}
