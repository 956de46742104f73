import { Command } from 'commander';

// The SDK warns that its releases after January 2027 will need Node 22; this install pins its
// SDK in package-lock.json, so the warning only adds noise to every command's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const program = new Command();
program.name('capstan').description('Capstan: a self-hosted systems manager for fleets of servers, wire-compatible with AWS Systems Manager');

// `capstan agent …` runs on every node for as long as the node lives: load only the agent's
// code for it, not the server's (database drivers, HTTP framework, AWS clients).
if (process.argv[2] === 'agent') {
  const { registerAgentCommands } = await import('./commands/agent.js');
  registerAgentCommands(program);
} else if (process.argv[2] === 'run') {
  // An operator's everyday command: start fast, without the server's code.
  (await import('./commands/run.js')).registerRunCommands(program);
} else if (process.argv[2] === 'session' || process.argv[2] === 'cp') {
  (await import('./commands/session.js')).registerSessionCommands(program);
} else {
  const [server, iam, account, throttle, audit, agent] = await Promise.all([
    import('./commands/server.js'),
    import('./commands/iam.js'),
    import('./commands/account.js'),
    import('./commands/throttle.js'),
    import('./commands/audit.js'),
    import('./commands/agent.js'),
  ]);
  server.registerServerCommands(program);
  iam.registerIamCommands(program);
  account.registerAccountCommands(program);
  throttle.registerThrottleCommands(program);
  audit.registerAuditCommands(program);
  agent.registerAgentCommands(program);
  (await import('./commands/run.js')).registerRunCommands(program);
  (await import('./commands/nodes.js')).registerNodeCommands(program);
  (await import('./commands/rules.js')).registerRuleCommands(program);
  (await import('./commands/session.js')).registerSessionCommands(program);
  (await import('./commands/package.js')).registerPackageCommands(program);
}

program.parseAsync(process.argv).catch((err: unknown) => {
  const e = err as { name?: string; message?: string };
  console.error(`capstan: ${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e.message ?? String(err)}`);
  process.exit(1);
});
