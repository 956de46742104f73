import type { Command } from 'commander';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { DEFAULT_UPDATE_TIMEOUT_MS, defaultStateDir, diagnose, followSupervisor, jitteredRestartSec, keepAgentMemorySmall, register, runAgent, selfCommand, Supervisor, systemdUnit } from '@capstan/agent';

const DEFAULT_UNIT = '/etc/systemd/system/capstan-agent.service';

const hasSystemctl = () => spawnSync('systemctl', ['--version'], { stdio: 'ignore' }).status === 0;

function systemctl(...args: string[]): void {
  const r = spawnSync('systemctl', args, { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`systemctl ${args.join(' ')} failed${r.status === null ? '' : ` with status ${r.status}`}`);
}

export function registerAgentCommands(program: Command): void {
  const agent = program.command('agent').description('run this machine as a managed node of a Capstan server');
  agent
    .command('register')
    .description('register this machine with a hybrid activation and keep its identity in the state directory')
    .requiredOption('--endpoint <url>', 'the Capstan server, e.g. https://capstan.example.com:9700')
    .requiredOption('--activation-id <id>', 'ActivationId from CreateActivation')
    .requiredOption('--activation-code <code>', 'ActivationCode from CreateActivation')
    .option('--region <region>', 'region of the activation')
    .option('--ca-file <pem>', "CA (or self-signed) certificate that issued the server's certificate")
    .option('--pin-sha256 <fingerprint>', "trust exactly the server certificate with this SHA-256 fingerprint (openssl x509 -fingerprint -sha256)")
    .option('--state-dir <dir>', 'where the identity and private key live', defaultStateDir())
    .action(async (o: { endpoint: string; activationId: string; activationCode: string; region?: string; stateDir: string; caFile?: string; pinSha256?: string }) => {
      const trust = { ...(o.caFile ? { caFile: resolve(o.caFile) } : {}), ...(o.pinSha256 ? { pinSha256: o.pinSha256 } : {}) };
      const id = await register({ endpoint: o.endpoint, activationId: o.activationId, activationCode: o.activationCode, stateDir: resolve(o.stateDir), trust, ...(o.region ? { region: o.region } : {}) });
      console.log(`registered as ${id.instanceId} (account ${id.accountId}, ${id.region})`);
    });
  agent
    .command('run')
    .description('hold the control channel to the server open, reconnecting after failures')
    .option('--state-dir <dir>', 'where the identity and private key live', defaultStateDir())
    .option('--apply-associations-on-boot', "ask the server to run this node's State Manager associations after each reboot (overrides the config file)")
    .option('--probe', 'connect once, run no commands, and exit: how the supervisor tries a new release')
    .action(async (o: { stateDir: string; applyAssociationsOnBoot?: boolean; probe?: boolean }) => {
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      process.once('SIGTERM', () => stop.abort());
      followSupervisor(stop);
      keepAgentMemorySmall();
      await runAgent({ stateDir: resolve(o.stateDir), signal: stop.signal, ...(o.applyAssociationsOnBoot ? { applyAssociationsOnBoot: true } : {}), ...(o.probe ? { probe: true } : {}) });
    });
  agent
    .command('supervise')
    .description('run the agent and keep it running; carry out AWS-UpdateSSMAgent updates, rolling back a release that does not connect')
    .option('--state-dir <dir>', 'where the identity and private key live', defaultStateDir())
    .option('--apply-associations-on-boot', "ask the server to run this node's State Manager associations after each reboot (overrides the config file)")
    .option('--update-timeout <seconds>', 'how long a new release has to connect to the server before it is rolled back', String(DEFAULT_UPDATE_TIMEOUT_MS / 1000))
    .action(async (o: { stateDir: string; applyAssociationsOnBoot?: boolean; updateTimeout: string }) => {
      const seconds = Number(o.updateTimeout);
      if (!Number.isFinite(seconds) || seconds < 1 || seconds > 3600) throw new Error(`--update-timeout must be a number of seconds from 1 to 3600, not ${o.updateTimeout}`);
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      process.once('SIGTERM', () => stop.abort());
      keepAgentMemorySmall();
      await new Supervisor({ stateDir: resolve(o.stateDir), signal: stop.signal, updateTimeoutMs: seconds * 1000, ...(o.applyAssociationsOnBoot ? { runArgs: ['--apply-associations-on-boot'] } : {}) }).run();
    });
  agent
    .command('diagnose')
    .description('check, layer by layer, why this node is or is not reaching the server')
    .option('--state-dir <dir>', 'where the identity and private key live', defaultStateDir())
    .action(async (o: { stateDir: string }) => {
      const checks = await diagnose(resolve(o.stateDir));
      for (const c of checks) console.log(`${c.status.padEnd(4)}  ${c.name.padEnd(8)}  ${c.detail}`);
      process.exitCode = checks.some((c) => c.status === 'FAIL') ? 1 : 0;
    });
  agent
    .command('install-service')
    .description('write a systemd unit that keeps `capstan agent run` running, and enable it')
    .option('--state-dir <dir>', 'where the identity and private key live', defaultStateDir())
    .option('--unit-path <path>', 'where to write the unit', DEFAULT_UNIT)
    .option('--no-enable', 'only write the unit; print the commands that enable it')
    .option('--supervised', 'run `agent supervise` (which can update the agent with AWS-UpdateSSMAgent) rather than `agent run`')
    .action((o: { stateDir: string; unitPath: string; enable: boolean; supervised?: boolean }) => {
      const unitPath = resolve(o.unitPath);
      mkdirSync(dirname(unitPath), { recursive: true });
      writeFileSync(unitPath, systemdUnit({ command: selfCommand(), stateDir: resolve(o.stateDir), restartSec: jitteredRestartSec(), supervise: o.supervised === true }), { mode: 0o644 });
      console.log(`wrote ${unitPath}`);
      const name = basename(unitPath);
      if (o.enable && hasSystemctl()) {
        systemctl('daemon-reload');
        systemctl('enable', '--now', name);
        console.log(`enabled and started ${name}`);
      } else {
        console.log(`${o.enable ? 'systemctl is not available; ' : ''}to start it at boot and now, run:`);
        console.log(`  systemctl daemon-reload && systemctl enable --now ${name}`);
      }
    });
  agent
    .command('uninstall-service')
    .description('stop and disable the systemd unit, and remove it')
    .option('--unit-path <path>', 'the unit install-service wrote', DEFAULT_UNIT)
    .option('--no-enable', 'only remove the unit; print the commands that stop it')
    .action((o: { unitPath: string; enable: boolean }) => {
      const unitPath = resolve(o.unitPath);
      const name = basename(unitPath);
      const live = o.enable && hasSystemctl();
      if (live) systemctl('disable', '--now', name);
      if (existsSync(unitPath)) rmSync(unitPath);
      console.log(`removed ${unitPath}`);
      if (live) systemctl('daemon-reload');
      else console.log(`if it was enabled, run:\n  systemctl disable --now ${name} && systemctl daemon-reload`);
    });
}
