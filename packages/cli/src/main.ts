import { Command } from 'commander';
import { registerAgentCommands } from './commands/agent.js';
import { registerAccountCommands } from './commands/account.js';
import { registerAuditCommands } from './commands/audit.js';
import { registerIamCommands } from './commands/iam.js';
import { registerServerCommands } from './commands/server.js';
import { registerThrottleCommands } from './commands/throttle.js';

const program = new Command();
program.name('capstan').description('Capstan: a self-hosted systems manager for fleets of servers, wire-compatible with AWS Systems Manager');
registerServerCommands(program);
registerIamCommands(program);
registerAccountCommands(program);
registerThrottleCommands(program);
registerAuditCommands(program);
registerAgentCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  const e = err as { name?: string; message?: string };
  console.error(`capstan: ${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e.message ?? String(err)}`);
  process.exit(1);
});
