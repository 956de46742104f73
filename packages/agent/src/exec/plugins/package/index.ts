import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { PackageBundle } from '@capstan/wire';
import { KILLED_EXIT_CODE, type Plugin, type PluginResult, type StepContext } from '../../types.js';
import { objectInput, optionalString, timeoutSeconds } from '../inputs.js';
import { fetchArchive, PackageFailure } from './fetch.js';
import { fileFor, nodePlatform, type NodePlatform } from './platform.js';
import { PackageRepository, withPackageLock, type InstalledPackage, type PendingReboot } from './repository.js';
import { ambiguousScript, hasScript, runPackageScript, scriptEnvironment, type ScriptEnd, type ScriptName } from './scripts.js';

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
  readonly owner: { commandId: string; step: string };
  /** Set while finishing another command's operation, so a further reboot keeps it marked as such. */
  adopting = false;
  constructor(
    readonly ctx: StepContext,
    readonly repo: PackageRepository,
    readonly inputs: Inputs,
    readonly name: string,
  ) {
    this.timeoutMs = timeoutSeconds(ctx.step.inputs.timeoutSeconds, ctx.step.timeoutSeconds) * 1000;
    this.owner = { commandId: ctx.run.payload.commandId || ctx.run.env.SSM_COMMAND_ID || '', step: ctx.step.name };
  }

  say(text: string): void {
    this.ctx.sink.note('stdout', text);
  }

  run(p: { version: string }, script: ScriptName): Promise<ScriptEnd> {
    const env = scriptEnvironment(this.ctx, this.node, this.inputs.action, this.inputs.extra);
    return runPackageScript(this.ctx, this.repo.versionDir(this.name, p.version), script, env, this.timeoutMs);
  }

  /** An install or update is done only once the version's validate script (when it has one) passes. */
  private async runValidated(p: { version: string }, script: 'install' | 'update'): Promise<ScriptEnd> {
    const out = await this.run(p, script);
    if (!out.ok || out.reboot) return out;
    return this.run(p, 'validate');
  }

  /** Records what is left to do after the restart, then asks for it. */
  private async reboot(code: number, pending: Omit<PendingReboot, 'commandId' | 'step'>, what: string): Promise<PluginResult> {
    await this.repo.setPending(this.name, { ...this.owner, ...pending, ...(this.adopting ? { adopted: true } : {}) });
    const message = `Rebooting to finish ${what}`;
    this.say(message);
    return { status: 'SuccessAndReboot', code, details: message };
  }

  async install(bundle: PackageBundle | undefined): Promise<PluginResult> {
    if (!bundle) throw new PackageFailure(`the server sent no package ${this.inputs.name} with this command`);
    if ('error' in bundle) throw new PackageFailure(bundle.error);
    const current = this.repo.installed(this.name);
    if (current && current.version === bundle.version && current.hash === bundle.hash) return this.check(current);
    const file = fileFor(bundle.manifest, this.node);
    if (!file) throw new PackageFailure(`${this.name} ${bundle.version} has no archive for this node (platform ${this.node.name || 'unknown'} ${this.node.version || ''}, architecture ${this.node.arch})`);
    const link = bundle.files[file];
    const manifestSha = ((bundle.manifest as { files?: Record<string, { checksums?: { sha256?: string } }> }).files?.[file]?.checksums?.sha256 ?? '').toLowerCase();
    if (!link || !manifestSha) throw new PackageFailure(`${this.name} ${bundle.version}: the server sent no link for ${file}`);
    const staged = await fetchArchive(link.url, manifestSha, this.repo.dir(this.name), this.ctx.run.signal);
    this.say(`Downloaded ${file} for ${this.name} ${bundle.version}; sha256 ${manifestSha} verified`);
    const twice = ambiguousScript(staged);
    if (twice) {
      await rm(staged, { recursive: true, force: true });
      throw new PackageFailure(`${file} of ${this.name} ${bundle.version} has both ${twice}.sh and ${twice}.ps1, and a package must have one; nothing was installed or removed`);
    }
    const next: InstalledPackage = {
      name: this.name,
      version: bundle.version,
      hash: bundle.hash,
      architecture: this.node.arch,
      installedAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      ...(typeof (bundle.manifest as { publisher?: unknown }).publisher === 'string' ? { publisher: (bundle.manifest as { publisher: string }).publisher } : {}),
    };
    if (current && this.inputs.installationType === IN_PLACE) return this.update(current, next, staged);
    return this.replace(current, next, staged);
  }

  /** The installed version asked for again: nothing to do while its validate script passes; otherwise its install runs again. */
  private async check(current: InstalledPackage): Promise<PluginResult> {
    if (!hasScript(this.repo.versionDir(this.name, current.version), 'validate')) {
      this.say(`${this.name} ${current.version} is already installed; nothing to do`);
      return { status: 'Success', code: 0 };
    }
    const v = await this.run(current, 'validate');
    if (v.ok && !v.reboot) {
      this.say(`${this.name} ${current.version} is already installed and valid; nothing to do`);
      return { status: 'Success', code: 0 };
    }
    if (!v.ok && v.stop) return this.failed(v, `validating ${this.name} ${current.version} stopped: ${v.why}`);
    this.say(`${this.name} ${current.version} is installed but not valid (${v.ok ? `validate script exited with ${v.reboot}` : v.why}); installing it again`);
    return this.repair(current);
  }

  /** The installed version's install again, over itself: there is nothing to roll back to. */
  private async repair(p: InstalledPackage): Promise<PluginResult> {
    const out = await this.runValidated(p, 'install');
    if (out.ok && out.reboot) return this.reboot(out.reboot, { phase: 'repair', next: p }, `the installation of ${this.name} ${p.version}`);
    if (out.ok) return this.done(undefined, p, undefined, `${this.name} ${p.version} installed again`);
    await this.repo.record(undefined, this.name);
    return this.failed(out, `installing ${this.name} ${p.version} again failed: ${out.why}; it is no longer recorded as installed`);
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
  private async replace(current: InstalledPackage | undefined, next: InstalledPackage, staged: string): Promise<PluginResult> {
    if (current) {
      this.say(`Uninstalling ${this.name} ${current.version}`);
      const out = await this.run(current, 'uninstall');
      if (!out.ok) {
        await rm(staged, { recursive: true, force: true });
        return this.failed(out, `could not uninstall ${this.name} ${current.version} (${out.why}); it stays installed and ${next.version} was not installed`);
      }
      if (out.reboot) return this.reboot(out.reboot, { phase: 'replace', previous: current, next, staged }, `the uninstall of ${this.name} ${current.version}`);
    }
    const aside = await this.place(current, next, staged);
    return this.installNew(current, next, aside);
  }

  private async installNew(current: InstalledPackage | undefined, next: InstalledPackage, aside: string | undefined): Promise<PluginResult> {
    this.say(`Installing ${this.name} ${next.version}`);
    const out = await this.runValidated(next, 'install');
    if (out.ok && out.reboot) return this.reboot(out.reboot, { phase: 'install', ...(current ? { previous: current } : {}), next, ...(aside ? { aside } : {}) }, `the installation of ${this.name} ${next.version}`);
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
    return this.updateNew(current, next, aside);
  }

  private async updateNew(current: InstalledPackage, next: InstalledPackage, aside: string | undefined): Promise<PluginResult> {
    this.say(`Updating ${this.name} ${current.version} to ${next.version} in place`);
    const out = await this.runValidated(next, 'update');
    if (out.ok && out.reboot) return this.reboot(out.reboot, { phase: 'update', previous: current, next, ...(aside ? { aside } : {}) }, `the update of ${this.name} to ${next.version}`);
    if (out.ok) return this.done(current, next, aside, `${this.name} updated in place from ${current.version} to ${next.version}`);
    // As AWS's agent: the new version's uninstall clears what the update did, then the previous version installs.
    this.say(`Update of ${this.name} to ${next.version} failed (${out.why}); removing it`);
    await this.run(next, 'uninstall');
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
    return this.reinstallPrevious(previous, cause, why);
  }

  private async reinstallPrevious(previous: InstalledPackage, cause: ScriptEnd, why: string): Promise<PluginResult> {
    const back = await this.runValidated(previous, 'install');
    if (back.ok && back.reboot) return this.reboot(back.reboot, { phase: 'rollback', previous, why }, `the rollback to ${this.name} ${previous.version}`);
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
    return this.remove(current);
  }

  private async remove(current: InstalledPackage): Promise<PluginResult> {
    this.say(`Uninstalling ${this.name} ${current.version}`);
    const out = await this.run(current, 'uninstall');
    if (!out.ok) return this.failed(out, `could not uninstall ${this.name} ${current.version}: ${out.why}; it stays installed`);
    if (out.reboot) return this.reboot(out.reboot, { phase: 'uninstall', previous: current }, `the uninstall of ${this.name} ${current.version}`);
    await this.repo.record(undefined, this.name);
    await this.repo.forget(this.name, current.version);
    this.say(`${this.name} ${current.version} uninstalled`);
    return { status: 'Success', code: 0 };
  }

  /**
   * Finishes an operation whose script asked for a reboot, as AWS's agent does: an install or
   * update is done when the version validates (it has no validate script, or that passes), else
   * its script runs again and a failure rolls back; an uninstall runs again, to finish what
   * needed the restart. The record is cleared once the outcome is known.
   */
  async resume(p: PendingReboot): Promise<PluginResult> {
    let r: PluginResult;
    try {
      r = await this.resumePhase(p);
    } catch (e) {
      await this.repo.setPending(this.name, undefined);
      throw e;
    }
    if (r.status !== 'SuccessAndReboot') await this.repo.setPending(this.name, undefined);
    return r;
  }

  private async resumePhase(p: PendingReboot): Promise<PluginResult> {
    const { previous, next } = p;
    const validated = async (v: InstalledPackage) => {
      const out = await this.run(v, 'validate');
      if (out.ok && !out.reboot) return true;
      this.say(`${this.name} ${v.version} is not valid after the reboot (${out.ok ? `validate script exited with ${out.reboot}` : out.why})`);
      return false;
    };
    switch (p.phase) {
      case 'uninstall':
        this.say(`The node restarted: running the uninstall of ${this.name} ${previous!.version} again to finish it`);
        return this.remove(previous!);
      case 'replace':
        this.say(`The node restarted: running the uninstall of ${this.name} ${previous!.version} again, then installing ${next!.version}`);
        if (!existsSync(p.staged!)) throw new PackageFailure(`the unpacked archive of ${this.name} ${next!.version} is gone; ${next!.version} was not installed`);
        return this.replace(previous, next!, p.staged!);
      case 'install':
        this.say(`The node restarted: finishing the installation of ${this.name} ${next!.version}`);
        if (await validated(next!)) return this.done(previous, next!, p.aside, `${this.name} ${next!.version} installed${previous ? ` (was ${previous.version})` : ''}`);
        return this.installNew(previous, next!, p.aside);
      case 'update':
        this.say(`The node restarted: finishing the update of ${this.name} to ${next!.version}`);
        if (await validated(next!)) return this.done(previous, next!, p.aside, `${this.name} updated in place from ${previous!.version} to ${next!.version}`);
        return this.updateNew(previous!, next!, p.aside);
      case 'repair':
        this.say(`The node restarted: finishing the installation of ${this.name} ${next!.version}`);
        if (await validated(next!)) return this.done(undefined, next!, undefined, `${this.name} ${next!.version} installed again`);
        return this.repair(next!);
      case 'rollback': {
        this.say(`The node restarted: finishing the rollback to ${this.name} ${previous!.version}`);
        const cause: ScriptEnd = { ok: false, why: p.why ?? 'the operation failed' };
        if (await validated(previous!)) {
          await this.repo.record(previous, this.name);
          return this.failed(cause, `${cause.why}; rolled back to ${previous!.version}`);
        }
        return this.reinstallPrevious(previous!, cause, cause.why);
      }
    }
  }
}

/**
 * aws:configurePackage (AWS-ConfigureAWSPackage): installs, updates or uninstalls a Distributor
 * package with the package's own scripts, keeping what is installed under the agent's state
 * directory. Installing the installed version does nothing while it validates; a failed install
 * or update puts the version that was installed back; a script's reboot request (194, 3010)
 * restarts the node and the step finishes the operation when it runs again.
 */
export const configurePackage: Plugin = async (ctx) => {
  try {
    const inputs = parseInputs(ctx.step.inputs);
    const stateDir = ctx.run.stateDir ?? ctx.run.env.CAPSTAN_AGENT_STATE_DIR;
    if (!stateDir) throw new PackageFailure('this agent has no state directory to keep packages in');
    const name = packageName(inputs.name);
    const op = new Operation(ctx, new PackageRepository(join(stateDir, 'packages')), inputs, name);
    return await withPackageLock(name, async () => {
      const pending = op.repo.pending(name);
      if (pending) {
        const mine = pending.commandId === op.owner.commandId && pending.step === op.owner.step;
        // Another command's operation was left waiting for a reboot (its step never ran again):
        // it is finished first, and this command's operation runs after it.
        if (!mine) op.say(`${name}: an earlier operation (${pending.phase}) waited for a reboot; finishing it first`);
        op.adopting = !mine || pending.adopted === true;
        const r = await op.resume(pending);
        if (r.status === 'SuccessAndReboot' || !op.adopting) return r;
        op.adopting = false;
        op.say(`${name}: the earlier operation ended ${r.status}; now ${inputs.action === 'Install' ? 'installing' : 'uninstalling'} as this command asks`);
      }
      return inputs.action === 'Install' ? op.install(ctx.run.payload.packages?.[inputs.name]) : op.uninstall();
    });
  } catch (e) {
    if (ctx.run.signal.aborted) return { status: 'Cancelled', code: KILLED_EXIT_CODE, details: 'The command was cancelled' };
    const message = e instanceof PackageFailure ? e.message : `aws:configurePackage failed: ${(e as Error).message}`;
    ctx.sink.note('stderr', message);
    return { status: 'Failed', code: 1, details: message };
  }
};
