import { sql, type Kysely } from 'kysely';
import type { Core } from '../protocol/context.js';
import type { Job } from '../scheduler/scheduler.js';
import type { AnyDb } from '../store/database.js';
import type { MigrationStep } from '../store/migrations.js';

const BOOT_JOB = 'nodes.boot';

/** What the node's row keeps of its agent's boot reports (0880_node_boot). */
interface BootColumns {
  instance_id: string;
  account_id: string;
  region: string;
  /** The boot the last hello reported (epoch ms); null until an agent that reports boots connects. */
  boot_time: number | null;
  /** 1 when the agent asked, in its last hello, for associations to be applied after each boot. */
  apply_associations_on_boot: number;
}
type Tables = { managed_instances: BootColumns };

export const bootMigrations: MigrationStep[] = [
  {
    name: '0880_node_boot',
    async up(db) {
      await sql`ALTER TABLE managed_instances ADD COLUMN boot_time bigint`.execute(db);
      await sql`ALTER TABLE managed_instances ADD COLUMN apply_associations_on_boot integer NOT NULL DEFAULT 0`.execute(db);
    },
  },
];

/** A boot the server saw: `detectedAt` (core clock) tells it from the node's earlier and later boots. */
export interface NodeBoot {
  bootTime: number;
  detectedAt: number;
}

/**
 * Told once a node has booted again with associations-on-boot asked for. Called at least once
 * per boot (again if any listener failed), so a listener must be idempotent for one boot.
 */
export type BootListener = (accountId: string, region: string, instanceId: string, boot: NodeBoot) => Promise<void>;

interface BootPayload extends NodeBoot {
  accountId: string;
  region: string;
  instanceId: string;
}

/**
 * Tells a reboot from a reconnect. A hello whose boot time differs from the stored one is a
 * boot, claimed by a conditional update in the hello's transaction: whichever replica (or
 * whichever of two racing connections) writes the new boot time first has the boot, and the
 * others find it already written. The claim enqueues a scheduler job in the same transaction,
 * so a boot is neither lost to a crash after the hello nor told twice; the job tells the
 * listeners after the hello has committed, and a failing listener never fails the hello.
 */
export class NodeBoots {
  private readonly listeners: BootListener[] = [];
  private readonly db: Kysely<Tables>;

  constructor(private readonly core: Core) {
    this.db = core.database.db.withTables<Tables>();
    core.scheduler.handle(BOOT_JOB, (job) => this.tell(job));
  }

  onBoot(listener: BootListener): void {
    this.listeners.push(listener);
  }

  /**
   * Records what a hello said about the node's boot, inside the hello's transaction; true when
   * it is a boot the listeners are told of. The first boot time a node reports is not a boot:
   * the node is new, or its agent just learnt to report boots, and either way nothing was missed.
   */
  async reported(trx: AnyDb, instanceId: string, hello: { bootTime?: number; applyAssociationsOnBoot: boolean }, now: number): Promise<boolean> {
    const db = trx.withTables<Tables>();
    const apply = hello.applyAssociationsOnBoot ? 1 : 0;
    const { bootTime } = hello;
    if (bootTime === undefined) {
      await db.updateTable('managed_instances').set({ apply_associations_on_boot: apply }).where('instance_id', '=', instanceId).execute();
      return false;
    }
    const rebooted = await db
      .updateTable('managed_instances')
      .set({ boot_time: bootTime, apply_associations_on_boot: apply })
      .where('instance_id', '=', instanceId)
      .where('boot_time', 'is not', null)
      .where('boot_time', '!=', bootTime)
      .executeTakeFirst();
    if (Number(rebooted.numUpdatedRows) === 0) {
      await db.updateTable('managed_instances').set({ boot_time: sql<number>`coalesce(boot_time, ${bootTime})`, apply_associations_on_boot: apply }).where('instance_id', '=', instanceId).execute();
      return false;
    }
    if (!apply) return false;
    const row = await db.selectFrom('managed_instances').select(['account_id', 'region']).where('instance_id', '=', instanceId).executeTakeFirstOrThrow();
    const payload: BootPayload = { accountId: row.account_id, region: row.region, instanceId, bootTime, detectedAt: now };
    await this.core.scheduler.enqueue({ kind: BOOT_JOB, dedupeKey: `${instanceId}:${bootTime}`, dueAt: now, payload, maxAttempts: 8 }, trx);
    return true;
  }

  /** The boot facts the node's last hello gave, if it is registered. */
  async of(instanceId: string): Promise<{ bootTime: number | null; applyAssociationsOnBoot: boolean } | undefined> {
    const row = await this.db.selectFrom('managed_instances').select(['boot_time', 'apply_associations_on_boot']).where('instance_id', '=', instanceId).executeTakeFirst();
    return row && { bootTime: row.boot_time === null ? null : Number(row.boot_time), applyAssociationsOnBoot: row.apply_associations_on_boot === 1 };
  }

  private async tell(job: Job): Promise<void> {
    const { accountId, region, instanceId, bootTime, detectedAt } = job.payload as BootPayload;
    let failed: unknown;
    for (const listener of this.listeners) {
      try {
        await listener(accountId, region, instanceId, { bootTime, detectedAt });
      } catch (e) {
        failed = e;
        process.emitWarning(`after the boot of node ${instanceId}: ${(e as Error).message ?? String(e)} (tried ${job.attempt} times)`);
      }
    }
    // The scheduler retries the job with backoff; the listeners that did their part find it done.
    if (failed) throw failed;
  }
}
