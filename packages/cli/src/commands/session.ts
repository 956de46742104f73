import type { Command } from 'commander';
import { SSMClient } from '@aws-sdk/client-ssm';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { FlagValue, PayloadType, flagPayload } from '@capstan/wire/session';
import { resolveClientConfig, withClientOptions, type ClientOptions } from '../client-config.js';
import { copyFile, planCopy } from '../session/copy.js';
import { forwardPlan, parseDuration, parseForward, type ForwardSpec } from '../session/forward-spec.js';
import { Forwarder, PortMux } from '../session/port-forward.js';
import { watchNodeRestart } from '../session/restart.js';
import { parseSessionParameters, startSession, type StartedSession } from '../session/start.js';
import { runTerminal } from '../session/terminal.js';

interface StartOptions extends ClientOptions {
  target: string;
  document?: string;
  parameters?: string[];
  reason?: string;
  keepalive?: string;
}

const COPY_DOCUMENT = 'Capstan-StartFileCopySession';
const collect = (v: string, list: string[]) => [...list, v];
const KEEPALIVE = ['--keepalive <duration>', 'send a WebSocket ping this often (e.g. 20s) so idle NATs and proxies keep the connection; not activity for the idle timeout'] as const;

/** Ends a session from this side: TerminateSession to the node, then to the server. */
async function endSession(s: StartedSession, why: string): Promise<void> {
  s.channel.write(PayloadType.Flag, flagPayload(FlagValue.TerminateSession));
  await s.channel.flush(1_000);
  s.channel.close(why);
  await s.terminate();
}

interface ForwardOptions extends ClientOptions {
  target: string;
  remotePort?: string;
  localPort: string;
  host?: string;
  forward: string[];
  reason?: string;
  keepalive?: string;
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

/** `capstan cp`: one file to or from a node, in a CapstanFileCopy session; started again in a new session if the node's agent restarts. */
function registerCopyCommand(program: Command): void {
  withClientOptions(program.command('cp').description('copy a file to or from a node over a session: capstan cp mi-…:/var/log/syslog . | capstan cp ./file mi-…:/tmp/x'))
    .argument('<source>', 'a local path, or NODE:PATH')
    .argument('<destination>', "a local path, or NODE:PATH (a directory takes the source's name)")
    .option('--reason <text>', 'why: kept with the session and its audit event')
    .option(...KEEPALIVE)
    .action(async (source: string, destination: string, o: ClientOptions & { reason?: string; keepalive?: string }) => {
      const plan = planCopy(source, destination);
      const ssm = client(o);
      const keepaliveMs = o.keepalive ? parseDuration('--keepalive', o.keepalive) : undefined;
      const open = () => startSession(ssm, { target: plan.target, documentName: COPY_DOCUMENT, ...(o.reason ? { reason: o.reason } : {}) }, { log, ...(keepaliveMs ? { keepaliveMs } : {}) });
      let s = await open();
      let failed: Error | undefined;
      for (let attempt = 1; ; attempt++) {
        let stopWatch = () => undefined as void;
        const restarted = new Promise<StartedSession>((resolve) => (stopWatch = watchNodeRestart(s, { probe: open, onRestart: resolve, log })));
        try {
          await s.channel.ready;
          const t0 = Date.now();
          const r = await Promise.race([copyFile(s.channel, plan), restarted]);
          if ('channel' in r) {
            await endSession(s, 'the node restarted');
            s = r;
            if (attempt < 3) {
              log('copying again in a new session');
              continue;
            }
            failed = new Error("the node's agent kept restarting during the copy");
            break;
          }
          const secs = Math.max((Date.now() - t0) / 1000, 0.001);
          const from = plan.op === 'get' ? `${plan.target}:${plan.remote}` : plan.local;
          const to = plan.op === 'get' ? r.path : `${plan.target}:${r.path}`;
          process.stderr.write(`${from} -> ${to}: ${r.bytes} bytes (${(r.bytes / 1e6 / secs).toFixed(1)} MB/s)\n`);
        } catch (e) {
          failed = e as Error;
        } finally {
          stopWatch();
        }
        break;
      }
      await endSession(s, 'done');
      if (failed) throw failed;
      setImmediate(() => process.exit(0));
    });
}

export function registerSessionCommands(program: Command): void {
  registerCopyCommand(program);
  const session = program.command('session').description('Session Manager: shells, commands and port forwarding on nodes, without SSH');

  withClientOptions(session.command('start').description('open an interactive session (a shell, or the session document given) on a node'))
    .requiredOption('--target <id>', 'the node, mi-…')
    .option('--document <name>', 'a session document (default: a shell, SSM-SessionManagerRunShell)')
    .option('--parameters <name=value...>', "the session document's parameters")
    .option('--reason <text>', 'why: kept with the session and its audit event')
    .option(...KEEPALIVE)
    .action(async (o: StartOptions) => {
      const ssm = client(o);
      const keepaliveMs = o.keepalive ? parseDuration('--keepalive', o.keepalive) : undefined;
      const s = await startSession(ssm, { target: o.target, ...(o.document ? { documentName: o.document } : {}), parameters: parseSessionParameters(o.parameters), ...(o.reason ? { reason: o.reason } : {}) }, { log, ...(keepaliveMs ? { keepaliveMs } : {}) });
      const tty = Boolean(process.stdin.isTTY);
      if (tty) process.stderr.write(`\nStarting session with SessionId: ${s.sessionId}\n\n`);
      // A shell cannot be carried over to a new agent: say so rather than wait out the resume window.
      let restarted = false;
      let stopWatch = () => undefined as void;
      // from the handshake on: before it, an agent that is slow to attach would look away
      void s.channel.ready.then(
        () =>
          (stopWatch = watchNodeRestart(s, {
            probe: () => startSession(ssm, { target: o.target, documentName: COPY_DOCUMENT }, {}),
            onRestart: (probe) => {
              restarted = true;
              void endSession(probe, 'probe');
              s.channel.close("the node's agent restarted");
              void s.terminate();
            },
          })),
        () => undefined,
      );
      const end = await runTerminal(s.channel, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
      stopWatch();
      if (restarted) process.stderr.write(`\n\nThe node ${o.target} restarted its agent: session ${s.sessionId} and its shell ended with it. Start a new session.\n\n`);
      else {
        // A session refused or cut short says why, at a terminal too (e.g. an encrypted session the user may not decrypt).
        if (end.exitCode === undefined && /cannot|refused|not |forbidden|denied|failed/i.test(end.reason)) log(end.reason);
        if (tty) process.stderr.write(`\n\nExiting session with sessionId: ${s.sessionId}.\n\n`);
      }
      process.exitCode = restarted ? 1 : (end.exitCode ?? 0);
      // stdin may keep the loop alive
      setImmediate(() => process.exit(process.exitCode ?? 0));
    });

  withClientOptions(session.command('port-forward').description('forward local ports to ports on (or reachable from) a node, in one session'))
    .requiredOption('--target <id>', 'the node, mi-…')
    .option('--forward <local:[host:]port>', 'a local port and where it goes from the node (repeat for several; host defaults to the node)', collect, [])
    .option('--remote-port <port>', 'the port on the node (or on --host); the one-forward form')
    .option('--local-port <port>', 'with --remote-port: the local port on 127.0.0.1 (0 = any free port)', '0')
    .option('--host <host>', 'with --remote-port: a host reachable from the node (default: the node itself)')
    .option('--reason <text>', 'why: kept with the session and its audit event')
    .option(...KEEPALIVE)
    .action(async (o: ForwardOptions) => {
      let forwards: ForwardSpec[];
      if (o.forward.length > 0) {
        if (o.remotePort !== undefined || o.host !== undefined) throw new Error('use either --forward or --remote-port/--local-port/--host, not both');
        forwards = o.forward.map(parseForward);
      } else {
        if (o.remotePort === undefined) throw new Error('say where to forward: --forward LOCAL:[HOST:]PORT (repeatable) or --remote-port PORT');
        forwards = [{ localPort: port('--local-port', o.localPort, 0), port: port('--remote-port', o.remotePort, 1), ...(o.host ? { host: o.host } : {}) }];
      }
      const plan = forwardPlan(forwards);
      const ssm = client(o);
      const keepaliveMs = o.keepalive ? parseDuration('--keepalive', o.keepalive) : undefined;
      const open = () => startSession(ssm, { target: o.target, documentName: plan.documentName, parameters: plan.parameters, ...(o.reason ? { reason: o.reason } : {}) }, { log, ...(keepaliveMs ? { keepaliveMs } : {}) });
      let s = await open();
      await s.channel.ready;
      const fwd = new Forwarder(s.channel);
      for (const [i, f] of forwards.entries()) {
        const local = await fwd.listen({ localPort: f.localPort, ...(plan.targets[i] ? { target: plan.targets[i] } : {}) });
        process.stderr.write(`Forwarding 127.0.0.1:${local} to ${f.host ?? o.target}:${f.port}\n`);
      }
      process.stderr.write(`(session ${s.sessionId}); Ctrl-C to stop\n`);
      let stopping = false;
      const stop = () => {
        stopping = true;
        void endSession(s, 'stopped');
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      // The listeners outlive the node's agent: after a restart the forwarding goes on in a new session.
      for (;;) {
        let stopWatch = () => undefined as void;
        const restarted = new Promise<StartedSession>((resolve) => (stopWatch = watchNodeRestart(s, { probe: open, onRestart: resolve, log })));
        const r = await Promise.race([s.channel.ended$, restarted]);
        stopWatch();
        if (!('channel' in r)) {
          log(`session ${s.sessionId} ended: ${r.reason}`);
          break;
        }
        fwd.suspend();
        const old = s;
        s = r;
        void endSession(old, 'the node restarted');
        if (stopping) {
          void endSession(s, 'stopped');
          break;
        }
        try {
          await s.channel.ready;
        } catch (e) {
          log(`the new session did not start: ${(e as Error).message}`);
          break;
        }
        fwd.use(s.channel);
        log(`forwarding again, in session ${s.sessionId}`);
      }
      fwd.close();
      setImmediate(() => process.exit(0));
    });

  withClientOptions(session.command('ssh-proxy').description("for ssh_config: ProxyCommand capstan session ssh-proxy %h %p — stdin/stdout to the node's port"))
    .argument('<target>', 'the node, mi-… (ssh %h)')
    .argument('[port]', 'the port on the node (ssh %p)', '22')
    .option('--reason <text>', 'why: kept with the session and its audit event')
    .option(...KEEPALIVE)
    .action(async (target: string, p: string, o: ClientOptions & { reason?: string; keepalive?: string }) => {
      const ssm = client(o);
      const keepaliveMs = o.keepalive ? parseDuration('--keepalive', o.keepalive) : undefined;
      const s = await startSession(ssm, { target, documentName: 'AWS-StartPortForwardingSession', parameters: { portNumber: [String(port('port', p, 1))], localPortNumber: ['0'] }, ...(o.reason ? { reason: o.reason } : {}) }, { log, ...(keepaliveMs ? { keepaliveMs } : {}) });
      await s.channel.ready;
      const pm = new PortMux(s.channel);
      pm.splice({ readable: process.stdin, writable: process.stdout, destroy: () => undefined }, () => void endSession(s, 'done'));
      await s.channel.ended$;
      setImmediate(() => process.exit(0));
    });
}
