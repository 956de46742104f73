import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, test } from 'node:test';
import {
  AcceptPageCommand,
  ActivateContactChannelCommand,
  CreateContactChannelCommand,
  CreateContactCommand,
  DeactivateContactChannelCommand,
  DeleteContactChannelCommand,
  DeleteContactCommand,
  DescribeEngagementCommand,
  DescribePageCommand,
  GetContactChannelCommand,
  GetContactCommand,
  ListContactChannelsCommand,
  ListContactsCommand,
  ListEngagementsCommand,
  ListPageReceiptsCommand,
  ListPagesByContactCommand,
  ListPagesByEngagementCommand,
  ListTagsForResourceCommand,
  TagResourceCommand,
  UntagResourceCommand,
  SendActivationCodeCommand,
  StartEngagementCommand,
  StopEngagementCommand,
  UpdateContactChannelCommand,
  UpdateContactCommand,
} from '@aws-sdk/client-ssm-contacts';
import { webhookSigningKey } from '../commands/index.js';
import { onEveryEngine } from '../test-support/engines.js';
import type { Engine } from '../test-support/server.js';
import { until } from '../test-support/until.js';
import { activationCode, incidentHarness, pageOf, type IncidentHarness } from './test-support/harness.js';

const MIN = 60_000;
const code = (e: unknown) => (e as { name: string }).name;

onEveryEngine('Incident Manager contacts and engagements', (engine: Engine) => {
  let h: IncidentHarness;
  before(async () => {
    h = await incidentHarness(engine);
  });
  after(async () => {
    await h?.stop();
  });

  /** A personal contact with an activated email channel, paged on it in its plan's one stage. */
  async function person(alias: string): Promise<{ contact: string; channel: string; email: string }> {
    const c = h.contacts();
    const email = `${alias}@capstan.test`;
    const { ContactArn } = await c.send(new CreateContactCommand({ Alias: alias, DisplayName: alias, Type: 'PERSONAL', Plan: { Stages: [] } }));
    const { ContactChannelArn } = await c.send(new CreateContactChannelCommand({ ContactId: ContactArn!, Name: 'work email', Type: 'EMAIL', DeliveryAddress: { SimpleAddress: email } }));
    const code = activationCode(await h.mailTo(email, (m) => activationCode(m) !== undefined));
    await c.send(new ActivateContactChannelCommand({ ContactChannelId: ContactChannelArn!, ActivationCode: code! }));
    await c.send(new UpdateContactCommand({ ContactId: ContactArn!, Plan: { Stages: [{ DurationInMinutes: 0, Targets: [{ ChannelTargetInfo: { ContactChannelId: ContactChannelArn!, RetryIntervalInMinutes: 1 } }] }] } }));
    return { contact: ContactArn!, channel: ContactChannelArn!, email };
  }

  test('contacts: CreateContact, GetContact, UpdateContact, ListContacts, DeleteContact; bad input changes nothing', async () => {
    const c = h.contacts();
    const { ContactArn } = await c.send(new CreateContactCommand({ Alias: 'dana', DisplayName: 'Dana', Type: 'PERSONAL', Plan: { Stages: [] }, Tags: [{ Key: 'team', Value: 'db' }] }));
    assert.equal(ContactArn, `arn:aws:ssm-contacts:us-east-1:${h.t.accountId}:contact/dana`);
    const got = await c.send(new GetContactCommand({ ContactId: ContactArn! }));
    assert.deepEqual([got.Alias, got.DisplayName, got.Type, got.Plan?.Stages], ['dana', 'Dana', 'PERSONAL', []]);
    await c.send(new UpdateContactCommand({ ContactId: ContactArn!, DisplayName: 'Dana D.' }));
    assert.equal((await c.send(new GetContactCommand({ ContactId: ContactArn! }))).DisplayName, 'Dana D.');

    const before = (await c.send(new ListContactsCommand({}))).Contacts!.length;
    await assert.rejects(c.send(new CreateContactCommand({ Alias: 'dana', Type: 'PERSONAL', Plan: {} })), (e) => code(e) === 'ConflictException');
    await assert.rejects(c.send(new CreateContactCommand({ Alias: 'Has Spaces', Type: 'PERSONAL', Plan: {} })), (e) => code(e) === 'ValidationException' && /alias/.test((e as Error).message));
    const missing = `arn:aws:ssm-contacts:us-east-1:${h.t.accountId}:contact/nobody`;
    await assert.rejects(c.send(new CreateContactCommand({ Alias: 'bad-plan', Type: 'ESCALATION', Plan: { Stages: [{ DurationInMinutes: 5, Targets: [{ ContactTargetInfo: { ContactId: missing, IsEssential: true } }] }] } })), (e) => code(e) === 'ValidationException' && /does not exist/.test((e as Error).message));
    await assert.rejects(c.send(new CreateContactCommand({ Alias: 'too-long', Type: 'ESCALATION', Plan: { Stages: [{ DurationInMinutes: 31, Targets: [] }] } })), (e) => code(e) === 'ValidationException');
    await assert.rejects(c.send(new GetContactCommand({ ContactId: missing })), (e) => code(e) === 'ResourceNotFoundException');
    assert.equal((await c.send(new ListContactsCommand({}))).Contacts!.length, before);

    await c.send(new TagResourceCommand({ ResourceARN: ContactArn!, Tags: [{ Key: 'env', Value: 'prod' }] }));
    await c.send(new UntagResourceCommand({ ResourceARN: ContactArn!, TagKeys: ['team'] }));
    assert.deepEqual((await c.send(new ListTagsForResourceCommand({ ResourceARN: ContactArn! }))).Tags, [{ Key: 'env', Value: 'prod' }]);
    await assert.rejects(c.send(new ListTagsForResourceCommand({ ResourceARN: missing })), (e) => code(e) === 'ResourceNotFoundException');
    const listed = await c.send(new ListContactsCommand({ AliasPrefix: 'da', Type: 'PERSONAL' }));
    assert.deepEqual(listed.Contacts!.map((x) => x.Alias), ['dana']);
    await c.send(new DeleteContactCommand({ ContactId: ContactArn! }));
    await assert.rejects(c.send(new GetContactCommand({ ContactId: ContactArn! })), (e) => code(e) === 'ResourceNotFoundException');
  });

  test('contact channels: the activation code arrives by email, a wrong one is refused, SMS goes to the gateway signed', async () => {
    const c = h.contacts();
    const { ContactArn } = await c.send(new CreateContactCommand({ Alias: 'erin', Type: 'PERSONAL', Plan: { Stages: [] } }));
    const { ContactChannelArn } = await c.send(new CreateContactChannelCommand({ ContactId: ContactArn!, Name: 'email', Type: 'EMAIL', DeliveryAddress: { SimpleAddress: 'erin@capstan.test' } }));
    const mail = await h.mailTo('erin@capstan.test');
    assert.equal(mail.from, 'incidents@capstan.test');
    const real = activationCode(mail)!;
    assert.match(real, /^\d{6}$/);
    const wrong = real === '000000' ? '111111' : '000000';
    await assert.rejects(c.send(new ActivateContactChannelCommand({ ContactChannelId: ContactChannelArn!, ActivationCode: wrong })), (e) => code(e) === 'ValidationException');
    assert.equal((await c.send(new GetContactChannelCommand({ ContactChannelId: ContactChannelArn! }))).ActivationStatus, 'NOT_ACTIVATED');
    await c.send(new ActivateContactChannelCommand({ ContactChannelId: ContactChannelArn!, ActivationCode: real }));
    const got = await c.send(new GetContactChannelCommand({ ContactChannelId: ContactChannelArn! }));
    assert.deepEqual([got.Name, got.Type, got.DeliveryAddress?.SimpleAddress, got.ActivationStatus], ['email', 'EMAIL', 'erin@capstan.test', 'ACTIVATED']);

    await assert.rejects(c.send(new CreateContactChannelCommand({ ContactId: ContactArn!, Name: 'phone', Type: 'SMS', DeliveryAddress: { SimpleAddress: 'not-a-number' } })), (e) => code(e) === 'ValidationException' && /E\.164/.test((e as Error).message));
    const sms = await c.send(new CreateContactChannelCommand({ ContactId: ContactArn!, Name: 'phone', Type: 'SMS', DeliveryAddress: { SimpleAddress: '+15550100' }, DeferActivation: true }));
    await h.t.server.core.scheduler.tick();
    assert.equal(h.gateway.hooks.filter((x) => x.path === '/sms').length, 0, 'DeferActivation sends nothing');
    await c.send(new SendActivationCodeCommand({ ContactChannelId: sms.ContactChannelArn! }));
    const hook = await until('the SMS gateway webhook', async () => (await h.t.server.core.scheduler.tick(), h.gateway.hooks.find((x) => x.path === '/sms')));
    const body = JSON.parse(hook.body) as { to: string; message: string };
    assert.equal(body.to, '+15550100');
    const ts = String(hook.headers['x-capstan-timestamp']);
    assert.equal(hook.headers['x-capstan-signature'], `sha256=${createHmac('sha256', webhookSigningKey(h.t.server.core.rootKey, h.t.accountId)).update(`${ts}.${hook.body}`).digest('hex')}`);
    await c.send(new ActivateContactChannelCommand({ ContactChannelId: sms.ContactChannelArn!, ActivationCode: /is (\d{6})/.exec(body.message)![1]! }));

    await c.send(new UpdateContactChannelCommand({ ContactChannelId: sms.ContactChannelArn!, Name: 'mobile' }));
    assert.equal((await c.send(new GetContactChannelCommand({ ContactChannelId: sms.ContactChannelArn! }))).Name, 'mobile');
    await c.send(new DeactivateContactChannelCommand({ ContactChannelId: sms.ContactChannelArn! }));
    assert.equal((await c.send(new GetContactChannelCommand({ ContactChannelId: sms.ContactChannelArn! }))).ActivationStatus, 'NOT_ACTIVATED');
    const channels = await c.send(new ListContactChannelsCommand({ ContactId: ContactArn! }));
    assert.deepEqual(channels.ContactChannels!.map((x) => x.Name), ['email', 'mobile']);
    await c.send(new DeleteContactChannelCommand({ ContactChannelId: sms.ContactChannelArn! }));
    assert.deepEqual((await c.send(new ListContactChannelsCommand({ ContactId: ContactArn! }))).ContactChannels!.map((x) => x.Name), ['email']);
  });

  test('an engagement pages the contact by email with an acknowledgement code; AcceptPage with ENFORCE checks it', async () => {
    const c = h.contacts();
    const frank = await person('frank');
    const { EngagementArn } = await c.send(new StartEngagementCommand({ ContactId: frank.contact, Sender: 'ops', Subject: 'Disk full on db-1', Content: 'The data volume is at 100%.', IdempotencyToken: 'eng-frank-1' }));
    const again = await c.send(new StartEngagementCommand({ ContactId: frank.contact, Sender: 'ops', Subject: 'Disk full on db-1', Content: 'The data volume is at 100%.', IdempotencyToken: 'eng-frank-1' }));
    assert.equal(again.EngagementArn, EngagementArn, 'the same idempotency token answers the same engagement');
    const mail = await h.mailTo(frank.email, (m) => m.subject === 'Disk full on db-1');
    assert.match(mail.text, /The data volume is at 100%\./);
    const { page, code: ack } = pageOf(mail);
    assert.ok(page && ack);

    const pages = await c.send(new ListPagesByEngagementCommand({ EngagementId: EngagementArn! }));
    assert.deepEqual(pages.Pages!.map((p) => p.PageArn), [page]);
    assert.deepEqual((await c.send(new ListPagesByContactCommand({ ContactId: frank.contact }))).Pages!.map((p) => p.PageArn), [page]);
    const described = await c.send(new DescribePageCommand({ PageId: page }));
    assert.deepEqual([described.Subject, described.Sender, described.ReadTime], ['Disk full on db-1', 'ops', undefined]);
    const engagement = await c.send(new DescribeEngagementCommand({ EngagementId: EngagementArn! }));
    assert.deepEqual([engagement.ContactArn, engagement.Subject, engagement.StopTime], [frank.contact, 'Disk full on db-1', undefined]);
    assert.ok((await c.send(new ListEngagementsCommand({}))).Engagements!.some((e) => e.EngagementArn === EngagementArn));

    const wrong = ack === '000000' ? '111111' : '000000';
    await assert.rejects(c.send(new AcceptPageCommand({ PageId: page, AcceptType: 'READ', AcceptCode: wrong, AcceptCodeValidation: 'ENFORCE' })), (e) => code(e) === 'ValidationException');
    assert.equal((await c.send(new DescribePageCommand({ PageId: page }))).ReadTime, undefined, 'a refused acknowledgement records nothing');
    await c.send(new AcceptPageCommand({ PageId: page, AcceptType: 'READ', AcceptCode: ack, AcceptCodeValidation: 'ENFORCE', Note: 'on it' }));
    assert.ok((await c.send(new DescribePageCommand({ PageId: page }))).ReadTime);
    const receipts = await c.send(new ListPageReceiptsCommand({ PageId: page }));
    assert.deepEqual(receipts.Receipts!.map((r) => r.ReceiptType), ['SENT', 'READ']);
    assert.equal(receipts.Receipts![1]!.ReceiptInfo, 'on it');

    await c.send(new StopEngagementCommand({ EngagementId: EngagementArn!, Reason: 'handled' }));
    assert.ok((await c.send(new DescribeEngagementCommand({ EngagementId: EngagementArn! }))).StopTime);
    assert.deepEqual((await c.send(new ListPageReceiptsCommand({ PageId: page }))).Receipts!.map((r) => r.ReceiptType), ['SENT', 'READ', 'STOP']);
  });

  test('an escalation plan pages stage by stage until someone accepts, and no further', async () => {
    const c = h.contacts();
    const [gina, hugo, ivan] = [await person('gina'), await person('hugo'), await person('ivan')];
    const stage = (who: { contact: string }, minutes: number) => ({ DurationInMinutes: minutes, Targets: [{ ContactTargetInfo: { ContactId: who.contact, IsEssential: true } }] });
    const { ContactArn } = await c.send(new CreateContactCommand({ Alias: 'db-oncall', Type: 'ESCALATION', Plan: { Stages: [stage(gina, 5), stage(hugo, 10), stage(ivan, 5)] } }));
    const { EngagementArn } = await c.send(new StartEngagementCommand({ ContactId: ContactArn!, Sender: 'ops', Subject: 'Replication lag', Content: 'Replica is 10 minutes behind.' }));
    await h.mailTo(gina.email, (m) => m.subject === 'Replication lag');
    await h.advance(5 * MIN - 1000);
    assert.equal(h.mail.mails.filter((m) => m.to.includes(hugo.email) && m.subject === 'Replication lag').length, 0, 'stage two waits for stage one\'s duration');
    await h.advance(1000);
    const second = await h.mailTo(hugo.email, (m) => m.subject === 'Replication lag');
    const { page, code: ack } = pageOf(second);
    await h.contacts().send(new AcceptPageCommand({ PageId: page!, AcceptType: 'READ', AcceptCode: ack! }));
    await h.advance(30 * MIN);
    await h.advance(1000);
    assert.equal(h.mail.mails.filter((m) => m.to.includes(ivan.email) && m.subject === 'Replication lag').length, 0, 'an accepted page stops the escalation');
    const pages = await h.contacts().send(new ListPagesByEngagementCommand({ EngagementId: EngagementArn! }));
    assert.deepEqual(pages.Pages!.map((p) => p.ContactArn), [gina.contact, hugo.contact]);
  });
});
