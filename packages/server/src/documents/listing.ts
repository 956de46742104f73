import type { CallContext, Core } from '../protocol/context.js';
import type { Builtin } from './builtins.js';
import { invalidFilterKey, validation } from './errors.js';
import { AMAZON, documentArn } from './names.js';
import { decodeToken, encodeToken } from './paging.js';
import { documentStore, type After, type DocumentDb, type ListedRow } from './store.js';
import type { DocumentTables } from './tables.js';
import { identifierOf } from './views.js';

export interface ListInput {
  DocumentFilterList?: { key: string; value: string }[] | undefined;
  Filters?: { Key?: string | undefined; Values?: string[] | undefined }[] | undefined;
  MaxResults?: number | undefined;
  NextToken?: string | undefined;
}

interface Filter {
  key: string;
  values: string[];
}

interface Item {
  row: ListedRow;
  key: After;
}

const OWNERS = ['Self', 'Amazon', 'Private', 'Public', 'All', 'ThirdParty'];
const KEYS = ['Name', 'Owner', 'PlatformTypes', 'DocumentType', 'SchemaVersion', 'TargetType', 'SearchKeyword'];
/** Rows one call reads at most before answering with what it found (AWS pages are best effort too). */
const SCAN_BUDGET = 2_000;

const before = (a: After, b: After) => a.name < b.name || (a.name === b.name && a.owner < b.owner);
const isAfter = (x: unknown): x is After => typeof x === 'object' && x !== null && typeof (x as After).name === 'string' && typeof (x as After).owner === 'string';

/** Both filter styles as one list; the legacy list takes one value per entry. */
function normalize(input: ListInput): Filter[] {
  if (input.DocumentFilterList?.length && input.Filters?.length) {
    throw validation('DocumentFilterList and Filters can\'t be used together; use Filters (DocumentFilterList is deprecated).');
  }
  const raw = input.DocumentFilterList?.length ? input.DocumentFilterList.map((f) => ({ key: f.key, values: [f.value] })) : (input.Filters ?? []).map((f) => ({ key: f.Key ?? '', values: f.Values ?? [] }));
  for (const f of raw) {
    if (!KEYS.includes(f.key) && !(f.key.startsWith('tag:') && f.key.length > 4)) {
      throw invalidFilterKey(`The filter key ${f.key || '(none)'} isn't valid; use ${KEYS.join(', ')} or tag:<key>.`);
    }
    if (f.key === 'Owner' && (f.values.length !== 1 || !OWNERS.includes(f.values[0]!))) {
      throw validation(`Specify exactly one Owner filter value, one of ${OWNERS.join(', ')}.`);
    }
    if (!f.key.startsWith('tag:') && f.values.length === 0) throw validation(`The filter ${f.key} needs at least one value.`);
  }
  if (raw.filter((f) => f.key === 'Owner').length > 1) throw validation('Only one Owner filter can be specified in a request.');
  return raw;
}

function matches(item: Item, mine: boolean, filters: Filter[]): boolean {
  const r = item.row;
  return filters.every((f) => {
    const any = (test: (v: string) => boolean) => f.values.some(test);
    switch (f.key) {
      case 'Owner':
        return true;
      case 'Name':
        return any((v) => r.name.startsWith(v));
      case 'PlatformTypes': {
        const platforms = JSON.parse(r.platform_types) as string[];
        return any((v) => platforms.includes(v));
      }
      case 'DocumentType':
        return any((v) => r.document_type === v);
      case 'SchemaVersion':
        return any((v) => r.schema_version === v);
      case 'TargetType':
        return any((v) => r.target_type === v);
      case 'SearchKeyword':
        return any((v) => r.name.toLowerCase().includes(v.toLowerCase()) || (r.display_name ?? '').toLowerCase().includes(v.toLowerCase()));
      default: {
        // Tags are the owner's; others' documents never match a tag filter.
        if (!mine) return false;
        const tags = JSON.parse(r.tags) as Record<string, string>;
        const key = f.key.slice(4);
        return key in tags && (f.values.length === 0 || f.values.includes(tags[key]!));
      }
    }
  });
}

type Source = (after: After | undefined, limit: number) => Promise<Item[]>;

/** ListDocuments: the caller's documents, those shared with it, and AWS's, merged in (name, owner) order. */
export class DocumentListing {
  readonly db: DocumentDb;
  private readonly amazon: Item[];
  constructor(core: Core, builtins: ReadonlyMap<string, Builtin>) {
    this.db = core.database.db.withTables<DocumentTables>();
    this.amazon = [...builtins.values()].map((b) => ({ row: b.listed, key: { name: b.listed.name, owner: AMAZON } })).sort((a, b) => (before(a.key, b.key) ? -1 : 1));
  }

  private sources(call: CallContext, owner: string | undefined, prefix: string | undefined): Source[] {
    const me = call.accountId;
    const item = (row: ListedRow): Item => ({ row, key: { name: row.name, owner: row.account_id } });
    const own: Source = async (after, limit) => (await documentStore.ownPage(this.db, me, call.region, after, prefix, limit)).map(item);
    const shared = (receivers: string[]): Source => async (after, limit) => (await documentStore.sharedPage(this.db, me, receivers, call.region, after, prefix, limit)).map(item);
    const amazon: Source = async (after, limit) => this.amazon.filter((i) => (!after || before(after, i.key)) && (!prefix || i.key.name.startsWith(prefix))).slice(0, limit);
    switch (owner) {
      case 'Self':
        return [own];
      case 'Amazon':
        return [amazon];
      case 'Private':
        return [shared([me])];
      case 'Public':
        return [shared(['all'])];
      case 'All':
        return [own, amazon, shared([me, 'all'])];
      case 'ThirdParty':
        return [];
      default:
        return [own, amazon, shared([me])];
    }
  }

  async list(call: CallContext, input: ListInput) {
    const filters = normalize(input);
    const scope = `list|${JSON.stringify(filters)}`;
    let cursor = decodeToken(input.NextToken, scope, isAfter);
    const max = input.MaxResults ?? 50;
    const names = filters.find((f) => f.key === 'Name')?.values;
    const prefix = names?.length === 1 ? names[0] : undefined;
    const sources = this.sources(call, filters.find((f) => f.key === 'Owner')?.values[0], prefix);
    const batch = Math.max(max * 2, 50);
    const out: Item[] = [];
    let scanned = 0;
    for (;;) {
      const fetched = await Promise.all(sources.map((s) => s(cursor, batch)));
      // Only rows up to the first cut-off of a source that filled its batch are known in order.
      let frontier: After | undefined;
      for (const rows of fetched) {
        const last = rows[rows.length - 1];
        if (rows.length === batch && last && (!frontier || before(last.key, frontier))) frontier = last.key;
      }
      const seen = new Set<string>();
      const merged = fetched
        .flat()
        .filter((i) => !frontier || !before(frontier, i.key))
        .filter((i) => !seen.has(`${i.key.owner}/${i.key.name}`) && seen.add(`${i.key.owner}/${i.key.name}`))
        .sort((a, b) => (before(a.key, b.key) ? -1 : 1));
      for (let n = 0; n < merged.length; n++) {
        const item = merged[n]!;
        scanned++;
        if (!matches(item, item.key.owner === call.accountId, filters)) continue;
        out.push(item);
        if (out.length === max) {
          const more = n < merged.length - 1 || frontier !== undefined;
          return this.page(call, out, more ? encodeToken(scope, item.key) : undefined);
        }
      }
      if (!frontier) return this.page(call, out, undefined);
      cursor = frontier;
      if (scanned >= SCAN_BUDGET) return this.page(call, out, encodeToken(scope, cursor));
    }
  }

  private page(call: CallContext, items: Item[], token: string | undefined) {
    return {
      DocumentIdentifiers: items.map(({ row, key }) => {
        const mine = key.owner === call.accountId;
        // Another account's document is only reachable by its ARN, so that is the name it lists under.
        const name = mine || key.owner === AMAZON ? row.name : documentArn(call.region, key.owner, row.name);
        return identifierOf(row, name, key.owner, mine);
      }),
      ...(token ? { NextToken: token } : {}),
    };
  }
}
