import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  CreateReplicationSetCommand,
  CreateResponsePlanCommand,
  DeleteReplicationSetCommand,
  GetReplicationSetCommand,
  ListReplicationSetsCommand,
  UpdateDeletionProtectionCommand,
  UpdateReplicationSetCommand,
  PutResourcePolicyCommand,
  GetResourcePoliciesCommand,
  DeleteResourcePolicyCommand,
  CreateTimelineEventCommand,
  DeleteIncidentRecordCommand,
  DeleteResponsePlanCommand,
  DeleteTimelineEventCommand,
  GetIncidentRecordCommand,
  GetResponsePlanCommand,
  GetTimelineEventCommand,
  ListTagsForResourceCommand,
  TagResourceCommand,
  UntagResourceCommand,
  ListIncidentRecordsCommand,
  ListRelatedItemsCommand,
  ListResponsePlansCommand,
  ListTimelineEventsCommand,
  StartIncidentCommand,
  UpdateIncidentRecordCommand,
  UpdateRelatedItemsCommand,
  UpdateResponsePlanCommand,
  UpdateTimelineEventCommand,
} from '@aws-sdk/client-ssm-incidents';
import { CreateContactCommand, DeleteContactCommand, GetContactPolicyCommand, PutContactPolicyCommand } from '@aws-sdk/client-ssm-contacts';
import { CreateRoleCommand } from '@aws-sdk/client-iam';
import { onEveryEngine } from '../test-support/engines.js';
import type { Engine } from '../test-support/server.js';
import { incidentHarness, type IncidentHarness } from './test-support/harness.js';

type Failure = { name: string; message: string; $metadata: { httpStatusCode?: number } };
const fails = (name: string, status: number, message?: RegExp) => (e: unknown) => {
  const f = e as Failure;
  assert.equal(f.name, name, f.message);
  assert.equal(f.$metadata.httpStatusCode, status);
  if (message) assert.match(f.message, message);
  return true;
};

onEveryEngine('Incident Manager response plans and incidents', (engine: Engine) => {
  let h: IncidentHarness;
  let plan: string;
  before(async () => {
    h = await incidentHarness(engine);
    plan = (await h.incidents().send(new CreateResponsePlanCommand({ name: 'web-down', incidentTemplate: { title: 'Website down', impact: 3, summary: 'The site answers 5xx.' } }))).arn!;
  });
  after(async () => {
    await h?.stop();
  });

  test('response plans: CreateResponsePlan, GetResponsePlan, UpdateResponsePlan, ListResponsePlans, DeleteResponsePlan; bad plans are refused and not written', async () => {
    const im = h.incidents();
    const { ContactArn } = await h.contacts().send(new CreateContactCommand({ Alias: 'web-oncall', Type: 'PERSONAL', Plan: { Stages: [] } }));
    const { arn } = await im.send(new CreateResponsePlanCommand({ name: 'api-slow', displayName: 'API slow', incidentTemplate: { title: 'API latency', impact: 4, dedupeString: 'api-slow' }, engagements: [ContactArn!], chatChannel: { chatbotSns: ['https://hooks.example.test/services/T0/B0/x'] } }));
    assert.equal(arn, `arn:aws:ssm-incidents::${h.t.accountId}:response-plan/api-slow`);
    const got = await im.send(new GetResponsePlanCommand({ arn }));
    assert.deepEqual([got.name, got.displayName, got.incidentTemplate?.title, got.incidentTemplate?.impact, got.engagements, got.chatChannel?.chatbotSns], ['api-slow', 'API slow', 'API latency', 4, [ContactArn], ['https://hooks.example.test/services/T0/B0/x']]);
    await im.send(new UpdateResponsePlanCommand({ arn, incidentTemplateImpact: 2, incidentTemplateTitle: 'API very slow', displayName: 'API slow!' }));
    const updated = await im.send(new GetResponsePlanCommand({ arn }));
    assert.deepEqual([updated.incidentTemplate?.title, updated.incidentTemplate?.impact, updated.incidentTemplate?.dedupeString, updated.displayName], ['API very slow', 2, 'api-slow', 'API slow!']);

    const count = async () => (await im.send(new ListResponsePlansCommand({}))).responsePlanSummaries!.length;
    const before = await count();
    const noTrust = (await h.iam().send(new CreateRoleCommand({ RoleName: `no-trust-${engine}`, AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] }) }))).Role!.Arn!;
    await assert.rejects(im.send(new CreateResponsePlanCommand({ name: 'api-slow', incidentTemplate: { title: 'x', impact: 1 } })), fails('ConflictException', 409));
    await assert.rejects(im.send(new CreateResponsePlanCommand({ name: 'bad name!', incidentTemplate: { title: 'x', impact: 1 } })), fails('ValidationException', 400));
    await assert.rejects(im.send(new CreateResponsePlanCommand({ name: 'bad-impact', incidentTemplate: { title: 'x', impact: 9 } })), fails('ValidationException', 400));
    await assert.rejects(im.send(new CreateResponsePlanCommand({ name: 'no-contact', incidentTemplate: { title: 'x', impact: 1 }, engagements: [`arn:aws:ssm-contacts:us-east-1:${h.t.accountId}:contact/nobody`] })), fails('ValidationException', 400, /does not exist/));
    await assert.rejects(im.send(new CreateResponsePlanCommand({ name: 'sns-chat', incidentTemplate: { title: 'x', impact: 1 }, chatChannel: { chatbotSns: ['arn:aws:sns:us-east-1:111122223333:topic'] } })), fails('ValidationException', 400, /chat webhook URL/));
    await assert.rejects(im.send(new CreateResponsePlanCommand({ name: 'bad-role', incidentTemplate: { title: 'x', impact: 1 }, actions: [{ ssmAutomation: { roleArn: noTrust, documentName: 'AWS-Restart' } }] })), fails('ValidationException', 400, /does not trust ssm-incidents\.amazonaws\.com/));
    assert.equal(await count(), before);

    const listed = await im.send(new ListResponsePlansCommand({ maxResults: 1 }));
    assert.equal(listed.responsePlanSummaries!.length, 1);
    assert.ok(listed.nextToken);
    const rest = await im.send(new ListResponsePlansCommand({ nextToken: listed.nextToken }));
    assert.deepEqual([...listed.responsePlanSummaries!, ...rest.responsePlanSummaries!].map((p) => p.name), ['api-slow', 'web-down']);
    await im.send(new DeleteResponsePlanCommand({ arn }));
    await assert.rejects(im.send(new GetResponsePlanCommand({ arn })), fails('ResourceNotFoundException', 404));
  });

  test('incidents: StartIncident, GetIncidentRecord, UpdateIncidentRecord, ListIncidentRecords, DeleteIncidentRecord', async () => {
    const im = h.incidents();
    const started = await im.send(new StartIncidentCommand({ responsePlanArn: plan, title: 'Checkout returns 502', impact: 2, triggerDetails: { source: 'capstan.manual', timestamp: new Date(h.clock.now()) }, relatedItems: [{ identifier: { type: 'OTHER', value: { url: 'https://status.example.test' } }, title: 'status page' }] }));
    const arn = started.incidentRecordArn!;
    assert.match(arn, new RegExp(`^arn:aws:ssm-incidents::${h.t.accountId}:incident-record/web-down/[0-9a-f-]{36}$`));
    const r = (await im.send(new GetIncidentRecordCommand({ arn }))).incidentRecord!;
    assert.deepEqual([r.title, r.impact, r.status, r.summary, r.incidentRecordSource?.source], ['Checkout returns 502', 2, 'OPEN', 'The site answers 5xx.', 'capstan.manual']);
    assert.match(r.incidentRecordSource?.createdBy ?? '', new RegExp(`^arn:aws:iam::${h.t.accountId}:`));
    assert.equal(r.creationTime!.getTime(), h.clock.now());

    await im.send(new UpdateIncidentRecordCommand({ arn, impact: 1, summary: 'All checkouts fail.' }));
    h.clock.advance(90_000);
    await h.incidents().send(new UpdateIncidentRecordCommand({ arn, status: 'RESOLVED' }));
    const resolved = (await h.incidents().send(new GetIncidentRecordCommand({ arn }))).incidentRecord!;
    assert.deepEqual([resolved.impact, resolved.summary, resolved.status, resolved.resolvedTime!.getTime() - resolved.creationTime!.getTime()], [1, 'All checkouts fail.', 'RESOLVED', 90_000]);
    const open = await h.incidents().send(new StartIncidentCommand({ responsePlanArn: plan, clientToken: `retry-${engine}` }));
    const retried = await h.incidents().send(new StartIncidentCommand({ responsePlanArn: plan, clientToken: `retry-${engine}` }));
    assert.equal(retried.incidentRecordArn, open.incidentRecordArn, 'a repeated clientToken answers the incident the first start opened');
    const byStatus = await h.incidents().send(new ListIncidentRecordsCommand({ filters: [{ key: 'status', condition: { equals: { stringValues: ['RESOLVED'] } } }] }));
    assert.deepEqual(byStatus.incidentRecordSummaries!.map((s) => s.arn), [arn]);
    const all = await h.incidents().send(new ListIncidentRecordsCommand({}));
    assert.deepEqual(new Set(all.incidentRecordSummaries!.map((s) => s.arn)), new Set([arn, open.incidentRecordArn]));
    await h.incidents().send(new UpdateIncidentRecordCommand({ arn, status: 'OPEN' }));
    assert.equal((await h.incidents().send(new GetIncidentRecordCommand({ arn }))).incidentRecord!.resolvedTime, undefined);

    await assert.rejects(h.incidents().send(new ListIncidentRecordsCommand({ filters: [{ key: 'colour', condition: { equals: { stringValues: ['red'] } } }] })), fails('ValidationException', 400, /not a filter key/));
    await assert.rejects(h.incidents().send(new UpdateIncidentRecordCommand({ arn, impact: 0 })), fails('ValidationException', 400));
    assert.equal((await h.incidents().send(new GetIncidentRecordCommand({ arn }))).incidentRecord!.impact, 1, 'a refused update changes nothing');
    const missingPlan = `arn:aws:ssm-incidents::${h.t.accountId}:response-plan/nope`;
    await assert.rejects(h.incidents().send(new StartIncidentCommand({ responsePlanArn: missingPlan })), fails('ResourceNotFoundException', 404));
    await assert.rejects(h.incidents().send(new GetIncidentRecordCommand({ arn: `arn:aws:ssm-incidents::${h.t.accountId}:incident-record/web-down/00000000-0000-4000-8000-000000000000` })), fails('ResourceNotFoundException', 404));

    await h.incidents().send(new DeleteIncidentRecordCommand({ arn: open.incidentRecordArn! }));
    await assert.rejects(h.incidents().send(new GetIncidentRecordCommand({ arn: open.incidentRecordArn! })), fails('ResourceNotFoundException', 404));
  });

  test('timeline: CreateTimelineEvent, GetTimelineEvent, UpdateTimelineEvent, ListTimelineEvents, DeleteTimelineEvent; system events are read-only', async () => {
    const im = h.incidents();
    const arn = (await im.send(new StartIncidentCommand({ responsePlanArn: plan, title: 'Timeline' }))).incidentRecordArn!;
    const at = new Date(h.clock.now() + 60_000);
    const { eventId } = await im.send(new CreateTimelineEventCommand({ incidentRecordArn: arn, eventTime: at, eventType: 'Custom Event', eventData: JSON.stringify({ note: 'rolled back deploy 42' }), eventReferences: [{ resource: 'arn:aws:ssm:us-east-1:111122223333:document/Deploy' }] }));
    const got = (await im.send(new GetTimelineEventCommand({ incidentRecordArn: arn, eventId: eventId! }))).event!;
    assert.deepEqual([got.eventType, got.eventData, got.eventTime!.getTime(), got.eventReferences], ['Custom Event', '{"note":"rolled back deploy 42"}', at.getTime(), [{ resource: 'arn:aws:ssm:us-east-1:111122223333:document/Deploy' }]]);
    await im.send(new UpdateTimelineEventCommand({ incidentRecordArn: arn, eventId: eventId!, eventData: 'rolled back deploy 42 and 43', eventType: 'Note' }));
    assert.deepEqual(await im.send(new GetTimelineEventCommand({ incidentRecordArn: arn, eventId: eventId! })).then((x) => [x.event!.eventData, x.event!.eventType]), ['rolled back deploy 42 and 43', 'Note']);

    const events = (await im.send(new ListTimelineEventsCommand({ incidentRecordArn: arn }))).eventSummaries!;
    assert.deepEqual(events.map((e) => e.eventType), ['Incident Created', 'Note']);
    const newest = (await im.send(new ListTimelineEventsCommand({ incidentRecordArn: arn, sortBy: 'EVENT_TIME', sortOrder: 'DESCENDING' }))).eventSummaries!;
    assert.deepEqual(newest.map((e) => e.eventType), ['Note', 'Incident Created']);
    const notes = (await im.send(new ListTimelineEventsCommand({ incidentRecordArn: arn, filters: [{ key: 'eventType', condition: { equals: { stringValues: ['Note'] } } }] }))).eventSummaries!;
    assert.deepEqual(notes.map((e) => e.eventId), [eventId]);

    const system = events.find((e) => e.eventType === 'Incident Created')!.eventId!;
    await assert.rejects(im.send(new UpdateTimelineEventCommand({ incidentRecordArn: arn, eventId: system, eventData: 'rewritten' })), fails('ValidationException', 400, /records itself/));
    await assert.rejects(im.send(new DeleteTimelineEventCommand({ incidentRecordArn: arn, eventId: system })), fails('ValidationException', 400));
    await assert.rejects(im.send(new CreateTimelineEventCommand({ incidentRecordArn: arn, eventTime: at, eventType: 'Incident Resolved', eventData: '{}' })), fails('ValidationException', 400));
    await assert.rejects(im.send(new GetTimelineEventCommand({ incidentRecordArn: arn, eventId: 'no-such-event' })), fails('ResourceNotFoundException', 404));
    assert.equal((await im.send(new ListTimelineEventsCommand({ incidentRecordArn: arn }))).eventSummaries!.length, 2, 'refused writes leave the timeline as it was');

    await im.send(new DeleteTimelineEventCommand({ incidentRecordArn: arn, eventId: eventId! }));
    assert.deepEqual((await im.send(new ListTimelineEventsCommand({ incidentRecordArn: arn }))).eventSummaries!.map((e) => e.eventType), ['Incident Created']);
  });

  test('related items: UpdateRelatedItems adds and removes, ListRelatedItems lists; duplicates and unknown items are refused', async () => {
    const im = h.incidents();
    const arn = (await im.send(new StartIncidentCommand({ responsePlanArn: plan, title: 'Related' }))).incidentRecordArn!;
    const runbook = { type: 'AUTOMATION' as const, value: { arn: 'arn:aws:ssm:us-east-1:111122223333:automation-execution/00000000-0000-0000-0000-000000000000' } };
    await im.send(new UpdateRelatedItemsCommand({ incidentRecordArn: arn, relatedItemsUpdate: { itemToAdd: { identifier: runbook, title: 'restart' } } }));
    await im.send(new UpdateRelatedItemsCommand({ incidentRecordArn: arn, relatedItemsUpdate: { itemToAdd: { identifier: { type: 'METRIC', value: { metricDefinition: 'rate(http_requests_total{code=~"5.."}[5m])' } } } } }));
    const items = (await im.send(new ListRelatedItemsCommand({ incidentRecordArn: arn }))).relatedItems!;
    assert.deepEqual(items.map((i) => i.identifier?.type), ['AUTOMATION', 'METRIC']);
    assert.equal(items[0]!.title, 'restart');
    await assert.rejects(im.send(new UpdateRelatedItemsCommand({ incidentRecordArn: arn, relatedItemsUpdate: { itemToAdd: { identifier: runbook } } })), fails('ConflictException', 409));
    await im.send(new UpdateRelatedItemsCommand({ incidentRecordArn: arn, relatedItemsUpdate: { itemToRemove: runbook } }));
    await assert.rejects(im.send(new UpdateRelatedItemsCommand({ incidentRecordArn: arn, relatedItemsUpdate: { itemToRemove: runbook } })), fails('ResourceNotFoundException', 404));
    assert.deepEqual((await im.send(new ListRelatedItemsCommand({ incidentRecordArn: arn }))).relatedItems!.map((i) => i.identifier?.type), ['METRIC']);
  });

  test('tags: TagResource, UntagResource, ListTagsForResource on a response plan; other ARNs are not found', async () => {
    const im = h.incidents();
    const { arn } = await im.send(new CreateResponsePlanCommand({ name: 'tagged', incidentTemplate: { title: 't', impact: 5 }, tags: { team: 'web' } }));
    await im.send(new TagResourceCommand({ resourceArn: arn!, tags: { env: 'prod', tier: '1' } }));
    assert.deepEqual((await im.send(new ListTagsForResourceCommand({ resourceArn: arn! }))).tags, { team: 'web', env: 'prod', tier: '1' });
    await im.send(new UntagResourceCommand({ resourceArn: arn!, tagKeys: ['tier', 'team'] }));
    assert.deepEqual((await im.send(new ListTagsForResourceCommand({ resourceArn: arn! }))).tags, { env: 'prod' });
    await assert.rejects(im.send(new TagResourceCommand({ resourceArn: `arn:aws:ssm-incidents::${h.t.accountId}:response-plan/absent`, tags: { a: 'b' } })), fails('ResourceNotFoundException', 404));
    await assert.rejects(im.send(new TagResourceCommand({ resourceArn: arn!, tags: { 'aws:reserved': 'x' } })), fails('ValidationException', 400));
    assert.deepEqual((await im.send(new ListTagsForResourceCommand({ resourceArn: arn! }))).tags, { env: 'prod' });
  });

  test('replication set: CreateReplicationSet, GetReplicationSet, ListReplicationSets, UpdateDeletionProtection, DeleteReplicationSet; one per account', async () => {
    const im = h.incidents();
    const { arn } = await im.send(new CreateReplicationSetCommand({ regions: { 'us-east-1': {} } }));
    assert.match(arn!, new RegExp(`^arn:aws:ssm-incidents::${h.t.accountId}:replication-set/`));
    await assert.rejects(im.send(new CreateReplicationSetCommand({ regions: { 'eu-west-1': {} } })), fails('ConflictException', 409));
    const set = (await im.send(new GetReplicationSetCommand({ arn: arn! }))).replicationSet!;
    assert.deepEqual([set.status, set.deletionProtected, set.regionMap?.['us-east-1']?.status], ['ACTIVE', false, 'ACTIVE']);
    assert.deepEqual((await im.send(new ListReplicationSetsCommand({}))).replicationSetArns, [arn]);

    // UpdateReplicationSet adds and deletes one region at a time; the set keeps at least one and at most three.
    const regionsOf = async () => Object.keys((await im.send(new GetReplicationSetCommand({ arn: arn! }))).replicationSet!.regionMap ?? {}).sort();
    await im.send(new UpdateReplicationSetCommand({ arn: arn!, actions: [{ addRegionAction: { regionName: 'eu-west-1', sseKmsKeyId: 'alias/incidents' } }] }));
    assert.deepEqual(await regionsOf(), ['eu-west-1', 'us-east-1']);
    assert.equal((await im.send(new GetReplicationSetCommand({ arn: arn! }))).replicationSet!.regionMap!['eu-west-1']!.sseKmsKeyId, 'alias/incidents');
    await assert.rejects(im.send(new UpdateReplicationSetCommand({ arn: arn!, actions: [{ addRegionAction: { regionName: 'eu-west-1' } }] })), fails('ConflictException', 409, /already/));
    await assert.rejects(im.send(new UpdateReplicationSetCommand({ arn: arn!, actions: [{ addRegionAction: { regionName: 'Not A Region' } }] })), fails('ValidationException', 400));
    await im.send(new UpdateReplicationSetCommand({ arn: arn!, actions: [{ addRegionAction: { regionName: 'ap-south-1' } }] }));
    await assert.rejects(im.send(new UpdateReplicationSetCommand({ arn: arn!, actions: [{ addRegionAction: { regionName: 'sa-east-1' } }] })), fails('ValidationException', 400, /3 regions/));
    await assert.rejects(im.send(new UpdateReplicationSetCommand({ arn: arn!, actions: [{ deleteRegionAction: { regionName: 'ca-central-1' } }] })), fails('ValidationException', 400, /not in/));
    await im.send(new UpdateReplicationSetCommand({ arn: arn!, actions: [{ deleteRegionAction: { regionName: 'ap-south-1' } }] }));
    await im.send(new UpdateReplicationSetCommand({ arn: arn!, actions: [{ deleteRegionAction: { regionName: 'eu-west-1' } }] }));
    await assert.rejects(im.send(new UpdateReplicationSetCommand({ arn: arn!, actions: [{ deleteRegionAction: { regionName: 'us-east-1' } }] })), fails('ValidationException', 400, /only region/));
    assert.deepEqual(await regionsOf(), ['us-east-1']);
    const absent = `arn:aws:ssm-incidents::${h.t.accountId}:replication-set/00000000-0000-4000-8000-000000000000`;
    await assert.rejects(im.send(new UpdateReplicationSetCommand({ arn: absent, actions: [{ addRegionAction: { regionName: 'eu-west-1' } }] })), fails('ResourceNotFoundException', 404));
    await im.send(new UpdateDeletionProtectionCommand({ arn: arn!, deletionProtected: true }));
    await assert.rejects(im.send(new DeleteReplicationSetCommand({ arn: arn! })), fails('ValidationException', 400, /protected/));
    await im.send(new UpdateDeletionProtectionCommand({ arn: arn!, deletionProtected: false }));
    await im.send(new DeleteReplicationSetCommand({ arn: arn! }));
    assert.deepEqual((await im.send(new ListReplicationSetsCommand({}))).replicationSetArns, []);
  });

  test('resource policies: PutResourcePolicy, GetResourcePolicies, DeleteResourcePolicy on a response plan; PutContactPolicy, GetContactPolicy on a contact; bad policies are refused', async () => {
    const im = h.incidents();
    const share = (action: string) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::444455556666:root' }, Action: [action], Resource: plan }] });
    const { policyId } = await im.send(new PutResourcePolicyCommand({ resourceArn: plan, policy: share('ssm-incidents:StartIncident') }));
    const { policyId: second } = await im.send(new PutResourcePolicyCommand({ resourceArn: plan, policy: share('ssm-incidents:GetResponsePlan') }));
    assert.notEqual(policyId, second);
    const listed = (await im.send(new GetResourcePoliciesCommand({ resourceArn: plan }))).resourcePolicies!;
    const byId = <T extends { policyId?: string | undefined }>(rows: T[]) => [...rows].sort((x, y) => x.policyId!.localeCompare(y.policyId!));
    assert.deepEqual(byId(listed).map((p) => [p.policyId, JSON.parse(p.policyDocument!).Statement[0].Action[0], p.ramResourceShareRegion]), byId([
      { policyId, action: 'ssm-incidents:StartIncident' },
      { policyId: second, action: 'ssm-incidents:GetResponsePlan' },
    ]).map((p) => [p.policyId, p.action, 'us-east-1']));
    const firstPage = await im.send(new GetResourcePoliciesCommand({ resourceArn: plan, maxResults: 1 }));
    const secondPage = await im.send(new GetResourcePoliciesCommand({ resourceArn: plan, maxResults: 1, nextToken: firstPage.nextToken! }));
    assert.deepEqual([...firstPage.resourcePolicies!, ...secondPage.resourcePolicies!].map((p) => p.policyId).sort(), [policyId, second].sort());
    assert.equal(secondPage.nextToken, undefined);

    await assert.rejects(im.send(new PutResourcePolicyCommand({ resourceArn: plan, policy: '{"Statement": [' })), fails('ValidationException', 400, /not valid JSON/));
    await assert.rejects(im.send(new PutResourcePolicyCommand({ resourceArn: plan, policy: JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 'ssm-incidents:StartIncident', Resource: '*' }] }) })), fails('ValidationException', 400, /Principal/));
    await assert.rejects(im.send(new PutResourcePolicyCommand({ resourceArn: plan, policy: share('s3:GetObject') })), fails('ValidationException', 400, /not an ssm-incidents action/));
    await assert.rejects(im.send(new PutResourcePolicyCommand({ resourceArn: plan, policy: share('ssm-incidents:StartIncident').padEnd(4001, ' ') })), fails('ValidationException', 400));
    const absentPlan = `arn:aws:ssm-incidents::${h.t.accountId}:response-plan/absent`;
    await assert.rejects(im.send(new PutResourcePolicyCommand({ resourceArn: absentPlan, policy: share('ssm-incidents:StartIncident') })), fails('ResourceNotFoundException', 404));
    assert.equal((await im.send(new GetResourcePoliciesCommand({ resourceArn: plan }))).resourcePolicies!.length, 2);

    await im.send(new DeleteResourcePolicyCommand({ resourceArn: plan, policyId: policyId! }));
    await assert.rejects(im.send(new DeleteResourcePolicyCommand({ resourceArn: plan, policyId: policyId! })), fails('ResourceNotFoundException', 404));
    assert.deepEqual((await im.send(new GetResourcePoliciesCommand({ resourceArn: plan }))).resourcePolicies!.map((p) => p.policyId), [second]);

    const c = h.contacts();
    const { ContactArn } = await c.send(new CreateContactCommand({ Alias: 'shared-oncall', Type: 'ESCALATION', Plan: { Stages: [] } }));
    assert.equal((await c.send(new GetContactPolicyCommand({ ContactArn: ContactArn! }))).Policy, undefined);
    const contactPolicy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'Share', Effect: 'Allow', Principal: { AWS: ['444455556666'] }, Action: ['ssm-contacts:StartEngagement', 'ssm-contacts:GetContact'], Resource: [ContactArn] }] });
    await c.send(new PutContactPolicyCommand({ ContactArn: ContactArn!, Policy: contactPolicy }));
    assert.deepEqual(await c.send(new GetContactPolicyCommand({ ContactArn: ContactArn! })).then((r) => [r.ContactArn, r.Policy]), [ContactArn, contactPolicy]);
    const contactFails = (why: RegExp) => (e: unknown) => (e as Failure).name === 'ValidationException' && why.test((e as Failure).message);
    await assert.rejects(c.send(new PutContactPolicyCommand({ ContactArn: ContactArn!, Policy: JSON.stringify({ Statement: [{ Effect: 'Maybe', Principal: '*', Action: 'ssm-contacts:GetContact', Resource: '*' }] }) })), contactFails(/Effect/));
    await assert.rejects(c.send(new PutContactPolicyCommand({ ContactArn: ContactArn!, Policy: JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { AWS: 'someone' }, Action: 'ssm-contacts:GetContact', Resource: '*' }] }) })), contactFails(/Principal\.AWS/));
    await assert.rejects(c.send(new PutContactPolicyCommand({ ContactArn: ContactArn!, Policy: '   ' })), (e) => (e as Failure).name === 'ValidationException');
    assert.equal((await c.send(new GetContactPolicyCommand({ ContactArn: ContactArn! }))).Policy, contactPolicy);
    const ghost = `arn:aws:ssm-contacts:us-east-1:${h.t.accountId}:contact/ghost`;
    await assert.rejects(c.send(new PutContactPolicyCommand({ ContactArn: ghost, Policy: contactPolicy })), (e) => (e as Failure).name === 'ResourceNotFoundException');
    await assert.rejects(c.send(new GetContactPolicyCommand({ ContactArn: ghost })), (e) => (e as Failure).name === 'ResourceNotFoundException');
    // A contact made again under a deleted one's name does not inherit its policy.
    await c.send(new DeleteContactCommand({ ContactId: ContactArn! }));
    await c.send(new CreateContactCommand({ Alias: 'shared-oncall', Type: 'ESCALATION', Plan: { Stages: [] } }));
    assert.equal((await c.send(new GetContactPolicyCommand({ ContactArn: ContactArn! }))).Policy, undefined);
  });
});
