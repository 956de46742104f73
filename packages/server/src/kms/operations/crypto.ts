import { z } from 'zod';
import type { CallContext } from '../../protocol/context.js';
import { defineOperation as op, type AnyOperation } from '../../protocol/registry.js';
import { KMS } from '../../protocol/services.js';
import { dryRunSucceeded, invalidCiphertext, invalidKeyUsage, unsupported, validation } from '../errors.js';
import { arnOf } from '../keyring.js';
import { blobType, encryptionAlgorithm, encryptionContext, grantTokens, keyIdType, recipientInfo } from '../schema.js';
import type { KeyRow } from '../tables.js';
import { assertCustomerManaged, contextConditions, findKey, resourceArn, svc } from './common.js';

/**
 * Cryptographic operations change nothing stored, so they draw on the read budget; CloudTrail
 * also records them as read-only.
 */
const throttle = 'read' as const;

/** Checks shared by the three operations once the key is known; DryRun stops here, as in KMS. */
function precheck(c: CallContext, key: KeyRow, operation: string, i: { EncryptionAlgorithm?: string | undefined; Recipient?: unknown; DryRun?: boolean | undefined }): void {
  assertCustomerManaged(c, key, operation);
  if (i.EncryptionAlgorithm !== undefined && i.EncryptionAlgorithm !== 'SYMMETRIC_DEFAULT') {
    throw invalidKeyUsage(`${arnOf(key)} key spec is SYMMETRIC_DEFAULT, which does not support ${i.EncryptionAlgorithm}.`);
  }
  if (i.Recipient !== undefined) throw unsupported('Recipient (AWS Nitro Enclaves) is not supported.');
}

const encrypt = op({
  service: KMS, name: 'Encrypt', throttle,
  input: z.object({
    KeyId: keyIdType, Plaintext: blobType(1, 4096), EncryptionContext: encryptionContext.optional(), GrantTokens: grantTokens.optional(),
    EncryptionAlgorithm: encryptionAlgorithm.optional(), DryRun: z.boolean().optional(),
  }),
  sensitive: ['Plaintext'],
  resources: async (i, c) => [await resourceArn(c, i.KeyId, true)],
  conditionKeys: (i) => contextConditions(i.EncryptionContext),
  handler: async (i, c) => {
    const key = await findKey(c, i.KeyId, true);
    precheck(c, key, 'Encrypt', i);
    if (i.DryRun) throw dryRunSucceeded();
    const out = await svc(c).envelope.encrypt(key, i.Plaintext, i.EncryptionContext ?? {});
    return { CiphertextBlob: out.ciphertextBlob, KeyId: out.keyArn, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
  },
});

const decrypt = op({
  service: KMS, name: 'Decrypt', throttle,
  input: z.object({
    CiphertextBlob: blobType(1, 6144), EncryptionContext: encryptionContext.optional(), GrantTokens: grantTokens.optional(), KeyId: keyIdType.optional(),
    EncryptionAlgorithm: encryptionAlgorithm.optional(), Recipient: recipientInfo.optional(), DryRun: z.boolean().optional(),
  }),
  sensitive: ['CiphertextBlob'],
  // The key is the one the blob names; a blob that names none of ours is refused before authorization.
  resources: async (i, c) => {
    if (i.KeyId !== undefined) return [await resourceArn(c, i.KeyId, true)];
    const arn = svc(c).keyArnOfBlob(c.accountId, c.region, i.CiphertextBlob);
    if (!arn) throw invalidCiphertext();
    return [arn];
  },
  conditionKeys: (i) => contextConditions(i.EncryptionContext),
  handler: async (i, c) => {
    const expected = i.KeyId !== undefined ? await findKey(c, i.KeyId, true) : undefined;
    const out = await svc(c).envelope.decrypt(c.accountId, c.region, i.CiphertextBlob, i.EncryptionContext ?? {}, expected);
    precheck(c, out.key, 'Decrypt', i);
    if (i.DryRun) throw dryRunSucceeded();
    return { KeyId: out.keyArn, Plaintext: out.plaintext, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT', KeyMaterialId: out.materialId };
  },
});

const generateDataKey = op({
  service: KMS, name: 'GenerateDataKey', throttle,
  input: z.object({
    KeyId: keyIdType, EncryptionContext: encryptionContext.optional(), NumberOfBytes: z.number().int().min(1).max(1024).optional(),
    KeySpec: z.enum(['AES_256', 'AES_128']).optional(), GrantTokens: grantTokens.optional(), Recipient: recipientInfo.optional(), DryRun: z.boolean().optional(),
  }),
  // KMS checks that exactly one of KeySpec and NumberOfBytes is given before it looks at the key.
  resources: async (i, c) => {
    if ((i.KeySpec === undefined) === (i.NumberOfBytes === undefined)) throw validation('Please specify either number of bytes or key spec.');
    return [await resourceArn(c, i.KeyId, true)];
  },
  conditionKeys: (i) => contextConditions(i.EncryptionContext),
  handler: async (i, c) => {
    const key = await findKey(c, i.KeyId, true);
    precheck(c, key, 'GenerateDataKey', i);
    if (i.DryRun) throw dryRunSucceeded();
    const bytes = i.NumberOfBytes ?? (i.KeySpec === 'AES_128' ? 16 : 32);
    const out = await svc(c).envelope.generateDataKey(key, bytes, i.EncryptionContext ?? {});
    return { CiphertextBlob: out.ciphertextBlob, Plaintext: out.plaintext, KeyId: out.keyArn, KeyMaterialId: out.materialId };
  },
});

export const cryptoOperations: AnyOperation[] = [encrypt, decrypt, generateDataKey];
