import { existsSync } from 'node:fs';
import { chmod, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AGENT_PACKAGE } from '@capstan/wire';
import { AGENT_VERSION } from '../../info.js';
import { clearRequest, clearResult, compareVersions, currentVersion, ensureAgentDir, readResult, supervisorRunning, VERSION_PATTERN, versionDir, versionsDir, writeRequest } from '../../update/layout.js';
import { releaseCommand } from '../../update/supervisor.js';
import { KILLED_EXIT_CODE, type Plugin, type PluginResult, type StepContext } from '../types.js';
import { optionalString } from './inputs.js';
import { fetchArchive, PackageFailure } from './package/fetch.js';
import { fileFor, nodePlatform } from './package/platform.js';

const POLL_MS = 200;
let updating = false;

function allowDowngrade(raw: Record<string, unknown>): boolean {
  const v = raw.allowDowngrade;
  if (v === undefined || v === '' || v === false || v === 'false') return false;
  if (v === true || v === 'true') return true;
  throw new PackageFailure(`input allowDowngrade must be true or false, not ${JSON.stringify(v)}`);
}

async function waitForVerdict(ctx: StepContext, stateDir: string): Promise<PluginResult> {
  for (;;) {
    if (ctx.run.signal.aborted) return { status: 'Cancelled', code: KILLED_EXIT_CODE, details: 'The command was cancelled' };
    const r = readResult(stateDir);
    if (r) {
      clearResult(stateDir);
      ctx.sink.note(r.status === 'Success' ? 'stdout' : 'stderr', r.message);
      return r.status === 'Success' ? { status: 'Success', code: 0 } : { status: 'Failed', code: 1, details: r.message };
    }
    if (!supervisorRunning(stateDir)) throw new PackageFailure('the agent supervisor stopped before it decided on the update');
    await new Promise((res) => setTimeout(res, POLL_MS));
  }
}

async function update(ctx: StepContext, stateDir: string): Promise<PluginResult> {
  const inputs = ctx.step.inputs;
  const asked = optionalString(inputs, 'targetVersion')?.trim();
  if (asked && !VERSION_PATTERN.test(asked)) throw new PackageFailure(`input targetVersion must be a version such as 1.2.3, not ${asked}`);
  const downgrade = allowDowngrade(inputs);
  const bundle = ctx.run.payload.packages?.[AGENT_PACKAGE];
  if (!bundle) throw new PackageFailure(`the server sent no ${AGENT_PACKAGE} release with this command`);
  if ('error' in bundle) throw new PackageFailure(bundle.error);
  const target = bundle.version;
  if (!VERSION_PATTERN.test(target)) throw new PackageFailure(`${AGENT_PACKAGE} version ${target} is not an agent version (such as 1.2.3)`);
  if (target === AGENT_VERSION) {
    ctx.sink.note('stdout', `the agent already runs ${AGENT_VERSION}; nothing to do`);
    return { status: 'Success', code: 0 };
  }
  if (compareVersions(target, AGENT_VERSION) < 0 && !downgrade) {
    throw new PackageFailure(`${target} is older than the running agent ${AGENT_VERSION}; set allowDowngrade to true to install it. Nothing was changed`);
  }
  if (!supervisorRunning(stateDir)) throw new PackageFailure('the agent is not running under `capstan-agent supervise`, so nothing could start the new release and roll it back; nothing was changed');

  const node = nodePlatform();
  const file = fileFor(bundle.manifest, node);
  if (!file) throw new PackageFailure(`${AGENT_PACKAGE} ${target} has no archive for this node (platform ${node.name || 'unknown'} ${node.version || ''}, architecture ${node.arch})`);
  const link = bundle.files[file];
  const sha = ((bundle.manifest as { files?: Record<string, { checksums?: { sha256?: string } }> }).files?.[file]?.checksums?.sha256 ?? '').toLowerCase();
  if (!link || !sha) throw new PackageFailure(`${AGENT_PACKAGE} ${target}: the server sent no link for ${file}`);
  ensureAgentDir(stateDir);
  const staged = await fetchArchive(link.url, sha, versionsDir(stateDir), ctx.run.signal);
  ctx.sink.note('stdout', `Downloaded ${file} for ${AGENT_PACKAGE} ${target}; sha256 ${sha} verified`);
  // An archive zipped without Unix modes would leave the executable unrunnable.
  const exe = join(staged, `capstan-agent-linux-${process.arch}`);
  if (existsSync(exe)) await chmod(exe, 0o700);
  if (!releaseCommand(staged)) {
    await rm(staged, { recursive: true, force: true });
    throw new PackageFailure(`${AGENT_PACKAGE} ${target}'s archive has no agent this node can run (capstan-agent.mjs, or capstan-agent-linux-${process.arch}); nothing was changed`);
  }
  // A release tried before (and rolled back) is replaced by this download; the running one is never touched.
  if (target === currentVersion(stateDir)) throw new PackageFailure(`release ${target} is the supervisor's current release but not the running agent; restart the agent service`);
  await rm(versionDir(stateDir, target), { recursive: true, force: true });
  await rename(staged, versionDir(stateDir, target));
  clearResult(stateDir);
  // The job's record sits beside its work directory, whose `downloads/` every step shares.
  writeRequest(stateDir, { version: target, jobRecord: join(dirname(dirname(ctx.run.downloadsDir)), 'job.json') });
  ctx.sink.note('stdout', `Handing over to the supervisor: ${target} runs beside ${AGENT_VERSION} until it connects`);
  try {
    return await waitForVerdict(ctx, stateDir);
  } finally {
    clearRequest(stateDir);
  }
}

/**
 * aws:updateSsmAgent (AWS-UpdateSSMAgent): installs a release of the Capstan-Agent package
 * beside the running agent and asks the supervisor to try it. The step ends Success once the
 * new release has connected to the server, and Failed once the supervisor has rolled it back.
 */
export const updateAgent: Plugin = async (ctx) => {
  const stateDir = ctx.run.stateDir ?? ctx.run.env.CAPSTAN_AGENT_STATE_DIR;
  try {
    if (!stateDir) throw new PackageFailure('this agent has no state directory to keep releases in');
    if (updating) throw new PackageFailure('another agent update is running on this node');
    updating = true;
    try {
      return await update(ctx, stateDir);
    } finally {
      updating = false;
    }
  } catch (e) {
    if (ctx.run.signal.aborted) return { status: 'Cancelled', code: KILLED_EXIT_CODE, details: 'The command was cancelled' };
    const message = e instanceof PackageFailure ? e.message : `aws:updateSsmAgent failed: ${(e as Error).message}`;
    ctx.sink.note('stderr', message);
    return { status: 'Failed', code: 1, details: message };
  }
};
