import { spawn } from 'node:child_process';
import { PayloadType } from '@capstan/wire/session';
import { commandsOf } from './shell.js';
import type { PluginContext, SessionPlugin, SessionStartMessage } from './types.js';
import { commandAs, resolveRunAs, sessionEnv, workingDir } from './user.js';

/**
 * NonInteractiveCommands: `sh -c COMMANDS` without a PTY; stdout as Output, stderr as StdErr,
 * then an ExitCode payload `EXIT_CODE: n`. From the client, \x03 is SIGINT and \x1c SIGQUIT to
 * the process group (AWS's ByteControlSignalsLinux); other bytes go to stdin.
 */
export function startCommand(ctx: PluginContext, start: SessionStartMessage): SessionPlugin {
  const commands = commandsOf(start.properties);
  const user = resolveRunAs(start.runAsUser);
  const { file, args } = commandAs(user, ['sh', '-c', commands]);
  const child = spawn(file, args, { cwd: workingDir(user), env: sessionEnv(user), stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  let killed = false;
  let pausedOut = false;
  ctx.onDrain(() => {
    if (pausedOut) {
      pausedOut = false;
      child.stdout.resume();
      child.stderr.resume();
    }
  });
  const pipe = (type: number) => (d: Buffer) => {
    if (!ctx.write(type, d) && !pausedOut) {
      pausedOut = true;
      child.stdout.pause();
      child.stderr.pause();
    }
  };
  child.stdout.on('data', pipe(PayloadType.Output));
  child.stderr.on('data', pipe(PayloadType.StdErr));
  child.stdin.on('error', () => undefined);
  child.on('error', (e) => {
    if (killed) return;
    killed = true;
    ctx.write(PayloadType.StdErr, Buffer.from(`cannot run the command: ${e.message}\n`));
    ctx.write(PayloadType.ExitCode, Buffer.from('EXIT_CODE: 127'));
    ctx.finish(e.message);
  });
  child.on('close', (code, signal) => {
    if (killed) return;
    killed = true;
    const n = code ?? (signal ? 128 + (signalNumber(signal) ?? 0) : 1);
    ctx.write(PayloadType.ExitCode, Buffer.from(`EXIT_CODE: ${n}`));
    ctx.finish(`the command exited with status ${n}`);
  });
  const signalGroup = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      // gone
    }
  };
  return {
    input(type, payload) {
      if (killed || type !== PayloadType.Output) return;
      let from = 0;
      for (let i = 0; i < payload.length; i++) {
        const b = payload[i];
        if (b !== 0x03 && b !== 0x1c) continue;
        if (i > from) child.stdin.write(payload.subarray(from, i));
        signalGroup(b === 0x03 ? 'SIGINT' : 'SIGQUIT');
        from = i + 1;
      }
      if (from < payload.length) child.stdin.write(payload.subarray(from));
    },
    kill() {
      if (killed) return;
      killed = true;
      signalGroup('SIGTERM');
      setTimeout(() => signalGroup('SIGKILL'), 2_000).unref();
    },
  };
}

function signalNumber(sig: string): number | undefined {
  return ({ SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15, SIGPIPE: 13 } as Record<string, number>)[sig];
}
