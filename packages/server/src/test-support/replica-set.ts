import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { TcpBalancer } from './tcp-balancer.js';

const root = new URL('../../../../', import.meta.url).pathname;
const CLI = ['--conditions=capstan-src', '--import', 'tsx', 'packages/cli/src/main.ts'];

export interface Replica {
  readonly index: number;
  readonly port: number;
  readonly url: string;
  proc: ChildProcess | undefined;
  output: string;
  /** Set by kill and stop: any other exit is a crash, and is reported. */
  stopping?: boolean;
}

export interface ReplicaSetOptions {
  count: number;
  /** postgres://… shared by every replica. */
  databaseUrl: string;
  /** Each replica gets a data directory under it. */
  workDir: string;
  /** Extra environment of every replica (timings such as CAPSTAN_JOB_LEASE_MS). */
  env?: Record<string, string>;
}

/** A loopback port free at the moment of asking. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/**
 * Replicas as operators run them: separate `capstan server --database postgres://…` processes
 * sharing one root key and one store, each with its own advertised URL, behind a TCP balancer.
 * A replica can be killed (SIGKILL: no goodbye) and started again on its port.
 */
export class ReplicaSet {
  readonly admin = { accountId: '123456789012', accessKeyId: 'AKIAREPLICASET000001', secretAccessKey: randomBytes(24).toString('base64url') };
  readonly replicas: Replica[] = [];
  private readonly rootKey = randomBytes(32).toString('base64');
  balancer!: TcpBalancer;

  private constructor(private readonly o: ReplicaSetOptions) {}

  static async start(o: ReplicaSetOptions): Promise<ReplicaSet> {
    const set = new ReplicaSet(o);
    for (let i = 0; i < o.count; i++) {
      const port = await freePort();
      set.replicas.push({ index: i, port, url: `http://127.0.0.1:${port}`, proc: undefined, output: '' });
    }
    try {
      // Together, as a fleet's replicas come up: migrations and the admin account are made once.
      await Promise.all(set.replicas.map((_, i) => set.startReplica(i)));
    } catch (e) {
      await set.stop();
      throw e;
    }
    set.balancer = new TcpBalancer(set.replicas.map((r) => r.port));
    await set.balancer.listen();
    return set;
  }

  clientConfig(i: number) {
    return { endpoint: this.replicas[i]!.url, region: 'us-east-1', credentials: { accessKeyId: this.admin.accessKeyId, secretAccessKey: this.admin.secretAccessKey }, maxAttempts: 1 };
  }

  async startReplica(i: number): Promise<void> {
    const r = this.replicas[i]!;
    const dir = join(this.o.workDir, `replica-${i}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    r.output = '';
    const proc = spawn(process.execPath, [...CLI, 'server', '--database', this.o.databaseUrl, '--listen', `127.0.0.1:${r.port}`, '--public-url', r.url, '--data-dir', dir], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        CAPSTAN_ROOT_KEY: this.rootKey,
        CAPSTAN_ADMIN_ACCOUNT_ID: this.admin.accountId,
        CAPSTAN_ADMIN_ACCESS_KEY_ID: this.admin.accessKeyId,
        CAPSTAN_ADMIN_SECRET_ACCESS_KEY: this.admin.secretAccessKey,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: '1',
        // Other tests share the PostgreSQL (100 connections by default) while replicas run.
        CAPSTAN_DATABASE_POOL_SIZE: '4',
        ...this.o.env,
      },
    });
    r.proc = proc;
    r.stopping = false;
    proc.stdout!.on('data', (d: Buffer) => (r.output += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (r.output += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`replica ${i} did not start within 60 s:\n${r.output}`)), 60_000);
      const check = () => {
        if (!r.output.includes('Capstan is serving at')) return;
        clearTimeout(timer);
        proc.stdout!.off('data', check);
        resolve();
      };
      proc.stdout!.on('data', check);
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`replica ${i} exited with ${code}:\n${r.output}`));
      });
    });
    proc.once('exit', (code, signal) => {
      // A replica that dies by itself fails whatever asked it next, often as a bare socket hang-up: say why here.
      if (!r.stopping) process.stderr.write(`replica ${i} exited by itself (code ${code}, signal ${signal}); its output:\n${r.output.slice(-8_000)}\n`);
    });
  }

  /** SIGKILL: the replica gets no chance to hand anything over. */
  async kill(i: number): Promise<void> {
    const proc = this.replicas[i]!.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    this.replicas[i]!.stopping = true;
    proc.kill('SIGKILL');
    await exited;
    this.replicas[i]!.proc = undefined;
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.replicas.map(async (r) => {
        const proc = r.proc;
        if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
        const exited = new Promise((resolve) => proc.once('exit', resolve));
        r.stopping = true;
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }),
    );
    await this.balancer?.close();
  }
}
