import { generateKeyPairSync } from 'node:crypto';
import { hostname } from 'node:os';
import { saveIdentity, type Identity } from './state.js';

export interface RegisterOptions {
  endpoint: string;
  activationId: string;
  activationCode: string;
  region?: string;
  stateDir: string;
}

/** Makes a fresh key pair and registers it; a new registration replaces the old identity. */
export async function register(o: RegisterOptions): Promise<Identity> {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const endpoint = o.endpoint.replace(/\/+$/, '');
  const res = await fetch(`${endpoint}/capstan/agent/v1/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      activationId: o.activationId,
      activationCode: o.activationCode,
      publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
      ...(o.region ? { region: o.region } : {}),
      hostname: hostname(),
    }),
  });
  const body = (await res.json().catch(() => ({}))) as { instanceId?: string; accountId?: string; region?: string; error?: string };
  if (!res.ok || !body.instanceId) throw new Error(body.error ?? `registration failed with HTTP ${res.status}`);
  const identity: Identity = { instanceId: body.instanceId, accountId: body.accountId!, region: body.region!, endpoint };
  saveIdentity(o.stateDir, identity, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  return identity;
}
