import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { CallContext } from '../protocol/context.js';
import { AwsError, isAwsError } from '../protocol/errors.js';
import { kmsService } from '../kms/index.js';
import { invalidKeyId } from './errors.js';

export const DEFAULT_KEY = 'alias/aws/ssm';
const FORMAT = 'v1';

/** AWS binds a SecureString's ciphertext to its parameter with this encryption-context key. */
const contextFor = (arn: string) => ({ PARAMETER_ARN: arn });

/**
 * Envelope encryption: KMS issues a data key bound to the parameter's ARN, the value is sealed
 * with it (AES-256-GCM, ARN as associated data) and only the data key's KMS blob is kept, so a
 * copied database holds no plaintext and no usable key.
 */
export async function encryptValue(call: CallContext, keyId: string, arn: string, value: string): Promise<{ envelope: string; keyArn: string }> {
  const kms = kmsService(call.core);
  const key = await kms.describe(call.accountId, call.region, keyId).catch((e: unknown) => {
    throw asInvalidKey(e, keyId);
  });
  // The AWS-managed key's policy lets every SSM user of the account use it through SSM;
  // customer-managed keys need the caller's own permission, as in AWS.
  if (key.manager === 'CUSTOMER') await call.authorize('kms:Encrypt', [key.arn]);
  const dataKey = await kms.generateDataKey(call.accountId, call.region, key.arn, contextFor(arn)).catch((e: unknown) => {
    throw asInvalidKey(e, keyId);
  });
  try {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', dataKey.plaintext, iv);
    cipher.setAAD(Buffer.from(arn));
    const body = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    const sealed = Buffer.concat([iv, cipher.getAuthTag(), body]);
    return { envelope: `${FORMAT}:${dataKey.ciphertextBlob.toString('base64')}:${sealed.toString('base64')}`, keyArn: dataKey.keyArn };
  } finally {
    dataKey.plaintext.fill(0);
  }
}

export async function decryptValue(call: CallContext, arn: string, envelope: string): Promise<string> {
  const [format, blob64, sealed64] = envelope.split(':');
  if (format !== FORMAT || !blob64 || !sealed64) throw new AwsError('InternalServerError', 'A stored SecureString is damaged.', { status: 500, messageMember: 'Message' });
  const kms = kmsService(call.core);
  const blob = Buffer.from(blob64, 'base64');
  const keyArn = kms.keyArnOfBlob(call.accountId, call.region, blob);
  if (!keyArn) throw invalidKeyId('The key that encrypted this parameter cannot be found.');
  const key = await kms.describe(call.accountId, call.region, keyArn).catch((e: unknown) => {
    throw asInvalidKey(e, keyArn);
  });
  if (key.manager === 'CUSTOMER') await call.authorize('kms:Decrypt', [key.arn]);
  const { plaintext: dataKey } = await kms.decrypt(call.accountId, call.region, blob, contextFor(arn)).catch((e: unknown) => {
    throw asInvalidKey(e, keyArn);
  });
  try {
    const sealed = Buffer.from(sealed64, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', dataKey, sealed.subarray(0, 12));
    decipher.setAAD(Buffer.from(arn));
    decipher.setAuthTag(sealed.subarray(12, 28));
    return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8');
  } finally {
    dataKey.fill(0);
  }
}

/** What GetParameter shows of a SecureString read without decryption: the opaque ciphertext. */
export const encryptedView = (envelope: string) => Buffer.from(envelope).toString('base64');

/** An unknown key is SSM's InvalidKeyId; a disabled or deleted key keeps KMS's own error. */
function asInvalidKey(e: unknown, keyId: string): unknown {
  if (isAwsError(e) && e.code === 'NotFoundException') return invalidKeyId(`The key ${keyId} is not valid: ${e.message}`);
  return e;
}
