import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { challengeBytes } from '@capstan/wire';
import { loadIdentity, saveIdentity } from './state.js';

const NEXT = 'private-key.next.pem';

/** When the node's key was made: recorded at registration and rotation, else the key file's age. */
export function keyAge(stateDir: string, now = Date.now()): number {
  const { identity } = loadIdentity(stateDir);
  return now - (identity.keyCreatedAt ?? statSync(join(stateDir, 'private-key.pem')).mtimeMs);
}

/**
 * Phase one, on the node: a new key pair, written beside the current key before the server hears
 * of it, and the proof of holding it (a signature of this connection's challenge).
 */
export function stageNextKey(stateDir: string, instanceId: string, nonceBase64: string): { publicKey: string; proof: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const path = join(stateDir, NEXT);
  writeFileSync(`${path}.tmp`, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode: 0o600 });
  chmodSync(`${path}.tmp`, 0o600);
  renameSync(`${path}.tmp`, path);
  return {
    publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
    proof: sign(null, challengeBytes(Buffer.from(nonceBase64, 'base64'), instanceId), privateKey as KeyObject).toString('base64'),
  };
}

/**
 * Phase two, on the node, once the server has staged the new key: it becomes the node's key.
 * The server still accepts the old one until the first hello signed with the new one, so a
 * crash anywhere in between leaves the node with a key the server takes.
 */
export function promoteNextKey(stateDir: string): void {
  const path = join(stateDir, NEXT);
  if (!existsSync(path)) return;
  const { identity } = loadIdentity(stateDir);
  saveIdentity(stateDir, { ...identity, keyCreatedAt: Date.now() }, readFileSync(path, 'utf8'));
  renameSync(path, `${path}.done`);
  writeFileSync(`${path}.done`, '', { mode: 0o600 });
}
