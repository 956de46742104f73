import { randomBytes } from 'node:crypto';
import { keyArn } from './arn.js';
import { decryptBlob, encryptBlob, materialId, parseBlob } from './crypto.js';
import { incorrectKey, invalidCiphertext, keyNotFound } from './errors.js';
import { arnOf, assertUsable, type Keyring } from './keyring.js';
import type { KeyRow } from './tables.js';

export interface Sealed {
  ciphertextBlob: Buffer;
  keyArn: string;
  materialId: string;
}

export interface Opened {
  plaintext: Buffer;
  key: KeyRow;
  keyArn: string;
  materialId: string;
}

/** Encryption under a key's newest material; decryption under the version a blob names. */
export class Envelope {
  constructor(private readonly keyring: Keyring) {}

  async encrypt(key: KeyRow, plaintext: Buffer, context: Record<string, string>): Promise<Sealed> {
    assertUsable(key);
    const ref = { account: key.account_id, region: key.region, keyId: key.key_id, version: key.current_version };
    const material = await this.keyring.material(ref);
    // The row said the version exists; only a deletion racing this call removes it.
    if (!material) throw keyNotFound(arnOf(key));
    return { ciphertextBlob: encryptBlob(ref, material, plaintext, context), keyArn: arnOf(key), materialId: materialId(key.key_id, ref.version) };
  }

  async generateDataKey(key: KeyRow, bytes: number, context: Record<string, string>): Promise<Sealed & { plaintext: Buffer }> {
    assertUsable(key);
    const plaintext = randomBytes(bytes);
    return { ...(await this.encrypt(key, plaintext, context)), plaintext };
  }

  /**
   * A blob made in this account and region, with the context it was made with. `expected` is the
   * key the caller named, if any: a blob of another key is IncorrectKeyException, as in KMS.
   */
  async decrypt(account: string, region: string, blob: Buffer, context: Record<string, string>, expected?: KeyRow): Promise<Opened> {
    const parsed = parseBlob(blob);
    if (!parsed || parsed.account !== account || parsed.region !== region) throw invalidCiphertext();
    if (expected && expected.key_id !== parsed.keyId) throw incorrectKey();
    const key = await this.keyring.load(account, region, parsed.keyId);
    if (!key) throw keyNotFound(keyArn(account, region, parsed.keyId));
    assertUsable(key);
    const material = await this.keyring.material(parsed);
    const plaintext = material && decryptBlob(parsed, material, context);
    if (!plaintext) throw invalidCiphertext();
    return { plaintext, key, keyArn: arnOf(key), materialId: materialId(key.key_id, parsed.version) };
  }

  /** The key ARN a blob names, without decrypting it; undefined unless it is ours, from here. */
  keyArnOf(account: string, region: string, blob: Buffer): string | undefined {
    const parsed = parseBlob(blob);
    if (!parsed || parsed.account !== account || parsed.region !== region) return undefined;
    return keyArn(account, region, parsed.keyId);
  }
}
