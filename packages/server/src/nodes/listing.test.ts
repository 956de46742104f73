import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import {
  AddTagsToResourceCommand, CreateActivationCommand, DescribeInstanceInformationCommand, DescribeInstancePropertiesCommand, SendCommandCommand, SSMClient,
  type DescribeInstanceInformationCommandInput, type DescribeInstancePropertiesCommandInput, type InstanceInformationStringFilter, type InstancePropertyStringFilter,
} from '@aws-sdk/client-ssm';
import { ManualClock } from '../scheduler/clock.js';
import { onEveryEngine } from '../test-support/engines.js';
import { failure } from '../test-support/failure.js';
import { startTestServer, type TestServer } from '../test-support/server.js';
import { SimulatedAgent } from '../test-support/sim-agent.js';
import { jsonHeaders, rawCall } from '../test-support/sign.js';
import { registerNodeResourceTags } from './access.js';
import { compareVersions } from './listing.js';
import type { AssociationSummary } from './association-status.js';
import { nodeService } from './slot.js';

const sorted = (ids: string[]) => [...ids].sort();

test('agent versions order part by part, numerically', () => {
  assert.equal(compareVersions('3.2.582.0', '3.10.0'), -1);
  assert.equal(compareVersions('3.10.0', '3.2'), 1);
  assert.equal(compareVersions('3.2', '3.2.0.0'), 0);
  assert.equal(compareVersions('10', '9.99'), 1);
  assert.equal(compareVersions('sim', '0.1'), -1, 'a version that is not dotted numbers sorts below those that are');
  assert.equal(compareVersions('0.1.0-sim', 'sim'), -1);
  assert.equal(compareVersions('sim', 'sim'), 0);
});

onEveryEngine('Node listings', (engine) => {
  const clock = new ManualClock(Date.now());
  const PING = 1000;
  /** Short, so moving the clock there keeps the SDK's signatures within their 15 minutes. */
  const INACTIVE = 60_000;
  let t: TestServer;
  const agents: SimulatedAgent[] = [];
  before(async () => {
    t = await startTestServer({ engine, clock, agentPingMs: PING, nodeInactiveAfterMs: INACTIVE });
    // Until nodes/index.ts start() registers it; registering twice is harmless.
    registerNodeResourceTags(t.server.core, nodeService(t.server.core));
  });
  after(async () => {
    for (const a of agents) await a.close();
    await t.stop();
  });

  /** An account of its own, so each test sees exactly the nodes it made. */
  async function account(name: string) {
    const acct = await t.server.core.iam.createAccount({ name: `${name}-${engine}` });
    const credentials = { accessKeyId: acct.accessKeyId, secretAccessKey: acct.secretAccessKey };
    return { accountId: acct.accountId, ssm: new SSMClient(t.clientConfig({ credentials })), iam: new IAMClient(t.clientConfig({ credentials })) };
  }

  async function register(ssm: SSMClient, n: number, opts: { role?: string; name?: string } = {}) {
    const a = await ssm.send(new CreateActivationCommand({ IamRole: opts.role ?? 'SSMServiceRole', DefaultInstanceName: opts.name ?? 'web', RegistrationLimit: n }));
    const out: SimulatedAgent[] = [];
    for (let i = 0; i < n; i++) {
      const agent = new SimulatedAgent(t.endpoint);
      await agent.register(a.ActivationId!, a.ActivationCode!);
      agents.push(agent);
      out.push(agent);
    }
    return { activationId: a.ActivationId!, nodes: out };
  }

  /**
   * The fleet the filter tests read: activation A (a1–a4, SSMServiceRole, named web) and B (b1,
   * b2, OtherRole, named db); a1, a2 and b1 connected; versions, platforms, tags and host facts set;
   * association summaries as State Manager hands them over: a1 Failed, a2 Success, b1 Pending.
   */
  let fleet: Awaited<ReturnType<typeof makeFleet>>;
  async function makeFleet() {
    const { ssm, accountId } = await account('listing-fleet');
    const A = await register(ssm, 4);
    const B = await register(ssm, 2, { role: 'OtherRole', name: 'db' });
    const [a1, a2, a3, a4] = A.nodes.map((n) => n.instanceId) as [string, string, string, string];
    const [b1, b2] = B.nodes.map((n) => n.instanceId) as [string, string];
    for (const n of [A.nodes[0]!, A.nodes[1]!, B.nodes[0]!]) await n.connect();
    const svc = nodeService(t.server.core);
    await svc.update(a1, { agent_version: '3.2.582.0' });
    await svc.update(a2, { agent_version: '3.10.1.0', platform_type: 'Windows' });
    await svc.update(a3, { agent_version: '2.3.0.0' });
    await svc.update(a1, svc.hostFacts({ architecture: 'x64', kernel: 'Linux 6.1.0' }));
    const tag = (id: string, tags: Record<string, string>) =>
      ssm.send(new AddTagsToResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: id, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }));
    await tag(a1, { env: 'prod', team: 'web' });
    await tag(a2, { env: 'dev' });
    await tag(b1, { team: 'db', Name: 'db-one' });
    const summaries = new Map<string, AssociationSummary>([
      [a1, { status: 'Failed', detailedStatus: 'Failed', counts: { Failed: 1, Success: 1 }, lastExecutionAt: clock.now() - 5_000, documents: ['AWS-RunShellScript', 'AWS-ConfigureAWSPackage'] }],
      [a2, { status: 'Success', detailedStatus: 'Success', counts: { Success: 2 }, lastExecutionAt: clock.now() - 4_000, documents: ['AWS-RunShellScript'] }],
      [b1, { status: 'Pending', detailedStatus: 'InProgress', counts: { Pending: 1 }, lastExecutionAt: clock.now() - 3_000, documents: ['AWS-RunPatchBaseline'] }],
    ]);
    await svc.setAssociationSummaries(t.server.core.database.db, [a1, a2, b1], async () => summaries);
    const all = sorted([a1, a2, a3, a4, b1, b2]);
    return { ssm, accountId, A: A.activationId, B: B.activationId, a1, a2, a3, a4, b1, b2, all };
  }

  /** Every id DescribeInstanceInformation lists, page after page. */
  async function information(ssm: SSMClient, input: { Filters?: InstanceInformationStringFilter[]; InstanceInformationFilterList?: { key: string; valueSet: string[] }[] }) {
    const ids: string[] = [];
    let NextToken: string | undefined;
    do {
      const r = await ssm.send(new DescribeInstanceInformationCommand({ ...(input as object), MaxResults: 5, ...(NextToken ? { NextToken } : {}) }));
      ids.push(...r.InstanceInformationList!.map((n) => n.InstanceId!));
      NextToken = r.NextToken;
    } while (NextToken);
    return ids;
  }
  const where = (Key: string, ...Values: string[]) => information(fleet.ssm, { Filters: [{ Key, Values }] });

  async function properties(ssm: SSMClient, input: { FiltersWithOperator?: InstancePropertyStringFilter[]; InstancePropertyFilterList?: { key: string; valueSet: string[] }[] }) {
    const ids: string[] = [];
    let NextToken: string | undefined;
    do {
      const r = await ssm.send(new DescribeInstancePropertiesCommand({ ...(input as object), MaxResults: 5, ...(NextToken ? { NextToken } : {}) }));
      ids.push(...r.InstanceProperties!.map((n) => n.InstanceId!));
      NextToken = r.NextToken;
    } while (NextToken);
    return ids;
  }
  const op = (Key: string, Operator: InstancePropertyStringFilter['Operator'], ...Values: string[]) => properties(fleet.ssm, { FiltersWithOperator: [{ Key, Operator, Values }] });
  const minus = (...ids: string[]) => fleet.all.filter((id) => !ids.includes(id));

  before(async () => {
    fleet = await makeFleet();
  });

  test('DescribeInstanceInformation: every key of Filters, in SQL, and the legacy list', async () => {
    const { a1, a2, a3, a4, b1, b2, A, B, all } = fleet;
    assert.deepEqual(await information(fleet.ssm, {}), all);
    assert.deepEqual(await where('InstanceIds', b1, a1), sorted([a1, b1]));
    assert.deepEqual(await where('AgentVersion', '3.2.582.0', '2.3.0.0'), sorted([a1, a3]));
    assert.deepEqual(await where('PingStatus', 'Online'), sorted([a1, a2, b1]));
    assert.deepEqual(await where('PingStatus', 'ConnectionLost'), sorted([a3, a4, b2]));
    assert.deepEqual(await where('PingStatus', 'Inactive'), []);
    assert.deepEqual(await where('PingStatus', 'Online', 'ConnectionLost'), all);
    assert.deepEqual(await where('PlatformTypes', 'Windows'), [a2]);
    assert.deepEqual(await where('PlatformTypes', 'Linux'), sorted([a1, b1]));
    assert.deepEqual(await where('ActivationIds', B), sorted([b1, b2]));
    assert.deepEqual(await where('ActivationIds', A, B), all);
    assert.deepEqual(await where('IamRole', 'OtherRole'), sorted([b1, b2]));
    assert.deepEqual(await where('ResourceType', 'ManagedInstance'), all);
    assert.deepEqual(await where('ResourceType', 'EC2Instance'), []);
    assert.deepEqual(await where('AssociationStatus', 'Failed'), [a1]);
    assert.deepEqual(await where('AssociationStatus', 'Success', 'Pending'), sorted([a2, b1]));
    assert.deepEqual(await where('SourceIds', a4), [a4]);
    assert.deepEqual(await where('SourceTypes', 'AWS::SSM::ManagedInstance'), all);
    assert.deepEqual(await where('tag-key', 'team'), sorted([a1, b1]));
    assert.deepEqual(await where('tag-key', 'env', 'Name'), sorted([a1, a2, b1]));
    assert.deepEqual(await where('tag:env', 'prod'), [a1]);
    assert.deepEqual(await where('tag:env', 'prod', 'dev'), sorted([a1, a2]));
    assert.deepEqual(await where('tag:env', 'staging'), []);
    assert.deepEqual(await where('tag:missing', 'prod'), []);
    // Filters narrow one another; the values of one filter are alternatives.
    assert.deepEqual(await information(fleet.ssm, { Filters: [{ Key: 'PingStatus', Values: ['Online'] }, { Key: 'tag:env', Values: ['dev', 'prod'] }, { Key: 'PlatformTypes', Values: ['Linux'] }] }), [a1]);
    // The legacy list: the eight keys of its enumeration, no tags.
    assert.deepEqual(await information(fleet.ssm, { InstanceInformationFilterList: [{ key: 'PingStatus', valueSet: ['ConnectionLost'] }, { key: 'ActivationIds', valueSet: [A] }] }), sorted([a3, a4]));
    assert.deepEqual(await information(fleet.ssm, { InstanceInformationFilterList: [{ key: 'IamRole', valueSet: ['SSMServiceRole'] }] }), sorted([a1, a2, a3, a4]));

    const node = (await fleet.ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [a1] }] }))).InstanceInformationList![0]!;
    assert.deepEqual(
      [node.InstanceId, node.PingStatus, node.AgentVersion, node.PlatformType, node.PlatformName, node.ActivationId, node.IamRole, node.Name, node.ResourceType, node.ComputerName, node.SourceId, node.SourceType],
      [a1, 'Online', '3.2.582.0', 'Linux', 'Sim', A, 'SSMServiceRole', 'web', 'ManagedInstance', 'sim', a1, 'AWS::SSM::ManagedInstance'],
    );
    assert.equal(node.LastPingDateTime!.getTime(), clock.now());
    assert.equal(node.AssociationStatus, 'Failed');
    assert.deepEqual(node.AssociationOverview, { DetailedStatus: 'Failed', InstanceAssociationStatusAggregatedCount: { Failed: 1, Success: 1 } });
    assert.ok(node.LastAssociationExecutionDate instanceof Date);
    assert.equal(node.LastSuccessfulAssociationExecutionDate, undefined, 'a node whose associations have never all succeeded has no successful date');
    const fine = (await fleet.ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [a2] }] }))).InstanceInformationList![0]!;
    assert.equal(fine.LastSuccessfulAssociationExecutionDate?.getTime(), fine.LastAssociationExecutionDate?.getTime());
    const never = (await fleet.ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [b2] }] }))).InstanceInformationList![0]!;
    assert.deepEqual([never.PingStatus, never.LastPingDateTime, never.AgentVersion, never.PlatformType], ['ConnectionLost', undefined, undefined, undefined]);
    assert.deepEqual([never.AssociationStatus, never.AssociationOverview, never.LastAssociationExecutionDate], [undefined, undefined, undefined], 'no association has run on it');
  });

  test('PingStatus follows the clock: two missed ping intervals make an Online node ConnectionLost', async () => {
    const { a1, a2, b1, all } = fleet;
    const start = clock.now();
    clock.advance(2 * PING);
    assert.deepEqual(await where('PingStatus', 'Online'), sorted([a1, a2, b1]), 'exactly two intervals is still Online');
    clock.advance(1);
    assert.deepEqual(await where('PingStatus', 'Online'), []);
    assert.deepEqual(await where('PingStatus', 'ConnectionLost'), all);
    assert.deepEqual(await op('PingStatus', 'NotEqual', 'Online'), all);
    assert.deepEqual(await where('PingStatus', 'Inactive'), [], 'a dropped node is ConnectionLost, not Inactive');
    // Unseen for the inactivity period (never connected: since registration), a node is Inactive.
    clock.set(start + INACTIVE + 1);
    assert.deepEqual(await where('PingStatus', 'Inactive'), all);
    assert.deepEqual(await where('PingStatus', 'ConnectionLost'), []);
    const listed = (await fleet.ssm.send(new DescribeInstanceInformationCommand({}))).InstanceInformationList!;
    assert.ok(listed.length > 0 && listed.every((i) => i.PingStatus === 'Inactive'), 'DescribeInstanceInformation says Inactive too');
    clock.set(start);
    assert.deepEqual(await where('PingStatus', 'Online'), sorted([a1, a2, b1]));
  });

  test('CapstanSummarizeNodes counts what DescribeInstanceInformation lists, by ping status, platform and agent version', async () => {
    const { ssm } = await account('summary');
    const creds = (await ssm.config.credentials());
    const { nodes } = await register(ssm, 5);
    for (const n of nodes.slice(0, 3)) await n.connect();
    const summarize = async () => {
      const r = await rawCall({ endpoint: t.endpoint, service: 'ssm', credentials: creds, headers: jsonHeaders('AmazonSSM.CapstanSummarizeNodes'), body: '{}' });
      assert.equal(r.status, 200, r.text);
      return r.json() as { Total: number; PingStatus: { Online: number; ConnectionLost: number }; Platforms: { PlatformName: string; Count: number; Online: number }[]; AgentVersions: { AgentVersion: string; Count: number; Latest: boolean }[]; LatestAgentVersion: string };
    };
    const listed = (await ssm.send(new DescribeInstanceInformationCommand({}))).InstanceInformationList!;
    const s = await summarize();
    assert.equal(s.Total, listed.length);
    assert.equal(s.PingStatus.Online, listed.filter((i) => i.PingStatus === 'Online').length);
    assert.deepEqual(s.PingStatus, { Online: 3, ConnectionLost: 2, Inactive: 0 });
    assert.deepEqual(s.Platforms.map((p) => [p.PlatformName, p.Count, p.Online]), [['Sim', 3, 3], ['', 2, 0]]);
    assert.deepEqual(s.AgentVersions.map((a) => [a.AgentVersion, a.Count, a.Latest]), [['sim', 3, true], ['', 2, false]]);
    assert.equal(s.LatestAgentVersion, 'sim');
    const start = clock.now();
    clock.advance(2 * PING + 1);
    assert.deepEqual((await summarize()).PingStatus, { Online: 0, ConnectionLost: 5, Inactive: 0 }, 'the same clock rule as PingStatus');
    clock.set(start + INACTIVE + 1);
    assert.deepEqual((await summarize()).PingStatus, { Online: 0, ConnectionLost: 0, Inactive: 5 }, 'unseen for the inactivity period: Inactive');
    clock.set(start);
  });

  test('CapstanListNodeRegions lists the regions the account has nodes in, with totals and Online counts as each region lists them', async () => {
    const acct = await account('regions');
    const creds = await acct.ssm.config.credentials();
    const inRegion = (region: string) => new SSMClient(t.clientConfig({ region, credentials: creds }));
    const east = acct.ssm;
    const west = inRegion('eu-west-1');
    const south = inRegion('ap-south-1');
    const list = async (credentials = creds) => {
      const r = await rawCall({ endpoint: t.endpoint, service: 'ssm', credentials, headers: jsonHeaders('AmazonSSM.CapstanListNodeRegions'), body: '{}' });
      assert.equal(r.status, 200, r.text);
      return (r.json() as { Regions: { Region: string; Total: number; Online: number }[] }).Regions;
    };
    assert.deepEqual(await list(), [], 'no nodes, no regions');

    const e = await register(east, 3);
    const w = await register(west, 2);
    for (const n of e.nodes.slice(0, 2)) await n.connect();
    await w.nodes[0]!.connect();
    // An activation made in a region but not used yet gives that region no node.
    await south.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: 1 }));

    const regions = await list();
    assert.deepEqual(regions, [
      { Region: 'eu-west-1', Total: 2, Online: 1 },
      { Region: 'us-east-1', Total: 3, Online: 2 },
    ]);
    // Each count is what DescribeInstanceInformation lists in that region, and the call answers the same whatever region signs it.
    for (const [region, client] of [['us-east-1', east], ['eu-west-1', west]] as const) {
      const listed = (await client.send(new DescribeInstanceInformationCommand({}))).InstanceInformationList!;
      const r = regions.find((x) => x.Region === region)!;
      assert.deepEqual([r.Total, r.Online], [listed.length, listed.filter((i) => i.PingStatus === 'Online').length], region);
    }
    const signedInWest = await rawCall({ endpoint: t.endpoint, service: 'ssm', region: 'eu-west-1', credentials: creds, headers: jsonHeaders('AmazonSSM.CapstanListNodeRegions'), body: '{}' });
    assert.equal(signedInWest.status, 200, signedInWest.text);
    assert.deepEqual((signedInWest.json() as { Regions: unknown }).Regions, regions);

    // Online follows the same clock rule as PingStatus.
    const start = clock.now();
    clock.advance(2 * PING + 1);
    assert.deepEqual((await list()).map((r) => [r.Region, r.Total, r.Online]), [['eu-west-1', 2, 0], ['us-east-1', 3, 0]]);
    clock.set(start);

    // Another account's regions are its own.
    const other = await account('regions-other');
    assert.deepEqual(await list(await other.ssm.config.credentials()), []);
    west.destroy();
    south.destroy();
  });

  test('DescribeInstanceInformation refuses bad filters with AWS\'s errors, saying what is wrong', async () => {
    const { ssm, a1, accountId } = fleet;
    const call = (input: DescribeInstanceInformationCommandInput) => failure(ssm.send(new DescribeInstanceInformationCommand(input)));

    const ping = await call({ Filters: [{ Key: 'PingStatus', Values: ['Online', 'Sleeping'] }] });
    assert.equal(ping.name, 'InvalidInstanceInformationFilterValue');
    assert.match(ping.message, /Sleeping is not a value of PingStatus; use Online, ConnectionLost, Inactive/);
    for (const [Key, value] of [['PlatformTypes', 'Solaris'], ['ResourceType', 'Container'], ['AssociationStatus', 'Done'], ['SourceTypes', 'AWS::S3::Bucket']] as const) {
      const e = await call({ Filters: [{ Key, Values: [value] }] });
      assert.equal(e.name, 'InvalidInstanceInformationFilterValue', Key);
      assert.match(e.message, new RegExp(`${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not a value of ${Key}`));
    }
    const legacyValue = await call({ InstanceInformationFilterList: [{ key: 'PingStatus', valueSet: ['online'] }] });
    assert.equal(legacyValue.name, 'InvalidInstanceInformationFilterValue');

    assert.equal((await call({ Filters: [{ Key: 'Colour', Values: ['x'] }] })).name, 'InvalidFilterKey');
    assert.equal((await call({ Filters: [{ Key: 'tag:', Values: ['x'] }] })).name, 'InvalidFilterKey');
    assert.equal((await call({ Filters: [{ Key: 'DocumentName', Values: ['x'] }] })).name, 'InvalidFilterKey', 'DocumentName belongs to DescribeInstanceProperties');
    assert.equal((await call({ InstanceInformationFilterList: [{ key: 'tag:env' as never, valueSet: ['prod'] }] })).name, 'InvalidFilterKey', 'the legacy list has no tags');

    const unknown = 'mi-0123456789abcdef0';
    const missing = await call({ Filters: [{ Key: 'InstanceIds', Values: [a1, unknown, 'i-0abc'] }] });
    assert.equal(missing.name, 'InvalidInstanceId');
    assert.match(missing.message, new RegExp(`${unknown}, i-0abc are not managed nodes of account ${accountId} in us-east-1`));
    // Another account's node is not the caller's.
    const theirs = await failure(new SSMClient(t.clientConfig()).send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [a1] }] })));
    assert.equal(theirs.name, 'InvalidInstanceId');

    const both = await call({ Filters: [{ Key: 'PingStatus', Values: ['Online'] }], InstanceInformationFilterList: [{ key: 'PingStatus', valueSet: ['Online'] }] });
    assert.equal(both.name, 'ValidationException');
    assert.match(both.message, /InstanceInformationFilterList and Filters cannot be used together/);
    assert.equal((await call({ MaxResults: 4 })).name, 'ValidationException');
    assert.equal((await call({ MaxResults: 51 })).name, 'ValidationException');
    assert.equal((await call({ Filters: [{ Key: 'PingStatus', Values: [] }] })).name, 'ValidationException');
  });

  test('DescribeInstanceProperties: every key with Equal, NotEqual and BeginWith, and versions with LessThan and GreaterThan', async () => {
    const { a1, a2, a3, a4, b1, b2, A, B, all } = fleet;
    assert.deepEqual(await properties(fleet.ssm, {}), all);
    assert.deepEqual(await op('InstanceIds', 'Equal', a1, b2), sorted([a1, b2]));
    assert.deepEqual(await op('InstanceIds', undefined, a3), [a3], 'Equal when no operator is given');
    assert.deepEqual(await op('InstanceIds', 'NotEqual', a1, b2), minus(a1, b2));
    assert.deepEqual(await op('InstanceIds', 'BeginWith', 'mi-'), all);
    assert.deepEqual(await op('InstanceIds', 'BeginWith', a4.slice(0, 19)), [a4]);

    assert.deepEqual(await op('AgentVersion', 'Equal', '3.10.1.0'), [a2]);
    assert.deepEqual(await op('AgentVersion', 'NotEqual', '3.10.1.0', 'sim'), minus(a2, b1));
    assert.deepEqual(await op('AgentVersion', 'BeginWith', '3.', 'si'), sorted([a1, a2, b1]));
    // 3.10 is newer than 3.3; a version that is not numbers (sim, or none yet) is neither older nor newer.
    assert.deepEqual(await op('AgentVersion', 'LessThan', '3.3'), sorted([a1, a3]));
    assert.deepEqual(await op('AgentVersion', 'GreaterThan', '3.3'), [a2]);
    assert.deepEqual(await op('AgentVersion', 'GreaterThan', '3.2.582'), sorted([a2]));
    assert.deepEqual(await op('AgentVersion', 'LessThan', '2'), []);

    assert.deepEqual(await op('PingStatus', 'Equal', 'Online'), sorted([a1, a2, b1]));
    assert.deepEqual(await op('PingStatus', 'NotEqual', 'Online'), sorted([a3, a4, b2]));
    assert.deepEqual(await op('PingStatus', 'BeginWith', 'Conn'), sorted([a3, a4, b2]));
    assert.deepEqual(await op('PlatformTypes', 'Equal', 'Windows', 'Linux'), sorted([a1, a2, b1]));
    assert.deepEqual(await op('PlatformTypes', 'NotEqual', 'Linux'), minus(a1, b1));
    assert.deepEqual(await op('PlatformTypes', 'BeginWith', 'Win'), [a2]);
    assert.deepEqual(await op('ActivationIds', 'Equal', A), sorted([a1, a2, a3, a4]));
    assert.deepEqual(await op('ActivationIds', 'NotEqual', A), sorted([b1, b2]));
    assert.deepEqual(await op('ActivationIds', 'BeginWith', B.slice(0, 8)), sorted([b1, b2]));
    assert.deepEqual(await op('IamRole', 'Equal', 'OtherRole'), sorted([b1, b2]));
    assert.deepEqual(await op('IamRole', 'NotEqual', 'OtherRole'), sorted([a1, a2, a3, a4]));
    assert.deepEqual(await op('IamRole', 'BeginWith', 'SSM'), sorted([a1, a2, a3, a4]));
    assert.deepEqual(await op('ResourceType', 'Equal', 'ManagedInstance'), all);
    assert.deepEqual(await op('ResourceType', 'NotEqual', 'ManagedInstance'), []);
    assert.deepEqual(await op('ResourceType', 'BeginWith', 'EC2'), []);
    // A node no association has run on has no status and no document: it passes only NotEqual.
    assert.deepEqual(await op('AssociationStatus', 'Equal', 'Success'), [a2]);
    assert.deepEqual(await op('AssociationStatus', 'NotEqual', 'Failed'), minus(a1));
    assert.deepEqual(await op('AssociationStatus', 'BeginWith', 'S', 'P'), sorted([a2, b1]));
    assert.deepEqual(await op('DocumentName', 'Equal', 'AWS-RunShellScript'), sorted([a1, a2]));
    assert.deepEqual(await op('DocumentName', 'Equal', 'AWS-ConfigureAWSPackage', 'AWS-RunPatchBaseline'), sorted([a1, b1]));
    assert.deepEqual(await op('DocumentName', 'Equal', `arn:aws:ssm:us-east-1::document/AWS-RunPatchBaseline`), [b1], 'an ARN names the document');
    assert.deepEqual(await op('DocumentName', 'NotEqual', 'AWS-RunShellScript'), minus(a1, a2));
    assert.deepEqual(await op('DocumentName', 'BeginWith', 'AWS-Run'), sorted([a1, a2, b1]));
    assert.deepEqual(await op('DocumentName', 'BeginWith', 'AWS-Conf', 'Nope'), [a1]);

    assert.deepEqual(await op('tag:env', 'Equal', 'prod', 'dev'), sorted([a1, a2]));
    assert.deepEqual(await op('tag:env', 'NotEqual', 'prod'), minus(a1));
    assert.deepEqual(await op('tag:env', 'BeginWith', 'pr', 'x'), [a1]);
    assert.deepEqual(await op('tag-key', 'Equal', 'team'), sorted([a1, b1]));
    assert.deepEqual(await op('tag-key', 'NotEqual', 'team', 'env'), sorted([a3, a4, b2]));
    assert.deepEqual(await op('tag-key', 'BeginWith', 'Na', 'te'), sorted([a1, b1]));

    // The legacy list: every key is Equal.
    assert.deepEqual(await properties(fleet.ssm, { InstancePropertyFilterList: [{ key: 'PlatformTypes', valueSet: ['Linux'] }, { key: 'IamRole', valueSet: ['OtherRole'] }] }), [b1]);
    assert.deepEqual(await properties(fleet.ssm, { InstancePropertyFilterList: [{ key: 'PingStatus', valueSet: ['ConnectionLost'] }, { key: 'ActivationIds', valueSet: [A] }] }), sorted([a3, a4]));
    // And filters narrow one another.
    assert.deepEqual(
      await properties(fleet.ssm, { FiltersWithOperator: [{ Key: 'PingStatus', Operator: 'Equal', Values: ['Online'] }, { Key: 'tag-key', Operator: 'NotEqual', Values: ['env'] }] }),
      [b1],
    );
  });

  test('DescribeInstanceProperties shows what a node reported, and blanks for EC2-only facts', async () => {
    const { ssm, a1, b1, b2, A, B } = fleet;
    const get = async (id: string) => (await ssm.send(new DescribeInstancePropertiesCommand({ FiltersWithOperator: [{ Key: 'InstanceIds', Operator: 'Equal', Values: [id] }] }))).InstanceProperties![0]!;
    const p = await get(a1);
    assert.deepEqual(
      [p.InstanceId, p.Name, p.PingStatus, p.AgentVersion, p.PlatformType, p.PlatformName, p.PlatformVersion, p.ActivationId, p.IamRole, p.ResourceType, p.ComputerName, p.Architecture, p.SourceId, p.SourceType],
      [a1, 'web', 'Online', '3.2.582.0', 'Linux', 'Sim', '1', A, 'SSMServiceRole', 'ManagedInstance', 'sim', 'x86_64', a1, 'AWS::SSM::ManagedInstance'],
    );
    assert.deepEqual([p.InstanceType, p.InstanceRole, p.KeyName], ['', '', '']);
    assert.ok(p.RegistrationDate instanceof Date && p.LastPingDateTime instanceof Date);
    const db = await get(b1);
    assert.deepEqual([db.Name, db.ActivationId, db.IamRole, db.Architecture], ['db', B, 'OtherRole', undefined]);
    const never = await get(b2);
    assert.deepEqual([never.PingStatus, never.LastPingDateTime, never.AgentVersion], ['ConnectionLost', undefined, undefined]);
  });

  test('DescribeInstanceProperties refuses bad filters with AWS\'s errors, saying what is wrong', async () => {
    const { ssm, a1, A } = fleet;
    const call = (input: DescribeInstancePropertiesCommandInput) => failure(ssm.send(new DescribeInstancePropertiesCommand(input)));
    const f = (Key: string, Operator: InstancePropertyStringFilter['Operator'], ...Values: string[]) => call({ FiltersWithOperator: [{ Key, Operator, Values }] });

    const ping = await f('PingStatus', 'Equal', 'Asleep');
    assert.equal(ping.name, 'InvalidInstancePropertyFilterValue');
    assert.match(ping.message, /Asleep is not a value of PingStatus/);
    assert.equal((await f('PlatformTypes', 'NotEqual', 'BeOS')).name, 'InvalidInstancePropertyFilterValue');
    assert.equal((await call({ InstancePropertyFilterList: [{ key: 'ResourceType', valueSet: ['Lambda'] }] })).name, 'InvalidInstancePropertyFilterValue');
    const lessRole = await f('IamRole', 'LessThan', 'M');
    assert.equal(lessRole.name, 'InvalidInstancePropertyFilterValue');
    assert.match(lessRole.message, /LessThan operator compares agent versions; use Equal, NotEqual or BeginWith with IamRole/);
    const two = await f('AgentVersion', 'GreaterThan', '1', '2');
    assert.equal(two.name, 'InvalidInstancePropertyFilterValue');
    assert.match(two.message, /exactly one version/);
    const word = await f('AgentVersion', 'LessThan', 'latest');
    assert.equal(word.name, 'InvalidInstancePropertyFilterValue');
    assert.match(word.message, /latest is not a version/);

    assert.equal((await f('Colour', 'Equal', 'red')).name, 'InvalidFilterKey');
    assert.equal((await f('SourceIds', 'Equal', a1)).name, 'InvalidFilterKey');
    assert.equal((await call({ InstancePropertyFilterList: [{ key: 'tag:env' as never, valueSet: ['prod'] }] })).name, 'InvalidFilterKey');
    const operator = await f('IamRole', 'Contains' as never, 'x');
    assert.equal(operator.name, 'ValidationException');
    assert.match(operator.message, /operator Contains is not valid/);

    const activation = await f('ActivationIds', 'Equal', A, '00000000-0000-0000-0000-000000000000');
    assert.equal(activation.name, 'InvalidActivationId');
    assert.match(activation.message, /Activation 00000000-0000-0000-0000-000000000000 is not an activation of account/);
    const doc = await f('DocumentName', 'Equal', 'No-Such-Document');
    assert.equal(doc.name, 'InvalidDocument');
    assert.match(doc.message, /DocumentName filter names No-Such-Document/);
    const instance = await f('InstanceIds', 'Equal', 'mi-00000000000000000');
    assert.equal(instance.name, 'InvalidInstanceId');
    assert.match(instance.message, /mi-00000000000000000 is not a managed node/);

    const both = await call({ InstancePropertyFilterList: [{ key: 'PingStatus', valueSet: ['Online'] }], FiltersWithOperator: [{ Key: 'PingStatus', Values: ['Online'] }] });
    assert.equal(both.name, 'ValidationException');
    assert.match(both.message, /InstancePropertyFilterList and FiltersWithOperator cannot be used together/);
    assert.equal((await call({ MaxResults: 4 })).name, 'ValidationException');
    assert.equal((await call({ MaxResults: 1001 })).name, 'ValidationException');
    assert.equal((await ssm.send(new DescribeInstancePropertiesCommand({ MaxResults: 1000 }))).InstanceProperties!.length, 6);
  });

  test('paging: keyset by instance id, stable while nodes are added, tokens bound to their listing', async () => {
    const { ssm } = await account('listing-paging');
    const first = await register(ssm, 12);
    for (const n of first.nodes.slice(0, 9)) await n.connect();
    const online = sorted(first.nodes.slice(0, 9).map((n) => n.instanceId));
    const filter = { Filters: [{ Key: 'PingStatus', Values: ['Online'] }] };

    const seen: string[] = [];
    const added: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const r = await ssm.send(new DescribeInstanceInformationCommand({ ...filter, MaxResults: 5, ...(token ? { NextToken: token } : {}) }));
      assert.ok(r.InstanceInformationList!.length <= 5);
      seen.push(...r.InstanceInformationList!.map((n) => n.InstanceId!));
      token = r.NextToken;
      pages++;
      if (pages === 1) {
        // Nodes arriving mid-listing: those sorting after the cursor show up, the rest next time.
        const more = await register(ssm, 3);
        for (const n of more.nodes) await n.connect();
        added.push(...more.nodes.map((n) => n.instanceId));
      }
    } while (token);
    assert.equal(new Set(seen).size, seen.length, 'no node twice');
    assert.deepEqual(seen, sorted(seen), 'in instance-id order');
    const cursor = seen[4]!;
    assert.deepEqual(seen, sorted([...online, ...added.filter((id) => id > cursor)]));

    // DescribeInstanceProperties pages the same way.
    const p1 = await ssm.send(new DescribeInstancePropertiesCommand({ MaxResults: 5 }));
    const p2 = await ssm.send(new DescribeInstancePropertiesCommand({ MaxResults: 5, NextToken: p1.NextToken! }));
    const p3 = await ssm.send(new DescribeInstancePropertiesCommand({ MaxResults: 5, NextToken: p2.NextToken! }));
    const props = [...p1.InstanceProperties!, ...p2.InstanceProperties!, ...p3.InstanceProperties!].map((n) => n.InstanceId!);
    assert.deepEqual([p1.InstanceProperties!.length, p2.InstanceProperties!.length, p3.InstanceProperties!.length, p3.NextToken], [5, 5, 5, undefined]);
    assert.deepEqual(props, sorted([...first.nodes.map((n) => n.instanceId), ...added]));

    // A token belongs to the listing it came from: the same filters, account and operation.
    const page = await ssm.send(new DescribeInstanceInformationCommand({ ...filter, MaxResults: 5 }));
    const other = await failure(ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'PingStatus', Values: ['ConnectionLost'] }], MaxResults: 5, NextToken: page.NextToken! })));
    assert.equal(other.name, 'InvalidNextToken');
    assert.match(other.message, /token/);
    assert.equal((await failure(ssm.send(new DescribeInstancePropertiesCommand({ NextToken: page.NextToken! })))).name, 'InvalidNextToken');
    assert.equal((await failure(fleet.ssm.send(new DescribeInstanceInformationCommand({ ...filter, MaxResults: 5, NextToken: page.NextToken! })))).name, 'InvalidNextToken');
    assert.equal((await failure(ssm.send(new DescribeInstanceInformationCommand({ NextToken: 'not-a-token' })))).name, 'InvalidNextToken');
    // The page size may change between pages.
    const rest = await ssm.send(new DescribeInstanceInformationCommand({ ...filter, MaxResults: 50, NextToken: page.NextToken! }));
    assert.equal(page.InstanceInformationList!.length + rest.InstanceInformationList!.length, online.length + added.length);
    assert.equal(rest.NextToken, undefined);
  });

  test('ssm:resourceTag conditions on managed instances allow or deny SendCommand by the node\'s tags', async () => {
    const { ssm, iam, accountId } = await account('listing-iam');
    const { nodes } = await register(ssm, 3);
    for (const n of nodes) await n.connect();
    const [prod, dev, untagged] = nodes.map((n) => n.instanceId) as [string, string, string];
    await ssm.send(new AddTagsToResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: prod, Tags: [{ Key: 'env', Value: 'prod' }] }));
    await ssm.send(new AddTagsToResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: dev, Tags: [{ Key: 'env', Value: 'dev' }] }));

    const user = async (name: string, statements: object[]) => {
      await iam.send(new CreateUserCommand({ UserName: name }));
      const key = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
      await iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: 'nodes', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: statements }) }));
      return new SSMClient(t.clientConfig({ credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! } }));
    };
    const runOn = (client: SSMClient, id: string) => client.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', Parameters: { commands: ['true'] }, InstanceIds: [id] }));
    const documents = { Effect: 'Allow', Action: 'ssm:SendCommand', Resource: 'arn:aws:ssm:*:*:document/*' };

    const devOnly = await user('dev-operator', [
      documents,
      { Effect: 'Allow', Action: 'ssm:SendCommand', Resource: `arn:aws:ssm:*:${accountId}:managed-instance/*`, Condition: { StringEquals: { 'ssm:resourceTag/env': 'dev' } } },
    ]);
    assert.match((await runOn(devOnly, dev)).Command!.CommandId!, /^[0-9a-f-]{36}$/);
    for (const id of [prod, untagged]) {
      const e = await failure(runOn(devOnly, id));
      assert.equal(e.name, 'AccessDeniedException');
      assert.match(e.message, new RegExp(`not authorized to perform: ssm:SendCommand on resource: arn:aws:ssm:us-east-1:${accountId}:managed-instance/${id}`));
    }

    const notProd = await user('careful-operator', [
      { Effect: 'Allow', Action: 'ssm:SendCommand', Resource: '*' },
      { Effect: 'Deny', Action: 'ssm:SendCommand', Resource: '*', Condition: { StringEquals: { 'aws:ResourceTag/env': 'prod' } } },
    ]);
    await runOn(notProd, dev);
    await runOn(notProd, untagged);
    const denied = await failure(runOn(notProd, prod));
    assert.equal(denied.name, 'AccessDeniedException');
    assert.match(denied.message, /explicit deny/);

    // DescribeInstanceInformation names no resource (AWS authorizes it on "*"), so a
    // resource-tag condition cannot grant it; an unconditional allow does.
    const tagged = await user('tagged-reader', [{ Effect: 'Allow', Action: 'ssm:DescribeInstanceInformation', Resource: '*', Condition: { StringEquals: { 'ssm:resourceTag/env': 'dev' } } }]);
    assert.equal((await failure(tagged.send(new DescribeInstanceInformationCommand({})))).name, 'AccessDeniedException');
    const reader = await user('reader', [{ Effect: 'Allow', Action: ['ssm:DescribeInstanceInformation', 'ssm:DescribeInstanceProperties'], Resource: '*' }]);
    assert.equal((await reader.send(new DescribeInstanceInformationCommand({}))).InstanceInformationList!.length, 3);
    assert.equal((await reader.send(new DescribeInstancePropertiesCommand({}))).InstanceProperties!.length, 3);
  });
});
