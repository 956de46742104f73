// The script runner behind Automation's aws:executeScript.
//
// Every run is a child process of its own, never the server's process or one of its threads:
// the server holds every account's secrets. The child gets a fresh private working directory
// (its HOME and TMPDIR, removed afterwards), only PATH/HOME/TMPDIR/LANG in its environment, runs
// as nobody when the server is root, is killed with its whole process group at the timeout or on
// abort, and hands back its result on a channel of its own (see sandbox.ts).
//
// Runtimes (Runtime input):
//   nodejs<N>.x   Capstan's JavaScript runtime, on the server's own node whatever N says, under
//                 Node's permission model with nothing granted (no file system, no child
//                 processes, no workers, no addons; the network is not restricted). memoryMb
//                 caps V8's heap, and RLIMIT_DATA the rest. Handler: a top-level function or an
//                 export; `file.function` names `function`. The script may be CommonJS-style
//                 (require gives Node's built-in modules) or an ES module; the handler may be async.
//   python3.<N>   The server's python3 (/usr/bin/python3 first: pyenv-style shims need the
//                 server's own environment), in isolated mode (-I); memoryMb is its RLIMIT_DATA.
//                 Handler: a top-level function, handler(events, context); `file.function`
//                 names `function`.
//   PowerShell 7.<N> / PowerShell Core 6.0
//                 pwsh when the server has it (kind 'unavailable' otherwise). No handler; the
//                 payload is in $env:InputPayload as JSON; the script's output is the payload.
// The handler's return value is the step's Payload output, which must be JSON.
import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { NODE_BOOTSTRAP } from './node-bootstrap.js';
import { POWERSHELL_RESULT_FILE, POWERSHELL_SCRIPT_FILE, POWERSHELL_WRAPPER, POWERSHELL_WRAPPER_FILE } from './powershell-wrapper.js';
import { PYTHON_BOOTSTRAP } from './python-bootstrap.js';
import { MAX_LOG_BYTES, MAX_RESULT_BYTES, runSandboxed, sandboxIdentity, type SandboxOutcome, type SandboxSpec } from './sandbox.js';

export { MAX_LOG_BYTES, MAX_RESULT_BYTES };

export interface ScriptRequest {
  /** `nodejs20.x`, `python3.11`, `PowerShell 7.4`... (see the runtimes above). */
  runtime: string;
  /** Function name, or `file.function`; unused by PowerShell. */
  handler: string;
  script: string;
  /** InputPayload: the handler's `events` argument (an empty object when undefined). */
  events: unknown;
  /** The handler's `context` argument, e.g. { 'automation:EXECUTION_ID': id }. */
  context: Record<string, unknown>;
  timeoutMs: number;
  /** Memory for the script, default DEFAULT_MEMORY_MB. */
  memoryMb?: number;
}

export type ScriptResult =
  | { ok: true; payload: unknown; logs: string }
  | { ok: false; error: string; kind: 'timeout' | 'error' | 'unavailable'; logs: string };

export const NODE_RUNTIME = /^nodejs\d+\.x$/;
export const PYTHON_RUNTIME = /^python3\.\d+$/;
export const POWERSHELL_RUNTIME = /^PowerShell (Core 6\.0|7\.\d+)$/;
export const DEFAULT_MEMORY_MB = 512;

/** RLIMIT_DATA on top of the script's own memory: the interpreter's baseline (node's is ~40 MiB) and V8's young generation. */
const NODE_OVERHEAD_MB = 128;
const PYTHON_OVERHEAD_MB = 32;
/** Processes the sandbox user may have while a Python script runs (it can fork; a fork bomb should hit a wall). */
const SANDBOX_NPROC = 1024;
const MAX_TIMER_MS = 2_147_483_647;

/** A function name, optionally after the attached file's name (which may be any file name). */
const HANDLER = /^(.+\.)?[A-Za-z_$][\w$]*$/;

type Runtime = 'node' | 'python' | 'powershell';

function runtimeOf(name: string): Runtime | undefined {
  if (NODE_RUNTIME.test(name)) return 'node';
  if (PYTHON_RUNTIME.test(name)) return 'python';
  if (POWERSHELL_RUNTIME.test(name)) return 'powershell';
  return undefined;
}

const unavailable = (error: string): ScriptResult => ({ ok: false, kind: 'unavailable', error, logs: '' });
const failed = (error: string, logs = ''): ScriptResult => ({ ok: false, kind: 'error', error, logs });

export async function runScript(req: ScriptRequest, signal?: AbortSignal): Promise<ScriptResult> {
  const runtime = runtimeOf(req.runtime);
  if (!runtime) return unavailable(`runtime ${JSON.stringify(req.runtime)} is not supported: use nodejs<N>.x, python3.<N> or PowerShell 7.<N>`);
  if (runtime !== 'powershell' && !HANDLER.test(req.handler ?? '')) {
    return failed(`the ${req.runtime} runtime needs a Handler naming a function (name or file.name), not ${JSON.stringify(req.handler)}`);
  }
  if (signal?.aborted) return failed('the script was cancelled before it started');
  const memoryMb = Math.max(16, Math.floor(req.memoryMb ?? DEFAULT_MEMORY_MB));
  // setTimeout fires at once for anything past 2^31-1 ms.
  const timeoutMs = Number.isFinite(req.timeoutMs) ? Math.min(Math.max(1, req.timeoutMs), MAX_TIMER_MS) : MAX_TIMER_MS;
  const input = JSON.stringify({
    script: req.script,
    handler: req.handler,
    events: req.events === undefined ? {} : req.events,
    context: req.context ?? {},
    memoryMb,
    ...(runtime === 'python' && sandboxIdentity().uid !== undefined ? { nproc: SANDBOX_NPROC } : {}),
  });

  let spec: SandboxSpec;
  if (runtime === 'node') {
    spec = {
      command: process.execPath,
      args: [permissionFlag(), '--disable-warning=ExperimentalWarning', `--max-old-space-size=${memoryMb}`, '-e', NODE_BOOTSTRAP],
      input,
      timeoutMs,
      dataLimitMb: memoryMb + NODE_OVERHEAD_MB,
      signal,
    };
  } else if (runtime === 'python') {
    const python = await pythonExecutable();
    if (!python) return unavailable(`the ${req.runtime} runtime needs python3 on the server, runnable by ${sandboxIdentity().name}, and none was found`);
    // -I: no PYTHON* variables, no user site-packages, no script directory on sys.path; -u: prints survive a kill.
    spec = { command: python, args: ['-I', '-u', '-X', 'utf8', '-c', PYTHON_BOOTSTRAP], input, timeoutMs, dataLimitMb: memoryMb + PYTHON_OVERHEAD_MB, signal };
  } else {
    const pwsh = await pwshExecutable();
    if (!pwsh) return unavailable(`the ${req.runtime} runtime needs PowerShell (pwsh) on the server, and it is not installed`);
    spec = {
      command: pwsh,
      args: ['-NoLogo', '-NoProfile', '-NonInteractive', '-File', POWERSHELL_WRAPPER_FILE],
      input: '',
      timeoutMs,
      files: { [POWERSHELL_WRAPPER_FILE]: POWERSHELL_WRAPPER, [POWERSHELL_SCRIPT_FILE]: req.script },
      resultFile: POWERSHELL_RESULT_FILE,
      env: {
        InputPayload: JSON.stringify(req.events === undefined ? {} : req.events),
        DOTNET_GCHeapHardLimit: (memoryMb * 1024 * 1024).toString(16),
        POWERSHELL_TELEMETRY_OPTOUT: '1',
        POWERSHELL_UPDATECHECK: 'Off',
        DOTNET_CLI_TELEMETRY_OPTOUT: '1',
      },
      signal,
    };
  }
  let outcome: SandboxOutcome;
  try {
    outcome = await runSandboxed(spec);
  } catch (e) {
    // Nowhere to run it (the temporary directory could not be made, say): nothing of the script ran.
    return unavailable(`could not prepare a run of the ${req.runtime} runtime: ${(e as Error).message}`);
  }
  return interpret(outcome, req, runtime, memoryMb, timeoutMs);
}

function interpret(out: SandboxOutcome, req: ScriptRequest, runtime: Runtime, memoryMb: number, timeoutMs: number): ScriptResult {
  const logs = out.logs;
  if (out.spawnError) {
    return { ok: false, kind: 'unavailable', error: `could not start the ${req.runtime} runtime as ${out.user}: ${out.spawnError.message}`, logs };
  }
  if (out.resultTooLarge) return failed(`the handler's return value is larger than ${MAX_RESULT_BYTES} bytes as JSON`, logs);
  const reported = parseResult(out.result);
  // A result that arrived complete stands, even if the kill raced it.
  if (reported) return reported.ok ? { ok: true, payload: reported.payload, logs } : failed(reported.error, logs);
  // The shell that sets the memory limit could not exec the interpreter (not there, or not for this user).
  const notExec = out.code === 126 || out.code === 127 ? /^sh: .*exec: (.*)$/m.exec(logs) : null;
  if (notExec) return { ok: false, kind: 'unavailable', error: `could not start the ${req.runtime} runtime as ${out.user}: ${notExec[1]}`, logs };
  if (out.timedOut) return { ok: false, kind: 'timeout', error: `the script did not finish within ${seconds(timeoutMs)} and was stopped`, logs };
  if (out.aborted) return failed('the script was cancelled', logs);
  if (runtime === 'node' && /heap out of memory|Fatal process out of memory|allocation failed/i.test(logs)) {
    return failed(`the script ran out of memory (the limit is ${memoryMb} MiB)`, logs);
  }
  const how = out.signal ? `was killed by ${out.signal}` : `exited with code ${out.code}`;
  return failed(`the script's process ${how} before the handler returned${lastLines(logs)}`, logs);
}

function parseResult(text: string | undefined): { ok: true; payload: unknown } | { ok: false; error: string } | undefined {
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as { ok?: unknown; payload?: unknown; error?: unknown };
    if (value?.ok === true) return { ok: true, payload: value.payload ?? null };
    if (value?.ok === false && typeof value.error === 'string') return { ok: false, error: value.error };
  } catch {
    // fall through: a garbled channel is reported like a missing one
  }
  return undefined;
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(3).replace(/0+$/, '')} s`;
}

function lastLines(logs: string): string {
  const lines = logs.trimEnd().split('\n').filter(Boolean).slice(-5);
  return lines.length ? `; its last output:\n${lines.join('\n')}` : '';
}

// Node 22 made the permission model stable under --permission; 20 only knows the experimental name.
function permissionFlag(): string {
  return process.allowedNodeEnvironmentFlags.has('--permission') ? '--permission' : '--experimental-permission';
}

let python: Promise<string | undefined> | undefined;
let pwsh: Promise<string | undefined> | undefined;

/** Whether python3 runtimes can run here (looked up once, then remembered). */
export async function pythonAvailable(): Promise<boolean> {
  return (await pythonExecutable()) !== undefined;
}

/** Whether PowerShell runtimes can run here (looked up once). */
export async function powershellAvailable(): Promise<boolean> {
  return (await pwshExecutable()) !== undefined;
}

/** The interpreter python3 runtimes use, or undefined. */
export function pythonExecutable(): Promise<string | undefined> {
  return (python ??= findPython());
}

function pwshExecutable(): Promise<string | undefined> {
  return (pwsh ??= findExecutable('pwsh', ['/usr/bin/pwsh', '/usr/local/bin/pwsh', '/opt/microsoft/powershell/7/pwsh', '/snap/bin/pwsh']));
}

async function findPython(): Promise<string | undefined> {
  for (const candidate of ['/usr/bin/python3', '/usr/local/bin/python3']) if (await runsPython3(candidate)) return candidate;
  // A python3 found on the server's PATH may be a shim (pyenv, asdf) that only works with the
  // server's environment; asking it for sys.executable gives the interpreter itself.
  const behindPath = await new Promise<string | undefined>((resolve) => {
    execFile('python3', ['-c', 'import sys; print(sys.executable)'], { timeout: 10_000 }, (err, stdout) => resolve(err ? undefined : stdout.trim() || undefined));
  });
  return behindPath && (await runsPython3(behindPath)) ? behindPath : undefined;
}

/** Runs the interpreter the way scripts will run, so one the sandbox user cannot reach is not chosen. */
async function runsPython3(path: string): Promise<boolean> {
  if (!(await isExecutable(path))) return false;
  const probe = await runSandboxed({
    command: path,
    args: ['-I', '-c', 'import sys; sys.stdout.write("%d" % sys.version_info[0])'],
    input: '',
    timeoutMs: 10_000,
  });
  return !probe.spawnError && probe.code === 0 && probe.logs === '3';
}

async function findExecutable(name: string, wellKnown: readonly string[]): Promise<string | undefined> {
  const onPath = (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, name));
  for (const candidate of [...new Set([...wellKnown, ...onPath])]) if (await isExecutable(candidate)) return candidate;
  return undefined;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
