import { sign, type KeyObject } from 'node:crypto';

/**
 * The bytes an agent signs to answer the control channel's challenge: the server's nonce, then
 * the instance id, so an answer is good for one connection of one node only.
 */
export function challengeBytes(nonce: Buffer, instanceId: string): Buffer {
  return Buffer.concat([nonce, Buffer.from(instanceId, 'utf8')]);
}

/** The signature (base64) an agent sends in its hello for a challenge's base64 nonce. */
export function answerChallenge(nonceBase64: string, instanceId: string, privateKey: KeyObject): string {
  return sign(null, challengeBytes(Buffer.from(nonceBase64, 'base64'), instanceId), privateKey).toString('base64');
}
