import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandPayload, StepResult } from '@capstan/wire';
import { executeDocument, type ExecutionOutcome, type ExecutionRequest } from '../index.js';

const made: string[] = [];

export function tempDir(prefix = 'capstan-exec-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

export function payload(document: unknown, extra: Partial<CommandPayload> = {}): CommandPayload {
  return { commandId: 'cmd-1', documentName: 'Test', documentVersion: '1', document, region: 'eu-test-1', expiresAt: Date.now() + 60_000, ...extra };
}

export interface ShellStep {
  name: string;
  run: string | string[];
  inputs?: Record<string, unknown>;
  precondition?: unknown;
}

export function shellDoc(steps: ShellStep[], schemaVersion = '2.2'): unknown {
  return {
    schemaVersion,
    mainSteps: steps.map((s) => ({ action: 'aws:runShellScript', name: s.name, inputs: { runCommand: s.run, ...s.inputs }, ...(s.precondition ? { precondition: s.precondition } : {}) })),
  };
}

export interface Run {
  outcome: ExecutionOutcome;
  /** onStep calls in order. */
  reported: StepResult[];
  /** Output per `step/stream`, unless collecting was switched off. */
  output(step: string, stream?: 'stdout' | 'stderr'): string;
  /** The first offset seen per `step/stream` (0 for a fresh step). */
  firstOffset: Map<string, number>;
  workDir: string;
  ms: number;
}

export interface RunOptions extends Partial<Omit<ExecutionRequest, 'payload' | 'onOutput' | 'onStep'>> {
  payload?: Partial<CommandPayload>;
  /** Keep the output chunks (off for huge output). */
  collect?: boolean;
  onChunk?(step: string, stream: 'stdout' | 'stderr', chunk: Buffer): void;
}

/** Runs a document and checks on the way that live output arrives in order with no gap or overlap. */
export async function run(document: unknown, o: RunOptions = {}): Promise<Run> {
  const workDir = o.workDir ?? tempDir();
  const chunks = new Map<string, Buffer[]>();
  const next = new Map<string, number>();
  const firstOffset = new Map<string, number>();
  const reported: StepResult[] = [];
  const gaps: string[] = [];
  const started = Date.now();
  const outcome = await executeDocument({
    id: 'cmd-1',
    instanceId: 'mi-0123456789abcdef0',
    platformType: 'Linux',
    signal: new AbortController().signal,
    ...o,
    workDir,
    payload: payload(document, o.payload),
    onOutput(step, stream, chunk, offset) {
      const key = `${step}/${stream}`;
      if (!firstOffset.has(key)) firstOffset.set(key, offset);
      const expected = next.get(key) ?? offset;
      if (offset !== expected) gaps.push(`${key}: chunk at ${offset}, expected ${expected}`);
      next.set(key, offset + chunk.length);
      if (o.collect !== false) chunks.set(key, [...(chunks.get(key) ?? []), Buffer.from(chunk)]);
      o.onChunk?.(step, stream, chunk);
    },
    onStep: (r) => reported.push(r),
  });
  if (gaps.length) throw new Error(`live output out of order: ${gaps.join('; ')}`);
  return {
    outcome,
    reported,
    firstOffset,
    workDir,
    ms: Date.now() - started,
    output: (step, stream = 'stdout') => Buffer.concat(chunks.get(`${step}/${stream}`) ?? []).toString(),
  };
}

export const stepFile = (workDir: string, step: string, file: string) => readFileSync(join(workDir, step, file), 'utf8');

/** kill -0, but a zombie (no reaper in some containers) counts as dead. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}
