import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ActivateContactChannelCommand, CreateContactChannelCommand, CreateContactCommand, SSMContactsClient, StartEngagementCommand } from '@aws-sdk/client-ssm-contacts';
import { ManualClock } from '../scheduler/clock.js';
import { startTestServer, type TestServer } from '../test-support/server.js';
import { until } from '../test-support/until.js';
import { mailServer } from './test-support/receivers.js';
import { activationCode, SMTP_LOGIN } from './test-support/harness.js';

const MIN = 60_000;
let mail: Awaited<ReturnType<typeof mailServer>>;
let dataDir: string;
before(async () => {
  mail = await mailServer(SMTP_LOGIN);
  dataDir = mkdtempSync(join(tmpdir(), 'capstan-escalation-'));
});
after(async () => {
  await mail.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const start = (clock: ManualClock) =>
  startTestServer({ dataDir, clock, schedulerPollMs: 20, incidentNotifications: { smtp: { host: '127.0.0.1', port: mail.port, ...SMTP_LOGIN, from: 'incidents@capstan.test' } } });

test('an escalation carries on to its next stage after the server restarts', async () => {
  const clock = new ManualClock(Date.now());
  let t: TestServer = await start(clock);
  const client = () => new SSMContactsClient({ ...t.clientConfig(), systemClockOffset: clock.now() - Date.now() });
  const waitMail = (to: string) => until(`a mail to ${to}`, async () => (await t.server.core.scheduler.tick(), mail.mails.find((m) => m.to.includes(to) && m.subject === 'Queue backlog')));
  const people: string[] = [];
  for (const alias of ['kim', 'lee']) {
    const { ContactArn } = await client().send(new CreateContactCommand({ Alias: alias, Type: 'PERSONAL', Plan: { Stages: [] } }));
    const { ContactChannelArn } = await client().send(new CreateContactChannelCommand({ ContactId: ContactArn!, Name: 'email', Type: 'EMAIL', DeliveryAddress: { SimpleAddress: `${alias}@capstan.test` } }));
    const code = await until('the activation mail', async () => (await t.server.core.scheduler.tick(), mail.mails.map(activationCode).find((c, i) => c && mail.mails[i]!.to.includes(`${alias}@capstan.test`))));
    await client().send(new ActivateContactChannelCommand({ ContactChannelId: ContactChannelArn!, ActivationCode: code }));
    people.push(ContactArn!);
  }
  const stages = people.map((p) => ({ DurationInMinutes: 10, Targets: [{ ContactTargetInfo: { ContactId: p, IsEssential: true } }] }));
  const { ContactArn: plan } = await client().send(new CreateContactCommand({ Alias: 'queue-oncall', Type: 'ESCALATION', Plan: { Stages: stages } }));
  await client().send(new StartEngagementCommand({ ContactId: plan!, Sender: 'ops', Subject: 'Queue backlog', Content: 'The jobs queue is growing.' }));
  await waitMail('kim@capstan.test');
  await t.stop();

  // The process is gone; the stage's job is in the store. Ten minutes later a new process takes over.
  clock.advance(10 * MIN);
  t = await start(clock);
  try {
    const second = await waitMail('lee@capstan.test');
    assert.match(second.text, /The jobs queue is growing\./);
    assert.equal(mail.mails.filter((m) => m.subject === 'Queue backlog').length, 2, 'each stage paged once, none twice');
  } finally {
    await t.stop();
  }
});
