/**
 * A real dnf repository and an isolated rpm/dnf installroot for patching tests: packages built
 * with rpmbuild, repository metadata from createrepo_c, update notices added with modifyrepo_c,
 * and a dnf configuration (named by CAPSTAN_DNF_CONFIG) whose installroot is the node's root, so
 * nothing touches the machine's own packages.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DNF_CONFIG_VARIABLE } from '../dnf-layout.js';

export interface RpmSpec {
  name: string;
  version: string;
  release: string;
  epoch?: number;
  requires?: string;
}

export interface Notice {
  id: string;
  type: 'security' | 'bugfix' | 'enhancement' | 'newpackage';
  severity?: string;
  /** Epoch ms. */
  issued: number;
  cves?: string[];
  bugzillas?: string[];
  packages: RpmSpec[];
}

const fileName = (s: RpmSpec) => `${s.name}-${s.version}-${s.release}.noarch.rpm`;

/** Builds one tiny noarch package into `<repo>/`. */
export function buildRpm(repo: string, s: RpmSpec, work: string): string {
  const top = join(work, `${s.name}-${s.version}-${s.release}`);
  mkdirSync(top, { recursive: true });
  const spec = join(top, `${s.name}.spec`);
  writeFileSync(
    spec,
    [
      `Name: ${s.name}`,
      ...(s.epoch !== undefined ? [`Epoch: ${s.epoch}`] : []),
      `Version: ${s.version}`,
      `Release: ${s.release}`,
      `Summary: ${s.name} for patching tests`,
      'License: MIT',
      'BuildArch: noarch',
      ...(s.requires ? [`Requires: ${s.requires}`] : []),
      '%description',
      `${s.name} for patching tests`,
      '%install',
      // A path of its own per build, so an install-only package (kernel) can keep several.
      `mkdir -p %{buildroot}/usr/share/${s.name}/${s.version}-${s.release}`,
      `echo ${s.version}-${s.release} > %{buildroot}/usr/share/${s.name}/${s.version}-${s.release}/version`,
      '%files',
      `/usr/share/${s.name}/${s.version}-${s.release}/version`,
      '',
    ].join('\n'),
  );
  execFileSync('rpmbuild', ['-bb', '--define', `_topdir ${top}`, '--define', `_rpmdir ${repo}`, '--define', '_build_id_links none', '--define', '_rpmfilename %{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}.rpm', spec], { stdio: 'ignore' });
  return join(repo, fileName(s));
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
const stamp = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

/** updateinfo.xml as Red Hat's repositories publish it. */
export function updateinfo(notices: Notice[]): string {
  const update = (n: Notice) => {
    const refs = [...(n.cves ?? []).map((c) => `<reference href="https://example.invalid/${c}" id="${c}" type="cve" title="${c}"/>`), ...(n.bugzillas ?? []).map((b) => `<reference href="https://example.invalid/${b}" id="${b}" type="bugzilla" title="bug ${b}"/>`)];
    const pkgs = n.packages.map((p) => `<package name="${esc(p.name)}" version="${esc(p.version)}" release="${esc(p.release)}" epoch="${p.epoch ?? 0}" arch="noarch"><filename>${fileName(p)}</filename></package>`);
    return [
      `<update from="tests@capstan.invalid" status="final" type="${n.type}" version="2.0">`,
      `<id>${esc(n.id)}</id>`,
      `<title>${esc(n.id)}</title>`,
      ...(n.severity ? [`<severity>${esc(n.severity)}</severity>`] : []),
      `<issued date="${stamp(n.issued)}"/>`,
      `<references>${refs.join('')}</references>`,
      '<description>patching tests</description>',
      `<pkglist><collection short="tests"><name>tests</name>${pkgs.join('')}</collection></pkglist>`,
      '</update>',
    ].join('\n');
  };
  return `<?xml version="1.0" encoding="UTF-8"?>\n<updates>\n${notices.map(update).join('\n')}\n</updates>\n`;
}

/** Repository metadata for every package in `repo`, with the notices as its updateinfo. */
export function writeRepo(repo: string, notices: Notice[], work: string): void {
  execFileSync('createrepo_c', ['-q', repo], { stdio: 'ignore' });
  const file = join(work, 'updateinfo.xml');
  writeFileSync(file, updateinfo(notices));
  execFileSync('modifyrepo_c', ['--mdtype=updateinfo', file, join(repo, 'repodata')], { stdio: 'ignore' });
}

export interface RpmRoot {
  root: string;
  /** The dnf configuration CAPSTAN_DNF_CONFIG names. */
  dnfConfig: string;
  env: Record<string, string>;
}

export interface OsRelease {
  id: string;
  versionId: string;
  name: string;
}

/**
 * An empty installroot whose one repository is `repo`. HOME holds an .rpmmacros putting the
 * database where RHEL keeps it (Debian's rpm would put it under the user's home), read alike by
 * rpm and by dnf's rpm bindings.
 */
export function makeRpmRoot(base: string, repo: string, os: OsRelease = { id: 'rocky', versionId: '9.3', name: 'Rocky Linux' }): RpmRoot {
  const root = join(base, 'root');
  const home = join(base, 'home');
  for (const d of [join(root, 'etc/yum.repos.d'), join(root, 'var/lib/rpm'), home]) mkdirSync(d, { recursive: true });
  writeFileSync(join(home, '.rpmmacros'), '%_dbpath /var/lib/rpm\n');
  writeFileSync(join(root, 'etc/os-release'), `NAME="${os.name}"\nVERSION_ID="${os.versionId}"\nID="${os.id}"\nPRETTY_NAME="${os.name} ${os.versionId}"\n`);
  const dnfConfig = join(base, 'dnf.conf');
  writeFileSync(
    dnfConfig,
    [
      '[main]',
      `installroot=${root}`,
      `reposdir=${join(root, 'etc/yum.repos.d')}`,
      'gpgcheck=0',
      'install_weak_deps=0',
      'metadata_expire=0',
      '',
      '[capstan-tests]',
      'name=Capstan tests',
      `baseurl=file://${repo}`,
      'gpgcheck=0',
      '',
    ].join('\n'),
  );
  const env = { [DNF_CONFIG_VARIABLE]: dnfConfig, HOME: home };
  execFileSync('rpm', ['--root', root, '--initdb'], { env: { ...process.env, ...env } });
  return { root, dnfConfig, env };
}

/** Installs packages into the root with rpm itself (the node's starting state). */
export function rpmInstall(r: RpmRoot, files: string[]): void {
  execFileSync('rpm', ['--root', r.root, '-i', '--nodeps', ...files], { env: { ...process.env, ...r.env }, stdio: 'ignore' });
}

/** name → installed `[epoch:]version-release`, as rpm reads the root's database. */
export function installedRpms(r: RpmRoot): Record<string, string> {
  const out = execFileSync('rpm', ['--root', r.root, '-qa', '--qf', '%{NAME}\\t%{EPOCHNUM}\\t%{VERSION}-%{RELEASE}\\n'], { env: { ...process.env, ...r.env }, encoding: 'utf8' });
  const m: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const [name, epoch, vr] = line.split('\t');
    if (name) m[name] = epoch && epoch !== '0' ? `${epoch}:${vr}` : vr!;
  }
  return m;
}
