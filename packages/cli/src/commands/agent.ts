import type { Command } from 'commander';
import { resolve } from 'node:path';
import { defaultStateDir, register, runAgent } from '@capstan/agent';

export function registerAgentCommands(program: Command): void {
  const agent = program.command('agent').description('run this machine as a managed node of a Capstan server');
  agent
    .command('register')
    .description('register this machine with a hybrid activation and keep its identity in the state directory')
    .requiredOption('--endpoint <url>', 'the Capstan server, e.g. https://capstan.example.com:9700')
    .requiredOption('--activation-id <id>', 'ActivationId from CreateActivation')
    .requiredOption('--activation-code <code>', 'ActivationCode from CreateActivation')
    .option('--region <region>', 'region of the activation')
    .option('--state-dir <dir>', 'where the identity and private key live', defaultStateDir())
    .action(async (o: { endpoint: string; activationId: string; activationCode: string; region?: string; stateDir: string }) => {
      const id = await register({ endpoint: o.endpoint, activationId: o.activationId, activationCode: o.activationCode, stateDir: resolve(o.stateDir), ...(o.region ? { region: o.region } : {}) });
      console.log(`registered as ${id.instanceId} (account ${id.accountId}, ${id.region})`);
    });
  agent
    .command('run')
    .description('hold the control channel to the server open, reconnecting after failures')
    .option('--state-dir <dir>', 'where the identity and private key live', defaultStateDir())
    .action(async (o: { stateDir: string }) => {
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      process.once('SIGTERM', () => stop.abort());
      await runAgent({ stateDir: resolve(o.stateDir), signal: stop.signal });
    });
}
