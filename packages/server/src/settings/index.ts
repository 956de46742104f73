import type { Kysely } from 'kysely';
import { createChangeNotice } from '../cluster/change-notice.js';
import { cacheKey, NotifiedCache } from '../cluster/notified-cache.js';
import { z } from 'zod';
import { ServiceSlot, type Capability } from '../protocol/capability.js';
import type { Core } from '../protocol/context.js';
import { AwsError } from '../protocol/errors.js';
import { defineOperation } from '../protocol/registry.js';
import { SSM } from '../protocol/services.js';
import type { MigrationStep } from '../store/migrations.js';

/** A service setting Capstan knows: its default and the values it takes. */
interface SettingDef {
  id: string;
  defaultValue: string;
  allowed: readonly string[];
}

const SETTINGS: readonly SettingDef[] = [
  { id: '/ssm/parameter-store/default-parameter-tier', defaultValue: 'Standard', allowed: ['Standard', 'Advanced', 'Intelligent-Tiering'] },
  { id: '/ssm/parameter-store/high-throughput-enabled', defaultValue: 'false', allowed: ['true', 'false'] },
  { id: '/ssm/documents/console/public-sharing-permission', defaultValue: 'Enable', allowed: ['Enable', 'Disable'] },
  { id: '/ssm/managed-instance/activation-tier', defaultValue: 'standard', allowed: ['standard', 'advanced'] },
  { id: '/ssm/opsinsights/opscenter', defaultValue: 'Disabled', allowed: ['Enabled', 'Disabled'] },
];

interface SettingRow {
  account_id: string;
  region: string;
  setting_id: string;
  value: string;
  modified_at: number;
  modified_user: string;
}
type SettingTables = { service_settings: SettingRow };

/** What the database announces after every committed change to a setting's row: `{ a: account, r: region, s: setting id }`. */
const SETTING_CHANGED_TOPIC = 'settings.changed';

const migrations: MigrationStep[] = [
  {
    name: '0550_service_settings',
    async up(db) {
      await db.schema
        .createTable('service_settings')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('setting_id', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('modified_at', 'bigint', (c) => c.notNull())
        .addColumn('modified_user', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('service_settings_pk', ['account_id', 'region', 'setting_id'])
        .execute();
    },
  },
  {
    // Settings are read on hot paths (PutParameter's default tier) and kept in memory: every
    // replica hears of each committed change.
    name: '0551_service_setting_change_notice',
    async up(db, engine) {
      if (engine !== 'postgres') return;
      await createChangeNotice(db, { fn: 'capstan_service_setting_changed', trigger: 'service_settings_changed', table: 'service_settings', topic: SETTING_CHANGED_TOPIC, fields: { a: 'account_id', r: 'region', s: 'setting_id' } });
    },
  },
];

export interface SettingView {
  id: string;
  value: string;
  status: 'Default' | 'Customized';
  modifiedAt?: number;
  modifiedUser?: string;
}

const notFound = (id: string) => new AwsError('ServiceSettingNotFound', `The service setting ${id} was not found.`, { messageMember: 'Message' });

/** Account- and region-level switches of the SSM services (`/ssm/parameter-store/…`, …). */
export class SettingsService {
  private readonly db: Kysely<SettingTables>;
  /** Customised rows (null: the default applies), as the store last said. */
  private readonly rows: NotifiedCache<SettingRow | null>;
  constructor(
    private readonly core: Core,
    sharedTtlMs?: number,
  ) {
    this.db = core.database.db.withTables<SettingTables>();
    this.rows = new NotifiedCache(core, {
      topic: SETTING_CHANGED_TOPIC,
      keyFields: ['a', 'r', 's'],
      maxEntries: 10_000,
      sharedTtlMs,
    });
  }

  /** A setting id or its ARN, as the API accepts both. */
  resolve(account: string, region: string, given: string): SettingDef {
    const arnPrefix = `arn:aws:ssm:${region}:${account}:servicesetting`;
    const id = given.startsWith('arn:') ? (given.startsWith(arnPrefix + '/') ? given.slice(arnPrefix.length) : '') : given;
    const def = SETTINGS.find((s) => s.id === id);
    if (!def) throw notFound(given);
    return def;
  }

  async get(account: string, region: string, given: string): Promise<SettingView> {
    const def = this.resolve(account, region, given);
    const row = await this.rows.get(cacheKey(account, region, def.id), async () => (await this.db.selectFrom('service_settings').selectAll().where('account_id', '=', account).where('region', '=', region).where('setting_id', '=', def.id).executeTakeFirst()) ?? null);
    if (!row) return { id: def.id, value: def.defaultValue, status: 'Default' };
    return { id: def.id, value: row.value, status: 'Customized', modifiedAt: row.modified_at, modifiedUser: row.modified_user };
  }

  /** The effective value, for other capabilities. */
  async value(account: string, region: string, id: string): Promise<string> {
    return (await this.get(account, region, id)).value;
  }

  async update(account: string, region: string, given: string, value: string, user: string): Promise<void> {
    const def = this.resolve(account, region, given);
    if (!def.allowed.includes(value)) throw new AwsError('ValidationException', `The value ${value} is not valid for ${def.id}; use one of ${def.allowed.join(', ')}.`, { messageMember: 'message' });
    try {
      await this.db.transaction().execute(async (trx) => {
        await trx.deleteFrom('service_settings').where('account_id', '=', account).where('region', '=', region).where('setting_id', '=', def.id).execute();
        await trx.insertInto('service_settings').values({ account_id: account, region, setting_id: def.id, value, modified_at: this.core.clock.now(), modified_user: user }).execute();
      });
    } finally {
      this.rows.forget(cacheKey(account, region, def.id));
    }
  }

  async reset(account: string, region: string, given: string): Promise<void> {
    const def = this.resolve(account, region, given);
    try {
      await this.db.deleteFrom('service_settings').where('account_id', '=', account).where('region', '=', region).where('setting_id', '=', def.id).execute();
    } finally {
      this.rows.forget(cacheKey(account, region, def.id));
    }
  }
}

const slot = new ServiceSlot<SettingsService>('service settings');
export const settingsService = (core: Core): SettingsService => slot.get(core);

const settingArn = (region: string, account: string, id: string) => `arn:aws:ssm:${region}:${account}:servicesetting${id}`;
const settingId = z.string().min(1).max(1000);

function settingOut(region: string, account: string, s: SettingView) {
  return {
    ServiceSetting: {
      SettingId: s.id,
      SettingValue: s.value,
      ...(s.modifiedAt !== undefined ? { LastModifiedDate: new Date(s.modifiedAt), LastModifiedUser: s.modifiedUser } : {}),
      ARN: settingArn(region, account, s.id),
      Status: s.status,
    },
  };
}

const resourceOf = (given: string, call: { region: string; accountId: string }) => [given.startsWith('arn:') ? given : settingArn(call.region, call.accountId, given)];

const operations = [
  defineOperation({
    service: SSM,
    name: 'GetServiceSetting',
    input: z.object({ SettingId: settingId }),
    resources: (i, c) => resourceOf(i.SettingId, c),
    handler: async (i, c) => settingOut(c.region, c.accountId, await settingsService(c.core).get(c.accountId, c.region, i.SettingId)),
  }),
  defineOperation({
    service: SSM,
    name: 'UpdateServiceSetting',
    input: z.object({ SettingId: settingId, SettingValue: z.string().min(1).max(4096) }),
    resources: (i, c) => resourceOf(i.SettingId, c),
    handler: async (i, c) => {
      await settingsService(c.core).update(c.accountId, c.region, i.SettingId, i.SettingValue, c.principal.arn);
      return {};
    },
  }),
  defineOperation({
    service: SSM,
    name: 'ResetServiceSetting',
    input: z.object({ SettingId: settingId }),
    resources: (i, c) => resourceOf(i.SettingId, c),
    handler: async (i, c) => {
      const svc = settingsService(c.core);
      await svc.reset(c.accountId, c.region, i.SettingId);
      return settingOut(c.region, c.accountId, await svc.get(c.accountId, c.region, i.SettingId));
    },
  }),
];

export const settingsCapability: Capability = {
  name: 'service settings',
  migrations,
  operations,
  start(core, options) {
    slot.set(core, new SettingsService(core, options.sharedCacheTtlMs));
  },
};
