import type { CallContext, Core } from '../protocol/context.js';
import { settingsService } from '../settings/index.js';
import { documentPermissionLimit, invalidDocument, invalidDocumentOperation, invalidPermissionType, validation } from './errors.js';
import { decodeToken, encodeToken } from './paging.js';
import type { DocumentWrites } from './service.js';
import { documentStore, type DocumentDb } from './store.js';
import type { DocumentTables } from './tables.js';

export const MAX_SHARED_ACCOUNTS = 1000;
export const MAX_PUBLIC_DOCUMENTS = 5;
const PUBLIC_SHARING_SETTING = '/ssm/documents/console/public-sharing-permission';

export interface ModifyInput {
  Name: string;
  PermissionType: string;
  AccountIdsToAdd?: string[] | undefined;
  AccountIdsToRemove?: string[] | undefined;
  SharedDocumentVersion?: string | undefined;
}

const checkPermissionType = (type: string) => {
  if (type !== 'Share') throw invalidPermissionType(`The permission type ${type} isn't supported. Share is the only supported permission type.`);
};

/** `All` is case-insensitive on the wire and kept as `all`, the way AWS echoes it. */
const normalize = (ids: string[] | undefined) => [...new Set((ids ?? []).map((id) => (id.toLowerCase() === 'all' ? 'all' : id)))];

interface ShareCursor {
  t: number;
  a: string;
}
const isCursor = (x: unknown): x is ShareCursor => typeof x === 'object' && x !== null && typeof (x as ShareCursor).t === 'number' && typeof (x as ShareCursor).a === 'string';

/** Sharing documents with other accounts, or with every account (`All`, public). */
export class DocumentSharing {
  readonly db: DocumentDb;
  constructor(
    private readonly core: Core,
    private readonly writes: DocumentWrites,
  ) {
    this.db = core.database.db.withTables<DocumentTables>();
  }

  async modify(call: CallContext, input: ModifyInput): Promise<Record<string, never>> {
    const { accountId: account, region } = call;
    checkPermissionType(input.PermissionType);
    await this.writes.owned(call, input.Name, () => invalidDocument(`The document ${input.Name} is owned by AWS; only its owner can share it.`));
    const remove = normalize(input.AccountIdsToRemove);
    // Removal wins over adding the same account in one call.
    const add = normalize(input.AccountIdsToAdd).filter((id) => !remove.includes(id));
    if (!input.AccountIdsToAdd?.length && !input.AccountIdsToRemove?.length) throw validation('Specify the accounts to share the document with (AccountIdsToAdd), to stop sharing it with (AccountIdsToRemove), or both.');
    for (const list of [normalize(input.AccountIdsToAdd), remove]) {
      if (list.includes('all') && list.length > 1) throw documentPermissionLimit('Accounts can either be All or a group of AWS accounts, not both in one list.');
    }
    if (add.includes(account)) throw validation(`The document ${input.Name} belongs to account ${account}; it can't be shared with its own account.`);
    if (add.includes('all') && (await settingsService(this.core).value(account, region, PUBLIC_SHARING_SETTING)) === 'Disable') {
      throw invalidPermissionType(`Public sharing of documents is blocked in this account and Region by the service setting ${PUBLIC_SHARING_SETTING}; share the document with specific accounts, or enable public sharing.`);
    }
    const sharedVersion = input.SharedDocumentVersion ?? '$DEFAULT';
    await this.db.transaction().execute(async (trx) => {
      const before = await documentStore.shares(trx, account, region, input.Name);
      if (add.includes('all') && !before.some((s) => s.shared_with === 'all') && (await documentStore.publicCount(trx, account, region)) >= MAX_PUBLIC_DOCUMENTS) {
        throw documentPermissionLimit(`An account can share at most ${MAX_PUBLIC_DOCUMENTS} documents publicly in a Region; stop sharing another document publicly first.`);
      }
      for (const id of remove) await documentStore.unshare(trx, account, region, input.Name, id);
      for (const id of add) await documentStore.share(trx, { account_id: account, region, name: input.Name, shared_with: id, shared_version: sharedVersion, created_at: call.now });
      const accounts = new Set([...before.map((s) => s.shared_with), ...add].filter((id) => id !== 'all' && !remove.includes(id)));
      if (accounts.size > MAX_SHARED_ACCOUNTS) {
        throw documentPermissionLimit(`A document can be shared with at most ${MAX_SHARED_ACCOUNTS} accounts; ${input.Name} would be shared with ${accounts.size}.`);
      }
    });
    return {};
  }

  async describe(call: CallContext, input: { Name: string; PermissionType: string; MaxResults?: number | undefined; NextToken?: string | undefined }) {
    checkPermissionType(input.PermissionType);
    await this.writes.owned(call, input.Name, () => invalidDocumentOperation(`The document ${input.Name} is owned by AWS; only a document's owner can see whom it is shared with.`));
    const scope = `permissions|${call.accountId}|${call.region}|${input.Name}`;
    const after = decodeToken(input.NextToken, scope, isCursor);
    const all = await documentStore.shares(this.db, call.accountId, call.region, input.Name);
    const rest = after ? all.filter((s) => s.created_at > after.t || (s.created_at === after.t && s.shared_with > after.a)) : all;
    const max = input.MaxResults ?? 200;
    const page = rest.slice(0, max);
    const last = page[page.length - 1];
    return {
      AccountIds: page.map((s) => s.shared_with),
      AccountSharingInfoList: page.map((s) => ({ AccountId: s.shared_with, SharedDocumentVersion: s.shared_version })),
      ...(rest.length > max && last ? { NextToken: encodeToken(scope, { t: last.created_at, a: last.shared_with }) } : {}),
    };
  }
}
