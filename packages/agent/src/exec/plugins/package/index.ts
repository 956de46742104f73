import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { PackageBundle } from '@capstan/wire';
import { KILLED_EXIT_CODE, type Plugin, type PluginResult, type StepContext } from '../../types.js';
import { objectInput, optionalString, timeoutSeconds } from '../inputs.js';
import { fetchArchive, PackageFailure } from './fetch.js';
import { fileFor, nodePlatform, type NodePlatform } from './platform.js';
import { PackageRepository, withPackageLock, type InstalledPackage } from './repository.js';
import { hasScript, runPackageScript, scriptEnvironment, type ScriptEnd, type ScriptName } from './scripts.js';

export { installedPackageRows } from './repository.js';

const UNINSTALL_AND_REINSTALL = 'Uninstall and reinstall';
const IN_PLACE = 'In-place update';

interface Inputs {
  name: string;
  action: 'Install' | 'Uninstall';
  installationType: string;
  version: string | undefined;
  extra: Record<string, string>;
}

function parseInputs(raw: Record<string, unknown>): Inputs {
  const name = optionalString(raw, 'name')?.trim();
  if (!name) throw new PackageFailure('input name is required (the package to install or uninstall)');
  const action = optionalString(raw, 'action');
  if (action !== 'Install' && action !== 'Uninstall') throw new PackageFailure(`input action must be Install or Uninstall, not ${action ?? 'empty'}`);
  const installationType = optionalString(raw, 'installationType') ?? UNINSTALL_AND_REINSTALL;
  if (installationType !== UNINSTALL_AND_REINSTALL && installationType !== IN_PLACE) throw new PackageFailure(`input installationType must be '${UNINSTALL_AND_REINSTALL}' or '${IN_PLACE}', not '${installationType}'`);
  const extra: Record<string, string> = {};
  for (const [k, v] of Object.entries(objectInput(raw, 'additionalArguments'))) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new PackageFailure(`additionalArguments: ${k} is not a valid environment variable name`);
    extra[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return { name, action, installationType, version: optionalString(raw, 'version'), extra };
}

/** A package's name as nodes know it: the document's name, also when the step gave its ARN. */
const packageName = (given: string) => (given.startsWith('arn:') ? given.slice(given.indexOf(':document/') + ':document/'.length) : given);

class Operation {
  readonly node: NodePlatform = nodePlatform();
  readonly timeoutMs: number;
  constructor(
    readonly ctx: StepContext,
    readonly repo: PackageRepository,
    readonly inputs: Inputs,
    readonly name: string,
  ) {
    this.timeoutMs = timeoutSeconds(ctx.step.inputs.timeoutSeconds, ctx.step.timeoutSeconds) * 1000;
  }

  say(text: string): void {
    this.ctx.sink.note('stdout', text);
  }

  run(p: { version: string }, script: ScriptName): Promise<ScriptEnd> {
    const env = scriptEnvironment(this.ctx, this.node, this.inputs.action, this.inputs.extra);
    return runPackageScript(this.ctx, this.repo.versionDir(this.name, p.version), script, env, this.timeoutMs);
  }

  async install(bundle: PackageBundle | undefined): Promise<PluginResult> {
    if (!bundle) throw new PackageFailure(`the server sent no package ${this.inputs.name} with this command`);
    if ('error' in bundle) throw new PackageFailure(bundle.error);
    const current = this.repo.installed(this.name);
    if (current && current.version === bundle.version && current.hash === bundle.hash) {
      this.say(`${this.name} ${bundle.version} is already installed; nothing to do`);
      return { status: 'Success', code: 0 };
    }
    const file = fileFor(bundle.manifest, this.node);
    if (!file) throw new PackageFailure(`${this.name} ${bundle.version} has no archive for this node (platform ${this.node.name || 'unknown'} ${this.node.version || ''}, architecture ${this.node.arch})`);
    const link = bundle.files[file];
    const manifestSha = ((bundle.manifest as { files?: Record<string, { checksums?: { sha256?: string } }> }).files?.[file]?.checksums?.sha256 ?? '').toLowerCase();
    if (!link || !manifestSha) throw new PackageFailure(`${this.name} ${bundle.version}: the server sent no link for ${file}`);
    const staged = await fetchArchive(link.url, manifestSha, this.repo.dir(this.name), this.ctx.run.signal);
    this.say(`Downloaded ${file} for ${this.name} ${bundle.version}; sha256 ${manifestSha} verified`);
    const next: InstalledPackage = {
      name: this.name,
      version: bundle.version,
      hash: bundle.hash,
      architecture: this.node.arch,
      installedAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      ...(typeof (bundle.manifest as { publisher?: unknown }).publisher === 'string' ? { publisher: (bundle.manifest as { publisher: string }).publisher } : {}),
    };
    if (current && this.inputs.installationType === IN_PLACE) return this.update(current, next, staged);
    return this.reinstall(current, next, staged);
  }

  /**
   * Puts the new version's files in place. A rebuild of the installed version would land on
   * the installed copy, so that copy is set aside first: a rollback needs its scripts.
   */
  private async place(current: InstalledPackage | undefined, next: InstalledPackage, staged: string): Promise<string | undefined> {
    const aside = current?.version === next.version ? await this.repo.setAside(this.name, current.version) : undefined;
    await this.repo.keep(this.name, next.version, staged);
    return aside;
  }

  /** The installed version's uninstall, then the new one's install; a failed install puts the old one back. */
  private async reinstall(current: InstalledPackage | undefined, next: InstalledPackage, staged: string): Promise<PluginResult> {
    if (current) {
      this.say(`Uninstalling ${this.name} ${current.version}`);
      const out = await this.run(current, 'uninstall');
      if (!out.ok) {
        await rm(staged, { recursive: true, force: true });
        return this.failed(out, `could not uninstall ${this.name} ${current.version} (${out.why}); it stays installed and ${next.version} was not installed`);
      }
    }
    const aside = await this.place(current, next, staged);
    this.say(`Installing ${this.name} ${next.version}`);
    const out = await this.run(next, 'install');
    if (out.ok) return this.done(current, next, aside, `${this.name} ${next.version} installed${current ? ` (was ${current.version})` : ''}`);
    this.say(`Install of ${this.name} ${next.version} failed (${out.why}); removing it`);
    await this.run(next, 'uninstall');
    await this.repo.forget(this.name, next.version);
    return this.rollBack(current, aside, out, `install of ${this.name} ${next.version} failed: ${out.why}`);
  }

  /** The new version's update script over the installed files; a failure reinstalls the installed version. */
  private async update(current: InstalledPackage, next: InstalledPackage, staged: string): Promise<PluginResult> {
    if (!hasScript(staged, 'update')) {
      await rm(staged, { recursive: true, force: true });
      throw new PackageFailure(`${this.name} ${next.version} has no update.sh, which an In-place update needs; ${current.version} stays installed`);
    }
    const aside = await this.place(current, next, staged);
    this.say(`Updating ${this.name} ${current.version} to ${next.version} in place`);
    const out = await this.run(next, 'update');
    if (out.ok) return this.done(current, next, aside, `${this.name} updated in place from ${current.version} to ${next.version}`);
    await this.repo.forget(this.name, next.version);
    return this.rollBack(current, aside, out, `update of ${this.name} to ${next.version} failed: ${out.why}`);
  }

  private async rollBack(previous: InstalledPackage | undefined, aside: string | undefined, cause: ScriptEnd, why: string): Promise<PluginResult> {
    if (!previous) {
      await this.repo.record(undefined, this.name);
      return this.failed(cause, `${why}; nothing was installed before, so nothing is installed now`);
    }
    // The previous version's copy goes back where it was before its install runs again.
    if (aside) await this.repo.keep(this.name, previous.version, aside);
    if (cause.ok === false && cause.stop === 'cancel') return this.failed(cause, `${why}; the rollback to ${previous.version} was not run`);
    this.say(`Rolling back to ${this.name} ${previous.version}`);
    const back = await this.run(previous, 'install');
    if (back.ok) {
      await this.repo.record(previous, this.name);
      return this.failed(cause, `${why}; rolled back to ${previous.version}`);
    }
    await this.repo.record(undefined, this.name);
    return this.failed(cause, `${why}; the rollback to ${previous.version} failed too (${back.why}), so nothing is installed`);
  }

  private async done(previous: InstalledPackage | undefined, next: InstalledPackage, aside: string | undefined, message: string): Promise<PluginResult> {
    await this.repo.record(next, this.name);
    if (aside) await rm(aside, { recursive: true, force: true });
    else if (previous && previous.version !== next.version) await this.repo.forget(this.name, previous.version);
    this.say(message);
    return { status: 'Success', code: 0 };
  }

  failed(cause: ScriptEnd, message: string): PluginResult {
    this.ctx.sink.note('stderr', message);
    if (cause.ok === false && cause.stop === 'cancel') return { status: 'Cancelled', code: KILLED_EXIT_CODE, details: message };
    if (cause.ok === false && cause.stop === 'timeout') return { status: 'TimedOut', code: KILLED_EXIT_CODE, details: message };
    return { status: 'Failed', code: 1, details: message };
  }

  async uninstall(): Promise<PluginResult> {
    const current = this.repo.installed(this.name);
    if (!current) {
      this.say(`${this.name} is not installed; nothing to do`);
      return { status: 'Success', code: 0 };
    }
    if (this.inputs.version && this.inputs.version !== current.version) {
      throw new PackageFailure(`${this.name} ${this.inputs.version} is not installed (${current.version} is); nothing was removed`);
    }
    this.say(`Uninstalling ${this.name} ${current.version}`);
    const out = await this.run(current, 'uninstall');
    if (!out.ok) return this.failed(out, `could not uninstall ${this.name} ${current.version}: ${out.why}; it stays installed`);
    await this.repo.record(undefined, this.name);
    await this.repo.forget(this.name, current.version);
    this.say(`${this.name} ${current.version} uninstalled`);
    return { status: 'Success', code: 0 };
  }
}

/**
 * aws:configurePackage (AWS-ConfigureAWSPackage): installs, updates or uninstalls a Distributor
 * package with the package's own scripts, keeping what is installed under the agent's state
 * directory. Installing the installed version does nothing; a failed install or update puts the
 * version that was installed back.
 */
export const configurePackage: Plugin = async (ctx) => {
  try {
    const inputs = parseInputs(ctx.step.inputs);
    const stateDir = ctx.run.stateDir ?? ctx.run.env.CAPSTAN_AGENT_STATE_DIR;
    if (!stateDir) throw new PackageFailure('this agent has no state directory to keep packages in');
    const name = packageName(inputs.name);
    const op = new Operation(ctx, new PackageRepository(join(stateDir, 'packages')), inputs, name);
    return await withPackageLock(name, () => (inputs.action === 'Install' ? op.install(ctx.run.payload.packages?.[inputs.name]) : op.uninstall()));
  } catch (e) {
    if (ctx.run.signal.aborted) return { status: 'Cancelled', code: KILLED_EXIT_CODE, details: 'The command was cancelled' };
    const message = e instanceof PackageFailure ? e.message : `aws:configurePackage failed: ${(e as Error).message}`;
    ctx.sink.note('stderr', message);
    return { status: 'Failed', code: 1, details: message };
  }
};
