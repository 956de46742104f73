import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AcceptPageCommand, ActivateContactChannelCommand, CreateContactChannelCommand, CreateContactCommand, ListEngagementsCommand, UpdateContactCommand } from '@aws-sdk/client-ssm-contacts';
import { CreateResponsePlanCommand, GetIncidentRecordCommand, ListIncidentRecordsCommand, ListRelatedItemsCommand, ListTimelineEventsCommand, UpdateIncidentRecordCommand, type EventSummary } from '@aws-sdk/client-ssm-incidents';
import { CreateDocumentCommand, DescribeOpsItemsCommand, GetOpsItemCommand, GetParameterCommand, StartAutomationExecutionCommand } from '@aws-sdk/client-ssm';
import { CreateRoleCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { stringify } from 'yaml';
import { onEveryEngine } from '../test-support/engines.js';
import type { Engine } from '../test-support/server.js';
import { jsonHeaders, rawCall } from '../test-support/sign.js';
import { until } from '../test-support/until.js';
import { activationCode, incidentHarness, pageOf, type IncidentHarness } from './test-support/harness.js';

const MIN = 60_000;
const trust = (service: string) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }] });
const allow = (...actions: string[]) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] });

/** Alertmanager's webhook body (version 4) for one firing or resolved alert group. */
const alertmanager = (status: 'firing' | 'resolved') => ({
  version: '4',
  groupKey: '{}:{alertname="PostgresDown"}',
  status,
  receiver: 'capstan',
  groupLabels: { alertname: 'PostgresDown' },
  commonLabels: { alertname: 'PostgresDown', severity: 'critical', instance: 'db-1:9187' },
  commonAnnotations: { summary: 'PostgreSQL on db-1 is down' },
  externalURL: 'http://127.0.0.1:9093',
  alerts: [{ status, labels: { alertname: 'PostgresDown', instance: 'db-1:9187' }, annotations: { summary: 'PostgreSQL on db-1 is down' }, startsAt: new Date().toISOString(), endsAt: '0001-01-01T00:00:00Z', generatorURL: 'http://127.0.0.1:9090/graph', fingerprint: 'c0ffee' }],
});

onEveryEngine('Incident Manager from alert to analysis', (engine: Engine) => {
  let h: IncidentHarness;
  let roleArn: string;
  let runbook: string;
  const people: Record<string, { contact: string; email: string }> = {};

  before(async () => {
    h = await incidentHarness(engine);
    const c = h.contacts();
    for (const alias of ['alice', 'bob', 'carol']) {
      const email = `${alias}@capstan.test`;
      const { ContactArn } = await c.send(new CreateContactCommand({ Alias: alias, Type: 'PERSONAL', Plan: { Stages: [] } }));
      const { ContactChannelArn } = await c.send(new CreateContactChannelCommand({ ContactId: ContactArn!, Name: 'email', Type: 'EMAIL', DeliveryAddress: { SimpleAddress: email } }));
      await c.send(new ActivateContactChannelCommand({ ContactChannelId: ContactChannelArn!, ActivationCode: activationCode(await h.mailTo(email))! }));
      await c.send(new UpdateContactCommand({ ContactId: ContactArn!, Plan: { Stages: [{ DurationInMinutes: 0, Targets: [{ ChannelTargetInfo: { ContactChannelId: ContactChannelArn! } }] }] } }));
      people[alias] = { contact: ContactArn!, email };
    }
    const iam = h.iam();
    roleArn = (await iam.send(new CreateRoleCommand({ RoleName: 'incident-runbooks', AssumeRolePolicyDocument: trust('ssm-incidents.amazonaws.com') }))).Role!.Arn!;
    await iam.send(new PutRolePolicyCommand({ RoleName: 'incident-runbooks', PolicyName: 'runbooks', PolicyDocument: allow('ssm:StartAutomationExecution', 'ssm:PutParameter', 'ssm:GetParameter') }));
    runbook = 'Capstan-RestartPostgres';
    await h.ssm().send(
      new CreateDocumentCommand({
        Name: runbook,
        DocumentType: 'Automation',
        DocumentFormat: 'YAML',
        Content: stringify({
          schemaVersion: '0.3',
          parameters: { IncidentArn: { type: 'String' }, Instance: { type: 'String' } },
          mainSteps: [
            { name: 'recordIncident', action: 'aws:executeAwsApi', inputs: { Service: 'ssm', Api: 'PutParameter', Name: '/incidents/last', Value: '{{ IncidentArn }}', Type: 'String', Overwrite: true } },
            { name: 'readBack', action: 'aws:executeAwsApi', inputs: { Service: 'ssm', Api: 'GetParameter', Name: '/incidents/last' } },
          ],
        }),
      }),
    );
  });
  after(async () => {
    await h?.stop();
  });

  const timeline = async (arn: string): Promise<EventSummary[]> => (await h.incidents().send(new ListTimelineEventsCommand({ incidentRecordArn: arn }))).eventSummaries ?? [];
  const types = (events: EventSummary[]) => events.map((e) => e.eventType);

  test('an alert starts an incident that pages, escalates until accepted, runs its runbook onto the timeline, resolves with metrics and exports its analysis', async () => {
    const c = h.contacts();
    const stage = (who: string) => ({ DurationInMinutes: 5, Targets: [{ ContactTargetInfo: { ContactId: people[who]!.contact, IsEssential: true } }] });
    const { ContactArn: oncall } = await c.send(new CreateContactCommand({ Alias: 'db-oncall', Type: 'ESCALATION', Plan: { Stages: [stage('alice'), stage('bob'), stage('carol')] } }));
    const { arn: plan } = await h.incidents().send(
      new CreateResponsePlanCommand({
        name: 'db-outage',
        displayName: 'Database outage',
        incidentTemplate: { title: 'Database outage', impact: 2, summary: 'The primary database does not answer.', dedupeString: 'db-outage' },
        engagements: [oncall!],
        chatChannel: { chatbotSns: [`${h.gateway.url}/chat`] },
        actions: [{ ssmAutomation: { roleArn, documentName: runbook, parameters: { Instance: ['db-1'] }, dynamicParameters: { IncidentArn: { variable: 'INCIDENT_RECORD_ARN' } } } }],
      }),
    );

    // The alert endpoint and its token come from an authenticated call; without the token nothing happens.
    const endpoint = await rawCall({ endpoint: h.t.endpoint, service: 'ssm', credentials: h.t.credentials, headers: jsonHeaders('AmazonSSM.CapstanGetIncidentAlertEndpoint'), body: JSON.stringify({ ResponsePlanArn: plan }), signingDate: new Date(h.clock.now()) });
    assert.equal(endpoint.status, 200, endpoint.text);
    const { Url, Token } = endpoint.json() as { Url: string; Token: string };
    assert.ok(Url.startsWith(h.t.endpoint));
    const post = (body: unknown, token?: string) => fetch(Url, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
    assert.equal((await post(alertmanager('firing'))).status, 401);
    assert.equal((await post(alertmanager('firing'), Token.slice(1) + 'x')).status, 401);
    assert.equal((await h.incidents().send(new ListIncidentRecordsCommand({}))).incidentRecordSummaries!.length, 0, 'a refused alert starts nothing');

    const started = h.clock.now();
    const res = await post(alertmanager('firing'), Token);
    assert.equal(res.status, 202);
    const { incidentRecordArn: incident, created } = (await res.json()) as { incidentRecordArn: string; created: boolean };
    assert.equal(created, true);
    const repeat = (await (await post(alertmanager('firing'), Token)).json()) as { incidentRecordArn: string; created: boolean };
    assert.deepEqual(repeat, { incidentRecordArn: incident, created: false }, 'the plan\'s dedupe string folds a repeated alert into the open incident');

    const trail = new CloudTrailClient({ ...h.t.clientConfig(), systemClockOffset: h.clock.now() - Date.now() });
    const audited = await until('the alert in the audit trail', async () => (await trail.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'CapstanAlert' }] }))).Events?.find((e) => e.Resources?.some((r) => r.ResourceName === incident)));
    assert.equal(audited.EventSource, 'ssm-incidents.amazonaws.com');
    const record = (await h.incidents().send(new GetIncidentRecordCommand({ arn: incident }))).incidentRecord!;
    assert.deepEqual([record.title, record.impact, record.status, record.incidentRecordSource?.source], ['PostgreSQL on db-1 is down', 2, 'OPEN', 'capstan.alert']);

    // Stage one: alice gets an email carrying the page and its acknowledgement code; the chat channel hears of it.
    const first = await h.mailTo(people.alice!.email, (m) => m.subject.includes('PostgreSQL on db-1 is down'));
    assert.match(first.text, new RegExp(incident.replace(/[/.]/g, '\\$&')));
    assert.ok(pageOf(first).code);
    const chat = await until('the chat post', async () => (await h.t.server.core.scheduler.tick(), h.gateway.hooks.find((x) => x.path === '/chat')));
    assert.match((JSON.parse(chat.body) as { text: string }).text, /Incident opened: PostgreSQL on db-1 is down \(impact 2\)/);

    // The runbook runs as the plan's role and every step lands on the timeline.
    const done = await until('the runbook to finish on the timeline', async () => {
      await h.t.server.core.scheduler.tick();
      const events = await timeline(incident);
      return events.filter((e) => e.eventType === 'Automation Step').length >= 4 && events.some((e) => e.eventType === 'Automation Execution') ? events : undefined;
    });
    const stepData = await Promise.all(done.filter((e) => e.eventType === 'Automation Step').map(async (e) => JSON.parse((await h.incidents().send(new (await import('@aws-sdk/client-ssm-incidents')).GetTimelineEventCommand({ incidentRecordArn: incident, eventId: e.eventId! }))).event!.eventData!) as { stepName: string; status: string }));
    assert.deepEqual(stepData.filter((s) => s.status === 'Success').map((s) => s.stepName).sort(), ['readBack', 'recordIncident']);
    assert.equal((await h.ssm().send(new GetParameterCommand({ Name: '/incidents/last' }))).Parameter!.Value, incident, 'the runbook got the incident ARN as a dynamic parameter');
    const related = (await h.incidents().send(new ListRelatedItemsCommand({ incidentRecordArn: incident }))).relatedItems!;
    assert.ok(related.some((r) => r.identifier?.type === 'AUTOMATION'));
    assert.equal((await h.incidents().send(new GetIncidentRecordCommand({ arn: incident }))).incidentRecord!.automationExecutions!.length, 1);

    // Nobody accepts: after stage one's five minutes, bob is paged.
    await h.advance(5 * MIN);
    const second = await h.mailTo(people.bob!.email, (m) => m.subject.includes('PostgreSQL on db-1 is down'));
    const { page, code } = pageOf(second);
    await h.contacts().send(new AcceptPageCommand({ PageId: page!, AcceptType: 'READ', AcceptCode: code!, AcceptCodeValidation: 'ENFORCE' }));
    await h.advance(10 * MIN);
    await h.advance(10 * MIN);
    assert.equal(h.mail.mails.filter((m) => m.to.includes(people.carol!.email) && m.subject.includes('PostgreSQL')).length, 0, 'acceptance stopped the escalation before stage three');

    const resolvedAt = h.clock.now();
    await h.incidents().send(new UpdateIncidentRecordCommand({ arn: incident, status: 'RESOLVED' }));
    const resolved = (await h.incidents().send(new GetIncidentRecordCommand({ arn: incident }))).incidentRecord!;
    assert.equal(resolved.status, 'RESOLVED');
    assert.equal(resolved.resolvedTime!.getTime(), resolvedAt);
    const events = await timeline(incident);
    for (const t of ['Incident Created', 'Trigger', 'Engagement Started', 'Chat Message Sent', 'Runbook Started', 'Automation Step', 'Automation Execution', 'Engagement Acknowledged', 'Incident Resolved']) assert.ok(types(events).includes(t), `the timeline records ${t}: ${types(events).join(', ')}`);
    const resolution = events.find((e) => e.eventType === 'Incident Resolved')!;
    const metrics = JSON.parse((await h.incidents().send(new (await import('@aws-sdk/client-ssm-incidents')).GetTimelineEventCommand({ incidentRecordArn: incident, eventId: resolution.eventId! }))).event!.eventData!) as { timeToAcknowledgeSeconds: number; timeToResolveSeconds: number };
    assert.equal(metrics.timeToAcknowledgeSeconds, 300);
    assert.equal(metrics.timeToResolveSeconds, (resolvedAt - started) / 1000);
    assert.equal(metrics.timeToResolveSeconds, 1500);
    const engagements = (await h.contacts().send(new ListEngagementsCommand({ IncidentId: incident }))).Engagements!;
    assert.equal(engagements.length, 1);
    assert.ok(engagements[0]!.StopTime, 'resolving stops the incident\'s engagements');

    // The post-incident analysis: questions, timeline, metrics and action items that become OpsItems.
    const call = (target: string, body: unknown) => rawCall({ endpoint: h.t.endpoint, service: 'ssm', credentials: h.t.credentials, headers: jsonHeaders(target), body: JSON.stringify(body), signingDate: new Date(h.clock.now()) });
    // Two analyses at once: one is made, the other is a conflict that leaves none of its OpsItems behind.
    const actionItems = async () => (await h.ssm().send(new DescribeOpsItemsCommand({ OpsItemFilters: [{ Key: 'Source', Values: ['ssm-incidents'], Operator: 'Equal' }] }))).OpsItemSummaries ?? [];
    const before = (await actionItems()).length;
    const [made, rival] = await Promise.all([
      call('AmazonSSM.CapstanCreateIncidentAnalysis', { IncidentRecordArn: incident, Questions: [{ Question: 'What happened?', Answer: 'The data volume filled up.' }], ActionItems: [{ Title: 'Alert on disk usage at 80%', Priority: 2 }] }),
      call('AmazonSSM.CapstanCreateIncidentAnalysis', { IncidentRecordArn: incident, ActionItems: [{ Title: 'Rival item one' }, { Title: 'Rival item two' }, { Title: 'Rival item three' }] }),
    ]);
    assert.equal(made.status, 200, made.text);
    assert.equal(rival.json().__type, 'ConflictException', rival.text);
    assert.equal((await actionItems()).length - before, 1, "only the made analysis raised its OpsItem");
    assert.deepEqual((await actionItems()).filter((o) => o.Title?.startsWith('Rival')), [], 'the conflicting analysis left no OpsItems');
    const opsItemId = (made.json() as { ActionItems: { OpsItemId: string }[] }).ActionItems[0]!.OpsItemId;
    assert.equal((await h.ssm().send(new GetOpsItemCommand({ OpsItemId: opsItemId }))).OpsItem!.Title, 'Alert on disk usage at 80%');
    assert.equal((await call('AmazonSSM.CapstanCreateIncidentAnalysis', { IncidentRecordArn: incident })).json().__type, 'ConflictException');
    const exported = await call('AmazonSSM.CapstanExportIncidentAnalysis', { IncidentRecordArn: incident, Format: 'Markdown' });
    const doc = exported.json() as { Content: string; TimeToAcknowledgeSeconds: number; TimeToResolveSeconds: number };
    assert.equal(doc.TimeToAcknowledgeSeconds, 300);
    assert.equal(doc.TimeToResolveSeconds, 1500);
    assert.match(doc.Content, /^# Post-incident analysis: PostgreSQL on db-1 is down$/m);
    assert.match(doc.Content, /Time to acknowledge: 5 min/);
    assert.match(doc.Content, /Time to resolve: 25 min/);
    assert.match(doc.Content, /### What happened\?\n\nThe data volume filled up\./);
    assert.match(doc.Content, /\| Engagement Acknowledged \|/);
    assert.match(doc.Content, new RegExp(`- \\[ \\] Alert on disk usage at 80% \\(OpsItem ${opsItemId}\\)`));

    // A resolved alert is noted on the open incidents the endpoint started (none now).
    assert.deepEqual(await (await post(alertmanager('resolved'), Token)).json(), { resolved: [] });
  });

  test('an event rule starts an incident from a response plan when a runbook fails', async () => {
    const iam = h.iam();
    const rule = (await iam.send(new CreateRoleCommand({ RoleName: 'rule-incidents', AssumeRolePolicyDocument: trust('events.amazonaws.com') }))).Role!.Arn!;
    await iam.send(new PutRolePolicyCommand({ RoleName: 'rule-incidents', PolicyName: 'start', PolicyDocument: allow('ssm-incidents:StartIncident') }));
    const { arn: plan } = await h.incidents().send(new CreateResponsePlanCommand({ name: 'runbook-failed', incidentTemplate: { title: 'A runbook failed', impact: 4 } }));
    await h.ssm().send(new CreateDocumentCommand({ Name: 'Capstan-AlwaysFails', DocumentType: 'Automation', DocumentFormat: 'YAML', Content: stringify({ schemaVersion: '0.3', mainSteps: [{ name: 'missing', action: 'aws:executeAwsApi', inputs: { Service: 'ssm', Api: 'GetParameter', Name: '/does/not/exist' } }] }) }));
    const eb = new EventBridgeClient({ ...h.t.clientConfig(), systemClockOffset: h.clock.now() - Date.now() });
    await eb.send(new PutRuleCommand({ Name: 'failed-runbooks', EventPattern: JSON.stringify({ source: ['aws.ssm'], 'detail-type': ['EC2 Automation Execution Status-change Notification'], detail: { Status: ['Failed'], Definition: ['Capstan-AlwaysFails'] } }) }));
    await assert.rejects(eb.send(new PutTargetsCommand({ Rule: 'failed-runbooks', Targets: [{ Id: 'im', Arn: plan!, RoleArn: rule, Input: '{}' }] })), (e: Error) => e.name === 'ValidationException' && /takes no Input/.test(e.message));
    await eb.send(new PutTargetsCommand({ Rule: 'failed-runbooks', Targets: [{ Id: 'im', Arn: plan!, RoleArn: rule }] }));
    await h.ssm().send(new StartAutomationExecutionCommand({ DocumentName: 'Capstan-AlwaysFails' }));
    const found = await until('an incident from the rule', async () => {
      await h.t.server.core.scheduler.tick();
      return (await h.incidents().send(new ListIncidentRecordsCommand({ filters: [{ key: 'impact', condition: { equals: { integerValues: [4] } } }] }))).incidentRecordSummaries?.[0];
    });
    assert.equal(found.title, 'A runbook failed');
    assert.equal(found.incidentRecordSource?.source, 'aws.ssm');
    assert.match(found.incidentRecordSource?.createdBy ?? '', /assumed-role\/rule-incidents\//);
    assert.equal(found.incidentRecordSource?.invokedBy, 'events.amazonaws.com');
  });
});
