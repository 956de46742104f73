/**
 * The AES-256-GCM payload cipher of a KMS-encrypted session (Node only: the browser console does
 * not do KMS sessions, and its `node:crypto` shim has no ciphers, so this module stays out of
 * `@capstan/wire/session` and is reached through `@capstan/wire`).
 *
 * The 64-byte data key splits in two 32-byte AES keys, one per direction: the agent seals with
 * bytes 0–31 and opens with bytes 32–63, the client the other way round. A sealed payload is a
 * random 12-byte nonce, then the GCM ciphertext, then the 16-byte tag; no associated data.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DATA_KEY_BYTES, type PayloadCipher, type EncryptionEnd } from './payload-encryption.js';

export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
const HALF = DATA_KEY_BYTES / 2;

export class PayloadDecryptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadDecryptError';
  }
}

export class SessionCipher implements PayloadCipher {
  private readonly sealKey: Buffer;
  private readonly openKey: Buffer;

  constructor(dataKey: Uint8Array, end: EncryptionEnd) {
    if (dataKey.length !== DATA_KEY_BYTES) throw new RangeError(`a session data key has ${DATA_KEY_BYTES} bytes, not ${dataKey.length}`);
    const first = Buffer.from(dataKey.subarray(0, HALF));
    const second = Buffer.from(dataKey.subarray(HALF));
    this.sealKey = end === 'agent' ? first : second;
    this.openKey = end === 'agent' ? second : first;
  }

  encrypt(plaintext: Uint8Array): Buffer {
    const nonce = randomBytes(NONCE_BYTES);
    const c = createCipheriv('aes-256-gcm', this.sealKey, nonce);
    const body = c.update(plaintext);
    const final = c.final();
    return Buffer.concat([nonce, body, final, c.getAuthTag()]);
  }

  decrypt(sealed: Uint8Array): Buffer {
    if (sealed.length < NONCE_BYTES + TAG_BYTES) throw new PayloadDecryptError(`a sealed payload has at least ${NONCE_BYTES + TAG_BYTES} bytes, this one ${sealed.length}`);
    const b = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    const d = createDecipheriv('aes-256-gcm', this.openKey, b.subarray(0, NONCE_BYTES));
    d.setAuthTag(b.subarray(b.length - TAG_BYTES));
    try {
      return Buffer.concat([d.update(b.subarray(NONCE_BYTES, b.length - TAG_BYTES)), d.final()]);
    } catch {
      throw new PayloadDecryptError('a payload failed authentication: it was altered, or sealed with another key');
    }
  }
}
