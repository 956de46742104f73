import type { CallContext, Core } from '../protocol/context.js';
import { isUniqueViolation } from '../store/errors.js';
import { checkTagKeys } from '../tagging/index.js';
import { checkContent } from './content.js';
import {
  associatedInstances, documentAlreadyExists, documentLimitExceeded, documentVersionLimitExceeded, duplicateDocumentContent, duplicateDocumentVersionName, invalidDocument,
  invalidDocumentOperation, invalidDocumentVersion, tooManyUpdates, validation,
} from './errors.js';
import { checkNewName } from './names.js';
import type { DocumentReads } from './reads.js';
import { documentStore, type DocumentDb } from './store.js';
import type { DocumentRow, DocumentTables, VersionRow } from './tables.js';
import type { DocumentFormat } from './validation/index.js';
import { packageFilesOf } from './package-files.js';
import { documentInUse } from './usage.js';
import { descriptionOf } from './views.js';

export const MAX_DOCUMENTS = 500;
export const MAX_VERSIONS = 1000;
const MAX_TAGS = 50;

export interface Attachment {
  Key?: string | undefined;
  Values?: string[] | undefined;
  Name?: string | undefined;
}
export interface Requirement {
  Name: string;
  Version?: string | undefined;
  RequireType?: string | undefined;
  VersionName?: string | undefined;
}

export interface CreateInput {
  Content: string;
  Requires?: Requirement[] | undefined;
  Attachments?: Attachment[] | undefined;
  Name: string;
  DisplayName?: string | undefined;
  VersionName?: string | undefined;
  DocumentType?: string | undefined;
  DocumentFormat?: DocumentFormat | undefined;
  TargetType?: string | undefined;
  Tags?: { Key: string; Value: string }[] | undefined;
}

export interface UpdateInput {
  Content: string;
  Attachments?: Attachment[] | undefined;
  Name: string;
  DisplayName?: string | undefined;
  VersionName?: string | undefined;
  DocumentVersion?: string | undefined;
  DocumentFormat?: DocumentFormat | undefined;
  TargetType?: string | undefined;
}

/**
 * Outside packages, attachments are recorded, never fetched: a name (given, or the file the
 * location ends in) and where it was. A package's files are put in the package store first, and
 * the version keeps each one's name, size and SHA-256.
 */
async function attachmentsOf(call: CallContext, type: string, list: Attachment[] | undefined, checked: ReturnType<typeof checkContent>): Promise<string | null> {
  if (type === 'Package') {
    const files = packageFilesOf(call.core);
    if (!files) throw invalidDocumentOperation('Package documents need the package store, which is not running on this server.');
    return JSON.stringify(await files(call, checked.validated.content, list));
  }
  if (!list || list.length === 0) return null;
  return JSON.stringify(
    list.map((a) => {
      const location = a.Values?.[0];
      const name = a.Name ?? location?.split('/').filter(Boolean).pop() ?? a.Key ?? 'attachment';
      return { Name: name, ...(location !== undefined && a.Key !== 'AttachmentReference' ? { Url: location } : {}) };
    }),
  );
}

/** A package version is named by its manifest's `version` unless the request names it. */
function packageVersionName(type: string, checked: ReturnType<typeof checkContent>): string | undefined {
  if (type !== 'Package') return undefined;
  const v = (checked.validated.content as { version?: unknown }).version;
  return typeof v === 'string' ? v : undefined;
}

/** Document writes; each owns its transaction and changes nothing when it refuses. */
export class DocumentWrites {
  readonly db: DocumentDb;
  constructor(
    private readonly core: Core,
    private readonly reads: DocumentReads,
  ) {
    this.db = core.database.db.withTables<DocumentTables>();
  }

  /** The caller's own document; AWS's documents and others' are never changed through here. */
  async owned(call: CallContext, name: string, onAws: () => Error = () => invalidDocumentOperation(`The document ${name} is owned by AWS and can't be changed.`)): Promise<DocumentRow> {
    const row = await documentStore.get(this.db, call.accountId, call.region, name);
    if (row) return row;
    if (this.reads.builtins.has(name)) throw onAws();
    throw invalidDocument();
  }

  async create(call: CallContext, input: CreateInput) {
    const { accountId: account, region } = call;
    // An account may shadow a built-in outside the reserved prefixes (SSM-SessionManagerRunShell
    // holds each account's session preferences); its own document then wins by name.
    checkNewName(input.Name);
    const type = input.DocumentType ?? 'Command';
    const format = input.DocumentFormat ?? 'JSON';
    const tags = Object.fromEntries((input.Tags ?? []).map((t) => [t.Key, t.Value]));
    checkTagKeys(Object.keys(tags));
    if (Object.keys(tags).length > MAX_TAGS) throw validation(`A document can have at most ${MAX_TAGS} tags.`);
    const checked = checkContent(input.Content, format, type);
    const named = { ...input, VersionName: input.VersionName ?? packageVersionName(type, checked) };
    const attachments = await attachmentsOf(call, type, input.Attachments, checked);
    const doc: DocumentRow = { account_id: account, region, name: input.Name, document_type: type, latest_version: 1, default_version: 1, created_at: call.now, tags: JSON.stringify(tags) };
    const version = this.versionRow(call, input.Name, 1, named, format, checked, input.TargetType ?? null, input.Requires?.length ? JSON.stringify(input.Requires) : null, attachments);
    try {
      await this.db.transaction().execute(async (trx) => {
        if (await documentStore.get(trx, account, region, input.Name)) throw documentAlreadyExists();
        if ((await documentStore.count(trx, account, region)) >= MAX_DOCUMENTS) {
          throw documentLimitExceeded(`You can have at most ${MAX_DOCUMENTS} active SSM documents in this account and Region. Delete documents you no longer need, and try again.`);
        }
        await documentStore.insert(trx, doc, version);
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw documentAlreadyExists();
      throw e;
    }
    return { DocumentDescription: descriptionOf(this.reads.ownLocated(region, doc), version) };
  }

  private versionRow(
    call: CallContext,
    name: string,
    number: number,
    input: { Content: string; DisplayName?: string | undefined; VersionName?: string | undefined },
    format: DocumentFormat,
    checked: ReturnType<typeof checkContent>,
    targetType: string | null,
    requires: string | null,
    attachments: string | null,
  ): VersionRow {
    const v = checked.validated;
    return {
      account_id: call.accountId,
      region: call.region,
      name,
      version: number,
      version_name: input.VersionName ?? null,
      content: input.Content,
      format,
      hash: checked.hash,
      display_name: input.DisplayName ?? null,
      target_type: targetType,
      schema_version: v.schemaVersion ?? null,
      description: v.description ?? null,
      parameters: JSON.stringify(checked.parameters),
      platform_types: JSON.stringify(v.platformTypes),
      requires,
      attachments,
      created_at: call.now,
      author: call.principal.arn,
      review_status: null,
      reviews: '[]',
    };
  }

  /** A new version on top of the latest; the default stays where it is. */
  async update(call: CallContext, input: UpdateInput) {
    const { accountId: account, region } = call;
    const row = await this.owned(call, input.Name);
    if (input.DocumentVersion !== undefined) {
      const given = input.DocumentVersion;
      const n = given === '$LATEST' ? row.latest_version : given === '$DEFAULT' ? row.default_version : Number(given);
      if (n !== row.latest_version) {
        throw invalidDocumentVersion(`Only the latest version of a document can be updated: ${input.Name} is at version ${row.latest_version}; pass DocumentVersion ${row.latest_version} or $LATEST.`);
      }
    }
    const latest = (await documentStore.getVersion(this.db, account, region, input.Name, row.latest_version))!;
    const format = input.DocumentFormat ?? latest.format;
    const checked = checkContent(input.Content, format, row.document_type);
    const versionName = input.VersionName ?? packageVersionName(row.document_type, checked);
    const keys = await documentStore.versionKeys(this.db, account, region, input.Name);
    if (versionName !== undefined && keys.some((k) => k.version_name === versionName)) throw duplicateDocumentVersionName(versionName);
    const targetType = input.TargetType ?? latest.target_type;
    if (keys.some((k) => k.hash === checked.hash && k.target_type === targetType)) throw duplicateDocumentContent();
    if (keys.length >= MAX_VERSIONS) {
      throw documentVersionLimitExceeded(`The document ${input.Name} has ${keys.length} versions, the most a document can have. Delete one or more document versions and try again.`);
    }
    const attachments = await attachmentsOf(call, row.document_type, input.Attachments, checked);
    const version = this.versionRow(call, input.Name, row.latest_version + 1, { ...input, VersionName: versionName, DisplayName: input.DisplayName ?? latest.display_name ?? undefined }, format, checked, targetType, latest.requires, attachments);
    try {
      await this.db.transaction().execute(async (trx) => {
        const now = await documentStore.get(trx, account, region, input.Name);
        if (!now) throw invalidDocument();
        if (now.latest_version !== row.latest_version) throw tooManyUpdates(`The document ${input.Name} changed while this update ran; try again.`);
        await documentStore.addVersion(trx, version);
      });
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      if (versionName !== undefined && (await documentStore.getVersionByName(this.db, account, region, input.Name, versionName))) throw duplicateDocumentVersionName(versionName);
      throw tooManyUpdates(`The document ${input.Name} changed while this update ran; try again.`);
    }
    const doc = { ...row, latest_version: version.version };
    return { DocumentDescription: descriptionOf(this.reads.ownLocated(region, doc), version, await this.reads.reviewSummary(this.reads.ownLocated(region, doc))) };
  }

  async setDefault(call: CallContext, name: string, version: string) {
    await this.owned(call, name, () => invalidDocument(`The document ${name} is owned by AWS; its default version can't be changed.`));
    const v = await documentStore.getVersion(this.db, call.accountId, call.region, name, Number(version));
    if (!v) throw invalidDocumentVersion(`The document ${name} has no version ${version}.`);
    await documentStore.setDefault(this.db, call.accountId, call.region, name, v.version);
    return { Description: { Name: name, DefaultVersion: String(v.version), ...(v.version_name !== null ? { DefaultVersionName: v.version_name } : {}) } };
  }

  /** Every version, or one that is not the default. */
  async delete(call: CallContext, input: { Name: string; DocumentVersion?: string | undefined; VersionName?: string | undefined }): Promise<void> {
    const { accountId: account, region } = call;
    const row = await this.owned(call, input.Name);
    if (input.DocumentVersion === undefined && input.VersionName === undefined) {
      if ((await documentStore.shares(this.db, account, region, input.Name)).length > 0) {
        throw invalidDocumentOperation('You attempted to delete a document while it is still shared. You must stop sharing the document before you can delete it.');
      }
      if (await documentInUse(this.core, account, region, input.Name)) {
        throw associatedInstances(`The document ${input.Name} is still used by associations; delete them (or point them at another document) before deleting it.`);
      }
      await this.db.transaction().execute((trx) => documentStore.delete(trx, account, region, input.Name));
      return;
    }
    const v = await this.reads.version(this.reads.ownLocated(region, row), { version: input.DocumentVersion, versionName: input.VersionName }).catch(() => {
      throw invalidDocument(`The document ${input.Name} has no version ${input.DocumentVersion ?? input.VersionName}.`);
    });
    if (v.version === row.default_version) {
      throw invalidDocumentOperation(`Version ${v.version} is the default version of ${input.Name} and can't be deleted. Make another version the default first, or delete the whole document.`);
    }
    await this.db.transaction().execute((trx) => documentStore.deleteVersion(trx, account, region, input.Name, v.version));
  }
}
