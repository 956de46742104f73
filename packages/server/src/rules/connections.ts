import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { seal, unseal } from '../crypto/seal.js';
import type { CallContext, Core } from '../protocol/context.js';
import { isUniqueViolation } from '../store/errors.js';
import { resourceAlreadyExists, resourceNotFound, validation } from './errors.js';
import { apiDestinationArn, connectionArn, decodeToken, encodeToken } from './names.js';
import { ruleTables, type ApiDestinationRow, type ConnectionRow, type RuleTables } from './tables.js';

interface KeyValue {
  Key: string;
  Value?: string | undefined;
  IsValueSecret?: boolean | undefined;
}

export interface HttpParameters {
  HeaderParameters?: KeyValue[] | undefined;
  QueryStringParameters?: KeyValue[] | undefined;
  BodyParameters?: KeyValue[] | undefined;
}

export interface AuthParameters {
  BasicAuthParameters?: { Username?: string | undefined; Password?: string | undefined } | undefined;
  ApiKeyAuthParameters?: { ApiKeyName?: string | undefined; ApiKeyValue?: string | undefined } | undefined;
  OAuthParameters?: unknown;
  InvocationHttpParameters?: HttpParameters | undefined;
}

export type AuthorizationType = 'BASIC' | 'API_KEY' | 'OAUTH_CLIENT_CREDENTIALS';

/** Bound into the sealed value, so a connection's secrets cannot be moved to another row. */
const sealContext = (arn: string) => `capstan:events-connection:${arn}`;

/** What DescribeConnection may show: every secret left out. */
function publicPart(a: AuthParameters): AuthParameters {
  const hide = (list: KeyValue[] | undefined) => list?.map((p) => (p.IsValueSecret ? { Key: p.Key, IsValueSecret: true } : { Key: p.Key, Value: p.Value, IsValueSecret: false }));
  const http = a.InvocationHttpParameters;
  return {
    ...(a.BasicAuthParameters ? { BasicAuthParameters: { Username: a.BasicAuthParameters.Username } } : {}),
    ...(a.ApiKeyAuthParameters ? { ApiKeyAuthParameters: { ApiKeyName: a.ApiKeyAuthParameters.ApiKeyName } } : {}),
    ...(http
      ? {
          InvocationHttpParameters: {
            ...(http.HeaderParameters ? { HeaderParameters: hide(http.HeaderParameters) } : {}),
            ...(http.QueryStringParameters ? { QueryStringParameters: hide(http.QueryStringParameters) } : {}),
            ...(http.BodyParameters ? { BodyParameters: hide(http.BodyParameters) } : {}),
          },
        }
      : {}),
  };
}

function checkAuth(type: AuthorizationType, a: AuthParameters): void {
  if (type === 'OAUTH_CLIENT_CREDENTIALS' || a.OAuthParameters !== undefined) {
    throw validation('OAUTH_CLIENT_CREDENTIALS connections are not available in Capstan yet: use BASIC or API_KEY (an API key can be any header, e.g. Authorization: Bearer <token>).');
  }
  if (type === 'BASIC' && (!a.BasicAuthParameters?.Username || !a.BasicAuthParameters.Password)) throw validation('A BASIC connection needs AuthParameters.BasicAuthParameters with Username and Password.');
  if (type === 'API_KEY' && (!a.ApiKeyAuthParameters?.ApiKeyName || !a.ApiKeyAuthParameters.ApiKeyValue)) throw validation('An API_KEY connection needs AuthParameters.ApiKeyAuthParameters with ApiKeyName and ApiKeyValue.');
  if (type === 'BASIC' && a.ApiKeyAuthParameters) throw validation('ApiKeyAuthParameters belong to API_KEY connections, not BASIC ones.');
  if (type === 'API_KEY' && a.BasicAuthParameters) throw validation('BasicAuthParameters belong to BASIC connections, not API_KEY ones.');
}

/** Webhooks go where the user points them and nowhere else: an http(s) URL without credentials in it. */
export function checkEndpoint(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw validation(`InvocationEndpoint ${url} is not a URL.`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw validation(`InvocationEndpoint must be an http:// or https:// URL, not ${u.protocol}`);
  if (u.username || u.password) throw validation('InvocationEndpoint must not carry credentials: put them in the connection, where they are kept sealed.');
}

export const apiDestinationExists = async (db: Kysely<RuleTables>, account: string, region: string, arn: string) =>
  (await db.selectFrom('event_api_destinations').select('name').where('account_id', '=', account).where('region', '=', region).where('arn', '=', arn).executeTakeFirst()) !== undefined;

/** Connections (how to authenticate to an endpoint, secrets sealed) and API destinations (the endpoint). */
export class ConnectionService {
  readonly db: Kysely<RuleTables>;
  constructor(private readonly core: Core) {
    this.db = ruleTables(core.database.db);
  }

  connection = (account: string, region: string, name: string) =>
    this.db.selectFrom('event_connections').selectAll().where('account_id', '=', account).where('region', '=', region).where('name', '=', name).executeTakeFirst();

  async requireConnection(call: CallContext, name: string): Promise<ConnectionRow> {
    const row = await this.connection(call.accountId, call.region, name);
    if (!row) throw resourceNotFound(`Failed to describe the connection(s). Connection '${name}' does not exist.`);
    return row;
  }

  async createConnection(call: CallContext, i: { Name: string; Description?: string | undefined; AuthorizationType: AuthorizationType; AuthParameters: AuthParameters }): Promise<ConnectionRow> {
    checkAuth(i.AuthorizationType, i.AuthParameters);
    const arn = connectionArn(call.region, call.accountId, i.Name, randomUUID());
    const row: ConnectionRow = {
      account_id: call.accountId,
      region: call.region,
      name: i.Name,
      arn,
      description: i.Description ?? '',
      authorization_type: i.AuthorizationType,
      state: 'AUTHORIZED',
      auth_public: JSON.stringify(publicPart(i.AuthParameters)),
      auth_sealed: seal(this.core.rootKey, JSON.stringify(i.AuthParameters), sealContext(arn)),
      created_at: call.now,
      updated_at: call.now,
      authorized_at: call.now,
    };
    try {
      await this.db.insertInto('event_connections').values(row).execute();
    } catch (e) {
      if (isUniqueViolation(e)) throw resourceAlreadyExists(`Connection ${i.Name} already exists.`);
      throw e;
    }
    return row;
  }

  /** Given members replace the stored ones; secrets left out are kept. */
  async updateConnection(call: CallContext, i: { Name: string; Description?: string | undefined; AuthorizationType?: AuthorizationType | undefined; AuthParameters?: AuthParameters | undefined }): Promise<ConnectionRow> {
    const row = await this.requireConnection(call, i.Name);
    const old = this.secrets(row);
    const type = i.AuthorizationType ?? (row.authorization_type as AuthorizationType);
    const given = i.AuthParameters ?? {};
    const merged: AuthParameters = {
      ...(type === 'BASIC' ? { BasicAuthParameters: { ...(row.authorization_type === 'BASIC' ? old.BasicAuthParameters : {}), ...given.BasicAuthParameters } } : {}),
      ...(type === 'API_KEY' ? { ApiKeyAuthParameters: { ...(row.authorization_type === 'API_KEY' ? old.ApiKeyAuthParameters : {}), ...given.ApiKeyAuthParameters } } : {}),
      ...(given.OAuthParameters !== undefined ? { OAuthParameters: given.OAuthParameters } : {}),
      ...((given.InvocationHttpParameters ?? old.InvocationHttpParameters) ? { InvocationHttpParameters: given.InvocationHttpParameters ?? old.InvocationHttpParameters } : {}),
    };
    checkAuth(type, merged);
    const next = {
      description: i.Description ?? row.description,
      authorization_type: type,
      auth_public: JSON.stringify(publicPart(merged)),
      auth_sealed: seal(this.core.rootKey, JSON.stringify(merged), sealContext(row.arn)),
      updated_at: call.now,
      authorized_at: call.now,
    };
    await this.db.updateTable('event_connections').set(next).where('account_id', '=', call.accountId).where('region', '=', call.region).where('name', '=', i.Name).execute();
    return { ...row, ...next };
  }

  /** The stored AuthParameters, secrets included: only for a request to the connection's endpoints. */
  secrets(row: ConnectionRow): AuthParameters {
    return JSON.parse(unseal(this.core.rootKey, row.auth_sealed, sealContext(row.arn)).toString('utf8')) as AuthParameters;
  }

  async listConnections(call: CallContext, i: { NamePrefix?: string | undefined; ConnectionState?: string | undefined; NextToken?: string | undefined; Limit?: number | undefined }) {
    const scope = JSON.stringify(['connections', call.accountId, call.region, i.NamePrefix ?? '', i.ConnectionState ?? '']);
    const after = decodeToken(i.NextToken, scope);
    let q = this.db.selectFrom('event_connections').selectAll().where('account_id', '=', call.accountId).where('region', '=', call.region);
    if (i.NamePrefix) q = q.where('name', '>=', i.NamePrefix).where('name', '<', `${i.NamePrefix}\uffff`);
    if (i.ConnectionState) q = q.where('state', '=', i.ConnectionState);
    if (after !== undefined) q = q.where('name', '>', after);
    const limit = i.Limit ?? 100;
    const rows = await q.orderBy('name').limit(limit + 1).execute();
    const page = rows.slice(0, limit);
    return { rows: page, ...(rows.length > limit ? { NextToken: encodeToken(scope, page[page.length - 1]!.name) } : {}) };
  }

  /** A connection an API destination still uses is kept: the destination would have no way to authenticate. */
  async deleteConnection(call: CallContext, name: string): Promise<ConnectionRow> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('event_connections').selectAll().where('account_id', '=', call.accountId).where('region', '=', call.region).where('name', '=', name).executeTakeFirst();
      if (!row) throw resourceNotFound(`Connection '${name}' does not exist.`);
      const users = await trx.selectFrom('event_api_destinations').select('name').where('account_id', '=', call.accountId).where('region', '=', call.region).where('connection_arn', '=', row.arn).execute();
      if (users.length) throw validation(`Connection ${name} is used by API destination(s) ${users.map((u) => u.name).join(', ')}; delete or move them first.`);
      await trx.deleteFrom('event_connections').where('account_id', '=', call.accountId).where('region', '=', call.region).where('name', '=', name).execute();
      return { ...row, state: 'DELETING' };
    });
  }

  apiDestination = (account: string, region: string, name: string) =>
    this.db.selectFrom('event_api_destinations').selectAll().where('account_id', '=', account).where('region', '=', region).where('name', '=', name).executeTakeFirst();

  apiDestinationByArn = (account: string, region: string, arn: string) =>
    this.db.selectFrom('event_api_destinations').selectAll().where('account_id', '=', account).where('region', '=', region).where('arn', '=', arn).executeTakeFirst();

  connectionByArn = (account: string, region: string, arn: string) =>
    this.db.selectFrom('event_connections').selectAll().where('account_id', '=', account).where('region', '=', region).where('arn', '=', arn).executeTakeFirst();

  async requireApiDestination(call: CallContext, name: string): Promise<ApiDestinationRow> {
    const row = await this.apiDestination(call.accountId, call.region, name);
    if (!row) throw resourceNotFound(`Failed to describe the api-destination(s). An api-destination '${name}' does not exist.`);
    return row;
  }

  private async requireConnectionArn(call: CallContext, arn: string): Promise<void> {
    if (!(await this.connectionByArn(call.accountId, call.region, arn))) throw resourceNotFound(`Connection ${arn} does not exist.`);
  }

  async createApiDestination(call: CallContext, i: { Name: string; Description?: string | undefined; ConnectionArn: string; InvocationEndpoint: string; HttpMethod: string; InvocationRateLimitPerSecond?: number | undefined }): Promise<ApiDestinationRow> {
    checkEndpoint(i.InvocationEndpoint);
    await this.requireConnectionArn(call, i.ConnectionArn);
    const row: ApiDestinationRow = {
      account_id: call.accountId,
      region: call.region,
      name: i.Name,
      arn: apiDestinationArn(call.region, call.accountId, i.Name, randomUUID()),
      description: i.Description ?? '',
      connection_arn: i.ConnectionArn,
      endpoint: i.InvocationEndpoint,
      http_method: i.HttpMethod,
      rate_limit: i.InvocationRateLimitPerSecond ?? null,
      state: 'ACTIVE',
      created_at: call.now,
      updated_at: call.now,
    };
    try {
      await this.db.insertInto('event_api_destinations').values(row).execute();
    } catch (e) {
      if (isUniqueViolation(e)) throw resourceAlreadyExists(`An api-destination '${i.Name}' already exists.`);
      throw e;
    }
    return row;
  }

  async updateApiDestination(call: CallContext, i: { Name: string; Description?: string | undefined; ConnectionArn?: string | undefined; InvocationEndpoint?: string | undefined; HttpMethod?: string | undefined; InvocationRateLimitPerSecond?: number | undefined }): Promise<ApiDestinationRow> {
    const row = await this.requireApiDestination(call, i.Name);
    if (i.InvocationEndpoint !== undefined) checkEndpoint(i.InvocationEndpoint);
    if (i.ConnectionArn !== undefined) await this.requireConnectionArn(call, i.ConnectionArn);
    const next = {
      description: i.Description ?? row.description,
      connection_arn: i.ConnectionArn ?? row.connection_arn,
      endpoint: i.InvocationEndpoint ?? row.endpoint,
      http_method: i.HttpMethod ?? row.http_method,
      rate_limit: i.InvocationRateLimitPerSecond ?? row.rate_limit,
      updated_at: call.now,
    };
    await this.db.updateTable('event_api_destinations').set(next).where('account_id', '=', call.accountId).where('region', '=', call.region).where('name', '=', i.Name).execute();
    return { ...row, ...next };
  }

  async listApiDestinations(call: CallContext, i: { NamePrefix?: string | undefined; ConnectionArn?: string | undefined; NextToken?: string | undefined; Limit?: number | undefined }) {
    const scope = JSON.stringify(['api-destinations', call.accountId, call.region, i.NamePrefix ?? '', i.ConnectionArn ?? '']);
    const after = decodeToken(i.NextToken, scope);
    let q = this.db.selectFrom('event_api_destinations').selectAll().where('account_id', '=', call.accountId).where('region', '=', call.region);
    if (i.NamePrefix) q = q.where('name', '>=', i.NamePrefix).where('name', '<', `${i.NamePrefix}\uffff`);
    if (i.ConnectionArn) q = q.where('connection_arn', '=', i.ConnectionArn);
    if (after !== undefined) q = q.where('name', '>', after);
    const limit = i.Limit ?? 100;
    const rows = await q.orderBy('name').limit(limit + 1).execute();
    const page = rows.slice(0, limit);
    return { rows: page, ...(rows.length > limit ? { NextToken: encodeToken(scope, page[page.length - 1]!.name) } : {}) };
  }

  async deleteApiDestination(call: CallContext, name: string): Promise<void> {
    const gone = await this.db.deleteFrom('event_api_destinations').where('account_id', '=', call.accountId).where('region', '=', call.region).where('name', '=', name).executeTakeFirst();
    if (Number(gone.numDeletedRows) === 0) throw resourceNotFound(`An api-destination '${name}' does not exist.`);
  }
}
