import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Trust } from './trust.js';

/** Root keeps its identity with the system's state; anyone else in their home. */
export function defaultStateDir(): string {
  return process.getuid?.() === 0 ? '/var/lib/capstan-agent' : join(homedir(), '.capstan-agent');
}

export interface Identity {
  instanceId: string;
  accountId: string;
  region: string;
  endpoint: string;
  /** How the server's certificate is verified (CA file or pinned fingerprint); the system CAs when absent. */
  trust?: Trust;
  /** When the current key pair was made (epoch ms): keys are rotated on a schedule. */
  keyCreatedAt?: number;
}

const IDENTITY = 'identity.json';
const PRIVATE_KEY = 'private-key.pem';

export function prepareStateDir(dir: string): void {
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/** Written to a temporary name and renamed, so a crash never leaves half an identity. */
function writePrivate(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text, { mode: 0o600 });
  chmodSync(`${path}.tmp`, 0o600);
  renameSync(`${path}.tmp`, path);
}

export function saveIdentity(dir: string, identity: Identity, privateKeyPem: string): void {
  prepareStateDir(dir);
  writePrivate(join(dir, PRIVATE_KEY), privateKeyPem);
  writePrivate(join(dir, IDENTITY), `${JSON.stringify(identity, null, 2)}\n`);
}

export function loadIdentity(dir: string): { identity: Identity; privateKeyPem: string } {
  if (!existsSync(join(dir, IDENTITY))) throw new Error(`no identity in ${dir}: run \`capstan agent register\` first`);
  return { identity: JSON.parse(readFileSync(join(dir, IDENTITY), 'utf8')) as Identity, privateKeyPem: readFileSync(join(dir, PRIVATE_KEY), 'utf8') };
}
