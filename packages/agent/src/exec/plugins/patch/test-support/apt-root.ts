/**
 * A real apt repository and an isolated dpkg/apt root for patching tests and benches: packages
 * built with dpkg-deb, Packages and Release files written here (no dpkg-dev needed), and an
 * APT_CONFIG that points apt and dpkg at the root, so nothing touches the machine's own packages.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DebSpec {
  name: string;
  version: string;
  arch?: string;
  section?: string;
  priority?: string;
  depends?: string;
  /** Marks the package as one that needs a reboot, the way update-notifier's helper does. */
  needsReboot?: boolean;
  /** Extra shell lines for its postinst. */
  postinst?: string;
}

export interface BuiltDeb extends DebSpec {
  /** Path relative to the repository root. */
  filename: string;
  size: number;
  sha256: string;
}

const fileName = (s: DebSpec) => `${s.name}_${s.version.replace(/^\d+:/, '')}_${s.arch ?? 'all'}.deb`;

function control(s: DebSpec): string {
  return [
    `Package: ${s.name}`,
    `Version: ${s.version}`,
    `Architecture: ${s.arch ?? 'all'}`,
    'Maintainer: Capstan Tests <tests@capstan.invalid>',
    ...(s.section ? [`Section: ${s.section}`] : []),
    ...(s.priority ? [`Priority: ${s.priority}`] : []),
    ...(s.depends ? [`Depends: ${s.depends}`] : []),
    `Description: ${s.name} for patching tests`,
    '',
  ].join('\n');
}

/** Builds one tiny package into `<repo>/pool/<suite>/`. */
export function buildDeb(repo: string, suite: string, s: DebSpec, work: string): BuiltDeb {
  const dir = join(work, `${s.name}_${s.version}_${suite}`);
  mkdirSync(join(dir, 'DEBIAN'), { recursive: true });
  mkdirSync(join(dir, 'usr/share', s.name), { recursive: true });
  writeFileSync(join(dir, 'usr/share', s.name, 'version'), `${s.version}\n`);
  writeFileSync(join(dir, 'DEBIAN/control'), control(s));
  if (s.needsReboot || s.postinst) {
    // Maintainer scripts run outside the root (--force-script-chrootless); DPKG_ROOT names it.
    const reboot = s.needsReboot ? `mkdir -p "$DPKG_ROOT/var/run"\ntouch "$DPKG_ROOT/var/run/reboot-required"\necho ${s.name} >> "$DPKG_ROOT/var/run/reboot-required.pkgs"\n` : '';
    writeFileSync(join(dir, 'DEBIAN/postinst'), `#!/bin/sh\nset -e\n${reboot}${s.postinst ?? ''}\n`);
    chmodSync(join(dir, 'DEBIAN/postinst'), 0o755);
  }
  const filename = join('pool', suite, fileName(s));
  mkdirSync(join(repo, 'pool', suite), { recursive: true });
  execFileSync('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', dir, join(repo, filename)], { stdio: 'ignore' });
  const bytes = readFileSync(join(repo, filename));
  return { ...s, filename, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** One Packages stanza; `filename`, `size`, `sha256` may describe a file that isn't there (benches). */
export function packagesStanza(d: BuiltDeb): string {
  return `${control(d).trimEnd()}\nFilename: ${d.filename}\nSize: ${d.size}\nSHA256: ${d.sha256}\n\n`;
}

/** Writes `dists/<suite>/main/binary-<arch>/Packages` and a Release file that lists it. */
export function writeSuite(repo: string, suite: string, packagesText: string, arch = 'amd64'): void {
  const rel = `main/binary-${arch}/Packages`;
  const dir = join(repo, 'dists', suite);
  mkdirSync(join(dir, `main/binary-${arch}`), { recursive: true });
  writeFileSync(join(dir, rel), packagesText);
  const sha = createHash('sha256').update(packagesText).digest('hex');
  writeFileSync(
    join(dir, 'Release'),
    [
      'Origin: Capstan Tests',
      'Label: Capstan Tests',
      `Suite: ${suite}`,
      `Codename: ${suite}`,
      `Date: ${new Date().toUTCString()}`,
      `Architectures: ${arch} all`,
      'Components: main',
      'SHA256:',
      ` ${sha} ${Buffer.byteLength(packagesText)} ${rel}`,
      '',
    ].join('\n'),
  );
}

export interface AptRoot {
  root: string;
  /** The APT_CONFIG file. */
  aptConfig: string;
  env: Record<string, string>;
  adminDir: string;
}

/**
 * An empty dpkg/apt root whose sources are `suites` of the `file:` repository. dpkg runs with
 * --root/--admindir of it and its maintainer scripts see it as DPKG_ROOT.
 */
export function makeRoot(base: string, repo: string, suites: string[], os: { id: string; versionId: string; codename: string } = { id: 'debian', versionId: '12', codename: 'bookworm' }): AptRoot {
  const root = join(base, 'root');
  const adminDir = join(root, 'var/lib/dpkg');
  for (const d of ['etc/apt/sources.list.d', 'etc/apt/apt.conf.d', 'etc/apt/preferences.d', 'var/lib/dpkg/info', 'var/lib/dpkg/updates', 'var/lib/dpkg/triggers', 'var/lib/apt/lists/partial', 'var/cache/apt/archives/partial', 'var/log/apt', 'var/run']) {
    mkdirSync(join(root, d), { recursive: true });
  }
  writeFileSync(join(adminDir, 'status'), '');
  writeFileSync(join(adminDir, 'available'), '');
  writeFileSync(join(root, 'etc/os-release'), `PRETTY_NAME="Test ${os.id} ${os.versionId}"\nID=${os.id}\nVERSION_ID="${os.versionId}"\nVERSION_CODENAME=${os.codename}\n`);
  writeFileSync(join(root, 'etc/apt/sources.list'), suites.map((s) => `deb [trusted=yes] file:${repo} ${s} main\n`).join(''));
  const aptConfig = join(base, 'apt.conf');
  writeFileSync(
    aptConfig,
    [
      `Dir "${root}/";`,
      `Dir::State::status "${adminDir}/status";`,
      `DPkg::Options { "--root=${root}"; "--admindir=${adminDir}"; "--force-script-chrootless"; "--log=${root}/var/log/dpkg.log"; };`,
      'APT::Architecture "amd64";',
      'Acquire::Languages "none";',
      // The temporary directories are private to root; apt's download sandbox user could not read them.
      'APT::Sandbox::User "root";',
      '',
    ].join('\n'),
  );
  const env = { APT_CONFIG: aptConfig };
  // Refuse to go on unless apt really resolves to the root: a mistake here would patch this machine.
  const shown = execFileSync('apt-config', ['shell', 'S', 'Dir::State::status/f'], { env: { ...process.env, ...env }, encoding: 'utf8' });
  if (!shown.includes(`${adminDir}/status`)) throw new Error(`APT_CONFIG ${aptConfig} is not honoured: ${shown}`);
  return { root, aptConfig, env, adminDir };
}

/** Installs packages into the root with dpkg itself (the node's starting state). */
export function dpkgInstall(r: AptRoot, repo: string, debs: BuiltDeb[]): void {
  execFileSync('dpkg', [`--root=${r.root}`, `--admindir=${r.adminDir}`, '--force-script-chrootless', `--log=${r.root}/var/log/dpkg.log`, '-i', ...debs.map((d) => join(repo, d.filename))], { stdio: 'ignore' });
}

/** name → installed version, as dpkg-query reads the root's database. */
export function installedVersions(r: AptRoot): Record<string, string> {
  const out = execFileSync('dpkg-query', [`--admindir=${r.adminDir}`, '-W', '-f=${Package}\t${Version}\t${db:Status-Abbrev}\n'], { encoding: 'utf8' });
  const m: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const [name, version, status] = line.split('\t');
    if (name && status?.startsWith('ii')) m[name] = version!;
  }
  return m;
}

export function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}
