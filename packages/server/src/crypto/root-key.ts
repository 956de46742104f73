import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';

/**
 * The root key seals every secret the database holds (access-key secrets, KMS key material),
 * so a copied database reveals nothing. It lives outside the database: a 0600 file in the data
 * directory by default, or a file or an environment variable the operator names.
 */
export interface RootKeySource {
  /** Base64 of 32 bytes, e.g. from CAPSTAN_ROOT_KEY. */
  value?: string;
  /** Path of a file holding the base64 key; created 0600 when absent. */
  file?: string;
}

export function loadRootKey(source: RootKeySource): Buffer {
  if (source.value) return decode(source.value, 'CAPSTAN_ROOT_KEY');
  if (!source.file) throw new Error('no root key: give a key file or CAPSTAN_ROOT_KEY');
  if (!existsSync(source.file)) {
    writeFileSync(source.file, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  }
  const mode = statSync(source.file).mode & 0o077;
  if (mode !== 0) throw new Error(`root key file ${source.file} is readable by others (mode ${(statSync(source.file).mode & 0o777).toString(8)}); chmod 600 it`);
  return decode(readFileSync(source.file, 'utf8').trim(), source.file);
}

function decode(text: string, where: string): Buffer {
  const key = Buffer.from(text, 'base64');
  if (key.length !== 32) throw new Error(`root key in ${where} must be 32 bytes of base64`);
  return key;
}
