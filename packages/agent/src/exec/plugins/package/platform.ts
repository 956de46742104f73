import { readFileSync } from 'node:fs';

/** This node as a Distributor manifest names platforms: os-release ID and VERSION_ID, and the architecture. */
export interface NodePlatform {
  name: string;
  version: string;
  arch: string;
}

const ARCHES: Record<string, string> = { x64: 'x86_64', arm64: 'arm64', ia32: '386' };

export function nodePlatform(osRelease = '/etc/os-release'): NodePlatform {
  const fields: Record<string, string> = {};
  try {
    for (const line of readFileSync(osRelease, 'utf8').split('\n')) {
      const m = /^(ID|VERSION_ID)=(.*)$/.exec(line.trim());
      if (m) fields[m[1]!] = m[2]!.replace(/^(["'])(.*)\1$/, '$2');
    }
  } catch {
    // No os-release: only `_any` entries of a manifest can match.
  }
  const name = process.platform === 'win32' ? 'windows' : (fields.ID ?? '');
  // Amazon Linux calls itself `amzn`; Distributor's manifests call it `amazon`, RHEL `redhat`.
  const alias: Record<string, string> = { amzn: 'amazon', rhel: 'redhat', ol: 'oracle', sles: 'suse', 'opensuse-leap': 'opensuseleap' };
  return { name: alias[name] ?? name, version: fields.VERSION_ID ?? '', arch: ARCHES[process.arch] ?? process.arch };
}

type Packages = Record<string, Record<string, Record<string, { file?: unknown }>>>;

/**
 * The manifest's file for this node, by Distributor's rules: the platform by name else `_any`;
 * its version exactly, else the longest `N.*` prefix that matches, else `_any`, else `*`; the
 * architecture exactly else `_any`.
 */
export function fileFor(manifest: unknown, node: NodePlatform): string | undefined {
  const packages = ((manifest ?? {}) as { packages?: Packages }).packages ?? {};
  const platform = packages[node.name] ?? packages._any;
  if (!platform) return undefined;
  let versions = platform[node.version];
  if (!versions) {
    const wildcard = Object.keys(platform)
      .filter((v) => v.endsWith('.*') && (node.version === v.slice(0, -2) || node.version.startsWith(v.slice(0, -1))))
      .sort((a, b) => b.length - a.length)[0];
    versions = (wildcard ? platform[wildcard] : undefined) ?? platform._any ?? platform['*'];
  }
  const entry = versions?.[node.arch] ?? versions?._any;
  return typeof entry?.file === 'string' ? entry.file : undefined;
}
