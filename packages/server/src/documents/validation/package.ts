import { describeValue, fail, isObject, join, list, onlyKeys, show, union, type Obj, type Platform } from './shared.js';

/** Distributor's platform codes, and the platform type each one is. */
const PLATFORMS: Record<string, readonly Platform[]> = {
  windows: ['Windows'],
  debian: ['Linux'],
  ubuntu: ['Linux'],
  redhat: ['Linux'],
  centos: ['Linux'],
  amazon: ['Linux'],
  suse: ['Linux'],
  opensuse: ['Linux'],
  opensuseleap: ['Linux'],
  oracle: ['Linux'],
  _any: ['Windows', 'Linux'],
};
const ARCHITECTURES = ['x86_64', '386', 'arm64', '_any'];
// `_any`, `*`, an exact release (`2016.09`, `20.04`) or a major release with a wildcard (`7.*`).
const PLATFORM_VERSION = /^(_any|\*|[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*(\.\*)?)$/;
const VERSION = /^[A-Za-z0-9_.-]{1,128}$/;
const SHA256 = /^[0-9a-fA-F]{64}$/;
const MAX_FILES = 20;

/**
 * Package documents hold a Distributor manifest: a version name, the zip file for each
 * platform / platform version / architecture, and each file's SHA-256.
 */
export function validatePackage(doc: Obj): Platform[] {
  onlyKeys(doc, ['schemaVersion', 'version', 'publisher', 'packages', 'files'], '');
  if (doc.version === undefined) fail('', 'version is required (the package version name)');
  if (typeof doc.version !== 'string' || !VERSION.test(doc.version)) fail('', `version ${show(doc.version)} is not valid: up to 128 letters, digits, '_', '-' and '.'`);
  if (doc.publisher !== undefined && typeof doc.publisher !== 'string') fail('', `publisher must be a string, not ${describeValue(doc.publisher)}`);
  const files = checkFiles(doc.files);
  const used = new Set<string>();
  const platforms: (readonly Platform[])[] = [];
  const packages = doc.packages;
  if (packages === undefined) fail('', 'packages is required');
  nonEmptyObject(packages, 'packages', 'platform');
  for (const [platform, versions] of Object.entries(packages)) {
    const at = join('packages', platform);
    if (!PLATFORMS[platform]) fail(at, `platform ${show(platform)} is not supported (supported: ${list(Object.keys(PLATFORMS))})`);
    platforms.push(PLATFORMS[platform]);
    nonEmptyObject(versions, at, 'platform version');
    for (const [version, archs] of Object.entries(versions)) {
      const vAt = join(at, version);
      if (!PLATFORM_VERSION.test(version)) fail(vAt, `platform version ${show(version)} is not valid: use _any, an exact release, or a major release with .*`);
      nonEmptyObject(archs, vAt, 'architecture');
      for (const [arch, entry] of Object.entries(archs)) {
        const aAt = join(vAt, arch);
        if (!ARCHITECTURES.includes(arch)) fail(aAt, `architecture ${show(arch)} is not supported (supported: ${list(ARCHITECTURES)})`);
        if (!isObject(entry)) fail(aAt, `must be an object with a file, not ${describeValue(entry)}`);
        onlyKeys(entry, ['file'], aAt);
        if (typeof entry.file !== 'string' || entry.file === '') fail(aAt, 'file is required (the name of a zip file listed under files)');
        if (!files.has(entry.file)) fail(aAt, `file ${show(entry.file)} is not listed under files`);
        used.add(entry.file);
      }
    }
  }
  for (const name of files) if (!used.has(name)) fail(join('files', name), 'this file is not used by any platform under packages');
  return union(platforms);
}

function nonEmptyObject(value: unknown, where: string, keyedBy: string): asserts value is Obj {
  if (!isObject(value) || Object.keys(value).length === 0) fail(where, `must be an object keyed by ${keyedBy} with at least one entry, not ${describeValue(value)}`);
}

function checkFiles(raw: unknown): Set<string> {
  if (raw === undefined) fail('', 'files is required (each zip file with its checksums.sha256)');
  nonEmptyObject(raw, 'files', 'file name');
  const names = Object.keys(raw);
  if (names.length > MAX_FILES) fail('files', `a package can have at most ${MAX_FILES} files, not ${names.length}`);
  for (const [name, entry] of Object.entries(raw)) {
    const at = join('files', name);
    if (!name.toLowerCase().endsWith('.zip')) fail(at, 'package files must be .zip archives');
    if (!isObject(entry)) fail(at, `must be an object with checksums.sha256, not ${describeValue(entry)}`);
    onlyKeys(entry, ['checksums', 'size', 'downloadLocation'], at);
    if (!isObject(entry.checksums) || entry.checksums.sha256 === undefined) fail(at, 'checksums.sha256 is required');
    onlyKeys(entry.checksums, ['sha256'], at, 'checksums');
    if (typeof entry.checksums.sha256 !== 'string' || !SHA256.test(entry.checksums.sha256)) fail(at, `checksums.sha256 must be 64 hexadecimal digits, not ${show(entry.checksums.sha256)}`);
    if (entry.size !== undefined && !(Number.isInteger(entry.size) && (entry.size as number) >= 0)) fail(at, `size must be a whole number of bytes, not ${describeValue(entry.size)}`);
    if (entry.downloadLocation !== undefined && typeof entry.downloadLocation !== 'string') fail(at, `downloadLocation must be a string, not ${describeValue(entry.downloadLocation)}`);
  }
  return new Set(names);
}
