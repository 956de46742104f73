import type { Command } from 'commander';
import { SSMClient } from '@aws-sdk/client-ssm';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { FlagValue, PayloadType, flagPayload } from '@capstan/wire/session';
import { resolveClientConfig, withClientOptions, type ClientOptions } from '../client-config.js';
import { listenForward, PortMux } from '../session/port-forward.js';
import { parseSessionParameters, startSession } from '../session/start.js';
import { runTerminal } from '../session/terminal.js';

interface StartOptions extends ClientOptions {
  target: string;
  document?: string;
  parameters?: string[];
  reason?: string;
}

interface ForwardOptions extends ClientOptions {
  target: string;
  remotePort: string;
  localPort: string;
  host?: string;
  reason?: string;
}

function client(o: ClientOptions): SSMClient {
  const config = resolveClientConfig(o);
  return new SSMClient({ ...config, credentials: defaultProvider() });
}

const log = (line: string) => process.stderr.write(`capstan session: ${line}\n`);

function port(name: string, v: string, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > 65535) throw new Error(`${name} must be ${min}–65535, not ${v}`);
  return n;
}

export function registerSessionCommands(program: Command): void {
  const session = program.command('session').description('Session Manager: shells, commands and port forwarding on nodes, without SSH');

  withClientOptions(session.command('start').description('open an interactive session (a shell, or the session document given) on a node'))
    .requiredOption('--target <id>', 'the node, mi-…')
    .option('--document <name>', 'a session document (default: a shell, SSM-SessionManagerRunShell)')
    .option('--parameters <name=value...>', "the session document's parameters")
    .option('--reason <text>', 'why: kept with the session and its audit event')
    .action(async (o: StartOptions) => {
      const ssm = client(o);
      const s = await startSession(ssm, { target: o.target, ...(o.document ? { documentName: o.document } : {}), parameters: parseSessionParameters(o.parameters), ...(o.reason ? { reason: o.reason } : {}) }, { log });
      const tty = Boolean(process.stdin.isTTY);
      if (tty) process.stderr.write(`\nStarting session with SessionId: ${s.sessionId}\n\n`);
      const end = await runTerminal(s.channel, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
      if (tty) process.stderr.write(`\n\nExiting session with sessionId: ${s.sessionId}.\n\n`);
      else if (end.exitCode === undefined && /cannot|refused|not |forbidden/i.test(end.reason)) log(end.reason);
      process.exitCode = end.exitCode ?? 0;
      // stdin may keep the loop alive
      setImmediate(() => process.exit(process.exitCode ?? 0));
    });

  withClientOptions(session.command('port-forward').description('forward a local port to a port on (or reachable from) a node'))
    .requiredOption('--target <id>', 'the node, mi-…')
    .requiredOption('--remote-port <port>', 'the port on the node (or on --host)')
    .option('--local-port <port>', 'the local port on 127.0.0.1 (0 = any free port)', '0')
    .option('--host <host>', 'a host reachable from the node (default: the node itself)')
    .option('--reason <text>', 'why: kept with the session and its audit event')
    .action(async (o: ForwardOptions) => {
      const remote = port('--remote-port', o.remotePort, 1);
      const local = port('--local-port', o.localPort, 0);
      const ssm = client(o);
      const parameters: Record<string, string[]> = { portNumber: [String(remote)], localPortNumber: [String(local)] };
      if (o.host) parameters['host'] = [o.host];
      const documentName = o.host ? 'AWS-StartPortForwardingSessionToRemoteHost' : 'AWS-StartPortForwardingSession';
      const s = await startSession(ssm, { target: o.target, documentName, parameters, ...(o.reason ? { reason: o.reason } : {}) }, { log });
      await s.channel.ready;
      const fwd = await listenForward(s.channel, { localPort: local, log });
      process.stderr.write(`Forwarding 127.0.0.1:${fwd.port} to ${o.host ?? o.target}:${remote} (session ${s.sessionId}); Ctrl-C to stop\n`);
      const stop = () => {
        s.channel.write(PayloadType.Flag, flagPayload(FlagValue.TerminateSession));
        void s.channel.flush(1_000).then(async () => {
          s.channel.close('stopped');
          await s.terminate();
        });
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const end = await s.channel.ended$;
      fwd.close();
      log(`session ${s.sessionId} ended: ${end.reason}`);
      setImmediate(() => process.exit(0));
    });

  withClientOptions(session.command('ssh-proxy').description('for ssh_config: ProxyCommand capstan session ssh-proxy %h %p — stdin/stdout to the node\'s port'))
    .argument('<target>', 'the node, mi-… (ssh %h)')
    .argument('[port]', 'the port on the node (ssh %p)', '22')
    .option('--reason <text>', 'why: kept with the session and its audit event')
    .action(async (target: string, p: string, o: ClientOptions & { reason?: string }) => {
      const ssm = client(o);
      const s = await startSession(ssm, { target, documentName: 'AWS-StartPortForwardingSession', parameters: { portNumber: [String(port('port', p, 1))], localPortNumber: ['0'] }, ...(o.reason ? { reason: o.reason } : {}) }, { log });
      await s.channel.ready;
      const pm = new PortMux(s.channel);
      const stream = pm.splice({ readable: process.stdin, writable: process.stdout, destroy: () => undefined }, () => {
        s.channel.write(PayloadType.Flag, flagPayload(FlagValue.TerminateSession));
        void s.channel.flush(1_000).then(() => s.channel.close('done'));
      });
      void stream;
      await s.channel.ended$;
      setImmediate(() => process.exit(0));
    });
}
