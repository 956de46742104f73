import type { CallContext, Core } from '../protocol/context.js';
import type { Attachment } from './service.js';

/** A Package version's file as the version keeps it: AttachmentsContent shows these. */
export interface PackageFile {
  Name: string;
  Size: number;
  Hash: string;
}

/**
 * Puts a Package version's files in place (from the store, the request's Attachments, or
 * another package's version) and answers what the version keeps; throws an AwsError, having
 * changed no document, when a file is missing or its checksum is wrong.
 */
export type PackageFiles = (call: CallContext, manifest: unknown, attachments: Attachment[] | undefined) => Promise<PackageFile[]>;

const resolvers = new WeakMap<Core, PackageFiles>();

/** Distributor registers here at start, so documents hold packages without knowing the package store. */
export function registerPackageFiles(core: Core, resolver: PackageFiles): void {
  resolvers.set(core, resolver);
}

export function packageFilesOf(core: Core): PackageFiles | undefined {
  return resolvers.get(core);
}
