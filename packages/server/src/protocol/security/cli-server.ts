import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/**
 * `capstan server` as a process of its own, on any --listen address and with any flags, for the
 * tests of what the command decides at start (TLS off loopback, core dumps). Resolves once it
 * serves (and, when `until` is given, once its output matches it).
 */
const root = new URL('../../../../../', import.meta.url).pathname;
export const CLI = ['--conditions=capstan-src', '--import', 'tsx', 'packages/cli/src/main.ts'];
export const cliRoot = root;

export const admin = { accountId: '135792468024', accessKeyId: 'AKIATLSDEFAULT000001', secretAccessKey: randomBytes(24).toString('base64url') };

export interface CliServer {
  proc: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

export async function serveCli(o: { dataDir: string; listen: string; args?: string[]; env?: Record<string, string>; until?: RegExp; shellPrefix?: string }): Promise<CliServer> {
  let out = '';
  const argv = [...CLI, 'server', '--data-dir', o.dataDir, '--listen', o.listen, ...(o.args ?? [])];
  const env = { ...process.env, CAPSTAN_ADMIN_ACCOUNT_ID: admin.accountId, CAPSTAN_ADMIN_ACCESS_KEY_ID: admin.accessKeyId, CAPSTAN_ADMIN_SECRET_ACCESS_KEY: admin.secretAccessKey, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: '1', ...o.env };
  // A shell prefix (e.g. `ulimit -c unlimited`) runs first and then execs node, so the pid is the server's.
  const proc = o.shellPrefix
    ? spawn('/bin/sh', ['-c', `${o.shellPrefix}; exec "$0" "$@"`, process.execPath, ...argv], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env })
    : spawn(process.execPath, argv, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env });
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`capstan server did not start within 60 s:\n${out}`)), 60_000);
    const check = () => {
      if (!/Capstan is serving at/.test(out) || (o.until && !o.until.test(out))) return;
      clearTimeout(timer);
      resolve();
    };
    proc.stdout!.on('data', check);
    proc.stderr!.on('data', check);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`capstan server exited with ${code}:\n${out}`));
    });
  });
  return {
    proc,
    output: () => out,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
