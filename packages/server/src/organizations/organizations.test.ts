import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { AddTagsToResourceCommand, CreateActivationCommand, SSMClient } from '@aws-sdk/client-ssm';
import { listingDb } from '../nodes/listing.js';
import { nodeService } from '../nodes/slot.js';
import { onEveryEngine } from '../test-support/engines.js';
import { startTestServer, type TestServer } from '../test-support/server.js';
import { SimulatedAgent } from '../test-support/sim-agent.js';
import { jsonHeaders, rawCall } from '../test-support/sign.js';
import { until } from '../test-support/until.js';
import { organizationStore } from './slot.js';

type Credentials = { accessKeyId: string; secretAccessKey: string };
interface Listed {
  AccountId: string;
  Region: string;
  InstanceId: string;
  PingStatus: string;
  Name: string;
  PlatformType?: string;
  PlatformName?: string;
  PlatformVersion?: string;
  AgentVersion?: string;
  Tags: { Key: string; Value: string }[];
}

const REGIONS = ['us-east-1', 'eu-west-1'] as const;
const key = (n: { AccountId: string; Region: string; InstanceId: string }) => `${n.AccountId}/${n.Region}/${n.InstanceId}`;

onEveryEngine('Organization nodes', (engine) => {
  let t: TestServer;
  const agents: SimulatedAgent[] = [];
  /** The management account M, its members A and B, and X, an account outside the organisation. */
  const accts: Record<'M' | 'A' | 'B' | 'X', { id: string; creds: Credentials; iam: IAMClient }> = {} as never;
  /** Every node made, by account letter. */
  const nodes: { account: string; region: string; id: string; online: boolean }[] = [];

  const call = (creds: Credentials, target: string, body: object) =>
    rawCall({ endpoint: t.endpoint, service: 'ssm', credentials: creds, headers: jsonHeaders(target), body: JSON.stringify(body) });
  const list = (creds: Credentials, body: object) => call(creds, 'AmazonSSM.CapstanListOrganizationNodes', body);

  /** Every node the listing answers, page after page. */
  async function listAll(creds: Credentials, body: object = {}, MaxResults = 5): Promise<Listed[]> {
    const out: Listed[] = [];
    let NextToken: string | undefined;
    do {
      const r = await list(creds, { ...body, MaxResults, ...(NextToken ? { NextToken } : {}) });
      assert.equal(r.status, 200, r.text);
      const page = r.json() as { Nodes: Listed[]; NextToken?: string };
      assert.ok(page.Nodes.length <= MaxResults);
      out.push(...page.Nodes);
      NextToken = page.NextToken;
    } while (NextToken);
    return out;
  }
  const ids = (rows: { InstanceId: string }[]) => rows.map((r) => r.InstanceId).sort();
  const idsOf = (pred: (n: (typeof nodes)[number]) => boolean) => nodes.filter(pred).map((n) => n.id).sort();

  async function user(iam: IAMClient, name: string, policy: object): Promise<Credentials> {
    await iam.send(new CreateUserCommand({ UserName: name }));
    await iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: 'p', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [policy] }) }));
    const k = await iam.send(new CreateAccessKeyCommand({ UserName: name }));
    return { accessKeyId: k.AccessKey!.AccessKeyId!, secretAccessKey: k.AccessKey!.SecretAccessKey! };
  }

  before(async () => {
    t = await startTestServer({ engine });
    for (const letter of ['M', 'A', 'B', 'X'] as const) {
      const a = await t.server.core.iam.createAccount({ name: `org-${letter}` });
      const creds = { accessKeyId: a.accessKeyId, secretAccessKey: a.secretAccessKey };
      accts[letter] = { id: a.accountId, creds, iam: new IAMClient(t.clientConfig({ credentials: creds })) };
    }
    const svc = nodeService(t.server.core);
    // Two nodes in each region of each account: the first Online, Linux, agent 3.3, the second
    // never connected, Windows, agent 3.1; tags env=prod on M's eu-west-1 nodes and A's first us-east-1 node.
    for (const letter of ['M', 'A', 'B', 'X'] as const) {
      for (const region of REGIONS) {
        const ssm = new SSMClient(t.clientConfig({ region, credentials: accts[letter].creds }));
        const act = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', DefaultInstanceName: `web-${letter.toLowerCase()}-${region}`, RegistrationLimit: 2 }));
        for (let n = 0; n < 2; n++) {
          const agent = new SimulatedAgent(t.endpoint, `host-${letter}${n}`);
          await agent.register(act.ActivationId!, act.ActivationCode!);
          agents.push(agent);
          if (n === 0) await agent.connect();
          await svc.update(
            agent.instanceId,
            n === 0
              ? { agent_version: '3.3.0.0', platform_type: 'Linux', platform_name: 'Ubuntu', platform_version: '22.04' }
              : { agent_version: '3.1.0.0', platform_type: 'Windows', platform_name: 'Microsoft Windows Server 2022 Datacenter', platform_version: '10.0.20348' },
          );
          if ((letter === 'M' && region === 'eu-west-1') || (letter === 'A' && region === 'us-east-1' && n === 0)) {
            await ssm.send(new AddTagsToResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: agent.instanceId, Tags: [{ Key: 'env', Value: 'prod' }] }));
          }
          nodes.push({ account: letter, region, id: agent.instanceId, online: n === 0 });
        }
      }
    }
  });
  after(async () => {
    for (const a of agents) await a.close();
    await t.stop();
  });

  test('without an organization the management-to-be is refused, saying why; CapstanDescribeOrganization answers no Organization', async () => {
    const r = await list(accts.M.creds, {});
    assert.equal(r.status, 400);
    assert.equal(r.json().__type, 'AccessDeniedException');
    assert.match(String(r.json().Message), /Account \d{12} is not the management account of an organization; only principals of an organization's management account list its nodes/);
    const d = await call(accts.M.creds, 'AmazonSSM.CapstanDescribeOrganization', {});
    assert.equal(d.status, 200, d.text);
    assert.deepEqual(d.json(), {});
  });

  test('the management account lists the nodes of every account of the organization in every region, with account and region, never an outsider\'s', async () => {
    const store = organizationStore(t.server.core);
    await store.create(accts.M.id, Date.now());
    await store.addMember(accts.A.id, Date.now());
    await store.addMember(accts.B.id, Date.now());

    const rows = await listAll(accts.M.creds);
    assert.deepEqual(ids(rows), idsOf((n) => n.account !== 'X'), 'the 12 nodes of M, A and B in both regions');
    assert.equal(new Set(rows.map(key)).size, rows.length, 'no node twice across pages');
    assert.deepEqual(rows.map(key), [...rows.map(key)].sort(), 'in account, region, instance id order');
    const letterOf = new Map(Object.entries(accts).map(([l, a]) => [a.id, l]));
    for (const r of rows) {
      const made = nodes.find((n) => n.id === r.InstanceId)!;
      assert.equal(letterOf.get(r.AccountId), made.account, `${r.InstanceId}'s account`);
      assert.equal(r.Region, made.region, `${r.InstanceId}'s region`);
      assert.equal(r.PingStatus, made.online ? 'Online' : 'ConnectionLost');
      assert.equal(r.Name, `web-${made.account.toLowerCase()}-${made.region}`);
    }

    const d = await call(accts.M.creds, 'AmazonSSM.CapstanDescribeOrganization', {});
    const org = (d.json() as { Organization: { Id: string; ManagementAccountId: string; IsManagementAccount: boolean; Members: { AccountId: string }[] } }).Organization;
    assert.match(org.Id, /^o-[a-z0-9]{10}$/);
    assert.equal(org.ManagementAccountId, accts.M.id);
    assert.equal(org.IsManagementAccount, true);
    assert.deepEqual(org.Members.map((m) => m.AccountId), [accts.A.id, accts.B.id].sort());
    const asMember = (await call(accts.A.creds, 'AmazonSSM.CapstanDescribeOrganization', {})).json() as { Organization: Record<string, unknown> };
    assert.deepEqual(asMember.Organization, { Id: org.Id, ManagementAccountId: accts.M.id, IsManagementAccount: false }, 'a member sees which organization, not its members');
    assert.deepEqual((await call(accts.X.creds, 'AmazonSSM.CapstanDescribeOrganization', {})).json(), {});
  });

  test('every filter: account, region, ping status, platform type, name and version, agent version, tags and the search', async () => {
    const where = (Key: string, Values: string[], Operator?: string) => listAll(accts.M.creds, { Filters: [{ Key, Values, ...(Operator ? { Operator } : {}) }] });
    const inOrg = (n: (typeof nodes)[number]) => n.account !== 'X';
    assert.deepEqual(ids(await where('AccountId', [accts.A.id])), idsOf((n) => n.account === 'A'));
    assert.deepEqual(ids(await where('AccountId', [accts.A.id], 'NotEqual')), idsOf((n) => inOrg(n) && n.account !== 'A'));
    assert.deepEqual(ids(await where('Region', ['eu-west-1'])), idsOf((n) => inOrg(n) && n.region === 'eu-west-1'));
    assert.deepEqual(ids(await where('Region', ['eu-'], 'BeginWith')), idsOf((n) => inOrg(n) && n.region === 'eu-west-1'));
    assert.deepEqual(ids(await where('PingStatus', ['Online'])), idsOf((n) => inOrg(n) && n.online));
    assert.deepEqual(ids(await where('PingStatus', ['ConnectionLost'])), idsOf((n) => inOrg(n) && !n.online));
    assert.deepEqual(ids(await where('PlatformType', ['Windows'])), idsOf((n) => inOrg(n) && !n.online));
    assert.deepEqual(ids(await where('PlatformName', ['Microsoft Windows'], 'BeginWith')), idsOf((n) => inOrg(n) && !n.online));
    assert.deepEqual(ids(await where('PlatformVersion', ['22.04'])), idsOf((n) => inOrg(n) && n.online));
    assert.deepEqual(ids(await where('AgentVersion', ['3.2'], 'GreaterThan')), idsOf((n) => inOrg(n) && n.online));
    assert.deepEqual(ids(await where('AgentVersion', ['3.1.0.0'])), idsOf((n) => inOrg(n) && !n.online));
    const prod = nodes.filter((n) => (n.account === 'M' && n.region === 'eu-west-1') || (n.account === 'A' && n.region === 'us-east-1' && n.online)).map((n) => n.id).sort();
    assert.deepEqual(ids(await where('tag:env', ['prod'])), prod);
    assert.deepEqual(ids(await where('tag-key', ['env'])), prod);

    // Filters combine: A's and B's Online nodes in eu-west-1.
    const combined = await listAll(accts.M.creds, { Filters: [{ Key: 'AccountId', Values: [accts.A.id, accts.B.id] }, { Key: 'Region', Values: ['eu-west-1'] }, { Key: 'PingStatus', Values: ['Online'] }] });
    assert.deepEqual(ids(combined), idsOf((n) => (n.account === 'A' || n.account === 'B') && n.region === 'eu-west-1' && n.online));

    // The search: part of the name in any case, or of the id; % and _ are not wildcards.
    assert.deepEqual(ids(await listAll(accts.M.creds, { Search: 'WEB-B-' })), idsOf((n) => n.account === 'B'));
    const one = nodes.find((n) => n.account === 'A')!.id;
    assert.deepEqual(ids(await listAll(accts.M.creds, { Search: one.slice(3, 12) })), [one]);
    assert.deepEqual(await listAll(accts.M.creds, { Search: 'web%' }), []);
    assert.deepEqual(await listAll(accts.M.creds, { Search: 'web_a' }), []);
  });

  test('bad filters are refused, saying what is wrong', async () => {
    const refused = async (body: object, code: string, message: RegExp) => {
      const r = await list(accts.M.creds, body);
      assert.equal(r.status, 400, r.text);
      assert.equal(r.json().__type, code, r.text);
      assert.match(r.text, message);
    };
    await refused({ Filters: [{ Key: 'Colour', Values: ['red'] }] }, 'InvalidFilterKey', /Colour is not valid here; valid keys are AccountId, Region/);
    await refused({ Filters: [{ Key: 'AccountId', Values: [accts.X.id] }] }, 'InvalidInstanceInformationFilterValue', new RegExp(`${accts.X.id} is not an account of organization o-`));
    await refused({ Filters: [{ Key: 'PingStatus', Values: ['Asleep'] }] }, 'InvalidInstanceInformationFilterValue', /Asleep is not a value of PingStatus; use Online, ConnectionLost, Inactive/);
    await refused({ Filters: [{ Key: 'Region', Values: ['eu-west-1'], Operator: 'LessThan' }] }, 'InvalidInstanceInformationFilterValue', /LessThan operator compares agent versions/);
    await refused({ MaxResults: 5, NextToken: 'bm90IGEgdG9rZW4' }, 'InvalidNextToken', /./);
    // A token from one listing does not continue another.
    const first = (await list(accts.M.creds, { MaxResults: 2 })).json() as { NextToken: string };
    await refused({ MaxResults: 2, NextToken: first.NextToken, Filters: [{ Key: 'Region', Values: ['eu-west-1'] }] }, 'InvalidNextToken', /./);
  });

  test('a member account and an account outside the organization are refused, saying why', async () => {
    const member = await list(accts.A.creds, {});
    assert.equal(member.json().__type, 'AccessDeniedException');
    assert.match(String(member.json().Message), new RegExp(`Account ${accts.A.id} is a member of organization o-\\w+; only principals of its management account ${accts.M.id}`));
    const outsider = await list(accts.X.creds, {});
    assert.equal(outsider.json().__type, 'AccessDeniedException');
    assert.match(String(outsider.json().Message), new RegExp(`Account ${accts.X.id} is not the management account of an organization`));
    assert.ok(!outsider.text.includes(accts.M.id) && !/o-[a-z0-9]{10}/.test(outsider.text), 'an outsider learns nothing of the organization');
  });

  test('an IAM policy of the management account narrows the view to the accounts and regions it allows', async () => {
    const onlyA = await user(accts.M.iam, 'only-a', { Effect: 'Allow', Action: 'ssm:DescribeInstanceInformation', Resource: `arn:aws:ssm:*:${accts.A.id}:managed-instance/*` });
    const onlyAWest = await user(accts.M.iam, 'only-a-west', { Effect: 'Allow', Action: 'ssm:Describe*', Resource: `arn:aws:ssm:eu-west-1:${accts.A.id}:managed-instance/*` });
    const outside = await user(accts.M.iam, 'only-x', { Effect: 'Allow', Action: 'ssm:DescribeInstanceInformation', Resource: `arn:aws:ssm:*:${accts.X.id}:managed-instance/*` });
    await until('the new keys to work', async () => (await list(onlyA, {})).status === 200);
    assert.deepEqual(ids(await listAll(onlyA)), idsOf((n) => n.account === 'A'));
    await until('the second key to work', async () => (await list(onlyAWest, {})).status === 200);
    assert.deepEqual(ids(await listAll(onlyAWest)), idsOf((n) => n.account === 'A' && n.region === 'eu-west-1'));
    // Asking for an account the policy does not allow shows nothing of it.
    assert.deepEqual(await listAll(onlyA, { Filters: [{ Key: 'AccountId', Values: [accts.B.id] }] }), []);
    const denied = await list(outside, {});
    assert.equal(denied.status, 400);
    assert.equal(denied.json().__type, 'AccessDeniedException');
    assert.match(String(denied.json().Message), /is not authorized to perform: ssm:DescribeInstanceInformation on resource: arn:aws:ssm:/);
  });

  test('removing a member takes its nodes out of the view', async () => {
    const store = organizationStore(t.server.core);
    await store.removeMember(accts.B.id);
    assert.deepEqual(ids(await listAll(accts.M.creds, {}, 50)), idsOf((n) => n.account === 'M' || n.account === 'A'));
    await store.addMember(accts.B.id, Date.now());
    assert.deepEqual(ids(await listAll(accts.M.creds, {}, 50)), idsOf((n) => n.account !== 'X'));
  });

  test('paging over 10,000 nodes in SQL: every node once, in order, while nodes are added between pages', async () => {
    const db = listingDb(nodeService(t.server.core));
    const template = await db.selectFrom('managed_instances').selectAll().where('instance_id', '=', nodes[0]!.id).executeTakeFirstOrThrow();
    const letters = ['M', 'A', 'B'] as const;
    const made: string[] = [];
    const batch: (typeof template)[] = [];
    const flush = async () => {
      if (batch.length) await db.insertInto('managed_instances').values(batch.splice(0)).execute();
    };
    for (let i = 0; i < 10_200; i++) {
      const id = `mi-${randomBytes(9).toString('hex').slice(0, 17)}`;
      made.push(id);
      batch.push({ ...template, account_id: accts[letters[i % 3]!].id, region: i % 2 ? 'ap-south-1' : 'eu-central-1', instance_id: id, connected: 0, tags: '{}' });
      if (batch.length === 500) await flush();
    }
    await flush();

    const seen: string[] = [];
    const addedMidway: string[] = [];
    let NextToken: string | undefined;
    let pages = 0;
    do {
      const r = await list(accts.M.creds, { MaxResults: 1000, ...(NextToken ? { NextToken } : {}) });
      assert.equal(r.status, 200, r.text);
      const page = r.json() as { Nodes: Listed[]; NextToken?: string };
      seen.push(...page.Nodes.map(key));
      NextToken = page.NextToken;
      pages++;
      if (pages === 3) {
        // A node added behind the cursor is not shown; one ahead of it is, and nothing repeats.
        const [first, , last] = [accts.M.id, accts.A.id, accts.B.id].sort();
        const behind = { ...template, account_id: first!, region: 'aa-none-1', instance_id: `mi-${randomBytes(9).toString('hex').slice(0, 17)}`, tags: '{}' };
        const ahead = { ...template, account_id: last!, region: 'zz-none-1', instance_id: `mi-${randomBytes(9).toString('hex').slice(0, 17)}`, tags: '{}' };
        await db.insertInto('managed_instances').values([behind, ahead]).execute();
        addedMidway.push(ahead.instance_id);
      }
    } while (NextToken);
    assert.equal(pages, 11, '10,212 nodes, then one more, at 1,000 a page');
    assert.equal(seen.length, 12 + 10_200 + 1);
    assert.equal(new Set(seen).size, seen.length, 'no node twice');
    assert.deepEqual(seen, [...seen].sort(), 'in account, region, instance id order');
    const shown = new Set(seen.map((k) => k.split('/')[2]));
    assert.ok(made.every((id) => shown.has(id)), 'every seeded node listed');
    assert.ok(shown.has(addedMidway[0]!), 'the node added ahead of the cursor is listed');
  });
});
