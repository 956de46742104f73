import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AckMessage, CommandPayload, JobMessage, StepResult } from '@capstan/wire';
import type { AgentConfig } from './config.js';
import { Outbox } from './outbox.js';
import { selfCommand } from '../self-command.js';

type JobState = 'queued' | 'running' | 'rebooting' | 'done';

interface JobRecord {
  id: string;
  state: JobState;
  cancelled?: boolean;
  /** Gone once the job is done: it may hold resolved secrets. */
  payload?: CommandPayload;
  finishedAt?: number;
  /** Queued jobs start in the order they arrived, also after a restart. */
  acceptedAt?: number;
}

const ID = /^[A-Za-z0-9-]{1,64}$/;
/** Output is sent in pieces of at most this much (64 KiB once base64 in JSON). */
const PIECE = 48 * 1024;
const PIECE_DELAY_MS = 100;

/**
 * The delivery contract's agent half. A job is written to disk before it is acknowledged, and
 * an id seen once is never run again (re-sent jobs are acknowledged as duplicates). At most
 * `maxConcurrentDocuments` run at once; the rest wait in arrival order. Everything the node
 * reports goes through the outbox. After a restart, queued jobs start and a document that was
 * running resumes (after a reboot it continues at the rebooting step).
 */
export class JobManager {
  readonly outbox: Outbox;
  private readonly dir: string;
  private readonly queue: string[] = [];
  private readonly running = new Map<string, AbortController>();
  private closed = false;

  constructor(
    private readonly stateDir: string,
    private readonly instanceId: string,
    private readonly platformType: 'Linux' | 'Windows' | 'MacOS',
    private readonly config: AgentConfig,
    private readonly log: (line: string) => void,
  ) {
    this.dir = join(stateDir, 'jobs');
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.outbox = new Outbox(stateDir);
  }

  /** Picks up where the last run of the agent stopped. */
  start(): void {
    const cutoff = Date.now() - this.config.rememberDays * 86_400_000;
    const records = readdirSync(this.dir)
      .map((id) => this.read(id))
      .filter((r): r is JobRecord => r !== undefined);
    for (const r of records.sort((a, b) => (a.acceptedAt ?? 0) - (b.acceptedAt ?? 0))) {
      if (r.state === 'done') {
        if ((r.finishedAt ?? 0) < cutoff) rmSync(join(this.dir, r.id), { recursive: true, force: true });
      } else if (r.state === 'queued') this.queue.push(r.id);
      else void this.run(r.id, true);
    }
    this.pump();
  }

  stop(): void {
    this.closed = true;
  }

  /** A job from the server: the acknowledgement to send back. */
  receive(m: JobMessage): AckMessage {
    if (m.kind === 'cancel') {
      this.cancel((m.payload as { commandId: string }).commandId);
      return { type: 'ack', id: m.id, status: 'accepted' };
    }
    if (!ID.test(m.id)) return { type: 'ack', id: m.id, status: 'invalid', message: 'job ids are letters, digits and dashes' };
    if (existsSync(join(this.dir, m.id))) return { type: 'ack', id: m.id, status: 'duplicate' };
    mkdirSync(join(this.dir, m.id), { mode: 0o700 });
    this.write({ id: m.id, state: 'queued', payload: m.payload as CommandPayload, acceptedAt: Date.now() });
    this.queue.push(m.id);
    this.log(`job ${m.id} accepted (${(m.payload as CommandPayload).documentName})`);
    queueMicrotask(() => this.pump());
    return { type: 'ack', id: m.id, status: 'accepted' };
  }

  private cancel(id: string): void {
    if (!ID.test(id)) return;
    const r = this.read(id);
    if (!r) {
      // Cancelled before it arrived: remember the id so the job, if it still comes, is not run.
      mkdirSync(join(this.dir, id), { recursive: true, mode: 0o700 });
      this.write({ id, state: 'done', cancelled: true, finishedAt: Date.now() });
      this.outbox.put({ type: 'reply', id, status: 'Cancelled', steps: [], details: 'cancelled before it reached the node' });
      return;
    }
    if (r.state === 'done') return;
    if (r.state === 'queued') {
      const at = this.queue.indexOf(id);
      if (at >= 0) this.queue.splice(at, 1);
      this.finish(id, { cancelled: true });
      this.outbox.put({ type: 'reply', id, status: 'Cancelled', steps: [], details: 'cancelled before it started' });
      return;
    }
    this.write({ ...r, cancelled: true });
    this.running.get(id)?.abort();
  }

  private pump(): void {
    while (!this.closed && this.running.size < this.config.maxConcurrentDocuments && this.queue.length) void this.run(this.queue.shift()!, false);
  }

  private async run(id: string, resume: boolean): Promise<void> {
    const r = this.read(id);
    if (!r?.payload) return;
    const abort = new AbortController();
    if (r.cancelled) abort.abort();
    this.running.set(id, abort);
    this.write({ ...r, state: 'running' });
    const workDir = join(this.dir, id, 'work');
    mkdirSync(workDir, { recursive: true, mode: 0o700 });
    const steps = new Map<string, StepResult>();
    const pieces = new Map<string, { offset: number; parts: Buffer[]; size: number; timer?: NodeJS.Timeout }>();
    const flush = (key: string) => {
      const p = pieces.get(key);
      if (!p || p.size === 0) return;
      clearTimeout(p.timer);
      const [step, stream] = splitKey(key);
      this.outbox.put({ type: 'output', id, step, stream, offset: p.offset, data: Buffer.concat(p.parts).toString('base64') });
      pieces.set(key, { offset: p.offset + p.size, parts: [], size: 0 });
    };
    const flushStep = (step: string) => {
      flush(`${step}\u0000stdout`);
      flush(`${step}\u0000stderr`);
    };
    this.log(`job ${id} ${resume ? 'resuming' : 'running'}`);
    try {
      // The executor loads with the first job: an idle agent does not carry it.
      const { executeDocument } = await import('../exec/index.js');
      const outcome = await executeDocument({
        id,
        payload: r.payload,
        workDir,
        instanceId: this.instanceId,
        platformType: this.platformType,
        env: { AWS_SSM_INSTANCE_ID: this.instanceId, AWS_SSM_REGION_NAME: r.payload.region, SSM_COMMAND_ID: r.payload.commandId, CAPSTAN_AGENT_STATE_DIR: this.stateDir, CAPSTAN_AGENT_CLI: cliForScripts() },
        ...(this.config.runAsUser ? { runAsUser: this.config.runAsUser } : {}),
        signal: abort.signal,
        resume,
        stateDir: this.stateDir,
        onInventory: (items) => {
          // One message per type keeps each under the channel's message size.
          for (const item of items) this.outbox.put({ type: 'inventory', items: [item] });
        },
        onPatchReport: (report) => this.outbox.put({ type: 'patch-report', ...report }),
        onOutput: (step, stream, chunk, offset) => {
          const key = `${step}\u0000${stream}`;
          let p = pieces.get(key);
          if (!p || (p.size === 0 && p.offset !== offset)) pieces.set(key, (p = { offset, parts: [], size: 0 }));
          for (let at = 0; at < chunk.length; ) {
            const take = chunk.subarray(at, at + (PIECE - p.size));
            p.parts.push(take);
            p.size += take.length;
            at += take.length;
            if (p.size >= PIECE) {
              flush(key);
              p = pieces.get(key)!;
            }
          }
          if (p.size > 0 && !p.timer) p.timer = setTimeout(() => flush(key), PIECE_DELAY_MS);
        },
        onStep: (s) => {
          flushStep(s.name);
          steps.set(s.name, s);
          this.outbox.put({ type: 'reply', id, status: 'InProgress', steps: [...steps.values()] });
        },
      });
      for (const key of pieces.keys()) flush(key);
      if (outcome.reboot) {
        this.write({ ...this.read(id)!, state: 'rebooting' });
        this.outbox.put({ type: 'reply', id, status: 'SuccessAndReboot', steps: outcome.steps });
        this.log(`job ${id} asked for a reboot: running ${this.config.rebootCommand}`);
        this.running.delete(id);
        this.closed = true;
        spawn('/bin/sh', ['-c', this.config.rebootCommand], { detached: true, stdio: 'ignore' }).unref();
        return;
      }
      this.outbox.put({ type: 'reply', id, status: outcome.status, steps: outcome.steps, ...(outcome.details ? { details: outcome.details } : {}) });
      this.log(`job ${id} ended ${outcome.status}`);
    } catch (e) {
      for (const key of pieces.keys()) flush(key);
      this.outbox.put({ type: 'reply', id, status: 'Failed', steps: [...steps.values()], details: `the agent could not run the document: ${(e as Error).message}`.slice(0, 2500) });
    }
    this.running.delete(id);
    this.finish(id, {});
    this.pump();
  }

  /** Done: forget the payload (it may hold secrets) and the working files, keep the id. */
  private finish(id: string, extra: Partial<JobRecord>): void {
    const r = this.read(id);
    this.write({ id, state: 'done', finishedAt: Date.now(), ...(r?.cancelled ? { cancelled: true } : {}), ...extra });
    rmSync(join(this.dir, id, 'work'), { recursive: true, force: true });
  }

  private read(id: string): JobRecord | undefined {
    try {
      return JSON.parse(readFileSync(join(this.dir, id, 'job.json'), 'utf8')) as JobRecord;
    } catch {
      return undefined;
    }
  }

  private write(r: JobRecord): void {
    const path = join(this.dir, r.id, 'job.json');
    writeFileSync(`${path}.tmp`, JSON.stringify(r), { mode: 0o600 });
    renameSync(`${path}.tmp`, path);
  }

  get activeCount(): number {
    return this.running.size;
  }
}

function splitKey(key: string): [string, 'stdout' | 'stderr'] {
  const i = key.lastIndexOf('\u0000');
  return [key.slice(0, i), key.slice(i + 1) as 'stdout' | 'stderr'];
}

let cli: string | undefined;
/** `selfCommand()` quoted for a shell, the same for every job. */
function cliForScripts(): string {
  const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
  // Loader flags name packages (`--import tsx`) resolved from the agent's directory, not the script's.
  return (cli ??= selfCommand()
    .map((a, i, all) => (all[i - 1] === '--import' && !a.startsWith('.') && !a.startsWith('/') ? import.meta.resolve(a) : a))
    .map(quote)
    .join(' '));
}
