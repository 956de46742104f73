/**
 * The console's acceptance tests: the app built from its current sources, served by a real
 * server, a real `capstan agent run` process, simulated nodes speaking the real protocol, and
 * Chromium driven through playwright-core. One server and one browser serve every test; each
 * test gets a fresh browser context (no cookies) and signs in. The harness (./harness.ts) holds
 * what the browser suites share, and the checks every test gets: no console error, page error
 * or undeclared HTTP refusal. Screenshots go to .capstan-test/screenshots/console/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateActivationCommand, CreateDocumentCommand, DescribeDocumentCommand, DescribeDocumentPermissionCommand, DescribeInstanceInformationCommand, DescribeSessionsCommand, GetCommandInvocationCommand,
  GetParameterCommand, ModifyDocumentPermissionCommand, SSMClient, type InstanceInformation,
} from '@aws-sdk/client-ssm';
import {
  AttachUserPolicyCommand, CreateLoginProfileCommand, CreateUserCommand, DeleteAccountPasswordPolicyCommand, GetLoginProfileCommand, IAMClient, UpdateAccountPasswordPolicyCommand,
} from '@aws-sdk/client-iam';
import WebSocket from 'ws';
import { answerChallenge } from '@capstan/wire';
import type { TestServer } from '../../server/src/test-support/server.js';
import { SimulatedAgent } from '../../server/src/test-support/sim-agent.js';
import { ConsoleHarness, until as waitFor, type InPage, type RealAgent } from './harness.js';

const harness = new ConsoleHarness('console');
let t: TestServer;
let ssm: SSMClient;
let agent: RealAgent | undefined;
/** The real agent's node id. */
let realId = '';
const sims: FleetNode[] = [];

/** Waits for `probe`; a timeout shows what the real agent printed last. */
const until = <T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, ms = 20_000) => waitFor(what, probe, ms, () => `agent:\n${agent?.output().slice(-2000) ?? ''}`);

const browse = harness.browse.bind(harness);
const signIn = harness.signIn.bind(harness);

/** A real `capstan agent register` and `capstan agent run` (the harness's), waited for until Online. */
async function startRealAgent(): Promise<void> {
  agent = await harness.startAgent();
  realId = agent.instanceId;
}

interface NodeFacts {
  agentVersion: string;
  platformName: string;
  platformVersion: string;
  ipAddress: string;
}

/**
 * A simulated node (the real registration and control-channel handshake) that reports the
 * facts given, as a real agent's hello does. These nodes are only counted, listed and opened,
 * never sent commands.
 */
class FleetNode extends SimulatedAgent {
  constructor(endpoint: string, hostname: string, private readonly facts: NodeFacts) {
    super(endpoint, hostname);
  }

  override connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${this.endpoint.replace(/^http/, 'ws')}/capstan/agent/v1/channel`);
      this.ws = ws;
      let pinger: NodeJS.Timeout | undefined;
      ws.on('error', reject);
      ws.on('close', () => clearInterval(pinger));
      ws.on('message', (data) => {
        const m = JSON.parse(data.toString()) as { type: string; nonce?: string; pingMs?: number };
        if (m.type === 'challenge') {
          ws.send(JSON.stringify({ type: 'hello', instanceId: this.instanceId, signature: answerChallenge(m.nonce!, this.instanceId, this.key), info: { platformType: 'Linux', ...this.facts } }));
          // Pings as the real agent sends them, so a slow run does not see these nodes drop to ConnectionLost.
          pinger = setInterval(() => ws.send(JSON.stringify({ type: 'ping' })), m.pingMs ?? 30_000);
        } else if (m.type === 'welcome') resolve();
      });
    });
  }
}

/**
 * Simulated nodes beside the real one, so the counts mean something: three web nodes on an
 * older agent, connected (Online); two db nodes on the current agent that connected and went
 * away, and two batch nodes that registered and never connected (both ConnectionLost).
 */
async function startSimulatedFleet(): Promise<void> {
  const { ActivationId, ActivationCode } = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: 7 }));
  const web = { agentVersion: '0.0.9', platformName: 'Ubuntu', platformVersion: '22.04' };
  const db = { agentVersion: '0.1.0', platformName: 'Amazon Linux', platformVersion: '2023' };
  sims.push(
    ...[1, 2, 3].map((i) => new FleetNode(t.endpoint, `console-e2e-web-${i}`, { ...web, ipAddress: `10.0.1.${i}` })),
    ...[1, 2].map((i) => new FleetNode(t.endpoint, `console-e2e-db-${i}`, { ...db, ipAddress: `10.0.2.${i}` })),
    ...[1, 2].map((i) => new FleetNode(t.endpoint, `console-e2e-batch-${i}`, { ...db, ipAddress: '' })),
  );
  await Promise.all(sims.map((s) => s.register(ActivationId!, ActivationCode!)));
  await Promise.all(sims.slice(0, 5).map((s) => s.connect()));
  await Promise.all(sims.slice(3, 5).map((s) => s.close()));
}

before(async () => {
  await harness.start(async (server) => {
    t = server;
    ssm = new SSMClient(t.clientConfig());
    await Promise.all([startRealAgent(), startSimulatedFleet()]);
    // The nodes that went away must be seen as gone before the tests count them.
    await until('the fleet settled', async () => {
      const all = await describeAll();
      return all.length === 8 && all.filter((n) => n.PingStatus === 'Online').length === 4;
    });
  });
});

after(async () => {
  await Promise.all(sims.map((s) => s.close()));
  ssm?.destroy();
  await harness.stop();
});

async function describeAll(): Promise<InstanceInformation[]> {
  const out: InstanceInformation[] = [];
  let NextToken: string | undefined;
  do {
    const r = await ssm.send(new DescribeInstanceInformationCommand({ MaxResults: 50, NextToken }));
    out.push(...(r.InstanceInformationList ?? []));
    NextToken = r.NextToken;
  } while (NextToken);
  return out;
}

const count = (text: string | null) => Number((text ?? '').replace(/[^\d]/g, ''));
const slug = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '-');

test('sign in with the admin access key: a wrong secret is refused, the right one opens the console, and nothing is kept in storage or the URL', async (tc) => {
  await browse(
    tc,
    async ({ page, shot }) => {
      await page.goto('');
      await page.getByTestId('signin-access-key-id').waitFor();
      await shot('sign-in');

      await page.getByTestId('signin-access-key-id').fill(t.credentials.accessKeyId);
      await page.getByTestId('signin-secret-access-key').fill('not-the-secret-0000000000000000000000000');
      await page.getByTestId('signin-submit').click();
      const error = page.getByTestId('signin-error');
      await error.waitFor();
      assert.match((await error.textContent())!, /Sign-in failed/);
      assert.equal(await page.getByTestId('principal').count(), 0, 'still signed out');
      assert.ok(!(await page.context().cookies()).some((c) => c.name === 'capstan_console'), 'no session cookie for a refused sign-in');
      await shot('sign-in-refused');

      await page.getByTestId('signin-secret-access-key').fill(t.credentials.secretAccessKey);
      await page.getByTestId('signin-submit').click();
      await page.getByTestId('dashboard-ready').waitFor();
      assert.match((await page.getByTestId('principal').textContent())!, new RegExp(t.accountId));
      assert.equal(await page.getByTestId('signin-error').count(), 0);
      await shot('signed-in');

      // The session is the HttpOnly cookie; its CSRF token lives in memory only.
      const state = await page.evaluate(async () => {
        const w = globalThis as unknown as InPage;
        const me = (await (await fetch('/capstan/console/v1/me')).json()) as { csrfToken: string };
        return { csrf: me.csrfToken, local: Object.entries(w.localStorage), session: Object.entries(w.sessionStorage), url: w.location.href, cookie: w.document.cookie, html: w.document.documentElement.outerHTML };
      });
      assert.ok(state.csrf.length > 16, 'the server answers /me for the session');
      assert.deepEqual(state.local, [], 'nothing in localStorage');
      assert.deepEqual(state.session, [], 'nothing in sessionStorage');
      for (const secret of [state.csrf, t.credentials.secretAccessKey]) {
        assert.ok(!state.url.includes(secret), `the URL ${state.url} holds no secret`);
        assert.ok(!state.html.includes(secret), 'the page holds no secret');
      }
      assert.ok(!state.url.includes(t.credentials.accessKeyId), 'the URL holds no access key id');
      assert.ok(!state.cookie.includes('capstan_console'), 'the session cookie is HttpOnly');
      const cookie = (await page.context().cookies()).find((c) => c.name === 'capstan_console');
      assert.ok(cookie?.httpOnly && cookie.sameSite === 'Strict', `the session cookie: ${JSON.stringify(cookie)}`);
    },
    { refusals: [{ method: 'POST', path: '/capstan/console/v1/sign-in', status: 401 }] },
  );
});

test('the dashboard counts what DescribeInstanceInformation lists, and fits a phone', async (tc) => {
  const nodes = await describeAll();
  const by = (key: (n: InstanceInformation) => string | undefined) => {
    const m = new Map<string, number>();
    for (const n of nodes) {
      const k = key(n);
      if (k !== undefined) m.set(k, (m.get(k) ?? 0) + 1);
    }
    return m;
  };
  const newestVersion = nodes.find((n) => n.InstanceId === realId)!.AgentVersion!;
  const outdated = nodes.filter((n) => n.AgentVersion && n.AgentVersion !== newestVersion).length;
  assert.ok(outdated > 0, 'the simulated nodes run an older agent than the real one');

  await browse(tc, async ({ page, shot }) => {
    await signIn(page);
    await page.getByTestId('dashboard-ready').waitFor();
    await shot('dashboard');
    const shown = async (id: string) => count(await page.getByTestId(id).textContent());

    assert.equal(await shown('dash-count-total'), nodes.length);
    for (const ping of ['Online', 'ConnectionLost', 'Inactive']) assert.equal(await shown(`dash-count-ping-${ping}`), by((n) => n.PingStatus).get(ping) ?? 0, `ping ${ping}`);
    assert.equal(await shown('dash-count-ping-Online'), 4);
    assert.equal(await shown('dash-count-ping-ConnectionLost'), 4);
    for (const [platform, c] of by((n) => n.PlatformType || 'Unknown')) assert.equal(await shown(`dash-count-platform-${slug(platform)}`), c, `platform ${platform}`);
    for (const [os, c] of by((n) => [n.PlatformName, n.PlatformVersion].filter(Boolean).join(' ') || 'Unknown')) assert.equal(await shown(`dash-count-os-${slug(os)}`), c, `OS ${os}`);
    for (const [version, c] of by((n) => n.AgentVersion || undefined)) assert.equal(await shown(`dash-count-agent-${slug(version)}`), c, `agent ${version}`);
    assert.equal(await shown('dash-count-agent-outdated'), outdated);

    // A phone's width: the page reflows rather than scrolling sideways.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByTestId('dashboard-ready').waitFor();
    const widths = await page.evaluate(() => {
      const d = (globalThis as unknown as InPage).document;
      return { viewport: d.documentElement.clientWidth, doc: d.documentElement.scrollWidth, body: d.body.scrollWidth };
    });
    assert.ok(widths.doc <= widths.viewport && widths.body <= widths.viewport, `no horizontal overflow at 390 px: ${JSON.stringify(widths)}`);
    await shot('dashboard-390');
  });
});

test('the node list filters by ping status and by search, and opens a node', async (tc) => {
  const nodes = await describeAll();
  const ids = (f: (n: InstanceInformation) => boolean) => nodes.filter(f).map((n) => n.InstanceId!).sort();

  await browse(tc, async ({ page, shot }) => {
    await signIn(page, 'nodes');
    const rows = async () => (await page.getByTestId('node-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-instance-id') ?? ''))).sort();
    /** Waits for the list to be fully loaded and to show `n` nodes; returns the rows' ids. */
    const listed = async (n: number) => {
      await page.locator(`[data-testid="nodes-count"][data-count="${n}"]:not([data-loading])`).waitFor();
      return rows();
    };

    assert.deepEqual(await listed(nodes.length), ids(() => true));
    await shot('nodes');

    await page.getByTestId('nodes-filter-ping').selectOption('ConnectionLost');
    const lost = ids((n) => n.PingStatus === 'ConnectionLost');
    assert.deepEqual(await listed(lost.length), lost);
    assert.deepEqual(await page.getByTestId('node-row').evaluateAll((els) => [...new Set(els.map((e) => e.getAttribute('data-ping')))]), ['ConnectionLost']);
    assert.match(page.url(), /ping=ConnectionLost/, 'the filter is in the address');
    await shot('nodes-connection-lost');

    // Search and ping status together: the web nodes are connected, db-1 and db-2 are not.
    await page.getByTestId('nodes-filter-search').fill('console-e2e-db');
    const db = ids((n) => n.PingStatus === 'ConnectionLost' && (n.ComputerName ?? '').includes('console-e2e-db'));
    assert.equal(db.length, 2);
    assert.deepEqual(await listed(2), db);

    await page.getByTestId('nodes-filter-ping').selectOption('Online');
    await page.getByTestId('nodes-filter-search').fill('web');
    const web = ids((n) => n.PingStatus === 'Online' && (n.ComputerName ?? '').includes('web'));
    assert.equal(web.length, 3);
    assert.deepEqual(await listed(3), web);
    await shot('nodes-online-web');

    // Search by IP address, then by node id, over the whole fleet.
    await page.getByTestId('nodes-filter-clear').click();
    assert.deepEqual(await listed(nodes.length), ids(() => true));
    await page.getByTestId('nodes-filter-search').fill('10.0.2.');
    assert.deepEqual(await listed(2), db, 'search by IP address');
    await page.getByTestId('nodes-filter-search').fill(realId.slice(-8));
    assert.deepEqual(await listed(1), [realId]);
    assert.equal(await page.getByTestId('nodes-filter-ping').inputValue(), '', 'Clear filters cleared the ping status');

    await page.locator(`[data-testid="node-row"][data-instance-id="${realId}"] [data-testid="node-link"]`).click();
    await page.getByTestId('node-info').waitFor();
    assert.ok(page.url().endsWith(`/console/nodes/${realId}`), page.url());
    assert.equal(await page.getByTestId('node-ping').textContent(), 'Online');
    const info = (await page.getByTestId('node-info').textContent())!;
    const real = nodes.find((n) => n.InstanceId === realId)!;
    for (const fact of [real.ComputerName!, real.AgentVersion!, real.IPAddress!]) assert.ok(info.includes(fact), `the node's facts show ${fact}: ${info}`);
    assert.equal(await page.getByTestId('node-diagnosis').count(), 0, 'an Online node needs no diagnosis');
    await shot('node-detail');

    // A node that never connected explains itself.
    const never = sims[5]!.instanceId;
    await page.goto(`nodes/${never}`);
    await page.getByTestId('node-diagnosis-text').waitFor();
    assert.equal(await page.getByTestId('node-ping').textContent(), 'ConnectionLost');
    assert.ok(((await page.getByTestId('node-diagnosis-text').textContent()) ?? '').length > 10);
    await shot('node-detail-lost');

    // Its remediation runbook starts from the diagnosis with the node filled in, and says what to check.
    await page.getByTestId('node-remediate').click();
    await page.getByTestId('auto-param-InstanceId').waitFor();
    assert.equal(await page.getByTestId('auto-document').inputValue(), 'Capstan-TroubleshootNode');
    assert.equal(await page.getByTestId('auto-param-InstanceId').inputValue(), never);
    await page.getByTestId('auto-submit').click();
    await page.getByTestId('auto-done').waitFor({ timeout: 30_000 });
    assert.equal(await page.getByTestId('auto-status').textContent(), 'Success');
    assert.equal(await page.getByTestId('auto-step-Advise').getAttribute('data-status'), 'Success');
  });
});

test('Run Command on the real agent: the first line shows while the script still runs, then Success', async (tc) => {
  await browse(tc, async ({ page, shot }) => {
    await signIn(page, `run-command?instanceIds=${realId}`);
    await page.getByTestId('run-target-chosen').waitFor();
    assert.match((await page.getByTestId('run-target-chosen').textContent())!, new RegExp(realId));
    assert.equal(await page.getByTestId('run-document').inputValue(), 'AWS-RunShellScript');
    await page.getByTestId('run-param-commands').fill(['echo "console-e2e first line"', 'sleep 2', 'echo "console-e2e second line"'].join('\n'));
    await page.getByTestId('run-comment').fill('console e2e');
    await shot('run-command');
    await page.getByTestId('run-submit').click();

    await page.waitForURL(/\/console\/run-command\/commands\/[0-9a-f-]{36}$/);
    const commandId = page.url().split('/').pop()!;
    const output = page.getByTestId(`live-output-${realId}`);
    await output.waitFor();

    // One look inside the page, the moment the first line is there: the second is not, and the command is still running.
    const seen = await page.waitForFunction(
      (id) => {
        const d = (globalThis as unknown as InPage).document;
        const out = d.querySelector(`[data-testid="live-output-${id}"]`)?.textContent ?? '';
        if (!out.includes('console-e2e first line')) return false;
        return {
          second: out.includes('console-e2e second line'),
          following: d.querySelector('[data-testid="live-following"]') !== null,
          node: d.querySelector(`[data-testid="live-status-${id}"]`)?.textContent,
          command: d.querySelector('[data-testid="live-command-status"]')?.textContent,
        };
      },
      realId,
      { timeout: 20_000 },
    );
    const live = await seen.jsonValue();
    assert.ok(live, 'the first line appeared');
    assert.equal(live.second, false, 'the first line shows before the script prints the second');
    assert.equal(live.following, true, 'the page is still following the command');
    assert.equal(live.node, 'InProgress');
    assert.equal(live.command, 'InProgress');
    await shot('live-first-line');

    await page.getByTestId('live-done').waitFor();
    assert.equal(await page.getByTestId('live-command-status').textContent(), 'Success');
    assert.equal(await page.getByTestId(`live-status-${realId}`).textContent(), 'Success');
    assert.equal(await output.textContent(), 'console-e2e first line\nconsole-e2e second line\n');
    await shot('live-success');

    const r = await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: realId }));
    assert.equal(r.Status, 'Success');
    assert.equal(r.StandardOutputContent, 'console-e2e first line\nconsole-e2e second line\n');
  });
});

test('a SecureString is created, its value stays out of the page until Reveal, then shows', async (tc) => {
  const name = `/console-e2e/db/password-${Date.now()}`;
  const secret = 'c0rrect-h0rse-battery-staple-e2e';
  await browse(tc, async ({ page, shot }) => {
    await signIn(page, 'parameters');
    await page.getByTestId('param-create').waitFor();
    await shot('parameters');
    await page.getByTestId('param-create').click();
    await page.getByTestId('param-form').waitFor();
    await page.getByTestId('param-name').fill(name);
    await page.getByTestId('param-type').selectOption('SecureString');
    await page.getByTestId('param-value-input').fill(secret);
    await shot('parameter-create');
    await page.getByTestId('param-submit').click();

    await page.getByTestId('param-reveal').waitFor();
    assert.match(decodeURIComponent(page.url()), new RegExp(`/console/parameters/view\\?name=${name}$`));
    assert.match((await page.getByTestId('param-meta').textContent())!, /SecureString/);
    assert.ok(!(await page.content()).includes(secret) && !(await page.locator('body').innerText()).includes(secret), 'the value is not in the page before Reveal');
    assert.equal(await page.getByTestId('param-value-revealed').count(), 0);
    await shot('parameter-hidden');

    await page.getByTestId('param-reveal').click();
    assert.equal(await page.getByTestId('param-value-revealed').textContent(), secret);
    await shot('parameter-revealed');
    await page.getByTestId('param-hide').click();
    await page.getByTestId('param-reveal').waitFor();
    assert.ok(!(await page.content()).includes(secret), 'Hide takes the value out of the page again');
  });
  const stored = await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
  assert.equal(stored.Parameter?.Type, 'SecureString');
  assert.equal(stored.Parameter?.Value, secret);
});

test("an invalid document: the server's error shows next to the editor", async (tc) => {
  const name = `console-e2e-invalid-${Date.now()}`;
  // A step names an action no agent has.
  const content = ['schemaVersion: "2.2"', 'description: broken on purpose', 'mainSteps:', '  - action: aws:noSuchPlugin', '    name: nothing', '    inputs:', '      runCommand: [echo hi]', ''].join('\n');
  await browse(
    tc,
    async ({ page, shot }) => {
      await signIn(page, 'documents/new');
      await page.getByTestId('doc-form').waitFor();
      await page.getByTestId('doc-name').fill(name);
      await page.getByTestId('doc-format').selectOption('YAML');
      await page.getByTestId('doc-editor').fill(content);
      await shot('document-editor');
      await page.getByTestId('doc-submit').click();

      const error = page.getByTestId('doc-error');
      await error.waitFor();
      await shot('document-refused');
      const shown = { code: await page.getByTestId('doc-error-code').textContent(), message: await page.getByTestId('doc-error-message').textContent() };

      // The same document through the SDK: the console shows the server's own answer.
      const sdk = await ssm.send(new CreateDocumentCommand({ Name: name, Content: content, DocumentFormat: 'YAML', DocumentType: 'Command' })).then(
        () => assert.fail('the server accepted the invalid document'),
        (e: Error) => e,
      );
      assert.deepEqual(shown, { code: sdk.name, message: sdk.message });

      // Beside the editor: in the editor's layout, and the editor marked invalid and pointing at it.
      const layout = page.locator('.editor-layout', { has: page.getByTestId('doc-editor') });
      assert.equal(await layout.getByTestId('doc-error').count(), 1, 'the error is in the editor layout');
      assert.equal(await page.getByTestId('doc-editor').getAttribute('aria-invalid'), 'true');
      assert.equal(await page.getByTestId('doc-editor').getAttribute('aria-describedby'), await error.getAttribute('id'));
      assert.equal(await page.getByTestId('doc-editor').inputValue(), content, 'the content is kept for fixing');
      assert.match(page.url(), /\/console\/documents\/new$/);
    },
    { refusals: [{ method: 'POST', path: '/capstan/console/v1/call', status: 400, target: 'AmazonSSM.CreateDocument' }] },
  );
  await assert.rejects(ssm.send(new DescribeDocumentCommand({ Name: name })), /InvalidDocument/, 'nothing was created');
});

test('a shell in the browser on the real agent: echo hello', async (tc) => {
  await browse(tc, async ({ page, shot }) => {
    await signIn(page, `nodes/${realId}`);
    await page.getByTestId('node-info').waitFor();
    await shot('node-detail');
    await page.getByTestId('session-start').click();

    const terminal = page.getByTestId('shell-terminal');
    await page.locator('[data-testid="shell-terminal"][data-state="connected"]').waitFor();
    await terminal.click();
    await page.keyboard.type('echo hello');
    await page.keyboard.press('Enter');
    // xterm.js renders one element per row; the command's line reads "… echo hello", its output "hello".
    await page.waitForFunction(
      () => Array.from((globalThis as unknown as InPage).document.querySelectorAll('[data-testid="shell-terminal"] .xterm-rows > *')).some((r) => r.textContent?.trim() === 'hello'),
      undefined,
      { timeout: 20_000 },
    );
    await shot('shell-hello');

    const active = await ssm.send(new DescribeSessionsCommand({ State: 'Active', Filters: [{ key: 'Target', value: realId }] }));
    assert.equal(active.Sessions?.length, 1, 'the server has the session open');
    const sessionId = active.Sessions![0]!.SessionId!;
    assert.ok((await page.getByTestId('shell-session-id').textContent())?.includes(sessionId), 'the page names the session the server has');

    await page.getByTestId('shell-terminate').click();
    await page.locator('[data-testid="shell-terminal"][data-state="ended"]').waitFor();
    await page.getByTestId('shell-ended').waitFor();
    await shot('shell-ended');
    await until('the session in the history', async () => {
      const h = await ssm.send(new DescribeSessionsCommand({ State: 'History', Filters: [{ key: 'SessionId', value: sessionId }] }));
      return h.Sessions?.some((s) => s.SessionId === sessionId && s.Status === 'Terminated');
    });
  });
});

/** Whether a row of the xterm.js terminal in `testid` reads exactly `text` (trimmed). Runs in the page. */
const terminalRow = ({ testid, text }: { testid: string; text: string }) =>
  Array.from((globalThis as unknown as InPage).document.querySelectorAll(`[data-testid="${testid}"] .xterm-rows > *`)).some((r) => r.textContent?.trim() === text);

test('a past shell session replays from its transcript: paused before its output, sped up, then jumped to the end shows hello', async (tc) => {
  await browse(tc, async ({ page, shot }) => {
    await signIn(page, `sessions/shell/${realId}`);
    await page.locator('[data-testid="shell-terminal"][data-state="connected"]').waitFor();
    const sessionId = ((await page.getByTestId('shell-session-id').textContent()) ?? '').trim();
    assert.match(sessionId, /\S/);
    await page.getByTestId('shell-terminal').click();
    // The output comes seconds after the keystrokes, so a replay at 1× can be paused before it.
    await page.keyboard.type('sleep 3; echo hello');
    await page.keyboard.press('Enter');
    await page.waitForFunction(terminalRow, { testid: 'shell-terminal', text: 'hello' }, { timeout: 20_000 });
    await page.getByTestId('shell-terminate').click();
    await page.locator('[data-testid="shell-terminal"][data-state="ended"]').waitFor();
    await until('the session in the history', async () => {
      const h = await ssm.send(new DescribeSessionsCommand({ State: 'History', Filters: [{ key: 'SessionId', value: sessionId }] }));
      return h.Sessions?.some((s) => s.SessionId === sessionId);
    });

    await page.goto(`sessions?state=History&target=${realId}`);
    const row = page.locator(`[data-testid="session-row"][data-session-id="${sessionId}"]`);
    await row.waitFor();
    await shot('sessions-history');
    await row.getByTestId('session-replay').click();
    assert.ok(page.url().endsWith(`/console/sessions/replay/${sessionId}`), page.url());

    await page.locator('[data-testid="replay-terminal"][data-state="playing"]').waitFor();
    await page.getByTestId('replay-pause').click();
    await page.locator('[data-testid="replay-terminal"][data-state="paused"]').waitFor();
    assert.equal(await page.evaluate(terminalRow, { testid: 'replay-terminal', text: 'hello' }), false, 'paused before the output the shell printed 3 s in');
    await page.getByTestId('replay-speed').selectOption('8');
    assert.equal(await page.getByTestId('replay-speed').inputValue(), '8');
    await shot('replay-paused');

    await page.getByTestId('replay-end').click();
    await page.locator('[data-testid="replay-terminal"][data-state="done"]').waitFor();
    await page.waitForFunction(terminalRow, { testid: 'replay-terminal', text: 'hello' }, { timeout: 5_000 });
    await shot('replay-done');

    // Play again starts over on a blank screen.
    await page.getByTestId('replay-play').click();
    await page.locator('[data-testid="replay-terminal"]:is([data-state="playing"], [data-state="done"])').waitFor();
  });
});

test('a document is shared with an account and listed, a bad account id is refused inline, deletion is refused while shared, then unshared and deleted', async (tc) => {
  const name = `console-e2e-share-${Date.now()}`;
  const other = t.accountId === '111122223333' ? '444455556666' : '111122223333';
  const content = JSON.stringify({ schemaVersion: '2.2', description: 'shared by the console e2e', mainSteps: [{ action: 'aws:runShellScript', name: 'hello', inputs: { runCommand: ['echo hello'] } }] });
  await ssm.send(new CreateDocumentCommand({ Name: name, Content: content, DocumentFormat: 'JSON', DocumentType: 'Command' }));
  const sharedWith = async () => (await ssm.send(new DescribeDocumentPermissionCommand({ Name: name, PermissionType: 'Share' }))).AccountIds ?? [];
  await browse(
    tc,
    async ({ page, shot }) => {
      await signIn(page, `documents/view/${encodeURIComponent(name)}`);
      await page.getByTestId('doc-share-input').waitFor();
      assert.equal(await page.getByTestId('doc-shared-account').count(), 0, 'not shared yet');

      await page.getByTestId('doc-share-input').fill(other);
      await page.getByTestId('doc-share-add').click();
      await page.locator(`[data-testid="doc-shared-with"] [data-testid="doc-shared-account"][data-account-id="${other}"]`).waitFor();
      assert.deepEqual(await sharedWith(), [other], 'the SDK sees the same sharing');
      assert.equal(await page.getByTestId('doc-share-input').inputValue(), '', 'the input is cleared once shared');
      await shot('document-shared');

      // Not an account id: the server's own refusal shows beside the input.
      const bad = '12345';
      await page.getByTestId('doc-share-input').fill(bad);
      await page.getByTestId('doc-share-add').click();
      await page.getByTestId('doc-share-error').waitFor();
      const sdk = await ssm.send(new ModifyDocumentPermissionCommand({ Name: name, PermissionType: 'Share', AccountIdsToAdd: [bad] })).then(
        () => assert.fail('the server accepted an invalid account id'),
        (e: Error) => e,
      );
      const shown = (await page.getByTestId('doc-share-error').textContent())!;
      assert.ok(shown.includes(sdk.name) && shown.includes(sdk.message), `the console shows the server's answer (${sdk.name}: ${sdk.message}): ${shown}`);
      assert.equal(await page.getByTestId('doc-shared-account').count(), 1, 'still shared with the one account');
      await shot('document-share-refused');

      // AWS refuses to delete a shared document; the console says what the server said.
      await page.getByTestId('doc-delete').click();
      await page.getByTestId('doc-delete-confirm').click();
      await page.getByTestId('doc-delete-error').waitFor();
      assert.match((await page.getByTestId('doc-delete-error').textContent())!, /shared/i);
      await ssm.send(new DescribeDocumentCommand({ Name: name }));
      await shot('document-delete-refused');

      await page.locator(`[data-testid="doc-shared-account"][data-account-id="${other}"] [data-testid="doc-unshare"]`).click();
      await page.getByTestId('doc-shared-account').waitFor({ state: 'detached' });
      assert.deepEqual(await sharedWith(), [], 'the SDK sees it unshared');

      await page.getByTestId('doc-delete').click();
      await shot('document-delete-confirm');
      await page.getByTestId('doc-delete-confirm').click();
      await page.waitForURL(/\/console\/documents$/);
      await page.locator('[data-testid="doc-table"], .empty').first().waitFor();
      assert.equal(await page.locator(`[data-testid="doc-row"][data-name="${name}"]`).count(), 0, 'gone from the list');
      await shot('document-deleted');
    },
    {
      refusals: [
        { method: 'POST', path: '/capstan/console/v1/call', status: 400, target: 'AmazonSSM.ModifyDocumentPermission' },
        { method: 'POST', path: '/capstan/console/v1/call', status: 400, target: 'AmazonSSM.DeleteDocument' },
      ],
    },
  );
  await assert.rejects(ssm.send(new DescribeDocumentCommand({ Name: name })), /InvalidDocument/, 'the document is gone');
});

test('all regions: a node of a second region is counted on the dashboard, listed beside the header region\'s with its region, filtered, and opened in its region', async (tc) => {
  const region = 'eu-west-1';
  const west = new SSMClient(t.clientConfig({ region }));
  const { ActivationId, ActivationCode } = await west.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: 1 }));
  const node = new FleetNode(t.endpoint, 'console-e2e-west-1', { agentVersion: '0.1.0', platformName: 'Debian', platformVersion: '12', ipAddress: '10.9.0.1' });
  sims.push(node);
  await node.register(ActivationId!, ActivationCode!);
  await node.connect();
  const westId = node.instanceId;
  await until('the eu-west-1 node Online in eu-west-1', async () => {
    const r = await west.send(new DescribeInstanceInformationCommand({}));
    return r.InstanceInformationList?.length === 1 && r.InstanceInformationList[0]!.PingStatus === 'Online';
  });
  west.destroy();
  const home = await describeAll();
  assert.ok(!home.some((n) => n.InstanceId === westId), 'the eu-west-1 node is not a node of us-east-1');
  const expected = (f: (n: InstanceInformation) => boolean) => [...home.filter(f).map((n) => `${n.InstanceId} us-east-1`), `${westId} ${region}`].sort();

  await browse(tc, async ({ page, shot }) => {
    await signIn(page);
    await page.getByTestId('dashboard-ready').waitFor();
    // The dashboard's counts stay the header region's; the breakdown names every region.
    const westCount = page.getByTestId(`dash-region-${region}`);
    await westCount.waitFor();
    assert.equal(count(await westCount.textContent()), 1);
    assert.equal(count(await page.getByTestId('dash-region-us-east-1').textContent()), home.length);
    assert.equal(count(await page.getByTestId('dash-count-total').textContent()), home.length);
    await shot('dashboard-regions');

    const rows = async () => (await page.getByTestId('node-row').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-instance-id')} ${e.getAttribute('data-region')}`))).sort();
    const listed = async (n: number) => {
      await page.locator(`[data-testid="nodes-count"][data-count="${n}"]:not([data-loading])`).waitFor();
      return rows();
    };

    // A region's count leads to that region's node list.
    await westCount.click();
    await page.waitForURL(/\/console\/nodes\?region=eu-west-1$/);
    assert.deepEqual(await listed(1), [`${westId} ${region}`]);
    assert.equal(await page.getByTestId('nodes-all-regions').isChecked(), false);

    // All regions: one table, each row with its region.
    await page.getByTestId('nodes-all-regions').check();
    assert.match(page.url(), /region=all/);
    assert.deepEqual(await listed(home.length + 1), expected(() => true));
    await shot('nodes-all-regions');

    // The filters hold across regions: ping status, then a search typed in the browser.
    await page.getByTestId('nodes-filter-ping').selectOption('Online');
    const online = expected((n) => n.PingStatus === 'Online');
    assert.deepEqual(await listed(online.length), online);
    await page.getByTestId('nodes-filter-search').fill('console-e2e-');
    const simsOnline = expected((n) => n.PingStatus === 'Online' && (n.ComputerName ?? '').includes('console-e2e-'));
    assert.deepEqual(await listed(simsOnline.length), simsOnline);
    await page.getByTestId('nodes-filter-search').fill('10.9.0.');
    assert.deepEqual(await listed(1), [`${westId} ${region}`], 'search by IP address finds the eu-west-1 node');
    await page.getByTestId('nodes-filter-clear').click();
    assert.deepEqual(await listed(home.length + 1), expected(() => true));
    assert.match(page.url(), /region=all/, 'Clear filters keeps every region');

    // The eu-west-1 node opens in its region.
    await page.locator(`[data-testid="node-row"][data-instance-id="${westId}"] [data-testid="node-link"]`).click();
    await page.getByTestId('node-info').waitFor();
    assert.ok(page.url().endsWith(`/console/nodes/${westId}?region=${region}`), page.url());
    assert.equal(await page.getByTestId('node-ping').textContent(), 'Online');
    const info = (await page.getByTestId('node-info').textContent())!;
    for (const fact of [region, 'console-e2e-west-1', '10.9.0.1', 'Debian 12']) assert.ok(info.includes(fact), `the node's facts show ${fact}: ${info}`);
    assert.equal(await page.getByTestId('node-run-command').count(), 0, 'Run Command runs in the header region, which is not the node\'s');
    await page.getByTestId('node-switch-region').waitFor();
    await shot('node-detail-eu-west-1');

    // A node of the header's region still opens at its plain address.
    await page.goBack();
    await page.locator(`[data-testid="node-row"][data-instance-id="${realId}"][data-region="us-east-1"] [data-testid="node-link"]`).click();
    await page.getByTestId('node-info').waitFor();
    assert.ok(page.url().endsWith(`/console/nodes/${realId}?region=us-east-1`), page.url());
    await page.getByTestId('node-run-command').waitFor();
  });
});

test('a user whose password must be reset is sent to change it: a too-short one shows the policy error, a good one opens the dashboard', async (tc) => {
  const iam = new IAMClient(t.clientConfig());
  const userName = `console-e2e-reset-${Date.now()}`;
  await iam.send(new CreateUserCommand({ UserName: userName }));
  await iam.send(new AttachUserPolicyCommand({ UserName: userName, PolicyArn: 'arn:aws:iam::aws:policy/AmazonSSMFullAccess' }));
  await iam.send(new UpdateAccountPasswordPolicyCommand({ MinimumPasswordLength: 14, AllowUsersToChangePassword: true }));
  await iam.send(new CreateLoginProfileCommand({ UserName: userName, Password: 'Temporary-Pass-2024', PasswordResetRequired: true }));
  try {
    await browse(
      tc,
      async ({ page, shot }) => {
        await page.goto('');
        await page.getByTestId('signin-mode-password').check();
        await page.getByTestId('signin-account-id').fill(t.accountId);
        await page.getByTestId('signin-user-name').fill(userName);
        await page.getByTestId('signin-password').fill('Temporary-Pass-2024');
        await page.getByTestId('signin-submit').click();
        await page.waitForURL(/\/console\/change-password$/);
        await page.getByTestId('password-old').waitFor();
        await shot('change-password-required');

        // Too short for the account's policy: the server's refusal shows in place.
        await page.getByTestId('password-old').fill('Temporary-Pass-2024');
        await page.getByTestId('password-new').fill('Short-1');
        await page.getByTestId('password-confirm').fill('Short-1');
        await page.getByTestId('password-submit').click();
        const error = page.getByTestId('password-error');
        await error.waitFor();
        assert.match((await error.textContent())!, /at least 14 characters/);
        assert.equal(await page.getByTestId('dashboard-ready').count(), 0, 'still held on the change-password page');
        await shot('change-password-refused');

        await page.getByTestId('password-new').fill('A-Much-Longer-Pass-2024');
        await page.getByTestId('password-confirm').fill('A-Much-Longer-Pass-2024');
        await page.getByTestId('password-submit').click();
        await page.getByTestId('dashboard-ready').waitFor();
        assert.match((await page.getByTestId('principal').textContent())!, new RegExp(userName));
        assert.equal(await page.getByTestId('nav-change-password').count(), 1, 'a password session can change its password from the header');
        await shot('dashboard-after-change');
      },
      { refusals: [{ method: 'POST', path: '/capstan/console/v1/change-password', status: 400 }] },
    );
    assert.equal((await iam.send(new GetLoginProfileCommand({ UserName: userName }))).LoginProfile!.PasswordResetRequired, false);
  } finally {
    await iam.send(new DeleteAccountPasswordPolicyCommand({}));
    iam.destroy();
  }
});
