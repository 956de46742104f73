import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const root = new URL('../../../../', import.meta.url).pathname;
const run = promisify(execFile);

/** The self-contained agent nodes get (`npm run build:agent`, without the single executable), built into `outDir`; returns its script. */
export async function buildAgentBundle(outDir: string, agentVersion?: string): Promise<string> {
  await run(process.execPath, [join(root, 'scripts/build-agent.mjs'), '--out', outDir, '--no-sea', ...(agentVersion ? ['--agent-version', agentVersion] : [])], { cwd: root });
  return join(outDir, 'capstan-agent.mjs');
}

export interface AgentRegistration {
  /** capstan-agent.mjs from buildAgentBundle. */
  bundle: string;
  endpoint: string;
  activationId: string;
  activationCode: string;
  stateDir: string;
}

/** A real agent process on this machine: registered with an activation, then run, killed and run again as a node's service manager would. */
export class AgentProcess {
  proc: ChildProcess | undefined;
  /** Everything every run of it printed. */
  output = '';

  private constructor(
    readonly bundle: string,
    readonly stateDir: string,
    readonly instanceId: string,
  ) {}

  static async register(o: AgentRegistration): Promise<AgentProcess> {
    await run(process.execPath, [o.bundle, 'agent', 'register', '--endpoint', o.endpoint, '--activation-id', o.activationId, '--activation-code', o.activationCode, '--state-dir', o.stateDir]);
    const { instanceId } = JSON.parse(readFileSync(join(o.stateDir, 'identity.json'), 'utf8')) as { instanceId: string };
    return new AgentProcess(o.bundle, o.stateDir, instanceId);
  }

  /** How many times it has said it is online (once per connection). */
  get onlineCount(): number {
    return this.output.split('online as ').length - 1;
  }

  /** Runs the agent (`agent run`, or `agent supervise` and its flags) and resolves once its control channel is up. */
  async start(timeoutMs = 30_000, command: ['run'] | ['supervise', ...string[]] = ['run']): Promise<void> {
    const before = this.onlineCount;
    const proc = spawn(process.execPath, [this.bundle, 'agent', command[0], '--state-dir', this.stateDir, ...command.slice(1)], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    proc.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    await this.waitOnline(before + 1, timeoutMs);
  }

  /** Resolves once the agent has been online `count` times in all. */
  async waitOnline(count: number, timeoutMs = 30_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (this.onlineCount < count) {
      if (this.proc?.exitCode !== null && this.proc?.exitCode !== undefined) throw new Error(`agent ${this.instanceId} exited with ${this.proc.exitCode}:\n${this.output}`);
      if (Date.now() > end) throw new Error(`agent ${this.instanceId} was not online (${count}) within ${timeoutMs} ms:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGTERM, as a service manager stops it: a supervisor stops its agent before it exits. */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    await exited;
  }

  async kill(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGKILL');
    await exited;
  }
}
