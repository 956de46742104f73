import type { CallContext } from '../protocol/context.js';
import { AwsError } from '../protocol/errors.js';
import { documentAttachments, type Attachment, type PackageFile, type PackageFiles } from '../documents/index.js';
import type { PackageStore } from './store.js';
import { fetchSource, type SourcePolicy } from './sources.js';

interface ManifestFile {
  sha256: string;
  size: number | undefined;
}

const contentError = (message: string) => new AwsError('InvalidDocumentContent', message, { messageMember: 'Message' });
const attachmentError = (message: string) => new AwsError('ValidationException', message, { messageMember: 'Message' });

/** The manifest's files (validated before this runs: names, SHA-256s, sizes). */
function manifestFiles(manifest: unknown): Map<string, ManifestFile> {
  const files = (manifest as { files?: Record<string, { checksums: { sha256: string }; size?: number }> }).files ?? {};
  return new Map(Object.entries(files).map(([name, f]) => [name, { sha256: f.checksums.sha256.toLowerCase(), size: f.size }]));
}

/** `Name/Version/file` or `arn:…:document/Name/Version/file`: another package version's file. */
function parseReference(value: string): { document: string; version: string; file: string } {
  const parts = value.split('/');
  if (parts.length < 3) throw attachmentError(`AttachmentReference ${value} must name a document version's file: DocumentName/Version/FileName, or the document's ARN followed by /Version/FileName`);
  const file = parts.pop()!;
  const version = parts.pop()!;
  return { document: parts.join('/'), version, file };
}

/**
 * Where a package version's files come from: already in the store (uploaded, or another
 * version's), fetched from a SourceUrl folder or an S3FileUrl, or named by AttachmentReference.
 * Every file must end up stored with the manifest's SHA-256 (and size, when it gives one), or
 * the document is refused and no version is written.
 */
export function packageFiles(store: PackageStore, policy: SourcePolicy): PackageFiles {
  return async (call: CallContext, manifest: unknown, attachments: Attachment[] | undefined): Promise<PackageFile[]> => {
    const files = manifestFiles(manifest);
    const put = async (name: string, data: Buffer, from: string) => {
      const want = files.get(name)!;
      if (!(await store.put(want.sha256, data))) throw contentError(`files.${name}: the file at ${from} does not match the manifest's checksums.sha256 ${want.sha256}; nothing was stored`);
    };
    for (const a of attachments ?? []) {
      const value = a.Values?.[0];
      if (!a.Key || value === undefined) throw attachmentError('Each attachment needs a Key (SourceUrl, S3FileUrl or AttachmentReference) and one value');
      if (a.Key === 'SourceUrl') {
        // A folder: each manifest file not yet stored is fetched from under it by its name.
        for (const [name, f] of files) {
          if ((await store.size(f.sha256)) !== undefined) continue;
          const url = `${value.replace(/\/+$/, '')}/${encodeURIComponent(name)}`;
          await put(name, await fetchSource(policy, url), url);
        }
      } else if (a.Key === 'S3FileUrl') {
        const name = a.Name ?? decodeURIComponent(value.split('/').filter(Boolean).pop() ?? '');
        const f = files.get(name);
        if (!f) throw attachmentError(`S3FileUrl ${value} is the file ${name}, which the manifest does not list under files`);
        if ((await store.size(f.sha256)) === undefined) await put(name, await fetchSource(policy, value), value);
      } else {
        const ref = parseReference(value);
        const name = a.Name ?? ref.file;
        const f = files.get(name);
        if (!f) throw attachmentError(`AttachmentReference ${value}: the manifest lists no file ${name} under files`);
        const theirs = (await documentAttachments(call, ref.document, ref.version)).find((x) => x.Name === ref.file);
        if (!theirs?.Hash) throw attachmentError(`AttachmentReference ${value}: ${ref.document} version ${ref.version} has no package file ${ref.file}`);
        if (theirs.Hash !== f.sha256) throw contentError(`files.${name}: ${value} has SHA-256 ${theirs.Hash}, but the manifest says ${f.sha256}`);
      }
    }
    const out: PackageFile[] = [];
    for (const [name, f] of files) {
      const size = await store.size(f.sha256);
      if (size === undefined) {
        throw contentError(
          `files.${name}: no file with SHA-256 ${f.sha256} is in the package store. Upload it first (capstan package create, or CapstanPutPackageFile), or give its location in Attachments (SourceUrl, S3FileUrl or AttachmentReference).`,
        );
      }
      if (f.size !== undefined && f.size !== size) throw contentError(`files.${name}: the manifest gives size ${f.size}, but the file with its SHA-256 is ${size} bytes`);
      out.push({ Name: name, Size: size, Hash: f.sha256 });
    }
    return out;
  };
}
