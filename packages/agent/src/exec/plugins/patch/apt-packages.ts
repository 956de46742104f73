import { existsSync } from 'node:fs';
import { capture } from './command.js';
import { openControlFile, paragraphs } from './control-file.js';
import { compareDebVersions } from './debversion.js';

export interface InstalledPackage {
  name: string;
  arch: string;
  version: string;
  section?: string;
  priority?: string;
}

export interface AvailableVersion {
  version: string;
  arch: string;
  /** The suite (codename when it names the pocket, e.g. `bookworm-security`) of the list it came from. */
  suite: string;
  security: boolean;
  section?: string;
  priority?: string;
}

/** An installed package and what the repositories offer for it. */
export interface PackageView {
  installed: InstalledPackage;
  /** Versions newer than the installed one, any order. */
  newer: AvailableVersion[];
  /** The suites that carry exactly the installed version (empty: installed from elsewhere). */
  installedFrom: AvailableVersion[];
}

export interface ListIndex {
  file: string;
  suite: string;
  security: boolean;
}

const STATUS_FIELDS = new Set(['Package', 'Status', 'Version', 'Architecture', 'Section', 'Priority']);
const PACKAGES_FIELDS = new Set(['Package', 'Version', 'Architecture', 'Section', 'Priority']);

export const key = (name: string, arch: string) => `${name}:${arch}`;

/**
 * Sections, priorities and architectures repeat across thousands of packages: one string each
 * keeps what the scan holds small.
 */
function interner(): (s: string | undefined) => string | undefined {
  const seen = new Map<string, string>();
  return (s) => {
    if (s === undefined) return undefined;
    const have = seen.get(s);
    if (have !== undefined) return have;
    seen.set(s, s);
    return s;
  };
}

/** The view an offer for `arch` belongs to: `all` and a native architecture replace each other across versions. */
function viewFor(mine: PackageView | PackageView[], arch: string): PackageView | undefined {
  if (!Array.isArray(mine)) return mine.installed.arch === arch || arch === 'all' || mine.installed.arch === 'all' ? mine : undefined;
  return mine.find((m) => m.installed.arch === arch) ?? (arch === 'all' || mine[0]!.installed.arch === 'all' ? mine[0] : undefined);
}

/** Installed packages from dpkg's status file: those whose status ends in `installed`. */
export async function readInstalled(statusFile: string): Promise<Map<string, InstalledPackage>> {
  const out = new Map<string, InstalledPackage>();
  const intern = interner();
  for await (const p of paragraphs(openControlFile(statusFile), STATUS_FIELDS)) {
    if (!p.Package || !p.Version || !p.Status?.endsWith(' installed')) continue;
    const arch = intern(p.Architecture || 'all')!;
    const section = intern(p.Section);
    const priority = intern(p.Priority);
    out.set(key(p.Package, arch), { name: p.Package, arch, version: p.Version, ...(section ? { section } : {}), ...(priority ? { priority } : {}) });
  }
  return out;
}

/**
 * The Packages lists apt would use, with the suite each comes from: `apt-get indextargets` reads
 * the sources and the Release files the way apt does, so a pocket is known by its Release file
 * (Suite/Codename/Label), not guessed from a file name.
 */
export async function listIndexes(env: Record<string, string>, signal: AbortSignal): Promise<ListIndex[]> {
  const r = await capture('apt-get', ['indextargets', '--format', '$(FILENAME)\t$(IDENTIFIER)\t$(SUITE)\t$(CODENAME)\t$(LABEL)'], env, signal);
  if (r.code !== 0) throw new Error(`apt-get indextargets failed (${r.code}): ${r.stderr.trim()}`);
  const out: ListIndex[] = [];
  for (const line of r.stdout.split('\n')) {
    const [file, id, suite = '', codename = '', label = ''] = line.split('\t');
    if (!file || id !== 'Packages') continue;
    const present = [file, `${file}.gz`, `${file}.xz`, `${file}.lz4`, `${file}.zst`, `${file}.bz2`].find((f) => existsSync(f));
    if (!present) continue;
    // Debian names its pocket by codename (bookworm-security) under Suite stable-security.
    const name = /-security$/i.test(codename) || !suite ? codename || suite : suite;
    const security = [suite, codename].some((s) => /-security$/i.test(s) || /\/updates$/.test(s)) || /security/i.test(label);
    out.push({ file: present, suite: name || '(unnamed)', security });
  }
  return out;
}

/**
 * One pass over every list: for each installed package, the versions newer than it and the
 * suites of the installed version; for packages not installed, only those `wanted` names
 * (their newest version). Nothing else from the lists is kept.
 */
export async function collectViews(
  installed: Map<string, InstalledPackage>,
  lists: ListIndex[],
  wanted: (name: string) => boolean,
): Promise<{ views: Map<string, PackageView>; uninstalled: Map<string, AvailableVersion & { name: string }> }> {
  const views = new Map<string, PackageView>();
  // By name: one view, or several for a package installed for more than one architecture.
  const byName = new Map<string, PackageView | PackageView[]>();
  for (const [k, p] of installed) {
    const v: PackageView = { installed: p, newer: [], installedFrom: [] };
    views.set(k, v);
    const have = byName.get(p.name);
    byName.set(p.name, have === undefined ? v : Array.isArray(have) ? [...have, v] : [have, v]);
  }
  const uninstalled = new Map<string, AvailableVersion & { name: string }>();
  const intern = interner();
  for (const list of lists) {
    for await (const p of paragraphs(openControlFile(list.file), PACKAGES_FIELDS, (name) => byName.has(name) || wanted(name))) {
      if (!p.Package || !p.Version) continue;
      const arch = intern(p.Architecture || 'all')!;
      const section = intern(p.Section);
      const priority = intern(p.Priority);
      const offer: AvailableVersion = { version: p.Version, arch, suite: list.suite, security: list.security, ...(section ? { section } : {}), ...(priority ? { priority } : {}) };
      const mine = byName.get(p.Package);
      if (mine) {
        const v = viewFor(mine, arch);
        if (!v) continue;
        const c = compareDebVersions(p.Version, v.installed.version);
        if (c > 0) v.newer.push(offer);
        else if (c === 0) v.installedFrom.push(offer);
        continue;
      }
      if (!wanted(p.Package)) continue;
      const seen = uninstalled.get(p.Package);
      if (!seen || compareDebVersions(p.Version, seen.version) > 0) uninstalled.set(p.Package, { ...offer, name: p.Package });
    }
  }
  return { views, uninstalled };
}
