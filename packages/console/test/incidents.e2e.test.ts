/**
 * The console's Incident Manager pages in Chromium against a real server: incidents started
 * through the SDK and through a response plan's alert endpoint are listed; an incident's page
 * shows its timeline with the plan's runbook steps, takes a note onto it and resolves it; the
 * plan's Insight counts its incidents and shows their mean time to resolve. An incident that
 * paged someone shows its engagements and pages, acknowledges a page (AcceptPage) and shows the
 * time to acknowledge, as the incident list does. The SDK confirms what the pages show. Setup and the per-test checks are ./harness.ts's.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { IAMClient, CreateRoleCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateDocumentCommand, SSMClient } from '@aws-sdk/client-ssm';
import { CreateResponsePlanCommand, GetIncidentRecordCommand, ListIncidentRecordsCommand, ListTimelineEventsCommand, SSMIncidentsClient, StartIncidentCommand, UpdateIncidentRecordCommand } from '@aws-sdk/client-ssm-incidents';
import { ActivateContactChannelCommand, CreateContactChannelCommand, CreateContactCommand, DescribePageCommand, ListEngagementsCommand, ListPageReceiptsCommand, ListPagesByEngagementCommand, SSMContactsClient } from '@aws-sdk/client-ssm-contacts';
import { unseal } from '../../server/src/crypto/seal.js';
import { activationContext, DELIVER_JOB } from '../../server/src/incidents/contacts.js';
import type { TestServer } from '../../server/src/test-support/server.js';
import { jsonHeaders, rawCall } from '../../server/src/test-support/sign.js';
import { ConsoleHarness, until } from './harness.js';

const harness = new ConsoleHarness('incidents');
let ssm: SSMClient;
let im: SSMIncidentsClient;
let plan = '';
let other = '';
let withRunbook = '';
let fromAlert = '';
let resolvedEarlier = '';
let paging = '';
let pageArn = '';
let cm: SSMContactsClient;

/**
 * This server sends no mail, so the activation code is read where the server keeps it for
 * delivery: sealed in the channel's delivery job. The channel is then activated the normal way.
 */
async function activationCodeOf(t: TestServer, channel: string): Promise<string> {
  const jobs = await t.server.core.database.db.withTables<{ scheduler_jobs: { kind: string; payload: string } }>().selectFrom('scheduler_jobs').select('payload').where('kind', '=', DELIVER_JOB).execute();
  const job = jobs.map((j) => JSON.parse(j.payload) as { what: string; channel?: string; sealed?: string }).find((p) => p.what === 'activation' && p.channel === channel);
  assert.ok(job?.sealed, `no activation job for ${channel}`);
  return unseal(t.server.core.rootKey, job.sealed, activationContext(channel)).toString('utf8');
}
const runbook = `im-e2e-runbook-${Date.now()}`;

before(async () => {
  await harness.start(async (t) => {
    ssm = new SSMClient(t.clientConfig());
    im = new SSMIncidentsClient(t.clientConfig());
    cm = new SSMContactsClient(t.clientConfig());
    const iam = new IAMClient(t.clientConfig());
    try {
      const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ssm-incidents.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
      const role = (await iam.send(new CreateRoleCommand({ RoleName: 'im-e2e-runbooks', AssumeRolePolicyDocument: trust }))).Role!.Arn!;
      await iam.send(new PutRolePolicyCommand({ RoleName: 'im-e2e-runbooks', PolicyName: 'runbooks', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['ssm:StartAutomationExecution'], Resource: '*' }] }) }));
      await ssm.send(new CreateDocumentCommand({ Name: runbook, DocumentType: 'Automation', DocumentFormat: 'JSON', Content: JSON.stringify({ schemaVersion: '0.3', mainSteps: [{ name: 'drainTraffic', action: 'aws:sleep', inputs: { Duration: 'PT0S' } }] }) }));
      plan = (await im.send(new CreateResponsePlanCommand({ name: 'im-e2e-checkout', displayName: 'Checkout down', incidentTemplate: { title: 'Checkout is down', impact: 1 }, actions: [{ ssmAutomation: { roleArn: role, documentName: runbook } }] }))).arn!;
      other = (await im.send(new CreateResponsePlanCommand({ name: 'im-e2e-reports', incidentTemplate: { title: 'Reports are late', impact: 4 } }))).arn!;
    } finally {
      iam.destroy();
    }
    const { ContactArn } = await cm.send(new CreateContactCommand({ Alias: 'im-e2e-oncall', DisplayName: 'On call', Type: 'PERSONAL', Plan: { Stages: [] } }));
    const { ContactChannelArn } = await cm.send(new CreateContactChannelCommand({ ContactId: ContactArn!, Name: 'email', Type: 'EMAIL', DeliveryAddress: { SimpleAddress: 'oncall@capstan.test' } }));
    await cm.send(new ActivateContactChannelCommand({ ContactChannelId: ContactChannelArn!, ActivationCode: await activationCodeOf(t, ContactChannelArn!) }));
    const pagingPlan = (await im.send(new CreateResponsePlanCommand({ name: 'im-e2e-paging', incidentTemplate: { title: 'Payments failing', impact: 2 }, engagements: [ContactArn!] }))).arn!;
    paging = (await im.send(new StartIncidentCommand({ responsePlanArn: pagingPlan }))).incidentRecordArn!;
    pageArn = await until('the on-call page', async () => {
      const [e] = (await cm.send(new ListEngagementsCommand({ IncidentId: paging }))).Engagements ?? [];
      return e ? (await cm.send(new ListPagesByEngagementCommand({ EngagementId: e.EngagementArn! }))).Pages?.[0]?.PageArn : undefined;
    }, 20_000);

    withRunbook = (await im.send(new StartIncidentCommand({ responsePlanArn: plan, title: 'Checkout returns 502' }))).incidentRecordArn!;
    resolvedEarlier = (await im.send(new StartIncidentCommand({ responsePlanArn: plan, title: 'Checkout slow', impact: 3 }))).incidentRecordArn!;
    await im.send(new UpdateIncidentRecordCommand({ arn: resolvedEarlier, status: 'RESOLVED' }));

    const endpoint = await rawCall({ endpoint: t.endpoint, service: 'ssm', credentials: t.credentials, headers: jsonHeaders('AmazonSSM.CapstanGetIncidentAlertEndpoint'), body: JSON.stringify({ ResponsePlanArn: other }) });
    assert.equal(endpoint.status, 200, endpoint.text);
    const { Url, Token } = endpoint.json() as { Url: string; Token: string };
    const alert = await fetch(Url.startsWith('/') ? `${t.endpoint}${Url}` : Url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${Token}` },
      body: JSON.stringify({ version: '4', groupKey: '{}:{alertname="ReportsLate"}', status: 'firing', receiver: 'capstan', groupLabels: { alertname: 'ReportsLate' }, commonLabels: { alertname: 'ReportsLate' }, commonAnnotations: { summary: 'Nightly reports are late' }, alerts: [{ status: 'firing', labels: { alertname: 'ReportsLate' }, annotations: {}, startsAt: new Date().toISOString(), fingerprint: 'e2e' }] }),
    });
    assert.equal(alert.status < 300, true, await alert.text());
    fromAlert = await until('the incident from the alert', async () => (await im.send(new ListIncidentRecordsCommand({}))).incidentRecordSummaries?.find((s) => s.arn!.includes('/im-e2e-reports/'))?.arn, 20_000);
    await until('the runbook step on the timeline', async () => ((await im.send(new ListTimelineEventsCommand({ incidentRecordArn: withRunbook }))).eventSummaries ?? []).some((e) => e.eventType === 'Automation Step'), 30_000);
  });
});

after(async () => {
  ssm?.destroy();
  im?.destroy();
  cm?.destroy();
  await harness.stop();
});

test('the list shows the open incidents with impact and plan, and the resolved ones apart', async (tc) => {
  await harness.browse(tc, async ({ page, shot }) => {
    await harness.signIn(page, 'incidents');
    assert.equal(await page.getByTestId('nav-incidents').getAttribute('aria-current'), 'page');
    const row = (arn: string) => page.locator(`[data-testid="im-row"][data-arn="${arn}"]`);
    await row(withRunbook).waitFor();
    await row(fromAlert).waitFor();
    assert.equal(await row(resolvedEarlier).count(), 0, 'Open is the default');
    assert.match((await row(withRunbook).getByTestId('im-impact').textContent()) ?? '', /^1 Critical/);
    assert.match((await row(fromAlert).textContent()) ?? '', /im-e2e-reports/);
    await shot('open');
    await page.getByTestId('im-tab-resolved').click();
    await row(resolvedEarlier).waitFor();
    assert.equal(await row(withRunbook).count(), 0);
    assert.notEqual(((await row(resolvedEarlier).getByTestId('im-ttr').textContent()) ?? '').trim(), '—', 'a resolved incident shows its time to resolve');
  });
});

test('the incident page shows the runbook on the timeline, takes a note and resolves', async (tc) => {
  await harness.browse(tc, async ({ page, shot }) => {
    await harness.signIn(page, `incidents/record?arn=${encodeURIComponent(withRunbook)}`);
    await page.getByTestId('im-timeline').waitFor();
    const step = page.locator('[data-testid="im-event"][data-event-type="Automation Step"]').first();
    await step.waitFor();
    assert.match((await step.textContent()) ?? '', new RegExp(`${runbook}: step drainTraffic`));
    assert.equal(await page.locator('[data-testid="im-event"][data-event-type="Incident Created"]').count(), 1);

    const note = `Rolled back release ${Date.now()}`;
    await page.getByTestId('im-note').fill(note);
    await page.getByTestId('im-add-note').click();
    await page.locator('[data-testid="im-event"][data-event-type="Custom Event"]', { hasText: note }).waitFor();
    const events = (await im.send(new ListTimelineEventsCommand({ incidentRecordArn: withRunbook }))).eventSummaries ?? [];
    assert.ok(events.some((e) => e.eventType === 'Custom Event'), 'the note is on the timeline the API lists');
    await shot('timeline');

    await page.getByTestId('im-impact-select').selectOption('2');
    await until('impact 2', async () => (await im.send(new GetIncidentRecordCommand({ arn: withRunbook }))).incidentRecord?.impact === 2);
    await page.locator('[data-testid="im-event"][data-event-type="Impact Changed"]').waitFor();

    await page.getByTestId('im-resolve').click();
    await page.getByTestId('im-reopen').waitFor();
    assert.equal(await page.getByTestId('im-status').textContent(), 'Resolved');
    assert.notEqual(((await page.getByTestId('im-time-to-resolve').textContent()) ?? '').trim(), '—');
    const record = (await im.send(new GetIncidentRecordCommand({ arn: withRunbook }))).incidentRecord!;
    assert.equal(record.status, 'RESOLVED');
    await shot('resolved');
  });
});

test('Insight counts the plan\'s incidents and shows the mean time to resolve and the runbook runs', async (tc) => {
  const records = (await im.send(new ListIncidentRecordsCommand({}))).incidentRecordSummaries!.filter((s) => s.arn!.includes('/im-e2e-checkout/'));
  const resolved = records.filter((s) => s.status === 'RESOLVED');
  const mean = resolved.reduce((sum, s) => sum + (s.resolvedTime!.getTime() - s.creationTime!.getTime()) / 1000, 0) / resolved.length;
  await harness.browse(tc, async ({ page, shot }) => {
    await harness.signIn(page, 'incidents/response-plans');
    await page.locator('[data-testid="im-plan-row"][data-name="im-e2e-checkout"]').getByTestId('im-insight-link').click();
    await page.getByTestId('insight-page').waitFor();
    await page.getByTestId('im-counts').waitFor();
    assert.equal(await page.getByTestId('im-count-total').textContent(), String(records.length));
    assert.equal(await page.getByTestId('im-count-resolved').textContent(), String(resolved.length));
    const meanRow = page.getByTestId('im-chart-resolve').locator('[data-stat="Mean"]');
    assert.equal(await page.getByTestId('im-chart-resolve').getAttribute('data-count'), String(resolved.length));
    assert.ok(Math.abs(Number(await meanRow.getAttribute('data-seconds')) - mean) < 0.01, 'the mean time to resolve is the incidents\' own');
    const used = page.locator(`[data-testid="im-runbook"][data-name="${runbook}"]`);
    assert.equal(await used.getAttribute('data-runs'), '2', 'the plan ran its runbook for each of its two incidents');
    assert.equal(await used.getAttribute('data-mitigated'), '2', 'both succeeded and both incidents were resolved');
    await shot('insight');
  });
});

test('an incident\'s page shows who was paged, acknowledges a page and shows the time to acknowledge, as the list does', async (tc) => {
  await harness.browse(tc, async ({ page, shot }) => {
    await harness.signIn(page, `incidents/record?arn=${encodeURIComponent(paging)}`);
    const paged = page.locator(`[data-testid="im-page"][data-page-arn="${pageArn}"]`);
    await paged.waitFor();
    assert.equal(await paged.getAttribute('data-acknowledged'), 'false');
    assert.match((await paged.textContent()) ?? '', /im-e2e-oncall paged/);
    assert.equal(((await page.getByTestId('im-time-to-acknowledge').textContent()) ?? '').trim(), '—', 'nobody has acknowledged yet');
    await shot('paged');

    await paged.getByTestId('im-accept-page').click();
    await page.locator(`[data-testid="im-page"][data-page-arn="${pageArn}"][data-acknowledged="true"]`).waitFor();
    assert.equal(await paged.getByTestId('im-accept-page').count(), 0, 'an acknowledged page offers no button');
    await page.locator('[data-testid="im-event"][data-event-type="Engagement Acknowledged"]').waitFor();
    assert.ok((await cm.send(new DescribePageCommand({ PageId: pageArn }))).ReadTime, 'the page is read as the API sees it');
    const receipts = (await cm.send(new ListPageReceiptsCommand({ PageId: pageArn }))).Receipts ?? [];
    assert.ok(receipts.some((r) => r.ReceiptType === 'READ' && r.ReceiptInfo === 'Acknowledged in the Capstan console'), JSON.stringify(receipts));

    const metrics = await rawCall({ endpoint: harness.t.endpoint, service: 'ssm', credentials: harness.t.credentials, headers: jsonHeaders('AmazonSSM.CapstanListIncidentMetrics'), body: '{}' });
    const mine = (metrics.json() as { Incidents: { Arn: string; TimeToAcknowledgeSeconds?: number }[] }).Incidents.find((i) => i.Arn === paging);
    assert.equal(typeof mine?.TimeToAcknowledgeSeconds, 'number', 'the server measured the acknowledgement');
    const shown = ((await page.getByTestId('im-time-to-acknowledge').textContent()) ?? '').trim();
    assert.notEqual(shown, '—');
    await shot('acknowledged');

    await page.getByTestId('nav-incidents').click();
    const row = page.locator(`[data-testid="im-row"][data-arn="${paging}"]`);
    await row.waitFor();
    assert.equal(((await row.getByTestId('im-tta').textContent()) ?? '').trim(), shown, 'the list shows the same time to acknowledge');
  });
});
