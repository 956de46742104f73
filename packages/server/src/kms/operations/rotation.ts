import { z } from 'zod';
import { defineOperation as op, type AnyOperation } from '../../protocol/registry.js';
import { KMS } from '../../protocol/services.js';
import { materialId } from '../crypto.js';
import { arnOf } from '../keyring.js';
import { DEFAULT_ROTATION_DAYS } from '../lifecycle.js';
import { decodeMarker, keyIdType, limitOf, limitType, markerType, page } from '../schema.js';
import { kmsStore } from '../store.js';
import { assertCustomerManaged, byKeyId, findKey, keyResource, svc } from './common.js';


const enableKeyRotation = op({
  service: KMS, name: 'EnableKeyRotation',
  input: z.object({ KeyId: keyIdType, RotationPeriodInDays: z.number().int().min(90).max(2560).optional() }),
  resources: keyResource,
  handler: async (i, c) => {
    const key = await findKey(c, i.KeyId, false);
    assertCustomerManaged(c, key, 'EnableKeyRotation');
    await svc(c).lifecycle.enableRotation(key, i.RotationPeriodInDays ?? DEFAULT_ROTATION_DAYS);
    return {};
  },
});

const disableKeyRotation = op({
  service: KMS, name: 'DisableKeyRotation', input: byKeyId, resources: keyResource,
  handler: async (i, c) => {
    const key = await findKey(c, i.KeyId, false);
    assertCustomerManaged(c, key, 'DisableKeyRotation');
    await svc(c).lifecycle.disableRotation(key);
    return {};
  },
});

const getKeyRotationStatus = op({
  service: KMS, name: 'GetKeyRotationStatus', input: byKeyId, resources: keyResource,
  handler: async (i, c) => {
    const key = await findKey(c, i.KeyId, false);
    const enabled = key.rotation_enabled === 1;
    return {
      KeyRotationEnabled: enabled,
      KeyId: arnOf(key),
      ...(enabled && key.rotation_period_days !== null ? { RotationPeriodInDays: key.rotation_period_days } : {}),
      ...(enabled && key.next_rotation_at !== null ? { NextRotationDate: new Date(key.next_rotation_at) } : {}),
    };
  },
});

const rotateKeyOnDemand = op({
  service: KMS, name: 'RotateKeyOnDemand', input: byKeyId, resources: keyResource,
  handler: async (i, c) => {
    const key = await findKey(c, i.KeyId, false);
    assertCustomerManaged(c, key, 'RotateKeyOnDemand');
    await svc(c).lifecycle.rotateOnDemand(key);
    return { KeyId: key.key_id };
  },
});

/** Completed rotations, oldest first: every material version after the first. */
const listKeyRotations = op({
  service: KMS, name: 'ListKeyRotations',
  input: z.object({ KeyId: keyIdType, IncludeKeyMaterial: z.enum(['ALL_KEY_MATERIAL', 'ROTATIONS_ONLY']).optional(), Limit: limitType.optional(), Marker: markerType.optional() }),
  resources: keyResource,
  handler: async (i, c) => {
    const key = await findKey(c, i.KeyId, false);
    const limit = limitOf(i.Limit, 100, 1000);
    const after = Number(decodeMarker(i.Marker, (last) => /^\d+$/.test(last)) ?? 0);
    const versions = (await kmsStore.listMaterial(svc(c).keyring.db, key.account_id, key.region, key.key_id)).filter((m) => m.rotation_type !== null && m.version > after);
    const { items, ...more } = page(versions, limit, (m) => String(m.version));
    return {
      Rotations: items.map((m) => ({ KeyId: key.key_id, KeyMaterialId: materialId(key.key_id, m.version), RotationDate: new Date(m.created_at), RotationType: m.rotation_type })),
      ...more,
    };
  },
});

export const rotationOperations: AnyOperation[] = [enableKeyRotation, disableKeyRotation, getKeyRotationStatus, rotateKeyOnDemand, listKeyRotations];
