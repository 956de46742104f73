import { createCipheriv, createDecipheriv, createHash, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { seal, unseal } from '../crypto/seal.js';
import { keyArn, UUID } from './arn.js';

/** One version of one key's material, as blobs name it. */
export interface MaterialRef {
  account: string;
  region: string;
  keyId: string;
  version: number;
}

export const MATERIAL_BYTES = 32;
const MAGIC = 0xc5;
const FORMAT = 0x01;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

export const newMaterial = () => randomBytes(MATERIAL_BYTES);

/** Binds sealed material to its key and version, so a sealed value moved to another row fails to open. */
const materialContext = (r: MaterialRef) => `capstan:kms:key-material:${r.account}:${r.region}:${r.keyId}:${r.version}`;

export const sealMaterial = (rootKey: Buffer, ref: MaterialRef, material: Buffer) => seal(rootKey, material, materialContext(ref));

/** The unsealed material as a key object: importing it once saves work on every later use. */
export function unsealMaterial(rootKey: Buffer, ref: MaterialRef, sealed: string): KeyObject {
  const material = unseal(rootKey, sealed, materialContext(ref));
  try {
    return createSecretKey(material);
  } finally {
    material.fill(0);
  }
}

const materialIds = new Map<string, string>();
const MATERIAL_IDS_KEPT = 10_000;

/**
 * KMS reports a key material id of 64 hex digits; ours names the version without revealing the
 * material. Every decryption reports one, so each is hashed once and kept.
 */
export function materialId(keyId: string, version: number): string {
  const name = `capstan:kms:key-material-id:${keyId}:${version}`;
  let id = materialIds.get(name);
  if (id === undefined) {
    id = createHash('sha256').update(name).digest('hex');
    if (materialIds.size >= MATERIAL_IDS_KEPT) materialIds.clear();
    materialIds.set(name, id);
  }
  return id;
}

/**
 * The encryption context as additional authenticated data: pairs sorted by key, as JSON, so the
 * same context always gives the same bytes whatever order the caller wrote it in.
 */
export function canonicalContext(context: Record<string, string>): Buffer {
  const pairs = Object.entries(context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Buffer.from(JSON.stringify(pairs), 'utf8');
}

/**
 * A ciphertext blob is opaque to clients. It carries what decryption needs without a key id from
 * the caller: format, key id, material version, account and region (together: the key ARN), then
 * a fresh IV, the GCM tag and the ciphertext. The whole header, the key ARN and the encryption
 * context are authenticated, so no part can be altered or moved to another key or account.
 */
function header(ref: MaterialRef): Buffer {
  const region = Buffer.from(ref.region, 'ascii');
  const out = Buffer.alloc(2 + 16 + 4 + 12 + 1 + region.length);
  out[0] = MAGIC;
  out[1] = FORMAT;
  Buffer.from(ref.keyId.replace(/-/g, ''), 'hex').copy(out, 2);
  out.writeUInt32BE(ref.version, 18);
  out.write(ref.account, 22, 'ascii');
  out[34] = region.length;
  region.copy(out, 35);
  return out;
}

function aad(head: Buffer, ref: MaterialRef, context: Record<string, string>): Buffer {
  return Buffer.concat([head, Buffer.from(keyArn(ref.account, ref.region, ref.keyId), 'utf8'), Buffer.from([0]), canonicalContext(context)]);
}

export function encryptBlob(ref: MaterialRef, key: KeyObject, plaintext: Buffer, context: Record<string, string>): Buffer {
  const head = header(ref);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad(head, ref, context));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([head, iv, cipher.getAuthTag(), body]);
}

export interface ParsedBlob extends MaterialRef {
  head: Buffer;
  iv: Buffer;
  tag: Buffer;
  body: Buffer;
}

/** Reads a blob's header; undefined when it is not one of ours. Nothing is decrypted. */
export function parseBlob(blob: Buffer): ParsedBlob | undefined {
  if (blob.length < 35 || blob[0] !== MAGIC || blob[1] !== FORMAT) return undefined;
  const regionLength = blob[34]!;
  const headLength = 35 + regionLength;
  if (blob.length < headLength + IV_BYTES + TAG_BYTES) return undefined;
  const hex = blob.subarray(2, 18).toString('hex');
  const keyId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  const account = blob.subarray(22, 34).toString('ascii');
  const region = blob.subarray(35, headLength).toString('ascii');
  if (!UUID.test(keyId) || !ACCOUNT.test(account) || !REGION.test(region)) return undefined;
  return {
    keyId,
    version: blob.readUInt32BE(18),
    account,
    region,
    head: blob.subarray(0, headLength),
    iv: blob.subarray(headLength, headLength + IV_BYTES),
    tag: blob.subarray(headLength + IV_BYTES, headLength + IV_BYTES + TAG_BYTES),
    body: blob.subarray(headLength + IV_BYTES + TAG_BYTES),
  };
}

/** Undefined when the tag does not verify: wrong context, altered bytes, or another key. */
export function decryptBlob(parsed: ParsedBlob, key: KeyObject, context: Record<string, string>): Buffer | undefined {
  const decipher = createDecipheriv('aes-256-gcm', key, parsed.iv);
  decipher.setAAD(aad(parsed.head, parsed, context));
  decipher.setAuthTag(parsed.tag);
  try {
    return Buffer.concat([decipher.update(parsed.body), decipher.final()]);
  } catch {
    return undefined;
  }
}
