/**
 * What @capstan/wire/session takes from `node:crypto`, for the browser bundle (Vite aliases
 * `node:crypto` here). Only these two: a wider shim would hide a new Node dependency of the wire
 * library until it failed at run time in a browser.
 */
import { sha256 } from '@noble/hashes/sha2.js';

export interface Hash {
  update(data: Uint8Array): Hash;
  digest(): Buffer;
}

/**
 * SHA-256 synchronously, as the AgentMessage codec needs it in the middle of encoding a frame;
 * WebCrypto's digest is asynchronous and missing outside secure contexts (plain http).
 */
export function createHash(algorithm: 'sha256'): Hash {
  if (algorithm !== 'sha256') throw new Error(`createHash: only sha256 is available in the browser, not ${String(algorithm)}`);
  const h = sha256.create();
  const hash: Hash = {
    update(data) {
      h.update(data);
      return hash;
    },
    // the global Buffer (./buffer.ts in the browser): the codec copies the digest into a frame
    digest: () => Buffer.from(h.digest()),
  };
  return hash;
}

/**
 * crypto.randomUUID exists only in secure contexts; a console reached over plain http on a LAN
 * address still has getRandomValues, so the version-4 UUID is built from that there.
 */
export function randomUUID(): string {
  const c = globalThis.crypto;
  if (typeof c.randomUUID === 'function') return c.randomUUID();
  const b = c.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
