import { SSMContactsClient } from '@aws-sdk/client-ssm-contacts';
import { SSMIncidentsClient } from '@aws-sdk/client-ssm-incidents';
import { SSMClient } from '@aws-sdk/client-ssm';
import { IAMClient } from '@aws-sdk/client-iam';
import { ManualClock } from '../../scheduler/clock.js';
import { startTestServer, type Engine, type TestServer } from '../../test-support/server.js';
import { until } from '../../test-support/until.js';
import { mailServer, webhookReceiver, type Mail } from './receivers.js';

export interface IncidentHarness {
  t: TestServer;
  clock: ManualClock;
  mail: Awaited<ReturnType<typeof mailServer>>;
  gateway: Awaited<ReturnType<typeof webhookReceiver>>;
  contacts(): SSMContactsClient;
  incidents(): SSMIncidentsClient;
  ssm(): SSMClient;
  iam(): IAMClient;
  /** Moves the server's clock and runs the scheduler's due work. */
  advance(ms: number): Promise<void>;
  /** Waits (running due work) for a mail to `to` that satisfies `pick`. */
  mailTo(to: string, pick?: (m: Mail) => boolean): Promise<Mail>;
  stop(): Promise<void>;
}

export const SMTP_LOGIN = { user: 'capstan', pass: 'smtp-test-password' };

/** A server with a manual clock, a real SMTP server it sends through, and an SMS/voice/chat webhook receiver. */
export async function incidentHarness(engine: Engine): Promise<IncidentHarness> {
  const mail = await mailServer(SMTP_LOGIN);
  const gateway = await webhookReceiver();
  const clock = new ManualClock(Date.now());
  const t = await startTestServer({
    engine,
    clock,
    schedulerPollMs: 20,
    incidentNotifications: { smtp: { host: '127.0.0.1', port: mail.port, ...SMTP_LOGIN, from: 'Capstan Incidents <incidents@capstan.test>' }, smsWebhookUrl: `${gateway.url}/sms`, voiceWebhookUrl: `${gateway.url}/voice` },
  });
  // The SDK signs with its own clock; keep each client level with the server's, which tests move.
  const level = () => ({ ...t.clientConfig(), systemClockOffset: clock.now() - Date.now() });
  const h: IncidentHarness = {
    t,
    clock,
    mail,
    gateway,
    contacts: () => new SSMContactsClient(level()),
    incidents: () => new SSMIncidentsClient(level()),
    ssm: () => new SSMClient(level()),
    iam: () => new IAMClient(level()),
    async advance(ms) {
      clock.advance(ms);
      await t.server.core.scheduler.tick();
    },
    async mailTo(to, pick = () => true) {
      return until(`a mail to ${to}`, async () => {
        await t.server.core.scheduler.tick();
        return mail.mails.find((m) => m.to.includes(to) && pick(m));
      }, { ms: 20_000, detail: () => JSON.stringify(mail.mails.map((m) => [m.to, m.subject])) });
    },
    async stop() {
      await t.stop();
      await mail.close();
      await gateway.close();
    },
  };
  return h;
}

export const activationCode = (m: Mail) => /activation code for contact channel .* is (\d{6})/.exec(m.text)?.[1];
export const pageOf = (m: Mail) => ({ page: /^Page: (\S+)$/m.exec(m.text)?.[1], code: /^Acknowledgement code: (\d{6})$/m.exec(m.text)?.[1] });
