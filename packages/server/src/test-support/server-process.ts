import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { freePort } from './replica-set.js';

const root = new URL('../../../../', import.meta.url).pathname;
const CLI = ['--conditions=capstan-src', '--import', 'tsx', 'packages/cli/src/main.ts'];

export interface ServerProcessOptions {
  /** The SQLite database, root key and credentials live here, and outlive the process. */
  dataDir: string;
  /** Extra environment (timings such as CAPSTAN_JOB_LEASE_MS). */
  env?: Record<string, string>;
}

/**
 * One `capstan server` on SQLite as an operator runs it: a process of its own, which a test can
 * SIGKILL (no goodbye, no lease handed back) and start again on the same data directory and port,
 * so clients and agents find it where they left it.
 */
export class ServerProcess {
  readonly admin = { accountId: '210987654321', accessKeyId: 'AKIASERVERPROCESS001', secretAccessKey: randomBytes(24).toString('base64url') };
  proc: ChildProcess | undefined;
  /** Everything the current process printed. */
  output = '';
  /** How many times a process was started (1 after start). */
  starts = 0;

  private constructor(
    private readonly o: ServerProcessOptions,
    readonly port: number,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async start(o: ServerProcessOptions): Promise<ServerProcess> {
    const s = new ServerProcess(o, await freePort());
    await s.launch();
    return s;
  }

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  clientConfig() {
    return { endpoint: this.url, region: 'us-east-1', credentials: { accessKeyId: this.admin.accessKeyId, secretAccessKey: this.admin.secretAccessKey }, maxAttempts: 1 };
  }

  /** Starts the server (again) and resolves once it serves. */
  async launch(): Promise<void> {
    if (this.running) throw new Error('the server is still running');
    this.output = '';
    this.starts += 1;
    const proc = spawn(process.execPath, [...CLI, 'server', '--data-dir', this.o.dataDir, '--listen', `127.0.0.1:${this.port}`], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        CAPSTAN_ADMIN_ACCOUNT_ID: this.admin.accountId,
        CAPSTAN_ADMIN_ACCESS_KEY_ID: this.admin.accessKeyId,
        CAPSTAN_ADMIN_SECRET_ACCESS_KEY: this.admin.secretAccessKey,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: '1',
        ...this.o.env,
      },
    });
    this.proc = proc;
    proc.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`capstan server did not start within 60 s:\n${this.output}`)), 60_000);
      const check = () => {
        if (!this.output.includes('Capstan is serving at')) return;
        clearTimeout(timer);
        proc.stdout!.off('data', check);
        proc.off('exit', exited);
        resolve();
      };
      const exited = (code: number | null) => {
        clearTimeout(timer);
        reject(new Error(`capstan server exited with ${code}:\n${this.output}`));
      };
      proc.stdout!.on('data', check);
      proc.once('exit', exited);
    });
  }

  /** SIGKILL: whatever the server was doing stops mid-way. */
  async kill(): Promise<void> {
    const proc = this.proc;
    if (!proc || !this.running) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGKILL');
    await exited;
  }

  /** SIGTERM, as an operator stops it; SIGKILL if it does not exit within 10 s. */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc || !this.running) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}
