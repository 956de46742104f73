import { generateKeyPairSync } from 'node:crypto';
import { hostname } from 'node:os';
import { saveIdentity, type Identity } from './state.js';
import { checkEndpoint, postJson, type Trust } from './trust.js';

export interface RegisterOptions {
  endpoint: string;
  activationId: string;
  activationCode: string;
  region?: string;
  stateDir: string;
  trust?: Trust;
}

/** Makes a fresh key pair and registers it; a new registration replaces the old identity. */
export async function register(o: RegisterOptions): Promise<Identity> {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const endpoint = o.endpoint.replace(/\/+$/, '');
  checkEndpoint(endpoint, o.trust);
  const res = await postJson(
    endpoint,
    '/capstan/agent/v1/register',
    {
      activationId: o.activationId,
      activationCode: o.activationCode,
      publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
      ...(o.region ? { region: o.region } : {}),
      hostname: hostname(),
    },
    o.trust,
  );
  const body = res.body as { instanceId?: string; accountId?: string; region?: string; error?: string };
  if (res.status !== 200 || !body.instanceId) throw new Error(body.error ?? `registration failed with HTTP ${res.status}`);
  const trust = o.trust && (o.trust.caFile || o.trust.pinSha256) ? { trust: o.trust } : {};
  const identity: Identity = { instanceId: body.instanceId, accountId: body.accountId!, region: body.region!, endpoint, ...trust, keyCreatedAt: Date.now() };
  saveIdentity(o.stateDir, identity, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  return identity;
}
