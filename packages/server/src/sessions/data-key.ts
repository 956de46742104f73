import { randomUUID } from 'node:crypto';
import { session as wire } from '@capstan/wire';
import { timeOrderedId } from '../audit/ids.js';
import { kmsService } from '../kms/index.js';
import { instanceArn } from '../nodes/index.js';
import type { CallContext } from '../protocol/context.js';
import { AwsError } from '../protocol/errors.js';
import { invalidDocument } from './errors.js';
import { ACTIVE, PREFERENCES_DOCUMENT, sessionArn, type SessionService } from './service.js';

/** KMS's largest CiphertextBlob; a data key's blob is far smaller. */
const MAX_BLOB_BYTES = 6144;

/**
 * The ARN of the key the preferences name, which must exist and be enabled: a session that
 * could never complete its handshake is refused at StartSession, before anything is stored.
 */
export async function sessionKeyArn(call: CallContext, keyId: string): Promise<string> {
  let key;
  try {
    key = await kmsService(call.core).describe(call.accountId, call.region, keyId);
  } catch (e) {
    if (e instanceof AwsError && e.code === 'NotFoundException') {
      throw invalidDocument(`The session preferences (${PREFERENCES_DOCUMENT}) name KMS key ${keyId}, which does not exist.`);
    }
    throw e;
  }
  if (key.state !== 'Enabled') throw invalidDocument(`The session preferences (${PREFERENCES_DOCUMENT}) name KMS key ${key.arn}, which is ${key.state}: sessions cannot be encrypted with it.`);
  return key.arn;
}

/**
 * Opens a session's data key for the node running it. Capstan's agents hold no KMS credentials;
 * they ask over their session socket, which proved the node's identity and is bound to one
 * session. The key opens only if it was made under the session's KMS key (as the preferences
 * named it at StartSession), bound to exactly this session and this node (the encryption
 * context is built here, never taken from the agent), while the session is active and the key
 * enabled: a node cannot have any other ciphertext decrypted this way.
 */
export async function openSessionDataKey(svc: SessionService, sessionId: string, instanceId: string, req: wire.DataKeyRequest): Promise<wire.DataKeyReply> {
  const refuse = (message: string): wire.DataKeyReply => ({ type: 'kms-error', requestId: req.requestId, message });
  const row = await svc.db.selectFrom('sessions').selectAll().where('session_id', '=', sessionId).executeTakeFirst();
  if (!row || row.target !== instanceId || !ACTIVE.includes(row.status)) return refuse(`session ${sessionId} is not active on ${instanceId}`);
  if (!row.kms_key_id) return refuse(`session ${sessionId} is not KMS-encrypted`);
  if (!wire.isBase64(req.ciphertextBlob) || req.ciphertextBlob.length === 0) return refuse('ciphertextBlob must be base64');
  const blob = Buffer.from(req.ciphertextBlob, 'base64');
  if (blob.length > MAX_BLOB_BYTES) return refuse(`ciphertextBlob is over ${MAX_BLOB_BYTES} bytes`);
  const kms = kmsService(svc.core);
  if (kms.keyArnOfBlob(row.account_id, row.region, blob) !== row.kms_key_id) return refuse(`the data key was not made under the session's KMS key ${row.kms_key_id}`);
  let plaintext: Buffer;
  try {
    plaintext = (await kms.decrypt(row.account_id, row.region, blob, wire.sessionEncryptionContext(row.session_id, row.target))).plaintext;
  } catch (e) {
    if (!(e instanceof AwsError)) throw e;
    if (e.code === 'InvalidCiphertextException') return refuse(`the data key is not bound to session ${row.session_id} on ${row.target}`);
    return refuse(`KMS refused to decrypt the data key: ${e.code}${e.message ? `: ${e.message}` : ''}`);
  }
  if (plaintext.length !== wire.DATA_KEY_BYTES) return refuse(`the data key has ${plaintext.length} bytes, not ${wire.DATA_KEY_BYTES}`);
  auditDecrypt(svc, row.account_id, row.region, row.session_id, row.target, row.kms_key_id);
  return { type: 'kms-data-key', requestId: req.requestId, plaintext: plaintext.toString('base64') };
}

/** The node's kms:Decrypt in the audit trail, as AWS records the instance role's. */
function auditDecrypt(svc: SessionService, account: string, region: string, sessionId: string, target: string, keyArn: string): void {
  const now = svc.core.clock.now();
  const resources = [
    { type: 'AWS::KMS::Key', name: keyArn },
    { type: 'AWS::SSM::Session', name: sessionArn(region, account, sessionId) },
  ];
  svc.core.audit.record({
    event: {
      event_id: timeOrderedId(now),
      request_id: randomUUID(),
      account_id: account,
      region,
      event_time: now,
      event_source: 'kms.amazonaws.com',
      event_name: 'Decrypt',
      read_only: 1,
      principal_arn: instanceArn(region, account, target),
      principal_id: target,
      principal_type: 'AWSService',
      username: target,
      access_key_id: '',
      source_ip: '',
      user_agent: 'capstan-session-relay',
      error_code: null,
      error_message: null,
      request_parameters: JSON.stringify({ encryptionContext: wire.sessionEncryptionContext(sessionId, target), encryptionAlgorithm: 'SYMMETRIC_DEFAULT' }),
      resources: JSON.stringify(resources),
    },
    resources,
  });
}
