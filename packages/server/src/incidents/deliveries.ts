import { unseal } from '../crypto/seal.js';
import type { Core } from '../protocol/context.js';
import type { Job } from '../scheduler/scheduler.js';
import { activationContext, DELIVER_JOB, type ContactService } from './contacts.js';
import type { Delivery } from './delivery.js';
import { acceptCodeContext, type EngagementService } from './engagements.js';

type Payload = { what: 'activation'; accountId: string; region: string; channel: string; sealed: string } | { what: 'page'; accountId: string; region: string; page: string };

/**
 * Carries activation codes and pages to their channels as durable jobs: a delivery that fails
 * (SMTP down, gateway answering 5xx) is retried with backoff, and each attempt's outcome is a
 * receipt on the page.
 */
export function handleDeliveries(core: Core, contacts: ContactService, engagements: EngagementService, delivery: Delivery): void {
  core.scheduler.handle(DELIVER_JOB, async (job: Job) => {
    const p = job.payload as Payload;
    if (p.what === 'activation') {
      const ch = await contacts.db.selectFrom('im_channels').selectAll().where('account_id', '=', p.accountId).where('region', '=', p.region).where('arn', '=', p.channel).executeTakeFirst();
      if (!ch || ch.activated) return;
      const code = unseal(core.rootKey, p.sealed, activationContext(p.channel)).toString('utf8');
      await delivery.send(p.accountId, ch.type, ch.address, {
        subject: 'Capstan Incident Manager: activate your contact channel',
        text: `Your activation code for contact channel ${ch.name} is ${code}.\n\nActivate it with:\naws ssm-contacts activate-contact-channel --contact-channel-id ${ch.arn} --activation-code ${code}\n`,
      });
      return;
    }
    const page = await contacts.db.selectFrom('im_pages').selectAll().where('account_id', '=', p.accountId).where('region', '=', p.region).where('arn', '=', p.page).executeTakeFirst();
    if (!page) return;
    const e = await engagements.engagement(p.accountId, p.region, page.engagement_arn);
    const ch = await contacts.db.selectFrom('im_channels').selectAll().where('account_id', '=', p.accountId).where('region', '=', p.region).where('arn', '=', page.channel_arn).executeTakeFirst();
    if (!ch || e.stopped_at !== null) return;
    const code = unseal(core.rootKey, page.accept_code, acceptCodeContext(page.arn)).toString('utf8');
    const text = [
      e.content,
      '',
      `Sent by ${e.sender}${e.incident_id ? ` for incident ${e.incident_id}` : ''}.`,
      `Page: ${page.arn}`,
      `Acknowledgement code: ${code}`,
      '',
      'Acknowledge with:',
      `aws ssm-contacts accept-page --page-id ${page.arn} --accept-type READ --accept-code ${code} --accept-code-validation ENFORCE`,
      '',
    ].join('\n');
    try {
      const info = await delivery.send(p.accountId, ch.type, ch.address, { subject: e.subject, text });
      await engagements.receipt(contacts.db, page.arn, ch.arn, 'SENT', info.slice(0, 2048), core.clock.now());
    } catch (err) {
      await engagements.receipt(contacts.db, page.arn, ch.arn, 'ERROR', (err as Error).message.slice(0, 2048), core.clock.now());
      throw err;
    }
  });
}
