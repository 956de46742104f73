import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What is installed of one package on this node. */
export interface InstalledPackage {
  name: string;
  version: string;
  /** The package document version's hash: a rebuilt version under the same name is reinstalled. */
  hash: string;
  publisher?: string;
  architecture: string;
  installedAt: string;
}

const RECORD = 'installed.json';
const PENDING = 'pending-reboot.json';

/**
 * An operation whose script asked for a reboot, kept until the step that ran it runs again
 * after the restart and finishes it. `phase` is the script that asked.
 */
export interface PendingReboot {
  /** The command and step that ran it: that step's rerun resumes it; any other operation finds it unfinished. */
  commandId: string;
  step: string;
  phase: 'uninstall' | 'replace' | 'install' | 'update' | 'repair' | 'rollback';
  /** The version that was installed before the operation. */
  previous?: InstalledPackage;
  /** The version being installed. */
  next?: InstalledPackage;
  /** The new version's unpacked archive, not yet in place (phase replace). */
  staged?: string;
  /** The previous copy of a version being reinstalled over itself. */
  aside?: string;
  /** Why a rollback runs (phase rollback). */
  why?: string;
  /** Found unfinished by another command, which runs its own operation once this one is done. */
  adopted?: boolean;
}

/**
 * The node's packages under `<state dir>/packages/<name>/`: the record of what is installed and
 * an unpacked copy of each version kept there, so Uninstall and a rollback need nothing from
 * the server.
 */
export class PackageRepository {
  constructor(readonly root: string) {}

  dir(name: string): string {
    return join(this.root, encodeURIComponent(name));
  }

  versionDir(name: string, version: string): string {
    return join(this.dir(name), `v-${encodeURIComponent(version)}`);
  }

  installed(name: string): InstalledPackage | undefined {
    return this.read<InstalledPackage>(name, RECORD);
  }

  record(p: InstalledPackage | undefined, name: string): Promise<void> {
    return this.write(name, RECORD, p);
  }

  pending(name: string): PendingReboot | undefined {
    return this.read<PendingReboot>(name, PENDING);
  }

  setPending(name: string, p: PendingReboot | undefined): Promise<void> {
    return this.write(name, PENDING, p);
  }

  private read<T>(name: string, file: string): T | undefined {
    try {
      return JSON.parse(readFileSync(join(this.dir(name), file), 'utf8')) as T;
    } catch {
      return undefined;
    }
  }

  /** Written whole and renamed into place, so a crash leaves the old file or the new one; undefined removes it. */
  private async write(name: string, file: string, value: object | undefined): Promise<void> {
    const dir = this.dir(name);
    if (!value) {
      await rm(join(dir, file), { force: true });
      return;
    }
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(join(dir, `${file}.tmp`), JSON.stringify(value), { mode: 0o600 });
    await rename(join(dir, `${file}.tmp`), join(dir, file));
  }

  /** Puts an unpacked version in place of any earlier copy of it. */
  async keep(name: string, version: string, unpacked: string): Promise<string> {
    const target = this.versionDir(name, version);
    await rm(target, { recursive: true, force: true });
    await rename(unpacked, target);
    return target;
  }

  /** Moves a version's copy out of its place; the directory it now lives in (undefined when there was none). */
  async setAside(name: string, version: string): Promise<string | undefined> {
    if (!existsSync(this.versionDir(name, version))) return undefined;
    const aside = join(this.dir(name), `.previous-${randomBytes(6).toString('hex')}`);
    await rename(this.versionDir(name, version), aside);
    return aside;
  }

  async forget(name: string, version: string): Promise<void> {
    await rm(this.versionDir(name, version), { recursive: true, force: true });
  }

  /** Every installed package (for inventory). */
  all(): InstalledPackage[] {
    if (!existsSync(this.root)) return [];
    return readdirSync(this.root)
      .map((d) => this.installed(decodeURIComponent(d)))
      .filter((p): p is InstalledPackage => p !== undefined);
  }
}

const locks = new Map<string, Promise<unknown>>();

/** One operation at a time per package on this node; others wait their turn. */
export async function withPackageLock<T>(name: string, f: () => Promise<T>): Promise<T> {
  const before = locks.get(name) ?? Promise.resolve();
  const run = before.then(f, f);
  const tail = run.catch(() => undefined);
  locks.set(name, tail);
  try {
    return await run;
  } finally {
    if (locks.get(name) === tail) locks.delete(name);
  }
}

/** The rows AWS:Application carries for installed Distributor packages. */
export function installedPackageRows(stateDir: string): Record<string, string>[] {
  return new PackageRepository(join(stateDir, 'packages')).all().map((p) => ({
    Name: p.name,
    Version: p.version,
    Architecture: p.architecture,
    ...(p.publisher ? { Publisher: p.publisher } : {}),
    ApplicationType: 'Distributor package',
    InstalledTime: p.installedAt,
  }));
}
