import { accessSync, chownSync, constants, existsSync, writeFileSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { runProcess } from '../process.js';
import { KILLED_EXIT_CODE, type Plugin, type PluginResult, type StepContext } from '../types.js';
import { isDirectory, objectInput, optionalString, timeoutSeconds } from './inputs.js';

/** 194 is the Unix reboot request, 3010 the Windows one; both are honoured everywhere. */
const REBOOT_CODES = new Set([194, 3010]);
/** Always the agent's, so a document cannot pretend to be another command. */
const AGENT_VARIABLES = ['SSM_COMMAND_ID', 'AWS_SSM_INSTANCE_ID', 'AWS_SSM_REGION_NAME', 'AWS_SSM_PLATFORM_NAME', 'AWS_SSM_PLATFORM_VERSION'];

interface Interpreter {
  file: string;
  command(scriptPath: string, env: Record<string, string>): { command: string; args: string[] } | { error: string };
}

/** `sh -c <path>` execs the file, so a `#!` line picks the interpreter, as on AWS. */
const shell: Interpreter = {
  file: '_script.sh',
  command: (path) => ({ command: 'sh', args: ['-c', `'${path.replace(/'/g, `'\\''`)}'`] }),
};

const powershell: Interpreter = {
  file: '_script.ps1',
  command: (path, env) => {
    const exe = onPath(['pwsh', 'powershell'], env.PATH ?? '');
    if (!exe) return { error: 'aws:runPowerShellScript needs PowerShell, and neither pwsh nor powershell is on this node\'s PATH' };
    return { command: exe, args: ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File', path] };
  },
};

export const runShellScript: Plugin = (ctx) => runScript(ctx, shell);
export const runPowerShellScript: Plugin = (ctx) => runScript(ctx, powershell);

async function runScript(ctx: StepContext, interpreter: Interpreter): Promise<PluginResult> {
  const { inputs } = ctx.step;
  const failed = (details: string): PluginResult => ({ status: 'Failed', code: 1, details });
  let script: string;
  let env: Record<string, string>;
  let workingDirectory: string | undefined;
  try {
    script = scriptText(inputs.runCommand);
    env = { ...ctx.run.env };
    for (const [k, v] of Object.entries(objectInput(inputs, 'environment'))) env[k] = typeof v === 'string' ? v : JSON.stringify(v);
    for (const k of AGENT_VARIABLES) if (ctx.run.env[k] !== undefined) env[k] = ctx.run.env[k]!;
    workingDirectory = optionalString(inputs, 'workingDirectory');
  } catch (e) {
    return failed((e as Error).message);
  }

  const path = join(ctx.stepDir, interpreter.file);
  writeFileSync(path, script, { mode: 0o755 });
  const runAs = ctx.run.runAs;
  if (runAs) {
    chownSync(ctx.stepDir, runAs.uid, runAs.gid);
    chownSync(path, runAs.uid, runAs.gid);
  }
  const cwd = workingDirectoryFor(workingDirectory, ctx);
  if (!isDirectory(cwd)) return failed(`working directory ${cwd} does not exist`);
  const command = interpreter.command(path, env);
  if ('error' in command) return failed(command.error);

  const timeout = timeoutSeconds(inputs.timeoutSeconds, ctx.step.timeoutSeconds);
  const end = await runProcess({ ...command, cwd, env, ...runAs, timeoutMs: timeout * 1000, signal: ctx.run.signal, sink: ctx.sink });
  switch (end.reason) {
    case 'error':
      return failed(`could not start ${command.command}: ${end.error}`);
    case 'timeout':
      return { status: 'TimedOut', code: KILLED_EXIT_CODE, details: `The step timed out after ${timeout} seconds; its process group was killed` };
    case 'cancel':
      return { status: 'Cancelled', code: KILLED_EXIT_CODE, details: 'The command was cancelled; the step\'s process group was killed' };
    case 'exit':
      if (end.code === 0) return { status: 'Success', code: 0 };
      if (REBOOT_CODES.has(end.code)) return { status: 'SuccessAndReboot', code: end.code, details: `The step exited with ${end.code}: the node reboots and the step runs again` };
      return { status: 'Failed', code: end.code };
  }
}

function scriptText(runCommand: unknown): string {
  if (runCommand === undefined || runCommand === null) return '';
  if (typeof runCommand === 'string') return runCommand.endsWith('\n') ? runCommand : `${runCommand}\n`;
  if (Array.isArray(runCommand)) return runCommand.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n';
  throw new Error('input runCommand must be a string or a list of strings');
}

/** Absolute as given; relative inside the downloads dir when it exists there; else the step's dir. */
function workingDirectoryFor(dir: string | undefined, ctx: StepContext): string {
  if (!dir) return ctx.stepDir;
  if (isAbsolute(dir)) return dir;
  const downloaded = join(ctx.run.downloadsDir, dir);
  return existsSync(downloaded) ? downloaded : ctx.stepDir;
}

function onPath(names: string[], path: string): string | undefined {
  for (const name of names) {
    for (const dir of path.split(delimiter)) {
      if (!dir) continue;
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // Not here; keep looking.
      }
    }
  }
  return undefined;
}
