import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runProcess } from '../../process.js';
import type { StepContext } from '../../types.js';
import type { NodePlatform } from './platform.js';

export type ScriptName = 'install' | 'uninstall' | 'update';

export type ScriptEnd = { ok: true } | { ok: false; why: string; stop?: 'cancel' | 'timeout' };

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

export const hasScript = (dir: string, script: ScriptName) => existsSync(join(dir, `${script}.sh`));

/** Runs `sh <script>.sh` in the package's directory, its output in the step's. */
export async function runPackageScript(ctx: StepContext, dir: string, script: ScriptName, env: Record<string, string>, timeoutMs: number): Promise<ScriptEnd> {
  const file = `${script}.sh`;
  if (!existsSync(join(dir, file))) return { ok: false, why: `the package has no ${file}` };
  ctx.sink.note('stdout', `Running sh ${file}`);
  // As the agent, like AWS's: installing software is what the package is for.
  const end = await runProcess({ command: 'sh', args: [file], cwd: dir, env, timeoutMs, signal: ctx.run.signal, sink: ctx.sink });
  switch (end.reason) {
    case 'exit':
      return end.code === 0 ? { ok: true } : { ok: false, why: `${file} exited with ${end.code}` };
    case 'timeout':
      return { ok: false, why: `${file} timed out`, stop: 'timeout' };
    case 'cancel':
      return { ok: false, why: `${file} was cancelled`, stop: 'cancel' };
    default:
      return { ok: false, why: `could not run ${file}: ${end.error}` };
  }
}
