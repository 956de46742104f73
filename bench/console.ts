// The web console with a large fleet, in Chromium (playwright-core, Debian's /usr/bin/chromium or
// CAPSTAN_CHROMIUM): one server process with its default settings (SQLite) serving the built
// console, COUNT nodes registered through the real registration endpoint (each its own Ed25519
// key pair), CONNECTED of them holding a control channel with a signed hello and pings, as
// bench/agents.ts's simulated agents do (various platforms and agent versions, so the dashboard
// has something to group).
// Signed in once through the sign-in form, then each run is a full navigation, timed in the page
// from the navigation's start (performance.now()) to the moment a MutationObserver sees:
//   - the dashboard: `dashboard-ready` (the fleet counted, CapstanSummarizeNodes);
//   - the node list: the first `node-row`, and `nodes-count` at COUNT without `data-loading`
//     (every page of DescribeInstanceProperties in).
// The first dashboard visit in a new browser context with the session cookie (nothing cached) is
// reported beside the median of the warm runs. The console is built first from its current
// sources into a temporary directory (CAPSTAN_CONSOLE_DIST), leaving packages/console/dist alone.
//   npm run bench -- console [--count 10000] [--connected 2000] [--runs 7] [--in-flight 100]
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import type { KeyObject } from 'node:crypto';
import { CreateActivationCommand, SSMClient } from '@aws-sdk/client-ssm';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import WebSocket from 'ws';
import { answerChallenge } from '../packages/wire/src/index.js';
import { ADMIN, startCapstan } from './_harness.js';
import { registerSimulated, type Activation } from './_sim-register.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '10000' },
    connected: { type: 'string', default: '2000' },
    runs: { type: 'string', default: '7' },
    'in-flight': { type: 'string', default: '100' },
  },
});
const count = Number(values.count);
const connectedCount = Math.min(count, Number(values.connected));
const runs = Number(values.runs);
const inFlight = Number(values['in-flight']);
const root = new URL('..', import.meta.url).pathname;
const PER_ACTIVATION = 1000; // CreateActivation's RegistrationLimit maximum
const TARGET_MS = 1000;

const results: { name: string; target: string; ok: boolean | undefined; detail: string }[] = [];
const info: string[] = [];
const ms = (v: number) => (v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`);
const step = (line: string) => console.error(`[console] ${line}`);
const median = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const uptime = () => spawnSync('uptime', { encoding: 'utf8' }).stdout.trim();
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** The console's own build of its current sources into `dir`, which the server is pointed at (CAPSTAN_CONSOLE_DIST). */
async function buildConsole(dir: string): Promise<void> {
  step('building the console');
  await promisify(execFile)('npm', ['run', 'build', '-w', '@capstan/console', '--', '--outDir', dir, '--emptyOutDir'], { cwd: root, maxBuffer: 16 * 1024 * 1024 });
  if (!existsSync(join(dir, 'index.html'))) throw new Error(`the console build wrote no ${dir}/index.html`);
}

/** What a node says in its hello: a few platforms and two agent versions, by node number. */
function facts(n: number) {
  const platforms = [
    ['Ubuntu', '24.04'],
    ['Ubuntu', '22.04'],
    ['Amazon Linux', '2023'],
    ['Debian GNU/Linux', '12'],
  ] as const;
  const [platformName, platformVersion] = platforms[n % platforms.length]!;
  return { agentVersion: n % 10 === 0 ? '0.0.9' : '0.1.0', platformType: 'Linux', platformName, platformVersion, hostname: `node-${n}`, ipAddress: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`, architecture: 'x64' };
}

/** A control channel held open with pings, as the real agent does; resolves at the welcome. */
function hold(url: string, n: number, key: KeyObject, instanceId: string, sockets: WebSocket[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/capstan/agent/v1/channel`, { perMessageDeflate: false });
    sockets.push(ws);
    let pinger: NodeJS.Timeout | undefined;
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as { type?: string; nonce?: string; pingMs?: number; message?: string };
      if (m.type === 'challenge' && m.nonce) {
        ws.send(JSON.stringify({ type: 'hello', instanceId, signature: answerChallenge(m.nonce, instanceId, key), info: facts(n) }));
        pinger = setInterval(() => ws.send(JSON.stringify({ type: 'ping' })), m.pingMs ?? 30_000);
      } else if (m.type === 'welcome') resolve();
      else if (m.type === 'error') reject(new Error(m.message));
    });
    ws.on('error', reject);
    ws.on('close', () => clearInterval(pinger));
  });
}

/**
 * Marks, in the page's own clock (ms since the navigation started), when the dashboard is ready,
 * the first node row is in the document, and the node list holds the whole fleet. Plain
 * JavaScript: it runs in the page before the app, at every navigation.
 */
const MARKS = `(() => {
  const marks = (window.__marks = {});
  const check = () => {
    const now = performance.now();
    if (marks.dashboard === undefined && document.querySelector('[data-testid="dashboard-ready"]')) marks.dashboard = now;
    if (marks.firstRow === undefined && document.querySelector('[data-testid="node-row"]')) marks.firstRow = now;
    const c = document.querySelector('[data-testid="nodes-count"]');
    if (marks.allRows === undefined && c && !c.hasAttribute('data-loading') && c.getAttribute('data-count') === '${count}') marks.allRows = now;
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true, attributes: true, attributeFilter: ['data-loading', 'data-count', 'data-testid'] });
})();`;

type Mark = 'dashboard' | 'firstRow' | 'allRows';

/** Navigates and waits for the marks; functions, not strings, since the console's CSP forbids eval. */
async function timed(page: Page, path: string, marks: Mark[]): Promise<Record<Mark, number>> {
  await page.goto(path);
  const got = await page.waitForFunction(
    (wanted) => {
      const m = (globalThis as unknown as { __marks?: Record<string, number> }).__marks;
      return m && wanted.every((k) => m[k] !== undefined) ? m : undefined;
    },
    marks,
    { timeout: 60_000, polling: 50 },
  );
  return (await got.jsonValue()) as Record<Mark, number>;
}

const loadAtStart = uptime();
const tStart = performance.now();
const consoleDist = mkdtempSync(join(tmpdir(), 'capstan-bench-console-'));
await buildConsole(consoleDist);
process.env.CAPSTAN_CONSOLE_DIST = consoleDist; // the server process inherits it
const server = await startCapstan();
const ssm = new SSMClient({ endpoint: server.url, region: 'us-east-1', credentials: ADMIN, maxAttempts: 3 });
const sockets: WebSocket[] = [];
const browser = await chromium.launch({ executablePath: process.env.CAPSTAN_CHROMIUM ?? '/usr/bin/chromium' });
try {
  // The fleet: registered through the real endpoint, the first CONNECTED dialled in.
  const activations: Activation[] = [];
  for (let left = count; left > 0; left -= PER_ACTIVATION) {
    const n = Math.min(PER_ACTIVATION, left);
    const a = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: n, Description: 'bench/console' }));
    activations.push({ id: a.ActivationId!, code: a.ActivationCode!, count: n });
  }
  step(`registering ${count} nodes`);
  let t0 = performance.now();
  const nodes: { n: number; key: KeyObject; instanceId: string }[] = [];
  const reg = await registerSimulated(server.url, activations, inFlight, 0, (n, key, instanceId) => nodes.push({ n, key, instanceId }));
  if (nodes.length !== count) throw new Error(`only ${nodes.length} of ${count} registered: ${reg.error}`);
  info.push(`${count} registered in ${ms(performance.now() - t0)}`);
  step(`connecting ${connectedCount}`);
  t0 = performance.now();
  const dialling = nodes.slice(0, connectedCount);
  for (let i = 0; i < dialling.length; i += 200) await Promise.all(dialling.slice(i, i + 200).map((x) => hold(server.url, x.n, x.key, x.instanceId, sockets)));
  info.push(`${connectedCount} connected in ${ms(performance.now() - t0)}`);

  // Sign in once through the form; the session is the context's cookie.
  const context: BrowserContext = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US', baseURL: `${server.url}/console/` });
  await context.addInitScript(MARKS);
  const page = await context.newPage();
  await page.goto('');
  await page.getByTestId('signin-access-key-id').fill(ADMIN.accessKeyId);
  await page.getByTestId('signin-secret-access-key').fill(ADMIN.secretAccessKey);
  await page.getByTestId('signin-submit').click();
  await page.getByTestId('dashboard-ready').waitFor({ timeout: 60_000 });
  const shown = Number(((await page.getByTestId('dash-count-total').textContent()) ?? '').replace(/[^\d]/g, ''));
  const online = Number(((await page.getByTestId('dash-count-ping-Online').textContent()) ?? '').replace(/[^\d]/g, ''));
  if (shown !== count || online !== connectedCount) throw new Error(`the dashboard shows ${shown} nodes, ${online} Online; expected ${count}, ${connectedCount}`);

  // Nothing cached: a new context with the session cookie, the first navigation.
  const cold: BrowserContext = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US', baseURL: `${server.url}/console/` });
  await cold.addCookies(await context.cookies());
  await cold.addInitScript(MARKS);
  const coldMs = (await timed(await cold.newPage(), '', ['dashboard'])).dashboard;
  await cold.close();
  results.push({ name: 'dashboard ready, first visit (nothing cached)', target: `< ${TARGET_MS} ms`, ok: coldMs < TARGET_MS, detail: ms(coldMs) });

  step(`dashboard: ${runs} runs`);
  await timed(page, '', ['dashboard']); // warm-up
  const dash: number[] = [];
  for (let i = 0; i < runs; i++) dash.push((await timed(page, '', ['dashboard'])).dashboard);
  results.push({ name: `dashboard ready after navigation, median of ${runs}`, target: `< ${TARGET_MS} ms`, ok: median(dash) < TARGET_MS, detail: `${ms(median(dash))} (runs: ${dash.map(ms).join(', ')})` });

  step(`node list: ${runs} runs`);
  await timed(page, 'nodes', ['firstRow', 'allRows']); // warm-up
  const first: number[] = [];
  const all: number[] = [];
  for (let i = 0; i < runs; i++) {
    const m = await timed(page, 'nodes', ['firstRow', 'allRows']);
    first.push(m.firstRow);
    all.push(m.allRows);
  }
  results.push({ name: `node list: first rows, median of ${runs}`, target: `< ${TARGET_MS} ms`, ok: median(first) < TARGET_MS, detail: `${ms(median(first))} (runs: ${first.map(ms).join(', ')})` });
  results.push({ name: `node list: all ${count} loaded, median of ${runs}`, target: '-', ok: undefined, detail: `${ms(median(all))} (runs: ${all.map(ms).join(', ')}; ${Math.ceil(count / 1000)} pages of DescribeInstanceProperties)` });
  await page.screenshot({ path: join(root, '.capstan-test/bench-console-nodes.png') }).catch(() => undefined);
  await context.close();
} catch (e) {
  console.error((e as Error).stack ?? e);
  process.exitCode = 1;
} finally {
  await browser.close();
  for (const ws of sockets) ws.terminate();
  ssm.destroy();
  await server.stop();
  rmSync(consoleDist, { recursive: true, force: true });
}

console.log(`Console in Chromium (headless, 1280×900) against one server process (SQLite, default settings), ${((performance.now() - tStart) / 1000).toFixed(0)} s in all; load average ${loadavg()} at the end (2 cores)`);
console.log(`  ${count} nodes registered through the real endpoint, ${connectedCount} of them connected (signed hello, pings); signed in once, then full navigations timed in the page from navigation start until the element is in the document.`);
for (const r of results) console.log(`  ${r.ok === undefined ? '    ' : r.ok ? 'ok  ' : 'MISS'} ${r.name.padEnd(50)} ${r.target.padEnd(10)} ${r.detail}`);
for (const line of info) console.log(`  note: ${line}`);
console.log(`  uptime at the start: ${loadAtStart}`);
console.log(`  uptime at the end:   ${uptime()}`);
if (results.some((r) => r.ok === false)) process.exitCode = 1;
