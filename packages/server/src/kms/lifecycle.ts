import { randomUUID } from 'node:crypto';
import type { Job } from '../scheduler/scheduler.js';
import { newMaterial, sealMaterial, type MaterialRef } from './crypto.js';
import { keyDisabled, keyNotPendingDeletion, keyPendingDeletion, limitExceeded, tagError } from './errors.js';
import { arnOf, type Keyring } from './keyring.js';
import { kmsStore, type KmsDb } from './store.js';
import type { KeyManager, KeyRow, MaterialRow } from './tables.js';

export const DAY_MS = 86_400_000;
export const DELETE_JOB = 'kms.delete-key';
export const ROTATE_JOB = 'kms.rotate-key';
export const DEFAULT_ROTATION_DAYS = 365;
/** KMS allows this many on-demand rotations over a key's life. */
export const ON_DEMAND_ROTATION_LIMIT = 25;
const MAX_TAGS = 50;

export type Tags = Record<string, string>;

interface KeyJobPayload {
  account: string;
  region: string;
  keyId: string;
  /** For rotation jobs: the rotation time the job was written for; a job for another time is stale. */
  at?: number;
}

const jobKey = (row: Pick<KeyRow, 'account_id' | 'region' | 'key_id'>) => `${row.account_id}:${row.region}:${row.key_id}`;
const rotationJobKey = (row: KeyRow, at: number) => `${jobKey(row)}:${at}`;
const refOf = (row: KeyRow, version: number): MaterialRef => ({ account: row.account_id, region: row.region, keyId: row.key_id, version });

export interface NewKey {
  description: string;
  policy?: string;
  tags?: Tags;
  manager?: KeyManager;
}

/** Key state over time: creation, enable/disable, deletion with its waiting period, rotation, tags. */
export class KeyLifecycle {
  constructor(private readonly keyring: Keyring) {}

  private get core() {
    return this.keyring.core;
  }

  /** Writes the key and its first material in `trx`; AWS managed keys rotate yearly from the start. */
  async insert(trx: KmsDb, account: string, region: string, spec: NewKey): Promise<KeyRow> {
    const now = this.core.clock.now();
    const managed = spec.manager === 'AWS';
    const row: KeyRow = {
      account_id: account, region, key_id: randomUUID(), description: spec.description, key_usage: 'ENCRYPT_DECRYPT', key_spec: 'SYMMETRIC_DEFAULT',
      manager: spec.manager ?? 'CUSTOMER', state: 'Enabled', created_at: now, deletion_date: null, pending_window_days: null,
      rotation_enabled: managed ? 1 : 0, rotation_period_days: managed ? DEFAULT_ROTATION_DAYS : null,
      next_rotation_at: managed ? now + DEFAULT_ROTATION_DAYS * DAY_MS : null,
      current_version: 1, on_demand_rotations: 0, policy: spec.policy ?? null, tags: JSON.stringify(spec.tags ?? {}),
    };
    await kmsStore.insertKey(trx, row);
    await this.insertMaterial(trx, row, 1, null, now);
    if (row.next_rotation_at !== null) await this.enqueueRotation(trx, row, row.next_rotation_at);
    return row;
  }

  async create(account: string, region: string, spec: NewKey): Promise<KeyRow> {
    checkTags(spec.tags ?? {});
    return this.keyring.db.transaction().execute((trx) => this.insert(trx, account, region, spec));
  }

  private async insertMaterial(trx: KmsDb, row: KeyRow, version: number, rotationType: MaterialRow['rotation_type'], now: number): Promise<void> {
    await kmsStore.insertMaterial(trx, {
      account_id: row.account_id, region: row.region, key_id: row.key_id, version,
      material_sealed: sealMaterial(this.core.rootKey, refOf(row, version), newMaterial()), created_at: now, rotation_type: rotationType,
    });
  }

  /** Runs `fn` on the key as it is inside the transaction, not as a cache last saw it. */
  private async change<T>(row: KeyRow, fn: (trx: KmsDb, fresh: KeyRow, now: number) => Promise<T>): Promise<T> {
    return this.keyring.write(row.account_id, row.region, row.key_id, async (trx) => {
      const fresh = (await kmsStore.getKey(trx, row.account_id, row.region, row.key_id)) ?? row;
      return fn(trx, fresh, this.core.clock.now());
    });
  }

  private update(trx: KmsDb, row: KeyRow, set: Partial<KeyRow>) {
    return kmsStore.updateKey(trx, row.account_id, row.region, row.key_id, set);
  }

  async setEnabled(row: KeyRow, enabled: boolean): Promise<void> {
    await this.change(row, async (trx, fresh, now) => {
      if (fresh.state === 'PendingDeletion') throw keyPendingDeletion(arnOf(fresh));
      await this.update(trx, fresh, { state: enabled ? 'Enabled' : 'Disabled' });
      // KMS does not rotate a disabled key; a rotation that fell due meanwhile happens on re-enabling.
      if (enabled && fresh.rotation_enabled && fresh.next_rotation_at !== null) {
        await this.enqueueRotation(trx, fresh, fresh.next_rotation_at, Math.max(now, fresh.next_rotation_at));
      }
    });
  }

  async scheduleDeletion(row: KeyRow, windowDays: number): Promise<KeyRow> {
    return this.change(row, async (trx, fresh, now) => {
      if (fresh.state === 'PendingDeletion') throw keyPendingDeletion(arnOf(fresh));
      const deletionDate = now + windowDays * DAY_MS;
      await this.update(trx, fresh, { state: 'PendingDeletion', deletion_date: deletionDate, pending_window_days: windowDays });
      await this.core.scheduler.enqueue({ kind: DELETE_JOB, dueAt: deletionDate, dedupeKey: jobKey(fresh), payload: payloadOf(fresh) }, trx);
      return { ...fresh, state: 'PendingDeletion' as const, deletion_date: deletionDate, pending_window_days: windowDays };
    });
  }

  /** As in KMS, a key whose deletion is cancelled comes back disabled. */
  async cancelDeletion(row: KeyRow): Promise<void> {
    await this.change(row, async (trx, fresh) => {
      if (fresh.state !== 'PendingDeletion') throw keyNotPendingDeletion(arnOf(fresh));
      await this.update(trx, fresh, { state: 'Disabled', deletion_date: null, pending_window_days: null });
      await this.core.scheduler.cancel(DELETE_JOB, jobKey(fresh), trx);
    });
  }

  /** The deletion job: removes the key, its material and its aliases once the waiting period is over. */
  async runDeletion(job: Job): Promise<void> {
    const p = job.payload as KeyJobPayload;
    await this.keyring.db.transaction().execute(async (trx) => {
      await job.settle(trx);
      const row = await kmsStore.getKey(trx, p.account, p.region, p.keyId);
      if (!row || row.state !== 'PendingDeletion' || row.deletion_date === null || row.deletion_date > this.core.clock.now()) return;
      await kmsStore.deleteKey(trx, p.account, p.region, p.keyId);
    });
    this.keyring.forgetDeletedKey(p.account, p.region, p.keyId);
  }

  async enableRotation(row: KeyRow, periodDays: number): Promise<void> {
    await this.change(row, async (trx, fresh, now) => {
      assertManageable(fresh);
      const latest = await kmsStore.getMaterial(trx, fresh.account_id, fresh.region, fresh.key_id, fresh.current_version);
      const next = Math.max(now, (latest?.created_at ?? fresh.created_at) + periodDays * DAY_MS);
      if (fresh.rotation_enabled && fresh.next_rotation_at === next) return;
      if (fresh.next_rotation_at !== null) await this.core.scheduler.cancel(ROTATE_JOB, rotationJobKey(fresh, fresh.next_rotation_at), trx);
      await this.update(trx, fresh, { rotation_enabled: 1, rotation_period_days: periodDays, next_rotation_at: next });
      await this.enqueueRotation(trx, fresh, next);
    });
  }

  async disableRotation(row: KeyRow): Promise<void> {
    await this.change(row, async (trx, fresh) => {
      assertManageable(fresh);
      if (fresh.next_rotation_at !== null) await this.core.scheduler.cancel(ROTATE_JOB, rotationJobKey(fresh, fresh.next_rotation_at), trx);
      await this.update(trx, fresh, { rotation_enabled: 0, rotation_period_days: null, next_rotation_at: null });
    });
  }

  async rotateOnDemand(row: KeyRow): Promise<void> {
    await this.change(row, async (trx, fresh, now) => {
      assertManageable(fresh);
      if (fresh.on_demand_rotations >= ON_DEMAND_ROTATION_LIMIT) {
        throw limitExceeded(`The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: ${arnOf(fresh)}`);
      }
      const version = fresh.current_version + 1;
      await this.insertMaterial(trx, fresh, version, 'ON_DEMAND', now);
      await this.update(trx, fresh, { current_version: version, on_demand_rotations: fresh.on_demand_rotations + 1 });
    });
  }

  /** The rotation job: a new material version, then the next job one period later. Stale jobs do nothing. */
  async runRotation(job: Job): Promise<void> {
    const p = job.payload as KeyJobPayload;
    await this.keyring.write(p.account, p.region, p.keyId, async (trx) => {
      await job.settle(trx);
      const row = await kmsStore.getKey(trx, p.account, p.region, p.keyId);
      const now = this.core.clock.now();
      if (!row || !row.rotation_enabled || row.next_rotation_at !== p.at || row.next_rotation_at > now) return;
      if (row.state !== 'Enabled') return;
      const version = row.current_version + 1;
      const next = now + (row.rotation_period_days ?? DEFAULT_ROTATION_DAYS) * DAY_MS;
      await this.insertMaterial(trx, row, version, 'AUTOMATIC', now);
      await this.update(trx, row, { current_version: version, next_rotation_at: next });
      await this.enqueueRotation(trx, row, next);
    });
  }

  private enqueueRotation(trx: KmsDb, row: KeyRow, at: number, dueAt = at) {
    return this.core.scheduler.enqueue({ kind: ROTATE_JOB, dueAt, dedupeKey: rotationJobKey(row, at), payload: { ...payloadOf(row), at } }, trx);
  }

  async tag(row: KeyRow, tags: Tags): Promise<void> {
    await this.change(row, async (trx, fresh) => {
      if (fresh.state === 'PendingDeletion') throw keyPendingDeletion(arnOf(fresh));
      const merged = { ...(JSON.parse(fresh.tags) as Tags), ...tags };
      checkTags(merged);
      await this.update(trx, fresh, { tags: JSON.stringify(merged) });
    });
  }

  async untag(row: KeyRow, keys: readonly string[]): Promise<void> {
    await this.change(row, async (trx, fresh) => {
      if (fresh.state === 'PendingDeletion') throw keyPendingDeletion(arnOf(fresh));
      const tags = JSON.parse(fresh.tags) as Tags;
      for (const k of keys) delete tags[k];
      await this.update(trx, fresh, { tags: JSON.stringify(tags) });
    });
  }
}

const payloadOf = (row: KeyRow): KeyJobPayload => ({ account: row.account_id, region: row.region, keyId: row.key_id });

/** Rotation settings change only on a usable key. */
function assertManageable(row: KeyRow): void {
  if (row.state === 'Disabled') throw keyDisabled(arnOf(row));
  if (row.state === 'PendingDeletion') throw keyPendingDeletion(arnOf(row));
}

export function checkTags(tags: Tags): void {
  for (const k of Object.keys(tags)) if (k.toLowerCase().startsWith('aws:')) throw tagError('Tags beginning with aws: are reserved');
  if (Object.keys(tags).length > MAX_TAGS) throw limitExceeded(`A KMS key can have at most ${MAX_TAGS} tags.`);
}
