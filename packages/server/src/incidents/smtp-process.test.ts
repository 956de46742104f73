/**
 * `capstan server` reads its SMTP server from CAPSTAN_SMTP_* as an operator sets them: a real
 * server process sends pages through an SMTP server that requires a login. With the right
 * password the page arrives with its acknowledgement code; with a wrong one the page's delivery
 * fails, is recorded as an ERROR receipt, and the server carries on without printing the password.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  AcceptPageCommand,
  ActivateContactChannelCommand,
  CreateContactChannelCommand,
  CreateContactCommand,
  DescribePageCommand,
  ListPageReceiptsCommand,
  ListPagesByEngagementCommand,
  SSMContactsClient,
  StartEngagementCommand,
} from '@aws-sdk/client-ssm-contacts';
import { ServerProcess } from '../test-support/server-process.js';
import { until } from '../test-support/until.js';
import { activationCode, pageOf } from './test-support/harness.js';
import { mailServer } from './test-support/receivers.js';

describe('capstan server sends pages through the SMTP server in CAPSTAN_SMTP_*', () => {
  const work = mkdtempSync(join(tmpdir(), 'capstan-smtp-'));
  const login = { user: 'capstan-pages', pass: `smtp-${randomBytes(12).toString('hex')}` };
  const wrong = `wrong-${randomBytes(12).toString('hex')}`;
  let mail: Awaited<ReturnType<typeof mailServer>>;
  let server: ServerProcess;
  let env: Record<string, string>;
  let contacts: SSMContactsClient;
  const email = 'oncall@capstan.test';

  before(async () => {
    mail = await mailServer(login);
    env = {
      CAPSTAN_SMTP_HOST: '127.0.0.1',
      CAPSTAN_SMTP_PORT: String(mail.port),
      CAPSTAN_SMTP_USER: login.user,
      CAPSTAN_SMTP_PASSWORD: login.pass,
      CAPSTAN_SMTP_FROM: 'Capstan Pages <pages@capstan.test>',
    };
    server = await ServerProcess.start({ dataDir: work, env });
    contacts = new SSMContactsClient(server.clientConfig());
  });
  after(async () => {
    await server?.stop();
    await mail?.close();
    rmSync(work, { recursive: true, force: true });
  });

  const mailFor = (what: string, pick: (text: string) => boolean) =>
    until(what, async () => mail.mails.find((m) => m.to.includes(email) && pick(m.text)), { ms: 30_000, every: 100, detail: () => `mails: ${JSON.stringify(mail.mails.map((m) => m.subject))}\nserver output:\n${server.output}` });

  test('with the right login an engagement email arrives with its acknowledgement code, which AcceptPage takes', async () => {
    const { ContactArn } = await contacts.send(new CreateContactCommand({ Alias: 'oncall', Type: 'PERSONAL', Plan: { Stages: [] } }));
    const { ContactChannelArn } = await contacts.send(new CreateContactChannelCommand({ ContactId: ContactArn!, Name: 'email', Type: 'EMAIL', DeliveryAddress: { SimpleAddress: email } }));
    const activation = await mailFor('the activation code', (t) => /activation code/.test(t));
    await contacts.send(new ActivateContactChannelCommand({ ContactChannelId: ContactChannelArn!, ActivationCode: activationCode(activation)! }));

    const { EngagementArn } = await contacts.send(new StartEngagementCommand({ ContactId: ContactArn!, Sender: 'alertmanager', Subject: 'Disk full on db-1', Content: '/var is at 100%.' }));
    const paged = await mailFor('the page', (t) => t.includes('Acknowledgement code:'));
    assert.equal(paged.from, 'pages@capstan.test');
    assert.equal(paged.subject, 'Disk full on db-1');
    const { page, code } = pageOf(paged);
    const pages = await contacts.send(new ListPagesByEngagementCommand({ EngagementId: EngagementArn! }));
    assert.deepEqual(pages.Pages!.map((p) => p.PageArn), [page]);
    await contacts.send(new AcceptPageCommand({ PageId: page!, AcceptType: 'READ', AcceptCode: code!, AcceptCodeValidation: 'ENFORCE' }));
    assert.ok((await contacts.send(new DescribePageCommand({ PageId: page! }))).ReadTime);
    const receipts = (await contacts.send(new ListPageReceiptsCommand({ PageId: page! }))).Receipts!.map((r) => r.ReceiptType);
    assert.deepEqual(receipts, ['SENT', 'READ']);
  });

  test('with a wrong password the delivery fails, an ERROR receipt records it, and the password is printed nowhere', async () => {
    await server.stop();
    env.CAPSTAN_SMTP_PASSWORD = wrong;
    await server.launch();
    const before = mail.mails.length;
    const contact = `arn:aws:ssm-contacts:us-east-1:${server.admin.accountId}:contact/oncall`;
    const { EngagementArn } = await contacts.send(new StartEngagementCommand({ ContactId: contact, Sender: 'alertmanager', Subject: 'Disk full on db-2', Content: '/var is at 100%.' }));
    const page = (await contacts.send(new ListPagesByEngagementCommand({ EngagementId: EngagementArn! }))).Pages![0]!.PageArn!;
    const failed = await until(
      'an ERROR receipt',
      async () => (await contacts.send(new ListPageReceiptsCommand({ PageId: page }))).Receipts!.find((r) => r.ReceiptType === 'ERROR'),
      { ms: 30_000, every: 200, detail: () => server.output },
    );
    assert.match(failed.ReceiptInfo ?? '', /login|auth/i);
    assert.equal(mail.mails.length, before, 'no mail got through');
    assert.ok(server.running, 'the server is still serving');
    for (const secret of [login.pass, wrong]) {
      assert.ok(!server.output.includes(secret), 'the server printed an SMTP password');
      assert.ok(!(failed.ReceiptInfo ?? '').includes(secret), 'the receipt holds an SMTP password');
    }
  });
});
