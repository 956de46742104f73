import type { CallContext, Core } from '../protocol/context.js';
import { settingsService } from '../settings/index.js';
import { isUniqueViolation } from '../store/errors.js';
import {
  hierarchyTypeMismatch, invalidAllowedPattern, parameterAlreadyExists, parameterLimitExceeded, parameterMaxVersionLimitExceeded,
  parameterNotFound, parameterPatternMismatch, parameterVersionLabelLimitExceeded, parameterVersionNotFound, tooManyUpdates, unsupportedParameterType, validation,
} from './errors.js';
import { checkName, isValidLabel, parameterArn, parentPath } from './names.js';
import { changeEvent } from './change-events.js';
import { dueTimes, parsePolicies, POLICY_TYPES, type StoredPolicy } from './policies.js';
import { DEFAULT_KEY, encryptValue } from './secure.js';
import { currentRows } from './slots.js';
import { countingOf, isTierFull, parameterStore, type Counting, type ParameterDb } from './store.js';
import { TIER_LIMITS, type ParameterRow, type ParameterTables, type VersionFields, type VersionRow } from './tables.js';

export type ParameterType = 'String' | 'StringList' | 'SecureString';
export type TierRequest = 'Standard' | 'Advanced' | 'Intelligent-Tiering';

export interface PutInput {
  Name: string;
  Value: string;
  Type?: ParameterType | undefined;
  Description?: string | undefined;
  KeyId?: string | undefined;
  Overwrite?: boolean | undefined;
  AllowedPattern?: string | undefined;
  Tags?: { Key: string; Value: string }[] | undefined;
  Tier?: TierRequest | undefined;
  Policies?: string | undefined;
  DataType?: string | undefined;
}

export const MAX_VERSIONS = 100;
export const MAX_LABELS_PER_VERSION = 10;
const VALUE_LIMIT = { Standard: 4096, Advanced: 8192 } as const;
const DATA_TYPES = ['text', 'aws:ec2:image', 'aws:ssm:integration'];
const AMI_ID = /^ami-([0-9a-f]{8}|[0-9a-f]{17})$/;
export const POLICY_JOB = 'parameters.policy';

const tierFull = (tier: 'Standard' | 'Advanced') =>
  parameterLimitExceeded(`You have reached the limit of ${TIER_LIMITS[tier]} ${tier.toLowerCase()} parameters in this account and region. Delete parameters or use another tier.`);

const TIER_SETTING = '/ssm/parameter-store/default-parameter-tier';

/** The rules of Parameter Store's writes; each owns its transaction. */
export class ParameterWrites {
  readonly db: ParameterDb;
  private readonly counting: Counting;
  constructor(private readonly core: Core) {
    this.db = core.database.db.withTables<ParameterTables>();
    this.counting = countingOf(core.database.engine);
  }

  async put(call: CallContext, input: PutInput): Promise<{ Version: number; Tier: 'Standard' | 'Advanced' }> {
    const { accountId: account, region } = call;
    const name = checkName(input.Name, region, account);
    const arn = parameterArn(region, account, name);
    if (input.Tags?.length && input.Overwrite) {
      throw validation('Invalid request: tags and overwrite can\'t be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.');
    }
    if (/\{\{.*\}\}/s.test(input.Value)) throw validation('Parameter value can\'t nest another parameter. Do not use "{{}}" in the value.');
    const now = this.core.clock.now();
    const existing = await parameterStore.get(this.db, account, region, name);
    if (existing && !input.Overwrite) throw parameterAlreadyExists();
    const type = input.Type ?? existing?.type;
    if (!type) throw validation('A parameter type is required when you create a parameter: String, StringList or SecureString.');
    if (existing && existing.type !== type && name.startsWith('/')) {
      throw hierarchyTypeMismatch(`The parameter ${name} is a ${existing.type}; Parameter Store doesn't support changing a parameter type in a hierarchy. Create a new parameter instead.`);
    }
    if (input.KeyId !== undefined && type !== 'SecureString') throw validation(`KeyId is only used with SecureString parameters; ${name} is a ${type}.`);
    const dataType = input.DataType ?? existing?.data_type ?? 'text';
    checkDataType(dataType, type, input.Value);
    const allowedPattern = input.AllowedPattern ?? existing?.allowed_pattern ?? '';
    checkPattern(allowedPattern, type, input.Value);
    const policies = input.Policies !== undefined ? parsePolicies(input.Policies, now) : rearm(existing);
    const tier = await this.chooseTier(call, input, existing, policies);

    // KMS runs before the transaction: it has its own reads and writes on the same store.
    const keyId = type === 'SecureString' ? (input.KeyId ?? (existing?.type === 'SecureString' ? existing.key_id : null) ?? DEFAULT_KEY) : null;
    const secret = keyId ? (await encryptValue(call, keyId, arn, input.Value)).envelope : null;

    const fields: VersionFields = {
      type,
      version: (existing?.version ?? 0) + 1,
      value: type === 'SecureString' ? null : input.Value,
      secret,
      key_id: keyId,
      description: input.Description ?? existing?.description ?? '',
      allowed_pattern: allowedPattern,
      tier,
      data_type: dataType,
      policies: JSON.stringify(policies),
      modified_at: now,
      modified_user: call.principal.arn,
    };
    try {
      // A concurrent change is caught by the store itself, with no read first: a create by the
      // parameter's primary key, an update by its new version's key and by `addVersion`'s
      // condition on the version it replaces (a concurrent delete).
      await this.db.transaction().execute(async (trx) => {
        const versionRow: VersionRow = { account_id: account, region, name, labels: '[]', ...fields };
        const overLimit = (count: number | undefined) => {
          if (count !== undefined && count > TIER_LIMITS[tier]) throw tierFull(tier);
        };
        if (existing) {
          // Versions are numbered from 1, so fewer than MAX_VERSIONS so far means fewer kept.
          if (existing.version >= MAX_VERSIONS) await this.dropOldestVersion(trx, account, region, name);
          if (!(await parameterStore.addVersion(trx, account, region, name, fields, versionRow, existing.version))) {
            throw tooManyUpdates(`The parameter ${name} changed while this update ran; try again.`);
          }
        }
        // With no policy before or after, there is no job of this parameter's to replace. (A job
        // left by an earlier parameter of this name finds no pending policy of its type here and
        // does nothing; the first write with policies cancels it.)
        if (policies.length > 0 || (existing !== undefined && existing.policies !== '[]')) await this.schedulePolicies(trx, account, region, name, fields.version, policies, now);
        await this.core.events.append(changeEvent(account, region, existing ? 'Update' : 'Create', { name, type, description: fields.description }), trx);
        // Counted in the transaction, the tier counter's row is the one every create waits on,
        // from its update to the commit, so a create is written last; a name taken meanwhile
        // fails it there, undoing the writes before it. (On PostgreSQL the count is kept at commit.)
        if (!existing) {
          const tags = Object.fromEntries((input.Tags ?? []).map((t) => [t.Key, t.Value]));
          overLimit(await parameterStore.create(trx, { account_id: account, region, name, path: parentPath(name), tags: JSON.stringify(tags), ...fields }, versionRow, this.counting));
        }
        if (existing && existing.tier !== tier && this.counting === 'in-transaction') overLimit(await parameterStore.changeTier(trx, account, region, existing.tier, tier));
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw existing ? tooManyUpdates(`The parameter ${name} changed while this update ran; try again.`) : parameterAlreadyExists();
      if (isTierFull(e)) throw tierFull(tier);
      throw e;
    } finally {
      currentRows(this.core).forget(account, region, name);
    }
    return { Version: fields.version, Tier: tier };
  }

  /** Intelligent-Tiering picks Advanced only when it must; nothing ever moves down. */
  private async chooseTier(call: CallContext, input: PutInput, existing: ParameterRow | undefined, policies: StoredPolicy[]): Promise<'Standard' | 'Advanced'> {
    const requested = input.Tier ?? (existing ? existing.tier : ((await settingsService(this.core).value(call.accountId, call.region, TIER_SETTING)) as TierRequest));
    let tier: 'Standard' | 'Advanced';
    if (requested === 'Intelligent-Tiering') {
      const needsAdvanced =
        input.Value.length > VALUE_LIMIT.Standard ||
        policies.length > 0 ||
        existing?.tier === 'Advanced' ||
        (!existing && (await parameterStore.countInTier(this.db, call.accountId, call.region, 'Standard')) >= TIER_LIMITS.Standard);
      tier = needsAdvanced ? 'Advanced' : 'Standard';
    } else tier = requested;
    if (existing?.tier === 'Advanced' && tier === 'Standard') {
      throw validation(
        'This parameter uses the advanced-parameter tier. You can\'t downgrade a parameter from the advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the advanced parameter and recreate it as a standard parameter.',
      );
    }
    if (tier === 'Standard' && input.Value.length > VALUE_LIMIT.Standard) {
      throw validation(`Standard tier parameters support a maximum parameter value of ${VALUE_LIMIT.Standard} characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier.`);
    }
    if (input.Value.length > VALUE_LIMIT.Advanced) throw validation(`Advanced tier parameters support a maximum parameter value of ${VALUE_LIMIT.Advanced} characters.`);
    if (tier === 'Standard' && policies.length > 0) throw validation('Parameter policies are supported only for advanced-tier parameters. Use Tier Advanced or Intelligent-Tiering.');
    return tier;
  }

  /** History keeps 100 versions; the oldest goes unless a label holds it. */
  private async dropOldestVersion(trx: ParameterDb, account: string, region: string, name: string): Promise<void> {
    const versions = await parameterStore.versions(trx, account, region, name);
    if (versions.length < MAX_VERSIONS) return;
    const oldest = versions[0]!;
    if ((JSON.parse(oldest.labels) as string[]).length > 0) {
      throw parameterMaxVersionLimitExceeded(
        `You attempted to create a new version of ${name} by calling the PutParameter API with the overwrite flag. Version ${oldest.version}, the oldest version, can't be deleted because it has a label associated with it. Move the label to another version of the parameter, and try again.`,
      );
    }
    await parameterStore.deleteVersion(trx, account, region, name, oldest.version);
  }

  private async schedulePolicies(trx: ParameterDb, account: string, region: string, name: string, version: number, policies: StoredPolicy[], modifiedAt: number): Promise<void> {
    await this.core.scheduler.cancel(POLICY_JOB, policyKeys(account, region, name), trx);
    for (const due of dueTimes(policies, modifiedAt)) {
      await this.core.scheduler.enqueue({ kind: POLICY_JOB, dueAt: due.dueAt, dedupeKey: policyKey(account, region, name, due.type), payload: { account, region, name, version, type: due.type } }, trx);
    }
  }

  async delete(account: string, region: string, name: string): Promise<boolean> {
    const gone = await this.db.transaction().execute(async (trx) => {
      const row = await parameterStore.get(trx, account, region, name);
      const gone = await parameterStore.delete(trx, account, region, name, this.counting);
      if (gone) {
        await this.core.scheduler.cancel(POLICY_JOB, policyKeys(account, region, name), trx);
        if (row) await this.core.events.append(changeEvent(account, region, 'Delete', { name, type: row.type, description: row.description }), trx);
      }
      return gone;
    });
    currentRows(this.core).forget(account, region, name);
    return gone;
  }

  async label(account: string, region: string, name: string, version: number | undefined, labels: string[]): Promise<{ InvalidLabels: string[]; ParameterVersion: number }> {
    const invalid = labels.filter((l) => !isValidLabel(l));
    const valid = [...new Set(labels.filter(isValidLabel))];
    return this.db.transaction().execute(async (trx) => {
      const row = await parameterStore.get(trx, account, region, name);
      if (!row) throw parameterNotFound(`Parameter ${name} not found.`);
      const target = version ?? row.version;
      const versions = await parameterStore.versions(trx, account, region, name);
      const v = versions.find((x) => x.version === target);
      if (!v) throw parameterVersionNotFound(`Systems Manager could not find version ${target} of ${name}. Verify the version and try again.`);
      const next = [...new Set([...(JSON.parse(v.labels) as string[]), ...valid])];
      if (next.length > MAX_LABELS_PER_VERSION) {
        throw parameterVersionLabelLimitExceeded(`A parameter version can have maximum ${MAX_LABELS_PER_VERSION} labels. Move one or more labels to another version and try again.`);
      }
      // A label names one version of a parameter: applying it elsewhere moves it.
      for (const other of versions) {
        if (other.version === target) continue;
        const kept = (JSON.parse(other.labels) as string[]).filter((l) => !valid.includes(l));
        if (kept.length !== (JSON.parse(other.labels) as string[]).length) await parameterStore.setLabels(trx, account, region, name, other.version, kept);
      }
      await parameterStore.setLabels(trx, account, region, name, target, next);
      if (valid.length) await this.core.events.append(changeEvent(account, region, 'LabelParameterVersion', { name, type: row.type, description: row.description }), trx);
      return { InvalidLabels: invalid, ParameterVersion: target };
    });
  }

  async unlabel(account: string, region: string, name: string, version: number, labels: string[]): Promise<{ RemovedLabels: string[]; InvalidLabels: string[] }> {
    return this.db.transaction().execute(async (trx) => {
      const row = await parameterStore.get(trx, account, region, name);
      if (!row) throw parameterNotFound(`Parameter ${name} not found.`);
      const v = await parameterStore.getVersion(trx, account, region, name, version);
      if (!v) throw parameterVersionNotFound(`Systems Manager could not find version ${version} of ${name}. Verify the version and try again.`);
      const current = JSON.parse(v.labels) as string[];
      const removed = [...new Set(labels.filter((l) => current.includes(l)))];
      const invalid = [...new Set(labels.filter((l) => !current.includes(l)))];
      await parameterStore.setLabels(trx, account, region, name, version, current.filter((l) => !removed.includes(l)));
      return { RemovedLabels: removed, InvalidLabels: invalid };
    });
  }
}

export const policyKey = (account: string, region: string, name: string, type: string) => `${account}|${region}|${name}|${type}`;

/** The scheduler keys of every policy job a parameter can have. */
const policyKeys = (account: string, region: string, name: string) => POLICY_TYPES.map((type) => policyKey(account, region, name, type));

/** Keeping a parameter's policies across a new version restarts their clocks (NoChangeNotification). */
function rearm(existing: ParameterRow | undefined): StoredPolicy[] {
  if (!existing) return [];
  return (JSON.parse(existing.policies) as StoredPolicy[]).filter((p) => p.type !== 'Expiration' || p.status === 'Pending').map((p) => ({ ...p, status: 'Pending' as const }));
}

function checkDataType(dataType: string, type: ParameterType, value: string): void {
  if (!DATA_TYPES.includes(dataType)) throw validation(`The following data type is not supported: ${dataType} (Data type names are all lowercase.)`);
  if (dataType === 'aws:ec2:image') {
    if (type !== 'String') throw unsupportedParameterType(`The parameter type ${type} isn't supported with the aws:ec2:image data type; use String.`);
    if (!AMI_ID.test(value)) throw validation(`Parameter value ${value} is not a valid Amazon Machine Image ID for the aws:ec2:image data type: use ami- followed by 8 or 17 hexadecimal characters.`);
  }
}

/** AWS matches the whole value (each item of a StringList) against AllowedPattern. */
function checkPattern(pattern: string, type: ParameterType, value: string): void {
  if (!pattern) return;
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${pattern})$`, 'u');
  } catch (e) {
    throw invalidAllowedPattern(`The allowed pattern ${pattern} is not a valid regular expression: ${(e as Error).message}`);
  }
  const items = type === 'StringList' ? value.split(',') : [value];
  // The value itself is not echoed: it may be a secret.
  if (items.some((item) => !re.test(item))) throw parameterPatternMismatch(`Parameter value, cannot be validated against allowedPattern: ${pattern}`);
}
