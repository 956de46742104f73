import { z } from 'zod';
import type { CallContext } from '../../protocol/context.js';
import { isAwsError } from '../../protocol/errors.js';
import { aliasArn, keyArn, parseKeyReference } from '../arn.js';
import { deniedByManagedKeyPolicy } from '../errors.js';
import { arnOf } from '../keyring.js';
import { keyIdType } from '../schema.js';
import { kmsSlot, type KmsServiceImpl } from '../service.js';
import type { KeyRow } from '../tables.js';

export const svc = (c: CallContext): KmsServiceImpl => kmsSlot.get(c.core);

/** Key management operations take a key id or key ARN; cryptographic ones an alias as well. */
export const findKey = (c: CallContext, given: string, aliases: boolean) => svc(c).keyring.find(c.accountId, c.region, given, { aliases });

/**
 * The ARN a call is authorized on. KMS authorizes on the key even when an alias names it; for a
 * key that does not exist the named ARN is checked, and the handler then answers NotFoundException.
 */
export async function resourceArn(c: CallContext, given: string, aliases: boolean): Promise<string> {
  try {
    return arnOf(await findKey(c, given, aliases));
  } catch (e) {
    if (!isAwsError(e) || e.code !== 'NotFoundException') throw e;
    const ref = parseKeyReference(given, c.accountId, c.region);
    return ref.kind === 'alias' ? aliasArn(ref.account, ref.region, ref.aliasName) : keyArn(ref.account, ref.region, ref.keyId);
  }
}

/** AWS managed keys can only be read through the KMS API; their service uses them through KmsService. */
export function assertCustomerManaged(c: CallContext, key: KeyRow, operation: string): void {
  if (key.manager === 'AWS') throw deniedByManagedKeyPolicy(c.principal.arn, `kms:${operation}`, arnOf(key));
}

/** `kms:EncryptionContext:<key>` and `kms:EncryptionContextKeys`, for policies that constrain the context. */
export function contextConditions(context: Record<string, string> | undefined): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (!context) return out;
  for (const [k, v] of Object.entries(context)) out[`kms:EncryptionContext:${k}`] = v;
  out['kms:EncryptionContextKeys'] = Object.keys(context);
  return out;
}

/** `aws:RequestTag/<key>` and `aws:TagKeys` for operations that set tags. */
export function tagConditions(tags: readonly { TagKey: string; TagValue: string }[] | undefined): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (!tags) return out;
  for (const t of tags) out[`aws:RequestTag/${t.TagKey}`] = t.TagValue;
  out['aws:TagKeys'] = tags.map((t) => t.TagKey);
  return out;
}

/** Operations on one key named by id or ARN: the key ARN is the IAM resource. */
export const byKeyId = z.object({ KeyId: keyIdType });
export const keyResource = async (i: { KeyId: string }, c: CallContext) => [await resourceArn(c, i.KeyId, false)];
