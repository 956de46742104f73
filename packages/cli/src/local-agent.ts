import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { IdentityRefused, loadIdentity, register, runAgent, saveIdentity, type Trust } from '@capstan/agent';
import { nodeService, type RunningServer } from '@capstan/server';

const REGION = 'us-east-1';

/**
 * The node `capstan start` manages itself, so a new user sees one Online node at once. Its
 * identity lives in DIR/agent and is reused on later starts; the first start registers it with
 * a single-use activation of the admin account, made through the server's own service because
 * the admin's secret is not kept in memory on a restart.
 */
export async function startLocalAgent(server: RunningServer, dataDir: string, trust?: Trust): Promise<{ instanceId: string; stop: () => void }> {
  const stateDir = join(dataDir, 'agent');
  if (!existsSync(join(stateDir, 'identity.json'))) {
    const accounts = await server.core.iam.listAccounts();
    const account = server.bootstrap?.accountId ?? (accounts.find((a) => a.name === 'admin') ?? accounts[0])?.id;
    if (!account) throw new Error('no account to register the local agent in');
    const now = server.core.clock.now();
    const activation = await nodeService(server.core).createActivation(account, REGION, now, {
      IamRole: 'SSMServiceRole',
      Description: 'local agent of capstan start',
      DefaultInstanceName: 'capstan-local',
      RegistrationLimit: 1,
    });
    await register({ endpoint: server.url, activationId: activation.ActivationId, activationCode: activation.ActivationCode, region: REGION, stateDir, ...(trust ? { trust } : {}) });
  }
  const { identity, privateKeyPem } = loadIdentity(stateDir);
  // --listen (and with it the server's own certificate) may differ from the last start: follow the server.
  if (identity.endpoint !== server.url || JSON.stringify(identity.trust ?? {}) !== JSON.stringify(trust ?? {})) {
    const { trust: _old, ...rest } = identity;
    saveIdentity(stateDir, { ...rest, endpoint: server.url, ...(trust ? { trust } : {}) }, privateKeyPem);
  }
  const stop = new AbortController();
  const log = (line: string) => console.log(`agent: ${line}`);
  void runAgent({ stateDir, signal: stop.signal, log }).catch((e: unknown) => {
    // A deregistered local node should not take the server down with it.
    if (e instanceof IdentityRefused) console.error(`agent: ${e.message}; delete ${stateDir} and restart to register a new local node`);
    else console.error(`agent: stopped: ${(e as Error).message}`);
  });
  return { instanceId: identity.instanceId, stop: () => stop.abort() };
}
