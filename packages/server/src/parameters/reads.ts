import type { CallContext, Core } from '../protocol/context.js';
import { preEncoded } from '../protocol/json.js';
import { isAwsError } from '../protocol/errors.js';
import { invalidNextToken, parameterNotFound, parameterVersionNotFound, validation } from './errors.js';
import { checkFilters, fromLegacy, matches, type StringFilter } from './filters.js';
import { checkPath, parameterArn, parseReference, referenceIn, type Selector } from './names.js';
import { policiesOut, type StoredPolicy } from './policies.js';
import { decryptValue, encryptedView } from './secure.js';
import { currentRows } from './slots.js';
import { parameterStore, type ParameterDb, type Scope } from './store.js';
import type { ParameterRow, ParameterTables, VersionFields, VersionRow } from './tables.js';

/** How many rows one listing call reads at most before answering (AWS pages are best effort). */
const SCAN_BUDGET = 1_000;

interface Token {
  /** Which listing the token belongs to, so a token is not replayed against another. */
  for: string;
  after: string | number;
}

const encodeToken = (t: Token) => Buffer.from(JSON.stringify(t)).toString('base64url');
function decodeToken(text: string | undefined, scope: string): Token | undefined {
  if (text === undefined) return undefined;
  try {
    const t = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Token;
    if (t.for === scope && (typeof t.after === 'string' || typeof t.after === 'number')) return t;
  } catch {
    // reported below
  }
  throw invalidNextToken('The specified token isn\'t valid.');
}

type ParameterOut = ReturnType<ParameterReads['output']>;
const latestAnswers = new WeakMap<ParameterRow, { Parameter: ParameterOut }>();

/** Parameter Store's reads. */
export class ParameterReads {
  readonly db: ParameterDb;
  constructor(private readonly core: Core) {
    this.db = core.database.db.withTables<ParameterTables>();
  }

  /**
   * One parameter by name, ARN, `name:version` or `name:label`. `input`, when given, is the call's
   * input object, whose name was already parsed for IAM. A cached current row is answered
   * without waiting on anything: this is the hottest read there is.
   */
  get(call: CallContext, given: string, withDecryption: boolean, input?: object): Promise<{ Parameter: ParameterOut }> | { Parameter: ParameterOut } {
    const ref = input ? referenceIn(input, given, call.region, call.accountId) : parseReference(given, call.region, call.accountId);
    if (!ref) return Promise.reject(parameterNotFound(`Parameter ${given} not found.`));
    const cached = currentRows(this.core).peek(call.accountId, call.region, ref.name);
    if (cached && ref.selector.kind === 'latest' && (cached.type !== 'SecureString' || !withDecryption)) return this.latestOut(call, cached);
    return this.read(call, ref, withDecryption, cached);
  }

  private async read(call: CallContext, ref: NonNullable<ReturnType<typeof parseReference>>, withDecryption: boolean, cached: ParameterRow | null | undefined): Promise<{ Parameter: ParameterOut }> {
    const row = cached === undefined ? await currentRows(this.core).get(call.accountId, call.region, ref.name) : (cached ?? undefined);
    if (!row) throw parameterNotFound(`Parameter ${ref.name} not found.`);
    const version = ref.selector.kind === 'latest' ? row : await this.select(row, ref.selector);
    const value = version.type === 'SecureString' && withDecryption ? await this.valueOf(call, row.name, version, true) : plainValue(version);
    return { Parameter: this.output(call, row, version, value, ref.selector) };
  }

  /**
   * The answer for a cached row's latest version without decryption is the same for every caller
   * who may read it, so it is kept with the row (and goes when the row leaves the cache).
   */
  private latestOut(call: CallContext, row: ParameterRow) {
    let out = latestAnswers.get(row);
    if (out === undefined) {
      out = preEncoded({ Parameter: this.output(call, row, row, plainValue(row)) });
      latestAnswers.set(row, out);
    }
    return out;
  }

  private async select(row: ParameterRow, selector: Selector): Promise<VersionFields> {
    if (selector.kind === 'latest') return row;
    if (selector.kind === 'version') {
      if (selector.version === row.version) return row;
      const v = await parameterStore.getVersion(this.db, row.account_id, row.region, row.name, selector.version);
      if (!v) throw parameterVersionNotFound(`Systems Manager could not find version ${selector.version} of ${row.name}. Verify the version and try again.`);
      return v;
    }
    const versions = await parameterStore.versions(this.db, row.account_id, row.region, row.name);
    const v = versions.find((x) => (JSON.parse(x.labels) as string[]).includes(selector.label));
    if (!v) throw parameterVersionNotFound(`Systems Manager could not find a version of ${row.name} labeled ${selector.label}. Verify the label and try again.`);
    return v;
  }

  private async valueOf(call: CallContext, name: string, v: VersionFields, withDecryption: boolean): Promise<string> {
    if (v.type !== 'SecureString' || !withDecryption) return plainValue(v);
    return decryptValue(call, parameterArn(call.region, call.accountId, name), v.secret!);
  }

  private async parameterOut(call: CallContext, row: ParameterRow, v: VersionFields, withDecryption: boolean, selector?: Selector) {
    return this.output(call, row, v, await this.valueOf(call, row.name, v, withDecryption), selector);
  }

  output(call: CallContext, row: ParameterRow, v: VersionFields, value: string, selector?: Selector) {
    return {
      Name: row.name,
      Type: v.type,
      Value: value,
      Version: v.version,
      ...(selector && selector.kind !== 'latest' ? { Selector: selector.text } : {}),
      LastModifiedDate: new Date(v.modified_at),
      ARN: parameterArn(call.region, call.accountId, row.name),
      DataType: v.data_type,
    };
  }

  /** Up to 10 parameters; names that resolve to nothing come back in InvalidParameters. */
  async getMany(call: CallContext, names: string[], withDecryption: boolean) {
    const found: Awaited<ReturnType<ParameterReads['parameterOut']>>[] = [];
    const invalid: string[] = [];
    for (const given of [...new Set(names)]) {
      try {
        found.push((await this.get(call, given, withDecryption)).Parameter);
      } catch (e) {
        if (isAwsError(e) && ['ParameterNotFound', 'ParameterVersionNotFound', 'ValidationException'].includes(e.code)) invalid.push(given);
        else throw e;
      }
    }
    found.sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
    return { Parameters: found, InvalidParameters: invalid };
  }

  /**
   * The parameters in a hierarchy, only those the caller may read: AWS lets access to a path
   * reach every level below it; Capstan checks each parameter.
   */
  async byPath(call: CallContext, input: { Path: string; Recursive?: boolean | undefined; ParameterFilters?: StringFilter[] | undefined; WithDecryption?: boolean | undefined; MaxResults?: number | undefined; NextToken?: string | undefined }) {
    const path = checkPath(input.Path);
    const filters = input.ParameterFilters ?? [];
    checkFilters(filters, 'by-path');
    const recursive = input.Recursive ?? false;
    const tokenScope = `by-path|${path}|${recursive}|${JSON.stringify(filters)}`;
    const token = decodeToken(input.NextToken, tokenScope);
    const max = input.MaxResults ?? 10;
    const scope: Scope = recursive ? { under: path } : { inPath: path };
    const label = filters.find((f) => f.Key === 'Label')?.Values ?? [];
    const out: Awaited<ReturnType<ParameterReads['parameterOut']>>[] = [];
    let after = token?.after as string | undefined;
    let scanned = 0;
    let exhausted = false;
    while (out.length < max && scanned < SCAN_BUDGET) {
      const rows = await parameterStore.page(this.db, call.accountId, call.region, { ...scope, ...(after !== undefined ? { after } : {}) }, max - out.length);
      if (rows.length < max - out.length) exhausted = true;
      for (const row of rows) {
        after = row.name;
        scanned++;
        if (!matches(row, filters)) continue;
        const version = label.length ? await this.labeledVersion(row, label) : row;
        if (!version) continue;
        if (!(await call.isAllowed('ssm:GetParametersByPath', parameterArn(call.region, call.accountId, row.name)))) continue;
        out.push(await this.parameterOut(call, row, version, input.WithDecryption ?? false));
      }
      if (exhausted) break;
    }
    const more = !exhausted && after !== undefined;
    return { Parameters: out, ...(more ? { NextToken: encodeToken({ for: tokenScope, after: after! }) } : {}) };
  }

  private async labeledVersion(row: ParameterRow, labels: string[]): Promise<VersionRow | undefined> {
    const versions = await parameterStore.versions(this.db, row.account_id, row.region, row.name);
    return versions.find((v) => (JSON.parse(v.labels) as string[]).some((l) => labels.includes(l)));
  }

  /** Metadata of parameters, never values. */
  async describe(call: CallContext, input: { Filters?: { Key: string; Values: string[] }[] | undefined; ParameterFilters?: StringFilter[] | undefined; MaxResults?: number | undefined; NextToken?: string | undefined; Shared?: boolean | undefined }) {
    if (input.Filters?.length && input.ParameterFilters?.length) throw validation('You can use either Filters or ParameterFilters in a single request.');
    const filters = input.ParameterFilters ?? fromLegacy(input.Filters ?? []);
    checkFilters(filters, 'describe');
    // Sharing through resource policies is not offered; nothing is shared with this account.
    if (input.Shared) return { Parameters: [] };
    const tokenScope = `describe|${JSON.stringify(filters)}`;
    const token = decodeToken(input.NextToken, tokenScope);
    const max = input.MaxResults ?? 50;
    const scope = narrowScope(filters);
    const out: ReturnType<typeof metadataOut>[] = [];
    let after = token?.after as string | undefined;
    let scanned = 0;
    let exhausted = false;
    while (out.length < max && scanned < SCAN_BUDGET) {
      const batch = Math.min(200, SCAN_BUDGET - scanned);
      const rows = await parameterStore.page(this.db, call.accountId, call.region, { ...scope, ...(after !== undefined ? { after } : {}) }, batch);
      if (rows.length < batch) exhausted = true;
      for (const row of rows) {
        scanned++;
        after = row.name;
        if (matches(row, filters)) out.push(metadataOut(call, row));
        if (out.length === max) {
          exhausted = exhausted && row === rows[rows.length - 1];
          break;
        }
      }
      if (exhausted) break;
    }
    const more = !exhausted && after !== undefined;
    return { Parameters: out, ...(more ? { NextToken: encodeToken({ for: tokenScope, after: after! }) } : {}) };
  }

  async history(call: CallContext, input: { Name: string; WithDecryption?: boolean | undefined; MaxResults?: number | undefined; NextToken?: string | undefined }) {
    const ref = parseReference(input.Name, call.region, call.accountId);
    if (!ref || ref.selector.kind !== 'latest') throw parameterNotFound(`Parameter ${input.Name} not found.`);
    const row = await parameterStore.get(this.db, call.accountId, call.region, ref.name);
    if (!row) throw parameterNotFound(`Parameter ${ref.name} not found.`);
    const tokenScope = `history|${ref.name}`;
    const token = decodeToken(input.NextToken, tokenScope);
    const max = input.MaxResults ?? 50;
    const versions = await parameterStore.versionsPage(this.db, call.accountId, call.region, ref.name, (token?.after as number | undefined) ?? 0, max + 1);
    const page = versions.slice(0, max);
    const items = [];
    for (const v of page) {
      items.push({
        Name: row.name,
        Type: v.type,
        ...(v.key_id ? { KeyId: v.key_id } : {}),
        LastModifiedDate: new Date(v.modified_at),
        LastModifiedUser: v.modified_user,
        ...(v.description ? { Description: v.description } : {}),
        Value: await this.valueOf(call, row.name, v, input.WithDecryption ?? false),
        ...(v.allowed_pattern ? { AllowedPattern: v.allowed_pattern } : {}),
        Version: v.version,
        Labels: JSON.parse(v.labels) as string[],
        Tier: v.tier,
        Policies: policiesOut(JSON.parse(v.policies) as StoredPolicy[]),
        DataType: v.data_type,
      });
    }
    const more = versions.length > max;
    return { Parameters: items, ...(more ? { NextToken: encodeToken({ for: tokenScope, after: page[page.length - 1]!.version }) } : {}) };
  }
}

/** What a read shows as the value without decrypting: the text, or a SecureString's envelope view. */
function plainValue(v: VersionFields): string {
  return v.type === 'SecureString' ? encryptedView(v.secret!) : (v.value ?? '');
}

/** Path and name filters become index ranges, so a listing does not read the whole account. */
function narrowScope(filters: readonly StringFilter[]): Scope {
  const path = filters.find((f) => f.Key === 'Path');
  if (path?.Values?.length === 1) {
    const p = path.Values[0]!;
    const trimmed = p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
    return (path.Option ?? 'OneLevel') === 'OneLevel' ? { inPath: trimmed } : { under: trimmed };
  }
  const name = filters.find((f) => f.Key === 'Name');
  if (name?.Values?.length === 1 && (name.Option === 'BeginsWith' || name.Option === 'Equals' || name.Option === undefined)) {
    const v = name.Values[0]!;
    if (v.startsWith('/')) return { prefix: v };
  }
  return {};
}

function metadataOut(call: CallContext, row: ParameterRow) {
  return {
    Name: row.name,
    ARN: parameterArn(call.region, call.accountId, row.name),
    Type: row.type,
    ...(row.key_id ? { KeyId: row.key_id } : {}),
    LastModifiedDate: new Date(row.modified_at),
    LastModifiedUser: row.modified_user,
    ...(row.description ? { Description: row.description } : {}),
    ...(row.allowed_pattern ? { AllowedPattern: row.allowed_pattern } : {}),
    Version: row.version,
    Tier: row.tier,
    Policies: policiesOut(JSON.parse(row.policies) as StoredPolicy[]),
    DataType: row.data_type,
  };
}
