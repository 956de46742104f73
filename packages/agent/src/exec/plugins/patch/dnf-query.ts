import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { tail } from './command.js';
import type { DnfLayout } from './dnf-layout.js';
import { compareEvr } from './dnf-version.js';

export interface RpmPackage {
  name: string;
  arch: string;
  /** `[epoch:]version-release`, epoch left out when 0. */
  evr: string;
}

export interface InstalledRpm extends RpmPackage {
  /** Epoch ms. */
  installedTime: number;
}

/** What one update notice says about one package version. */
export interface Advisory {
  id: string;
  /** AWS's spelling: Security, Bugfix, Enhancement, Newpackage. */
  classification: string;
  /** Critical, Important, Moderate, Low for security notices; empty otherwise. */
  severity: string;
  /** Epoch ms of the notice's date as dnf gives it (updated, else issued). */
  date?: number;
  cves: string[];
  bugzillas: string[];
}

export const evrOf = (epoch: string, version: string, release: string) => `${epoch && epoch !== '0' && epoch !== '(none)' ? `${epoch}:` : ''}${version}-${release}`;
/** As dnf spells a package in its updateinfo lists: the epoch only when it isn't 0. */
export const nevra = (p: RpmPackage) => `${p.name}-${p.evr}.${p.arch}`;

/**
 * Runs a command and hands each stdout line to `line` as it comes, so a listing of thousands of
 * packages or advisories is never held whole. Rejects with stderr's tail when it fails.
 */
export function eachLine(command: string, args: string[], env: Record<string, string>, signal: AbortSignal, line: (l: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...env, LC_ALL: 'C' }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (b: Buffer) => {
      err = (err + b.toString()).slice(-4096);
    });
    createInterface({ input: child.stdout }).on('line', line);
    const onAbort = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    child.once('error', (e) => {
      signal.removeEventListener('abort', onAbort);
      reject(new Error(`${command}: ${e.message}`));
    });
    child.once('close', (code) => {
      signal.removeEventListener('abort', onAbort);
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.filter((a) => !a.startsWith('-')).slice(0, 2).join(' ')} exited with ${code ?? 'a signal'}: ${tail(err, 3)}`));
    });
  });
}

/** Installed packages from the rpm database of the node's root (gpg-pubkey entries are keys, not packages). */
export async function readInstalledRpms(layout: DnfLayout, env: Record<string, string>, signal: AbortSignal): Promise<Map<string, InstalledRpm>> {
  const out = new Map<string, InstalledRpm>();
  const qf = '%{NAME}\\t%{EPOCHNUM}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%{INSTALLTIME}\\n';
  await eachLine('rpm', ['--root', layout.root, '-qa', '--queryformat', qf], env, signal, (l) => {
    const [name, epoch, version, release, arch, time] = l.split('\t');
    if (!name || !release || name === 'gpg-pubkey') return;
    const a = arch === '(none)' ? 'noarch' : arch!;
    const p = { name, arch: a, evr: evrOf(epoch!, version!, release), installedTime: Number(time) * 1000 };
    // Install-only packages (kernel) keep several versions side by side: the newest is the one patched.
    const have = out.get(`${name}:${a}`);
    if (!have || compareEvr(p.evr, have.evr) > 0) out.set(`${name}:${a}`, p);
  });
  return out;
}

/** Every version the repositories offer that upgrades an installed package, with its repository id. */
export async function readUpgrades(layout: DnfLayout, env: Record<string, string>, signal: AbortSignal): Promise<Array<RpmPackage & { repo: string }>> {
  const out: Array<RpmPackage & { repo: string }> = [];
  const qf = '%{name}\t%{epoch}\t%{version}\t%{release}\t%{arch}\t%{repoid}';
  await eachLine(layout.tool, [...layout.args, '-q', 'repoquery', '--upgrades', '--qf', qf], env, signal, (l) => {
    const [name, epoch, version, release, arch, repo] = l.split('\t');
    if (!name || !repo) return;
    out.push({ name, arch: arch!, evr: evrOf(epoch!, version!, release!), repo });
  });
  return out;
}

/**
 * The newest build the repositories offer of each package matching `specs` (dnf's globs), for the
 * approved packages a node lacks. Specs dnf cannot read as packages (advisory ids) match nothing.
 */
export async function readOffered(layout: DnfLayout, specs: string[], env: Record<string, string>, signal: AbortSignal): Promise<Array<RpmPackage & { repo: string }>> {
  const out: Array<RpmPackage & { repo: string }> = [];
  const qf = '%{name}\t%{epoch}\t%{version}\t%{release}\t%{arch}\t%{repoid}';
  await eachLine(layout.tool, [...layout.args, '-q', 'repoquery', '--available', '--latest-limit', '1', '--qf', qf, '--', ...specs], env, signal, (l) => {
    const [name, epoch, version, release, arch, repo] = l.split('\t');
    if (name && repo) out.push({ name, arch: arch!, evr: evrOf(epoch!, version!, release!), repo });
  });
  return out;
}

const CLASSIFICATIONS: Record<string, string> = { bugfix: 'Bugfix', enhancement: 'Enhancement', newpackage: 'Newpackage', unknown: '' };
/** `  RHSA-2024:0001 Important/Sec. alpha-1.0-2.noarch 2024-01-11 00:00:00` (`i` first when installed). */
const ROW = /^(?:i\s+|\s*)(\S+)\s+(\S+)\s+(\S+)(?:\s+(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d))?\s*$/;

/**
 * The update notices of the given package versions (`name-evr.arch` → notices), from
 * `dnf updateinfo list --all`: one pass for the notices, one for their CVEs, one for their
 * Bugzilla ids; rows about other versions are dropped as they stream by.
 */
export async function readAdvisories(layout: DnfLayout, wanted: ReadonlySet<string>, env: Record<string, string>, signal: AbortSignal): Promise<Map<string, Advisory[]>> {
  const out = new Map<string, Advisory[]>();
  const base = [...layout.args, '-v', 'updateinfo', 'list', '--all'];
  const rows = (extra: string[], row: (id: string, label: string, pkg: string, date: string | undefined) => void) =>
    eachLine(layout.tool, [...base, ...extra], env, signal, (l) => {
      const m = ROW.exec(l);
      if (m && wanted.has(m[3]!)) row(m[1]!, m[2]!, m[3]!, m[4]);
    });
  const byId = new Map<string, Advisory>();
  await rows([], (id, label, pkg, date) => {
    const sec = /^(\w+)\/Sec\.$/.exec(label);
    const classification = sec ? 'Security' : CLASSIFICATIONS[label];
    if (classification === undefined) return;
    let a = byId.get(id);
    if (!a) {
      const when = date ? Date.parse(`${date.replace(' ', 'T')}Z`) : NaN;
      a = { id, classification, severity: sec && sec[1] !== 'Unknown' ? sec[1]! : '', cves: [], bugzillas: [], ...(Number.isNaN(when) ? {} : { date: when }) };
      byId.set(id, a);
    }
    const list = out.get(pkg) ?? [];
    if (!list.includes(a)) list.push(a);
    out.set(pkg, list);
  });
  // The reference listings name the reference instead of the notice; the package ties them back.
  const attach = (field: 'cves' | 'bugzillas') => (ref: string, _label: string, pkg: string) => {
    for (const a of out.get(pkg) ?? []) if (!a[field].includes(ref)) a[field].push(ref);
  };
  await rows(['--with-cve'], attach('cves'));
  await rows(['--with-bz'], attach('bugzillas'));
  return out;
}
