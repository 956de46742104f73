/**
 * The organisation view of the Nodes page in Chromium against a real server: the management
 * account's administrator switches the page to the organisation, sees the nodes of the member
 * accounts in every region with Account and Region columns, and narrows them by account, then by
 * region, with the address carrying scope and filters; a member account gets no switch.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateActivationCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Page } from 'playwright-core';
import { SimulatedAgent } from '../../server/src/test-support/sim-agent.js';
import { organizationStore } from '../../server/src/organizations/slot.js';
import { ConsoleHarness, until, type InPage } from './harness.js';

const harness = new ConsoleHarness('organization');
const agents: SimulatedAgent[] = [];
type Creds = { accessKeyId: string; secretAccessKey: string };
const members: { id: string; creds: Creds }[] = [];
/** Every node made: account, region and id. */
const made: { account: string; region: string; id: string }[] = [];

before(async () => {
  await harness.start(async (t) => {
    const core = t.server.core;
    for (const name of ['org-member-a', 'org-member-b']) {
      const a = await core.iam.createAccount({ name });
      members.push({ id: a.accountId, creds: { accessKeyId: a.accessKeyId, secretAccessKey: a.secretAccessKey } });
    }
    const store = organizationStore(core);
    await store.create(t.accountId, Date.now());
    for (const m of members) await store.addMember(m.id, Date.now());
    // One node of the management account in us-east-1; one of each member in us-east-1 and eu-west-1.
    const place = async (account: string, creds: Creds, region: string) => {
      const ssm = new SSMClient(t.clientConfig({ region, credentials: creds }));
      const act = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', DefaultInstanceName: `node-${account.slice(-4)}-${region}`, RegistrationLimit: 1 }));
      const agent = new SimulatedAgent(t.endpoint);
      await agent.register(act.ActivationId!, act.ActivationCode!);
      agents.push(agent);
      made.push({ account, region, id: agent.instanceId });
    };
    await place(t.accountId, t.credentials, 'us-east-1');
    for (const m of members) for (const region of ['us-east-1', 'eu-west-1']) await place(m.id, m.creds, region);
  });
});

after(async () => {
  for (const a of agents) await a.close();
  await harness.stop();
});

/** The rows the table shows once loading is over: account, region and id of each. */
async function shownRows(page: Page, count: number): Promise<{ account: string; region: string; id: string }[]> {
  await page.locator(`[data-testid="nodes-count"][data-count="${count}"]:not([data-loading])`).waitFor();
  return page.evaluate(() =>
    Array.from((globalThis as unknown as InPage).document.querySelectorAll('[data-testid="node-row"]')).map((r) => ({
      account: r.getAttribute('data-account') ?? '',
      region: r.getAttribute('data-region') ?? '',
      id: r.getAttribute('data-instance-id') ?? '',
    })),
  );
}
const sortRows = <T extends { id: string }>(rows: T[]) => [...rows].sort((a, b) => a.id.localeCompare(b.id));

test('the management account switches to the organization, sees its members\' nodes in two regions, and filters by account, then region', async (tc) => {
  await harness.browse(tc, async ({ page, shot }) => {
    await harness.signIn(page, 'nodes');
    await page.getByTestId('nodes-scope').waitFor();
    assert.ok(await page.getByTestId('nodes-scope-account').isChecked(), 'the page opens on this account');
    await page.getByTestId('nodes-scope-organization').check();
    await page.waitForURL(/[?&]scope=organization/);

    const all = await shownRows(page, made.length);
    assert.deepEqual(sortRows(all), sortRows(made), 'every node of the organization, with its account and region');
    assert.ok(await page.getByRole('columnheader', { name: 'Account' }).isVisible());
    assert.ok(await page.getByRole('columnheader', { name: 'Region' }).isVisible());
    await shot('organization');

    const [a] = members;
    await page.getByTestId('nodes-filter-account').selectOption(a!.id);
    await page.waitForURL(new RegExp(`[?&]account=${a!.id}`));
    const ofA = await shownRows(page, 2);
    assert.deepEqual(sortRows(ofA), sortRows(made.filter((n) => n.account === a!.id)), "member A's nodes in both regions");

    await page.getByTestId('nodes-filter-region').selectOption('eu-west-1');
    await page.waitForURL(/[?&]region=eu-west-1/);
    const ofAWest = await shownRows(page, 1);
    assert.deepEqual(ofAWest, made.filter((n) => n.account === a!.id && n.region === 'eu-west-1'));
    await shot('account-and-region');

    // The address alone brings the same view back.
    await page.reload();
    await page.locator('[data-testid="nodes-scope-organization"]:checked').waitFor();
    assert.deepEqual(await shownRows(page, 1), ofAWest);
    assert.equal(await page.getByTestId('nodes-filter-account').inputValue(), a!.id);
    assert.equal(await page.getByTestId('nodes-filter-region').inputValue(), 'eu-west-1');
    assert.ok(await page.getByTestId('nodes-scope-organization').isChecked());

    // Back to this account: its own node only, without the Account column.
    await page.getByTestId('nodes-scope-account').check();
    await until('the scope to leave the address', () => !/scope=/.test(page.url()));
    const own = await shownRows(page, 1);
    assert.deepEqual(own.map((r) => r.id), made.filter((n) => n.account === harness.t.accountId).map((n) => n.id));
    assert.equal(await page.getByRole('columnheader', { name: 'Account' }).count(), 0);
  });
});

test('a member account sees no organization switch, even at an address that asks for it', async (tc) => {
  await harness.browse(tc, async ({ page }) => {
    const [a] = members;
    const described = page.waitForResponse((r) => r.request().headers()['x-amz-target'] === 'AmazonSSM.CapstanDescribeOrganization');
    await page.goto('nodes?scope=organization');
    await page.getByTestId('signin-access-key-id').fill(a!.creds.accessKeyId);
    await page.getByTestId('signin-secret-access-key').fill(a!.creds.secretAccessKey);
    await page.getByTestId('signin-submit').click();
    await page.getByTestId('principal').waitFor();
    const answer = (await (await described).json()) as { Organization?: { IsManagementAccount: boolean } };
    assert.equal(answer.Organization?.IsManagementAccount, false, 'the server says A is a member, not the management account');
    const rows = await shownRows(page, 1);
    assert.deepEqual(rows.map((r) => r.id), made.filter((n) => n.account === a!.id && n.region === 'us-east-1').map((n) => n.id), "A's own node in the header's region");
    assert.equal(await page.getByTestId('nodes-scope').count(), 0, 'no scope switch');
    assert.equal(await page.getByTestId('node-account').count(), 0, 'no Account column');
  });
});
