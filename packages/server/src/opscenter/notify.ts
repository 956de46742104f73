import { signWebhook, webhookSigningKey } from '../commands/index.js';
import type { Core } from '../protocol/context.js';
import type { AnyDb } from '../store/database.js';
import type { Job } from '../scheduler/scheduler.js';
import { opsItemArn } from './model.js';
import type { OpsItemRow } from './tables.js';

const NOTIFY_JOB = 'opscenter.notify';
const TIMEOUT_MS = 10_000;

/**
 * An OpsItem's Notifications as signed webhooks (Run Command's scheme, docs/opscenter.md): its
 * creation and each status change become a durable job per URL, enqueued in the change's own
 * transaction and retried until the endpoint answers 2xx.
 */
export class OpsNotifier {
  constructor(private readonly core: Core) {
    core.scheduler.handle(NOTIFY_JOB, (job) => this.deliver(job));
  }

  async changed(db: AnyDb, row: OpsItemRow, change: 'Create' | 'StatusChange', previousStatus?: string): Promise<void> {
    const urls = (JSON.parse(row.notifications) as { Arn?: string }[]).map((n) => n.Arn).filter((u): u is string => !!u);
    if (urls.length === 0) return;
    const now = this.core.clock.now();
    const body = JSON.stringify({
      change,
      opsItemId: row.ops_item_id,
      opsItemArn: opsItemArn(row.region, row.account_id, row.ops_item_id),
      title: row.title,
      source: row.source,
      status: row.status,
      ...(previousStatus !== undefined ? { previousStatus } : {}),
      severity: row.severity,
      priority: row.priority === null ? null : Number(row.priority),
      modifiedBy: row.modified_by,
      eventTime: new Date(now).toISOString(),
    });
    for (const url of urls) await this.core.scheduler.enqueue({ kind: NOTIFY_JOB, dueAt: now, maxAttempts: 8, payload: { accountId: row.account_id, url, body } }, db);
  }

  private async deliver(job: Job): Promise<void> {
    const { accountId, url, body } = job.payload as { accountId: string; url: string; body: string };
    const timestamp = String(Math.floor(this.core.clock.now() / 1000));
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Capstan-OpsCenter/1',
        'x-capstan-timestamp': timestamp,
        'x-capstan-signature': signWebhook(webhookSigningKey(this.core.rootKey, accountId), timestamp, body),
      },
      body,
      signal: AbortSignal.timeout(TIMEOUT_MS),
      redirect: 'manual',
    });
    await res.arrayBuffer().catch(() => undefined);
    if (res.status < 200 || res.status >= 300) throw new Error(`webhook ${url} answered ${res.status}`);
  }
}
