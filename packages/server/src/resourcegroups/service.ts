import type { Kysely } from 'kysely';
import type { Core } from '../protocol/context.js';
import { GROUP_TYPE, listResources, supportedTypes, type Resource } from './catalog.js';
import { badRequest, notFound } from './errors.js';
import { ALL_SUPPORTED, parseQuery, queryMatches, type ResourceQuery, type TagQuery } from './query.js';
import type { GroupRow, GroupTables } from './tables.js';

export const groupArn = (region: string, account: string, name: string) => `arn:aws:resource-groups:${region}:${account}:group/${name}`;

const GROUP_ARN = /^arn:aws(-[a-z]+)*:resource-groups:([a-z]{2}(-[a-z]+)+-\d):(\d{12}):group\/(.+)$/;

export interface NewGroup {
  Name: string;
  Description?: string | undefined;
  ResourceQuery?: ResourceQuery | undefined;
  Tags?: Record<string, string> | undefined;
  Configuration?: unknown[] | undefined;
  Criticality?: number | undefined;
  Owner?: string | undefined;
  DisplayName?: string | undefined;
}

export interface QueryError {
  ErrorCode: 'RESOURCE_TYPE_NOT_SUPPORTED';
  Message: string;
}

/** What a group or a query holds now, with the types it named that Capstan does not have. */
export interface Membership {
  resources: Resource[];
  queryErrors: QueryError[];
}

/** Resource groups of one server: their rows, and what they hold when asked. */
export class GroupService {
  readonly db: Kysely<GroupTables>;
  constructor(private readonly core: Core) {
    this.db = core.database.db.withTables<GroupTables>();
  }

  /** The group a caller names by name or ARN; NotFoundException when it is not this account's and region's. */
  async find(account: string, region: string, ref: string | undefined): Promise<GroupRow> {
    if (!ref) throw badRequest('Group is required: name the group by its name or ARN.');
    const name = nameOf(account, region, ref);
    const row = name === undefined ? undefined : await this.db.selectFrom('resource_groups').selectAll().where('account_id', '=', account).where('region', '=', region).where('name', '=', name).executeTakeFirst();
    if (!row) throw notFound(`Cannot find group ${ref}.`);
    return row;
  }

  async create(account: string, region: string, i: NewGroup): Promise<GroupRow> {
    if (i.ResourceQuery) parseQuery(i.ResourceQuery);
    checkTagKeys(Object.keys(i.Tags ?? {}));
    const row: GroupRow = {
      account_id: account,
      region,
      name: i.Name,
      description: i.Description ?? '',
      query_type: i.ResourceQuery?.Type ?? '',
      query: i.ResourceQuery?.Query ?? '',
      configuration: i.Configuration?.length ? JSON.stringify(i.Configuration) : '',
      criticality: i.Criticality ?? null,
      owner: i.Owner ?? '',
      display_name: i.DisplayName ?? '',
      tags: JSON.stringify(i.Tags ?? {}),
      created_at: this.core.clock.now(),
    };
    const taken = await this.db.selectFrom('resource_groups').select('name').where('account_id', '=', account).where('region', '=', region).where('name', '=', i.Name).executeTakeFirst();
    if (taken) throw badRequest(`Cannot create group with name ${i.Name} because a group with that name already exists.`);
    try {
      await this.db.insertInto('resource_groups').values(row).execute();
    } catch (e) {
      // Two creates of one name at once: the key decides, and the loser hears what the first check says.
      const again = await this.db.selectFrom('resource_groups').select('name').where('account_id', '=', account).where('region', '=', region).where('name', '=', i.Name).executeTakeFirst();
      if (again) throw badRequest(`Cannot create group with name ${i.Name} because a group with that name already exists.`);
      throw e;
    }
    return row;
  }

  async update(row: GroupRow, i: { Description?: string | undefined; Criticality?: number | undefined; Owner?: string | undefined; DisplayName?: string | undefined }): Promise<GroupRow> {
    const next: GroupRow = {
      ...row,
      ...(i.Description !== undefined ? { description: i.Description } : {}),
      ...(i.Criticality !== undefined ? { criticality: i.Criticality } : {}),
      ...(i.Owner !== undefined ? { owner: i.Owner } : {}),
      ...(i.DisplayName !== undefined ? { display_name: i.DisplayName } : {}),
    };
    await this.set(row, { description: next.description, criticality: next.criticality, owner: next.owner, display_name: next.display_name });
    return next;
  }

  async updateQuery(row: GroupRow, q: ResourceQuery): Promise<GroupRow> {
    if (!row.query_type) throw badRequest(`Group ${row.name} holds an explicit list of resources and has no resource query to update; use GroupResources and UngroupResources.`);
    parseQuery(q);
    await this.set(row, { query_type: q.Type, query: q.Query });
    return { ...row, query_type: q.Type, query: q.Query };
  }

  async delete(row: GroupRow): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('resource_group_members').where('account_id', '=', row.account_id).where('region', '=', row.region).where('group_name', '=', row.name).execute();
      await trx.deleteFrom('resource_groups').where('account_id', '=', row.account_id).where('region', '=', row.region).where('name', '=', row.name).execute();
    });
  }

  async setTags(row: GroupRow, tags: Record<string, string>): Promise<void> {
    await this.set(row, { tags: JSON.stringify(tags) });
  }

  list(account: string, region: string): Promise<GroupRow[]> {
    return this.db.selectFrom('resource_groups').selectAll().where('account_id', '=', account).where('region', '=', region).orderBy('name').execute();
  }

  /** The groups themselves as taggable resources. */
  async groupResources(account: string, region: string): Promise<Resource[]> {
    return (await this.list(account, region)).map((g) => ({ arn: groupArn(region, account, g.name), ...GROUP_TYPE, tags: JSON.parse(g.tags) as Record<string, string>, id: g.name }));
  }

  resources(account: string, region: string, wanted?: ReadonlySet<string>): Promise<Resource[]> {
    return listResources(this.core, account, region, () => this.groupResources(account, region), wanted);
  }

  /** What a query matches now. */
  async search(account: string, region: string, q: TagQuery): Promise<Membership> {
    const supported = supportedTypes(this.core);
    const all = q.ResourceTypeFilters.includes(ALL_SUPPORTED);
    const unsupported = all ? [] : q.ResourceTypeFilters.filter((t) => !supported.has(t));
    const wanted = all ? undefined : new Set(q.ResourceTypeFilters.filter((t) => supported.has(t)));
    const resources = wanted && wanted.size === 0 ? [] : (await this.resources(account, region, wanted)).filter((r) => queryMatches(q, r));
    return { resources, queryErrors: unsupported.map((t) => ({ ErrorCode: 'RESOURCE_TYPE_NOT_SUPPORTED', Message: `Resource type ${t} is not supported by Capstan.` })) };
  }

  /**
   * A group's members now: a dynamic group's query evaluated at this moment (so a tag change
   * shows at once), a static group's list less the resources that no longer exist.
   */
  async members(row: GroupRow, wanted?: ReadonlySet<string>): Promise<Membership> {
    if (row.query_type) {
      const m = await this.search(row.account_id, row.region, parseQuery({ Type: row.query_type, Query: row.query }));
      return wanted ? { ...m, resources: m.resources.filter((r) => wanted.has(r.type)) } : m;
    }
    const arns = new Set(await this.memberArns(row));
    if (arns.size === 0) return { resources: [], queryErrors: [] };
    const resources = (await this.resources(row.account_id, row.region, wanted)).filter((r) => arns.has(r.arn));
    return { resources, queryErrors: [] };
  }

  async memberArns(row: GroupRow): Promise<string[]> {
    const rows = await this.db.selectFrom('resource_group_members').select('resource_arn').where('account_id', '=', row.account_id).where('region', '=', row.region).where('group_name', '=', row.name).orderBy('resource_arn').execute();
    return rows.map((r) => r.resource_arn);
  }

  async addMembers(row: GroupRow, arns: string[]): Promise<void> {
    const have = new Set(await this.memberArns(row));
    const now = this.core.clock.now();
    const fresh = [...new Set(arns)].filter((a) => !have.has(a));
    if (fresh.length) await this.db.insertInto('resource_group_members').values(fresh.map((resource_arn) => ({ account_id: row.account_id, region: row.region, group_name: row.name, resource_arn, added_at: now }))).execute();
  }

  async removeMembers(row: GroupRow, arns: string[]): Promise<void> {
    if (arns.length) await this.db.deleteFrom('resource_group_members').where('account_id', '=', row.account_id).where('region', '=', row.region).where('group_name', '=', row.name).where('resource_arn', 'in', arns).execute();
  }

  /** The managed nodes of a group, for `resource-groups:Name` targets; a group that does not exist names none. */
  async nodeIds(account: string, region: string, name: string): Promise<string[]> {
    const row = await this.db.selectFrom('resource_groups').selectAll().where('account_id', '=', account).where('region', '=', region).where('name', '=', name).executeTakeFirst();
    if (!row) return [];
    const { resources } = await this.members(row, new Set(['AWS::SSM::ManagedInstance']));
    return resources.map((r) => r.id);
  }

  private async set(row: GroupRow, fields: Partial<GroupRow>): Promise<void> {
    await this.db.updateTable('resource_groups').set(fields).where('account_id', '=', row.account_id).where('region', '=', row.region).where('name', '=', row.name).execute();
  }
}

/** A group name from a name or an ARN; undefined when the ARN is another account's or region's. */
export function nameOf(account: string, region: string, ref: string): string | undefined {
  if (!ref.startsWith('arn:')) return ref;
  const m = GROUP_ARN.exec(ref);
  if (!m || m[2] !== region || m[4] !== account) return undefined;
  return m[5];
}

export function checkTagKeys(keys: readonly string[]): void {
  const reserved = keys.find((k) => k.toLowerCase().startsWith('aws:'));
  if (reserved) throw badRequest(`Tag keys starting with "aws:" are reserved: ${reserved}`);
}
