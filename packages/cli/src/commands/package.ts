import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { CreateDocumentCommand, SSMClient, UpdateDocumentCommand, type DocumentDescription } from '@aws-sdk/client-ssm';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { resolveClientConfig, withClientOptions, type ClientOptions } from '../client-config.js';
import { SsmJsonCaller } from '../run/signed.js';

interface CreateOptions extends ClientOptions {
  name: string;
  version: string;
  manifest: string;
  files?: string[];
  json?: boolean;
}

class PackageUsageError extends Error {}

interface Manifest {
  version?: unknown;
  files?: Record<string, { checksums?: { sha256?: unknown } }>;
}

/** The manifest and the archives to upload, each checked against the manifest before anything is sent. */
export function preparePackage(o: Pick<CreateOptions, 'version' | 'manifest' | 'files'>): { content: string; uploads: { name: string; sha256: string; data: Buffer }[] } {
  let content: string;
  let manifest: Manifest;
  try {
    content = readFileSync(o.manifest, 'utf8');
    manifest = JSON.parse(content) as Manifest;
  } catch (e) {
    throw new PackageUsageError(`--manifest ${o.manifest}: ${(e as Error).message}`);
  }
  if (manifest.version !== o.version) throw new PackageUsageError(`--version ${o.version} is not the manifest's version (${JSON.stringify(manifest.version)}); they name the same package version`);
  const listed = manifest.files ?? {};
  const uploads = (o.files ?? []).map((path) => {
    const name = basename(path);
    const want = listed[name]?.checksums?.sha256;
    if (typeof want !== 'string') throw new PackageUsageError(`${path}: the manifest lists no file ${name} under files`);
    let data: Buffer;
    try {
      data = readFileSync(path);
    } catch (e) {
      throw new PackageUsageError(`${path}: ${(e as Error).message}`);
    }
    const sha256 = createHash('sha256').update(data).digest('hex');
    if (sha256 !== want.toLowerCase()) throw new PackageUsageError(`${path}: its SHA-256 is ${sha256}, but the manifest says ${want}`);
    return { name, sha256, data };
  });
  return { content, uploads };
}

const EXAMPLES = `
The manifest is Distributor's manifest.json (schemaVersion 2.0): its "version" must be --version,
and each --files archive must be listed under its "files" with the archive's SHA-256. Archives
already in the server's package store (from an earlier version) need not be given again.
A new package is created; an existing one gets a new version (its default version stays).

Example:
  capstan package create --name ExampleAgent --version 1.0 --manifest manifest.json \\
      --files agent_linux_x64.zip agent_linux_arm64.zip
`;

export function registerPackageCommands(program: Command): void {
  const pkg = program.command('package').description('Distributor packages: versioned software for AWS-ConfigureAWSPackage');
  const create = withClientOptions(pkg.command('create').description('upload archives and create a package, or add a version to one'))
    .requiredOption('--name <name>', 'the package (a Package document) name')
    .requiredOption('--version <version>', "the version name; must be the manifest's version")
    .requiredOption('--manifest <path>', 'manifest.json')
    .option('--files <paths...>', 'the archives the manifest lists')
    .option('--json', 'print the DocumentDescription as JSON')
    .addHelpText('after', EXAMPLES);
  create.action(async (o: CreateOptions) => {
    let prepared;
    try {
      prepared = preparePackage(o);
    } catch (e) {
      if (!(e instanceof PackageUsageError)) throw e;
      console.error(`capstan package create: ${e.message}`);
      process.exitCode = 2;
      return;
    }
    const config = resolveClientConfig(o);
    const credentials = defaultProvider();
    const caller = new SsmJsonCaller(config.endpoint, config.region, credentials);
    for (const u of prepared.uploads) {
      await caller.call('CapstanPutPackageFile', { Sha256: u.sha256, Content: u.data.toString('base64') });
      if (!o.json) console.error(`uploaded ${u.name} (${u.data.length} bytes, sha256 ${u.sha256})`);
    }
    const ssm = new SSMClient({ ...config, credentials });
    let doc: DocumentDescription;
    try {
      doc = (await ssm.send(new CreateDocumentCommand({ Name: o.name, DocumentType: 'Package', DocumentFormat: 'JSON', VersionName: o.version, Content: prepared.content }))).DocumentDescription!;
    } catch (e) {
      if ((e as Error).name !== 'DocumentAlreadyExists') throw e;
      doc = (await ssm.send(new UpdateDocumentCommand({ Name: o.name, DocumentVersion: '$LATEST', DocumentFormat: 'JSON', VersionName: o.version, Content: prepared.content }))).DocumentDescription!;
    } finally {
      ssm.destroy();
    }
    console.log(o.json ? JSON.stringify({ DocumentDescription: doc }, null, 2) : `${doc.Name} version ${doc.DocumentVersion} (${doc.VersionName}) created; default version ${doc.DefaultVersion}`);
  });
}
