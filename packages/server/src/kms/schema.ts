import { z } from 'zod';
import { materialId } from './crypto.js';
import { invalidMarker, tagError } from './errors.js';
import { arnOf } from './keyring.js';
import type { Tags } from './lifecycle.js';
import type { KeyRow } from './tables.js';

// Shapes and limits from the KMS model (2014-11-01).
export const keyIdType = z.string().min(1).max(2048);
export const aliasNameType = z.string().min(1).max(256).regex(/^[a-zA-Z0-9:/_-]+$/);
export const descriptionType = z.string().max(8192);
export const policyType = z.string().min(1).max(131072).regex(/^[\u0009\u000A\u000D\u0020-\u00FF]+$/);
export const tagList = z.array(z.object({ TagKey: z.string().min(1).max(128), TagValue: z.string().max(256) }));
export const tagKeyList = z.array(z.string().min(1).max(128));
export const limitType = z.number().int().min(1).max(1000);
export const markerType = z.string().min(1).max(1024).regex(/^[\u0020-\u00FF]*$/);
export const encryptionContext = z.record(z.string(), z.string());
export const grantTokens = z.array(z.string().min(1).max(8192)).max(10);
export const encryptionAlgorithm = z.enum(['SYMMETRIC_DEFAULT', 'RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256', 'SM2PKE']);
export const recipientInfo = z.object({ KeyEncryptionAlgorithm: z.string().optional(), AttestationDocument: z.string().optional() });

/** Blobs travel as base64 in JSON; their length limits apply to the decoded bytes. */
export const blobType = (min: number, max: number) =>
  z
    .base64()
    .transform((s) => Buffer.from(s, 'base64'))
    .refine((b) => b.length >= min, { message: `Member must have length greater than or equal to ${min}` })
    .refine((b) => b.length <= max, { message: `Member must have length less than or equal to ${max}` });

/** KeyMetadata as DescribeKey and CreateKey return it. */
export function keyMetadata(row: KeyRow) {
  return {
    AWSAccountId: row.account_id,
    KeyId: row.key_id,
    Arn: arnOf(row),
    CreationDate: new Date(row.created_at),
    Enabled: row.state === 'Enabled',
    Description: row.description,
    KeyUsage: row.key_usage,
    KeyState: row.state,
    ...(row.deletion_date !== null ? { DeletionDate: new Date(row.deletion_date) } : {}),
    Origin: 'AWS_KMS',
    KeyManager: row.manager,
    CustomerMasterKeySpec: row.key_spec,
    KeySpec: row.key_spec,
    EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
    MultiRegion: false,
    ...(row.pending_window_days !== null ? { PendingDeletionWindowInDays: row.pending_window_days } : {}),
    CurrentKeyMaterialId: materialId(row.key_id, row.current_version),
  };
}

export function tagsFromList(list: readonly { TagKey: string; TagValue: string }[] | undefined): Tags {
  const out: Tags = {};
  for (const t of list ?? []) {
    if (Object.hasOwn(out, t.TagKey)) throw tagError('Duplicate tag keys');
    out[t.TagKey] = t.TagValue;
  }
  return out;
}

/**
 * KMS pages with Limit and Marker and answers NextMarker and Truncated (unlike SSM's NextToken).
 * Markers here name the last item returned, so pages stay consistent while items come and go.
 */
export const encodeMarker = (last: string) => Buffer.from(last, 'utf8').toString('base64url');

export function decodeMarker(marker: string | undefined, valid: (last: string) => boolean): string | undefined {
  if (marker === undefined) return undefined;
  const last = Buffer.from(marker, 'base64url').toString('utf8');
  if (encodeMarker(last) !== marker || !valid(last)) throw invalidMarker();
  return last;
}

/** `rows` holds up to one more than `limit`; the extra one only says that more follow. */
export function page<T>(rows: readonly T[], limit: number, keyOf: (row: T) => string): { items: T[]; Truncated: boolean; NextMarker?: string } {
  const items = rows.slice(0, limit);
  if (rows.length <= limit) return { items, Truncated: false };
  return { items, Truncated: true, NextMarker: encodeMarker(keyOf(items[items.length - 1]!)) };
}

/** KMS documents a smaller ceiling than the model's for some listings; larger requests get that many. */
export const limitOf = (given: number | undefined, fallback: number, ceiling: number) => Math.min(given ?? fallback, ceiling);
