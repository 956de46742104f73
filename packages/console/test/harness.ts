/**
 * What the console's browser tests share: the console built from its current sources into the
 * suite's own directory and served by a real server, a real agent for the suites that run
 * something on a node (`startAgent`), Chromium driven through playwright-core, a fresh browser
 * context for each test, and the checks every test gets for free.
 *
 * Every test fails on a browser console error or an uncaught page error, and on any HTTP
 * refusal (4xx/5xx) it did not declare; the 4xx answers a test expects (the /me check before
 * sign-in, a wrong secret, a refused document) show in Chromium's console as "Failed to load
 * resource", which is the only console error let through. Screenshots of every page visited go
 * to .capstan-test/screenshots/<suite>/ at the repository root.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';
import { CreateActivationCommand, SSMClient } from '@aws-sdk/client-ssm';
import { chromium, type Browser, type BrowserContext, type Page, type Response } from 'playwright-core';
import { loadIdentity } from '../../agent/src/state.js';
import { startTestServer, type TestServer } from '../../server/src/test-support/server.js';

export const root = new URL('../../../', import.meta.url).pathname;
export const run = promisify(execFile);

/** The capstan CLI from its sources, as `npx capstan` runs it in the repository. */
const cli = ['--conditions=capstan-src', '--import', 'tsx', 'packages/cli/src/main.ts'];
export const capstan = (...args: string[]) => run(process.execPath, [...cli, ...args], { cwd: root });

/** A real agent on this machine: `capstan agent register` with an activation, then `capstan agent run`. */
export interface RealAgent {
  /** Its node id (`mi-…`). */
  instanceId: string;
  /** Everything it has printed, for a timeout's message. */
  output(): string;
}

/** Polls `probe` until it answers something other than undefined or false; `detail` adds to a timeout's message. */
export async function until<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, ms = 20_000, detail?: () => string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}${detail ? `\n${detail()}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The console's own build (`vite build`, as `npm run build:console` runs it) of the current
 * sources, into `outDir`, which the server serves (CAPSTAN_CONSOLE_DIST): the tests see what the
 * sources say, whatever state packages/console/dist is in, and a build someone runs meanwhile
 * (it empties dist first) cannot pull the files from under a test.
 */
export async function buildConsole(outDir: string): Promise<void> {
  await run('npm', ['run', 'build', '-w', '@capstan/console', '--', '--outDir', outDir, '--emptyOutDir'], { cwd: root, maxBuffer: 16 * 1024 * 1024 });
  assert.ok(existsSync(join(outDir, 'index.html')), 'the build wrote index.html');
}

/** An HTTP refusal a test expects: the browser's console reports it, and that is not an error. */
export interface Refusal {
  method: string;
  path: string;
  status: number;
  /** For /call: the x-amz-target. */
  target?: string;
}

/** Before sign-in the app asks who is signed in, and hears 401. */
export const ME_401: Refusal = { method: 'GET', path: '/capstan/console/v1/me', status: 401 };

/** A refused AWS operation called through the console's /call endpoint. */
export const refusedCall = (operation: string, status = 400): Refusal => ({ method: 'POST', path: '/capstan/console/v1/call', status, target: `AmazonSSM.${operation}` });

export interface Browsing {
  page: Page;
  context: BrowserContext;
  /** Saves a screenshot of the page as it is now. */
  shot(name: string): Promise<void>;
}

/**
 * The browser globals the page-side snippets use. The test files are checked as the server code
 * they import is, without the DOM library, so each snippet reads them through
 * `globalThis as unknown as InPage` (a cast, gone in the page). Snippets name no functions of
 * their own: tsx's esbuild would wrap those in a helper the page lacks.
 */
export interface InPage {
  document: {
    querySelector(selector: string): { textContent: string | null; getAttribute(name: string): string | null } | null;
    querySelectorAll(selector: string): ArrayLike<{ textContent: string | null; getAttribute(name: string): string | null }>;
    documentElement: { outerHTML: string; clientWidth: number; scrollWidth: number };
    body: { scrollWidth: number };
    cookie: string;
  };
  localStorage: object;
  sessionStorage: object;
  location: { href: string };
}

const FAILED_TO_LOAD_4XX = /^Failed to load resource: the server responded with a status of 4\d\d\b/;

/**
 * One suite's server, browser and console build. `start` is meant for the suite's `before`,
 * `stop` for its `after`; `setup` runs beside the browser's launch and the build, once the
 * server is up (agents, fleets, fixtures).
 */
export class ConsoleHarness {
  t!: TestServer;
  browser!: Browser;
  readonly work: string;
  readonly shots: string;
  private launching: Promise<Browser> | undefined;
  private agents: ChildProcess[] = [];

  constructor(readonly suite: string) {
    this.work = mkdtempSync(join(tmpdir(), `capstan-${suite}-e2e-`));
    this.shots = join(root, '.capstan-test/screenshots', suite);
  }

  async start(setup?: (t: TestServer) => Promise<void>): Promise<void> {
    // This run's pictures only: a test's earlier FAILED shot would mislead.
    rmSync(this.shots, { recursive: true, force: true });
    mkdirSync(this.shots, { recursive: true });
    this.launching = chromium.launch({ executablePath: process.env.CAPSTAN_CHROMIUM ?? '/usr/bin/chromium' });
    const dist = join(this.work, 'console-dist');
    process.env.CAPSTAN_CONSOLE_DIST = dist;
    const server = async () => {
      this.t = await startTestServer({});
      await setup?.(this.t);
    };
    [this.browser] = await Promise.all([this.launching, buildConsole(dist), server()]);
  }

  async stop(): Promise<void> {
    for (const a of this.agents) a.kill('SIGKILL');
    await (await this.launching?.catch(() => undefined))?.close();
    await this.t?.stop();
    rmSync(this.work, { recursive: true, force: true });
  }

  /**
   * Registers and runs a real agent against the suite's server (meant for `setup`), resolved
   * once it is online; `stop` kills it. Commands sent to it really run on this machine. `env`
   * adds to the agent's environment (APT_CONFIG, to patch an isolated apt root).
   */
  async startAgent(name = 'agent', env?: Record<string, string>): Promise<RealAgent> {
    const ssm = new SSMClient(this.t.clientConfig());
    let activation: { ActivationId?: string | undefined; ActivationCode?: string | undefined };
    try {
      activation = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: 1 }));
    } finally {
      ssm.destroy();
    }
    const stateDir = join(this.work, name);
    await capstan('agent', 'register', '--endpoint', this.t.endpoint, '--activation-id', activation.ActivationId!, '--activation-code', activation.ActivationCode!, '--state-dir', stateDir);
    const instanceId = loadIdentity(stateDir).identity.instanceId;
    const proc = spawn(process.execPath, [...cli, 'agent', 'run', '--state-dir', stateDir], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], ...(env ? { env: { ...process.env, ...env } } : {}) });
    this.agents.push(proc);
    let output = '';
    proc.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    await until(
      `the real agent ${name} online`,
      () => {
        if (proc.exitCode !== null) assert.fail(`the agent exited with ${proc.exitCode}:\n${output}`);
        return output.includes('online as');
      },
      30_000,
      () => `agent:\n${output.slice(-2000)}`,
    );
    return { instanceId, output: () => output };
  }

  /**
   * Runs `fn` in a fresh browser context, then fails the test on any console error, page error
   * or undeclared refusal seen meanwhile.
   */
  async browse(tc: TestContext, fn: (b: Browsing) => Promise<void>, opts: { refusals?: Refusal[]; timezoneId?: string } = {}): Promise<void> {
    // timezoneId puts the browser in another zone than this machine's, so times a page shows in both differ.
    const context = await this.browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US', baseURL: `${this.t.endpoint}/console/`, ...(opts.timezoneId ? { timezoneId: opts.timezoneId } : {}) });
    context.setDefaultTimeout(20_000);
    const page = await context.newPage();
    const errors: string[] = [];
    const refusals: Refusal[] = [ME_401, ...(opts.refusals ?? [])];
    page.on('pageerror', (e) => errors.push(`page error: ${e.stack ?? e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && !FAILED_TO_LOAD_4XX.test(m.text())) errors.push(`console error: ${m.text()} (${m.location().url})`);
    });
    page.on('response', (r: Response) => {
      if (r.status() < 400) return;
      const req = r.request();
      const path = new URL(r.url()).pathname;
      const target = req.headers()['x-amz-target'];
      const expected = refusals.some((x) => x.method === req.method() && x.path === path && x.status === r.status() && (x.target === undefined || x.target === target));
      if (!expected) errors.push(`unexpected ${r.status()} for ${req.method()} ${path}${target ? ` (${target})` : ''}`);
    });
    const slug = tc.name.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40).toLowerCase();
    let n = 0;
    const shot = async (name: string) => {
      await page.screenshot({ path: join(this.shots, `${slug}-${String(++n).padStart(2, '0')}-${name}.png`), fullPage: true });
    };
    try {
      await fn({ page, context, shot });
    } catch (e) {
      await page.screenshot({ path: join(this.shots, `${slug}-FAILED.png`), fullPage: true }).catch(() => undefined);
      // What the browser saw often says why.
      if (errors.length && e instanceof Error) e.message += `\nin the browser meanwhile:\n${errors.join('\n')}`;
      throw e;
    } finally {
      await context.close();
    }
    assert.deepEqual(errors, [], 'no console errors, page errors or unexpected refusals');
  }

  /** Opens a console page and signs in through the form with the admin access key. */
  async signIn(page: Page, path = ''): Promise<void> {
    await page.goto(path);
    await page.getByTestId('signin-access-key-id').fill(this.t.credentials.accessKeyId);
    await page.getByTestId('signin-secret-access-key').fill(this.t.credentials.secretAccessKey);
    await page.getByTestId('signin-submit').click();
    await page.getByTestId('principal').waitFor();
  }
}
