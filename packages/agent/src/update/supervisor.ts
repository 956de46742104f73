import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { selfCommand } from '../self-command.js';
import {
  agentDir,
  clearRequest,
  clearSupervisor,
  currentVersion,
  ensureAgentDir,
  ONLINE_FILE_ENV,
  readRequest,
  SUPERVISOR_PID_ENV,
  setCurrentVersion,
  versionDir,
  versionsDir,
  writeResult,
  writeSupervisor,
  type UpdateRequest,
  VERSION_PATTERN,
} from './layout.js';

export interface SuperviseOptions {
  stateDir: string;
  /** How long a new release has to connect before it is rolled back. */
  updateTimeoutMs?: number;
  log?: (line: string) => void;
  signal?: AbortSignal;
  /** Extra arguments for every `agent run` (e.g. --apply-associations-on-boot). */
  runArgs?: string[];
}

const POLL_MS = 200;
const RESTART_DELAY_MS = 1_000;
const STOP_GRACE_MS = 10_000;
/** The update's own job is recorded done moments after its step ends; past this the switch goes ahead anyway. */
const JOB_DONE_WAIT_MS = 30_000;
export const DEFAULT_UPDATE_TIMEOUT_MS = 120_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The command that runs one release: its single executable when the archive has one for this
 * machine, else its bundle under this Node. Undefined when the directory holds neither.
 */
export function releaseCommand(dir: string): string[] | undefined {
  const exe = join(dir, `capstan-agent-linux-${process.arch}`);
  if (process.platform === 'linux' && existsSync(exe)) return [exe];
  const bundle = join(dir, 'capstan-agent.mjs');
  if (!existsSync(bundle)) return undefined;
  // A single executable is not a Node that runs scripts; it can only run a release built as one.
  if (process.getBuiltinModule?.('node:sea')?.isSea()) return undefined;
  return [process.execPath, bundle];
}

/**
 * Runs the agent as a child and keeps it running, and carries out updates the agent stages:
 * the new release is started beside the running agent and must connect to the server within
 * the timeout. Only then does `current` move to it and the old agent stop; otherwise the new
 * one is stopped and the old one never was, so a node is never left without a working agent.
 * After the switch the new release must come online again as the agent proper, or `current`
 * goes back and the previous release runs again.
 */
export class Supervisor {
  private child: ChildProcess | undefined;
  /** Children that could not be started at all (no 'exit' follows such an 'error'). */
  private readonly unstarted = new WeakMap<ChildProcess, string>();
  private childVersion: string | undefined;
  private readonly log: (line: string) => void;
  private readonly timeoutMs: number;

  constructor(private readonly o: SuperviseOptions) {
    this.log = o.log ?? ((line) => console.log(`${new Date().toISOString()} supervisor: ${line}`));
    this.timeoutMs = o.updateTimeoutMs ?? DEFAULT_UPDATE_TIMEOUT_MS;
  }

  private commandFor(version: string | undefined): string[] | undefined {
    return version === undefined ? selfCommand() : releaseCommand(versionDir(this.o.stateDir, version));
  }

  private spawnAgent(version: string | undefined, o: { probe?: boolean; onlineFile?: string } = {}): ChildProcess | undefined {
    const cmd = this.commandFor(version);
    if (!cmd) return undefined;
    const args = [...cmd.slice(1), 'agent', 'run', '--state-dir', this.o.stateDir, ...(o.probe ? ['--probe'] : this.o.runArgs ?? [])];
    const env = { ...process.env };
    delete env[ONLINE_FILE_ENV];
    env[SUPERVISOR_PID_ENV] = String(process.pid);
    if (o.onlineFile) env[ONLINE_FILE_ENV] = o.onlineFile;
    const child = spawn(cmd[0]!, args, { stdio: ['ignore', 'inherit', 'inherit'], env });
    child.on('error', (e) => {
      this.unstarted.set(child, e.message);
      this.log(`agent ${version ?? 'built in'} could not start: ${e.message}`);
    });
    return child;
  }

  private startAgent(onlineFile?: string): void {
    let version = currentVersion(this.o.stateDir);
    if (version !== undefined && !this.commandFor(version)) {
      this.log(`release ${version} is not runnable here; running the supervisor's own build`);
      setCurrentVersion(this.o.stateDir, (version = undefined));
    }
    this.child = this.spawnAgent(version, onlineFile ? { onlineFile } : {});
    this.childVersion = version;
    this.log(`agent ${version ?? 'built in'} started (pid ${this.child?.pid})`);
  }

  private gone(child: ChildProcess | undefined): boolean {
    return !child || child.exitCode !== null || child.signalCode !== null || this.unstarted.has(child);
  }

  private async stopChild(child: ChildProcess | undefined): Promise<void> {
    if (!child || this.gone(child)) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(killer);
  }

  /** Resolves true once the agent has written its online file, false if it exited or the timeout passed first. */
  private async cameOnline(child: ChildProcess | undefined, onlineFile: string): Promise<{ ok: boolean; why: string }> {
    const end = Date.now() + this.timeoutMs;
    while (!this.o.signal?.aborted) {
      if (existsSync(onlineFile)) return { ok: true, why: '' };
      if (child && this.unstarted.has(child)) return { ok: false, why: `it could not be started (${this.unstarted.get(child)})` };
      if (this.gone(child)) {
        return { ok: false, why: `it exited${child?.exitCode !== null && child?.exitCode !== undefined ? ` with status ${child.exitCode}` : child?.signalCode ? ` on ${child.signalCode}` : ' before it started'} without connecting` };
      }
      if (Date.now() > end) return { ok: false, why: `it did not connect to the server within ${Math.round(this.timeoutMs / 1000)} s` };
      await sleep(POLL_MS);
    }
    return { ok: false, why: 'the supervisor is stopping' };
  }

  private onlineFile(): string {
    return join(agentDir(this.o.stateDir), `online-${randomBytes(6).toString('hex')}`);
  }

  private async update(req: UpdateRequest): Promise<void> {
    const previous = this.childVersion;
    const label = (v: string | undefined) => v ?? 'the built-in release';
    const fail = (message: string) => {
      this.log(message);
      writeResult(this.o.stateDir, { version: req.version, status: 'Failed', message });
    };
    // The version names a directory: nothing but a version may reach a path.
    if (typeof req.version !== 'string' || !VERSION_PATTERN.test(req.version)) return fail(`the update asked for ${JSON.stringify(req.version)}, which is not a version; nothing was changed`);
    this.log(`trying release ${req.version} beside the running agent`);
    const marker = this.onlineFile();
    const probe = this.spawnAgent(req.version, { probe: true, onlineFile: marker });
    if (!probe) return fail(`release ${req.version} has no agent this node can run (capstan-agent.mjs, or capstan-agent-linux-${process.arch}); ${label(previous)} keeps running`);
    const tried = await this.cameOnline(probe, marker);
    await this.stopChild(probe);
    rmSync(marker, { force: true });
    if (!tried.ok) {
      this.forget(req.version);
      return fail(`release ${req.version} was rolled back: ${tried.why}; ${label(previous)} keeps running`);
    }

    // The old agent reports the update done; its job must be recorded so the new agent does not resume it.
    setCurrentVersion(this.o.stateDir, req.version);
    writeResult(this.o.stateDir, { version: req.version, status: 'Success', message: `release ${req.version} connected to the server; it replaces ${label(previous)}` });
    await this.jobRecorded(req.jobRecord);
    this.log(`switching from ${label(previous)} to ${req.version}`);
    await this.stopChild(this.child);
    const online = this.onlineFile();
    this.startAgent(online);
    const settled = await this.cameOnline(this.child, online);
    rmSync(online, { force: true });
    if (this.o.signal?.aborted) return;
    if (settled.ok) return this.prune([req.version, previous]);
    this.log(`release ${req.version} failed after the switch (${settled.why}); going back to ${label(previous)}`);
    await this.stopChild(this.child);
    setCurrentVersion(this.o.stateDir, previous);
    this.startAgent();
    this.forget(req.version);
  }

  private forget(version: string): void {
    rmSync(versionDir(this.o.stateDir, version), { recursive: true, force: true });
  }

  /** Only the running release and the one before it are kept; older ones would come back by download. */
  private prune(keep: (string | undefined)[]): void {
    for (const name of readdirSync(versionsDir(this.o.stateDir))) if (!keep.includes(name) && !name.startsWith('.')) this.forget(name);
  }

  private async jobRecorded(path: string | undefined): Promise<void> {
    if (!path) return;
    const end = Date.now() + JOB_DONE_WAIT_MS;
    while (Date.now() < end && !this.o.signal?.aborted) {
      try {
        if ((JSON.parse(readFileSync(path, 'utf8')) as { state?: string }).state === 'done') return;
      } catch {
        return;
      }
      await sleep(POLL_MS);
    }
  }

  async run(): Promise<void> {
    ensureAgentDir(this.o.stateDir);
    writeSupervisor(this.o.stateDir, process.pid);
    this.log(`supervising the agent (update timeout ${Math.round(this.timeoutMs / 1000)} s)`);
    this.startAgent();
    let restartAt = 0;
    try {
      while (!this.o.signal?.aborted) {
        const req = readRequest(this.o.stateDir);
        if (req) {
          clearRequest(this.o.stateDir);
          await this.update(req);
          continue;
        }
        const c = this.child;
        if (this.gone(c)) {
          if (!restartAt) {
            this.log(`agent ${this.childVersion ?? 'built in'} exited (${c?.exitCode ?? c?.signalCode ?? 'not started'}); restarting in ${RESTART_DELAY_MS} ms`);
            restartAt = Date.now() + RESTART_DELAY_MS;
          } else if (Date.now() >= restartAt) {
            restartAt = 0;
            this.startAgent();
          }
        }
        await sleep(POLL_MS);
      }
    } finally {
      await this.stopChild(this.child);
      clearSupervisor(this.o.stateDir);
      this.log('supervisor stopped');
    }
  }
}
