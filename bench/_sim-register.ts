// Registration for the benches' simulated agents: each its own Ed25519 key pair, as a real
// machine would have, `inFlight` registrations at a time.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';

export interface Activation {
  id: string;
  code: string;
  count: number;
}

/** Registers `sum(count)` agents numbered from `first`; calls `registered` for each success. */
export async function registerSimulated(
  url: string,
  activations: readonly Activation[],
  inFlight: number,
  first: number,
  registered: (n: number, key: KeyObject, instanceId: string) => void,
): Promise<{ failed: number; error?: string }> {
  const jobs = activations.flatMap((a) => Array.from({ length: a.count }, () => a));
  let next = 0;
  let failed = 0;
  let error: string | undefined;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < jobs.length) {
        const n = first + next;
        const a = jobs[next++]!;
        const { publicKey, privateKey } = generateKeyPairSync('ed25519');
        try {
          const res = await fetch(`${url}/capstan/agent/v1/register`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ activationId: a.id, activationCode: a.code, publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'), region: 'us-east-1', hostname: `sim-${n}` }),
          });
          const body = (await res.json()) as { instanceId?: string; error?: string };
          if (!res.ok || !body.instanceId) throw new Error(body.error ?? `HTTP ${res.status}`);
          registered(n, privateKey, body.instanceId);
        } catch (e) {
          failed++;
          error = (e as Error).message;
        }
      }
    }),
  );
  return { failed, ...(error ? { error } : {}) };
}
