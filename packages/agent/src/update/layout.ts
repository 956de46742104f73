import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * Where agent releases live on a node, under the state directory's `agent/`:
 *   versions/<version>/   each installed release, unpacked from its Capstan-Agent archive
 *   current               the version the supervisor runs (absent: the supervisor's own build)
 *   supervisor.json       the running supervisor's pid: an update needs one to hand over to
 *   request.json          an update the running agent staged, for the supervisor to try
 *   result.json           the supervisor's verdict on it, read by the update step
 */
export const ONLINE_FILE_ENV = 'CAPSTAN_AGENT_ONLINE_FILE';

export interface UpdateRequest {
  version: string;
  /** The job running the update: the switch waits for it to be recorded done, so the new agent does not resume it. */
  jobRecord?: string;
}

export interface UpdateResult {
  version: string;
  status: 'Success' | 'Failed';
  message: string;
}

export const agentDir = (stateDir: string) => join(stateDir, 'agent');
export const versionsDir = (stateDir: string) => join(agentDir(stateDir), 'versions');
export const versionDir = (stateDir: string, version: string) => join(versionsDir(stateDir), version);
const file = (stateDir: string, name: string) => join(agentDir(stateDir), name);

/** Written to a fresh name and renamed: a reader never sees half a file. */
export function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, path);
}

function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export function ensureAgentDir(stateDir: string): void {
  mkdirSync(versionsDir(stateDir), { recursive: true, mode: 0o700 });
}

export const currentVersion = (stateDir: string): string | undefined => (existsSync(file(stateDir, 'current')) ? readFileSync(file(stateDir, 'current'), 'utf8').trim() || undefined : undefined);
export function setCurrentVersion(stateDir: string, version: string | undefined): void {
  if (version === undefined) rmSync(file(stateDir, 'current'), { force: true });
  else writeAtomic(file(stateDir, 'current'), `${version}\n`);
}

export const readSupervisor = (stateDir: string) => readJson<{ pid: number }>(file(stateDir, 'supervisor.json'));
export const writeSupervisor = (stateDir: string, pid: number) => writeAtomic(file(stateDir, 'supervisor.json'), JSON.stringify({ pid }));
export const clearSupervisor = (stateDir: string) => rmSync(file(stateDir, 'supervisor.json'), { force: true });

/** Whether a supervisor is running for this state directory (signal 0 only asks whether the pid exists). */
export function supervisorRunning(stateDir: string): boolean {
  const s = readSupervisor(stateDir);
  if (!s || !Number.isInteger(s.pid)) return false;
  try {
    process.kill(s.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export const readRequest = (stateDir: string) => readJson<UpdateRequest>(file(stateDir, 'request.json'));
export const writeRequest = (stateDir: string, r: UpdateRequest) => writeAtomic(file(stateDir, 'request.json'), JSON.stringify(r));
export const clearRequest = (stateDir: string) => rmSync(file(stateDir, 'request.json'), { force: true });
export const readResult = (stateDir: string) => readJson<UpdateResult>(file(stateDir, 'result.json'));
export const writeResult = (stateDir: string, r: UpdateResult) => writeAtomic(file(stateDir, 'result.json'), JSON.stringify(r));
export const clearResult = (stateDir: string) => rmSync(file(stateDir, 'result.json'), { force: true });

/** Dotted numeric versions compared part by part (missing parts are 0): negative, zero or positive. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d;
  }
  return 0;
}

export const VERSION_PATTERN = /^[0-9]+(\.[0-9]+){1,3}$/;

/** Set for the agents a supervisor starts: its pid. */
export const SUPERVISOR_PID_ENV = 'CAPSTAN_AGENT_SUPERVISOR_PID';
