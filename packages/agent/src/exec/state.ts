import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { DocumentStatus, StepResult } from '@capstan/wire';

/** What survives a reboot or a crash of the agent, rewritten after every step start and end. */
export interface ExecState {
  version: 1;
  id: string;
  /** The document's step names, to refuse a state file that belongs to another document. */
  steps: string[];
  /** Per step: its last known result; InProgress = started and not known to have ended. */
  results: (StepResult | null)[];
  /** An ended step asked to skip the remaining ones (168/169, onFailure/onSuccess exit). */
  stopped: boolean;
  /** The step that asked for a reboot: it runs again on resume. */
  rebootAt?: number;
  /** The document ended: a resume reports this instead of running anything. */
  done?: { status: DocumentStatus };
}

const FILE = 'state.json';

/** Temporary file, fsync, rename: after a power cut the file is the old one or the new one. */
export function saveState(workDir: string, state: ExecState): void {
  const path = join(workDir, FILE);
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify(state));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export function loadState(workDir: string): ExecState | undefined {
  let text: string;
  try {
    text = readFileSync(join(workDir, FILE), 'utf8');
  } catch {
    return undefined;
  }
  const state = JSON.parse(text) as ExecState;
  if (state.version !== 1 || !Array.isArray(state.results)) throw new Error(`${join(workDir, FILE)} is not a state file this agent understands`);
  return state;
}
