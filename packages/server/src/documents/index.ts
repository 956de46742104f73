import type { Capability } from '../protocol/capability.js';
import type { CallContext } from '../protocol/context.js';
import { settingsService } from '../settings/index.js';
import { taggingService, type Tags } from '../tagging/index.js';
import { loadBuiltins } from './builtins.js';
import { DocumentListing } from './listing.js';
import { documentArn } from './names.js';
import { documentOperations } from './operations.js';
import { DocumentReads, type ResolvedDocument } from './reads.js';
import { DocumentReviews } from './reviews.js';
import { DocumentWrites } from './service.js';
import { DocumentSharing } from './sharing.js';
import { documents, documentsSlot } from './slots.js';
import { documentStore } from './store.js';
import { documentMigrations } from './tables.js';

export { registerDocumentUser, type DocumentUser } from './usage.js';
export { registerPackageFiles, type PackageFile, type PackageFiles } from './package-files.js';
export { packageVersionIn, type PackageVersion } from './packages.js';
export type { Attachment } from './service.js';
export type { ResolvedDocument } from './reads.js';
/** The ARN to authorize for a document as a caller named it (AWS's names map to AWS's ARNs). */
export { documentArnFor } from './operations.js';

export const documentsCapability: Capability = {
  name: 'documents',
  migrations: documentMigrations,
  operations: documentOperations,
  start(core) {
    settingsService(core); // public sharing can be switched off by a service setting
    const builtins = loadBuiltins();
    const reads = new DocumentReads(core, builtins);
    const writes = new DocumentWrites(core, reads);
    documentsSlot.set(core, { reads, writes, sharing: new DocumentSharing(core, writes), reviews: new DocumentReviews(core, writes), listing: new DocumentListing(core, builtins) });
    const tagsOf = async (account: string, region: string, name: string): Promise<Tags | undefined> => {
      const row = await documentStore.get(reads.db, account, region, name);
      return row ? (JSON.parse(row.tags) as Tags) : undefined;
    };
    taggingService(core).register({
      resourceType: 'Document',
      arn: (account, region, id) => documentArn(region, account, id),
      get: tagsOf,
      set: async (account, region, name, tags) => {
        await documentStore.setTags(reads.db, account, region, name, tags);
      },
      list: async (account, region) =>
        (await reads.db.selectFrom('documents').select(['name', 'tags']).where('account_id', '=', account).where('region', '=', region).execute()).map((r) => ({ id: r.name, tags: JSON.parse(r.tags) as Tags })),
    });
    // For aws:ResourceTag / ssm:resourceTag conditions on document ARNs; AWS's documents carry none.
    core.resourceTags.register('ssm', 'document', async (arn, account, region) => (account ? tagsOf(account, region, arn.slice(arn.indexOf(':document/') + ':document/'.length)) : {}));
  },
};

/**
 * A document version for a capability that runs documents (Run Command, Automation, State
 * Manager): the caller's own, one shared with it (by ARN), or AWS's, with the same visibility
 * as GetDocument; InvalidDocument / InvalidDocumentVersion for anything else. `version` is a
 * number, `$LATEST`, `$DEFAULT` or a version name; the default version when absent.
 */
export function resolveDocument(call: CallContext, nameOrArn: string, version?: string): Promise<ResolvedDocument> {
  return documents(call.core).reads.resolve(call, nameOrArn, version);
}

/** A version's attachments as GetDocument shows them to this caller (`version`: a number or a version name). */
export async function documentAttachments(call: CallContext, nameOrArn: string, version: string): Promise<{ Name: string; Size?: number; Hash?: string }[]> {
  const got = await documents(call.core).reads.get(call, /^[1-9][0-9]*$/.test(version) ? { Name: nameOrArn, DocumentVersion: version } : { Name: nameOrArn, VersionName: version });
  return got.AttachmentsContent ?? [];
}
