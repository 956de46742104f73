import { Command } from 'commander';
import { AGENT_VERSION } from '@capstan/agent';
import { registerAgentCommands } from './commands/agent.js';

// The entry of the self-contained agent (`npm run build:agent`): `capstan agent …` and nothing
// else, bundled into one file and into a single executable for nodes without Node.js. The
// subcommands and flags are those of `capstan agent`; the word `agent` may be left out, so
// `capstan-agent run` and `capstan-agent agent run` (how the systemd unit and documents call it)
// are the same.
const program = new Command();
program.name('capstan-agent').description('the Capstan agent: makes this machine a managed node of a Capstan server').version(AGENT_VERSION);
registerAgentCommands(program);

const argv = process.argv.slice();
if (argv[2] !== 'agent' && argv[2] !== '--version' && argv[2] !== '-V') argv.splice(2, 0, 'agent');
program.parseAsync(argv).catch((err: unknown) => {
  const e = err as { name?: string; message?: string };
  console.error(`capstan-agent: ${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e.message ?? String(err)}`);
  process.exit(1);
});
