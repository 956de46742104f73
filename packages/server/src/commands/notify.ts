import { createHmac, hkdfSync } from 'node:crypto';
import { z } from 'zod';
import type { Core } from '../protocol/context.js';
import { defineOperation, type AnyOperation } from '../protocol/registry.js';
import { SSM } from '../protocol/services.js';
import type { Job } from '../scheduler/scheduler.js';
import { invocationStatus } from './status.js';
import type { CommandRow } from './tables.js';

const NOTIFY_JOB = 'commands.notify';
const TIMEOUT_MS = 10_000;

export interface NotificationConfig {
  NotificationArn?: string;
  NotificationEvents?: string[];
  NotificationType?: 'Command' | 'Invocation';
}

/**
 * The key that signs an account's webhooks: derived from the root key, so it is never stored and
 * the same on every replica. `CapstanGetWebhookSigningKey` hands it to the account's admins.
 */
export function webhookSigningKey(rootKey: Buffer, accountId: string): Buffer {
  return Buffer.from(hkdfSync('sha256', rootKey, Buffer.from(accountId, 'utf8'), Buffer.from('capstan webhook signing v1', 'utf8'), 32));
}

/** `X-Capstan-Signature: sha256=<hex>` over `<timestamp>.<body>`, so a captured request cannot be replayed with another time. */
export function signWebhook(key: Buffer, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** AWS's notification events as our statuses: InProgress, Success, TimedOut, Cancelled, Failed. */
function wants(config: NotificationConfig, status: string): boolean {
  const events = config.NotificationEvents?.length ? config.NotificationEvents : ['All'];
  return events.includes('All') || events.includes(status);
}

/**
 * NotificationConfig as signed webhooks instead of SNS: a status change of the command
 * (NotificationType Command) or of each invocation (Invocation) becomes a durable job that POSTs
 * JSON to the URL, retried with backoff until the endpoint answers 2xx.
 */
export class Notifier {
  constructor(private readonly core: Core) {
    core.scheduler.handle(NOTIFY_JOB, (job) => this.deliver(job));
  }

  async commandChanged(after: CommandRow): Promise<void> {
    const config = parse(after.notification_config);
    if (!config?.NotificationArn || (config.NotificationType ?? 'Command') !== 'Command' || !wants(config, after.status)) return;
    await this.enqueue(after, config.NotificationArn, {
      commandId: after.command_id,
      documentName: after.document_name,
      requestedDateTime: new Date(after.requested_at).toISOString(),
      expiresAfter: new Date(after.expires_at).toISOString(),
      outputS3BucketName: after.output_s3_bucket,
      outputS3KeyPrefix: after.output_s3_prefix,
      status: after.status,
      statusDetails: after.status_details,
      targetCount: after.target_count,
      completedCount: after.completed_count,
      errorCount: after.error_count,
      eventTime: new Date(this.core.clock.now()).toISOString(),
    });
  }

  async invocationChanged(cmd: CommandRow, instanceId: string, details: string): Promise<void> {
    const config = parse(cmd.notification_config);
    const status = invocationStatus(details);
    if (!config?.NotificationArn || config.NotificationType !== 'Invocation' || !wants(config, status)) return;
    await this.enqueue(cmd, config.NotificationArn, {
      commandId: cmd.command_id,
      instanceId,
      documentName: cmd.document_name,
      requestedDateTime: new Date(cmd.requested_at).toISOString(),
      status,
      statusDetails: details,
      eventTime: new Date(this.core.clock.now()).toISOString(),
    });
  }

  private async enqueue(cmd: CommandRow, url: string, body: Record<string, unknown>): Promise<void> {
    await this.core.scheduler.enqueue({ kind: NOTIFY_JOB, dueAt: this.core.clock.now(), maxAttempts: 8, payload: { accountId: cmd.account_id, url, body: JSON.stringify(body) } });
  }

  private async deliver(job: Job): Promise<void> {
    const { accountId, url, body } = job.payload as { accountId: string; url: string; body: string };
    const timestamp = String(Math.floor(this.core.clock.now() / 1000));
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Capstan-Notifications/1',
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

function parse(text: string): NotificationConfig | undefined {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as NotificationConfig;
  } catch {
    return undefined;
  }
}

/** Not an AWS operation: the key a webhook receiver checks `X-Capstan-Signature` with (base64). */
export const notifyOperations: AnyOperation[] = [
  defineOperation({
    service: SSM,
    name: 'CapstanGetWebhookSigningKey',
    action: 'ssm:GetServiceSetting',
    input: z.object({}),
    handler: async (_i, c) => ({ SigningKey: webhookSigningKey(c.core.rootKey, c.accountId).toString('base64'), Algorithm: 'HMAC-SHA256', SignedContent: '<X-Capstan-Timestamp>.<body>' }),
  }),
];
