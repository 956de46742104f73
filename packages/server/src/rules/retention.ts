import type { Core } from '../protocol/context.js';
import { ruleTables } from './tables.js';

const RETENTION_JOB = 'rules.retention';
const HOUR = 3_600_000;
/** Events are routed as they are written; the log keeps them a week for the firing record and for looking back. */
export const EVENT_RETENTION_MS = 7 * 24 * HOUR;
export const FIRING_RETENTION_MS = 30 * 24 * HOUR;

/**
 * Events arrive with every status change of every invocation: without pruning the log would
 * grow with the fleet's work forever. An hourly job forgets old events and finished firings.
 */
export async function startRetention(core: Core): Promise<void> {
  core.scheduler.handle(RETENTION_JOB, async (job) => {
    const now = core.clock.now();
    await core.events.prune(now - EVENT_RETENTION_MS);
    await ruleTables(core.database.db).deleteFrom('event_rule_firings').where('created_at', '<', now - FIRING_RETENTION_MS).where('status', '!=', 'PENDING').execute();
    await core.database.db.transaction().execute(async (trx) => {
      await job.settle(trx);
      await core.scheduler.enqueue({ kind: RETENTION_JOB, dedupeKey: RETENTION_JOB, dueAt: now + HOUR, maxAttempts: 1_000_000 }, trx);
    });
  });
  await core.scheduler.enqueue({ kind: RETENTION_JOB, dedupeKey: RETENTION_JOB, dueAt: core.clock.now() + HOUR, maxAttempts: 1_000_000 });
}
