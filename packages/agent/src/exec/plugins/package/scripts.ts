import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { runProcess } from '../../process.js';
import type { StepContext } from '../../types.js';
import type { NodePlatform } from './platform.js';

export type ScriptName = 'install' | 'uninstall' | 'update' | 'validate';

/**
 * How a package script ended. `reboot` is set when it exited with a reboot request (194, the
 * Unix code, or 3010, the Windows one, honoured everywhere as aws:runShellScript does): its
 * work succeeded and is finished once the node has restarted.
 */
export type ScriptEnd = { ok: true; reboot?: number } | { ok: false; why: string; stop?: 'cancel' | 'timeout' };

const REBOOT_CODES = new Set([194, 3010]);

/** The variables AWS's agent gives package scripts, then the step's additionalArguments. */
export function scriptEnvironment(ctx: StepContext, node: NodePlatform, action: string, extra: Record<string, string>): Record<string, string> {
  return {
    ...ctx.run.env,
    BWS_ACTION_NAME: action,
    BWS_PLATFORM_NAME: node.name,
    BWS_PLATFORM_VERSION: node.version,
    BWS_ARCHITECTURE: node.arch,
    BWS_INSTANCE_ID: ctx.run.instanceId,
    BWS_REGION: ctx.run.payload.region,
    ...extra,
  };
}

type Resolved = { file: string; kind: 'sh' | 'ps1' } | { error: string } | undefined;

/** The script's file: `<name>.sh` or `<name>.ps1`; a package with both is refused, as AWS's agent does. */
function resolve(dir: string, script: ScriptName): Resolved {
  const sh = existsSync(join(dir, `${script}.sh`));
  const ps1 = existsSync(join(dir, `${script}.ps1`));
  if (sh && ps1) return { error: `the package has both ${script}.sh and ${script}.ps1; it must have one` };
  if (sh) return { file: `${script}.sh`, kind: 'sh' };
  if (ps1) return { file: `${script}.ps1`, kind: 'ps1' };
  return undefined;
}

export const hasScript = (dir: string, script: ScriptName) => resolve(dir, script) !== undefined;

/** The first script an unpacked version has both as .sh and .ps1, which no node could choose between. */
export function ambiguousScript(dir: string): string | undefined {
  for (const script of ['install', 'uninstall', 'update', 'validate'] as const) {
    const found = resolve(dir, script);
    if (found && 'error' in found) return script;
  }
  return undefined;
}

/**
 * Runs the package's script in its directory, its output in the step's: `sh <script>.sh`, or
 * `<script>.ps1` with PowerShell (pwsh, else powershell) when the package has that one. A
 * package without validate.sh is valid once its install has succeeded.
 */
export async function runPackageScript(ctx: StepContext, dir: string, script: ScriptName, env: Record<string, string>, timeoutMs: number): Promise<ScriptEnd> {
  const found = resolve(dir, script);
  if (!found) return script === 'validate' ? { ok: true } : { ok: false, why: `the package has no ${script}.sh` };
  if ('error' in found) return { ok: false, why: found.error };
  const { file } = found;
  let command: { command: string; args: string[] };
  if (found.kind === 'sh') command = { command: 'sh', args: [file] };
  else {
    const exe = onPath(['pwsh', 'powershell'], env.PATH ?? '');
    if (!exe) return { ok: false, why: `${file} needs PowerShell, and neither pwsh nor powershell is on this node's PATH` };
    command = { command: exe, args: ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File', file] };
  }
  ctx.sink.note('stdout', `Running ${found.kind === 'sh' ? 'sh ' : ''}${file}`);
  // As the agent, like AWS's: installing software is what the package is for.
  const end = await runProcess({ ...command, cwd: dir, env, timeoutMs, signal: ctx.run.signal, sink: ctx.sink });
  switch (end.reason) {
    case 'exit':
      if (end.code === 0) return { ok: true };
      if (REBOOT_CODES.has(end.code)) return { ok: true, reboot: end.code };
      return { ok: false, why: `${file} exited with ${end.code}` };
    case 'timeout':
      return { ok: false, why: `${file} timed out`, stop: 'timeout' };
    case 'cancel':
      return { ok: false, why: `${file} was cancelled`, stop: 'cancel' };
    default:
      return { ok: false, why: `could not run ${file}: ${end.error}` };
  }
}

function onPath(names: string[], path: string): string | undefined {
  for (const name of names) {
    for (const d of path.split(delimiter)) {
      if (!d) continue;
      try {
        accessSync(join(d, name), constants.X_OK);
        return join(d, name);
      } catch {
        // Not in this directory.
      }
    }
  }
  return undefined;
}
