import { spawn as spawnPty } from 'node-pty';
import { PayloadType, parseSizePayload } from '@capstan/wire/session';
import type { PluginContext, SessionPlugin, SessionStartMessage } from './types.js';
import { SessionRefused } from './types.js';
import { commandAs, resolveRunAs, sessionEnv, workingDir } from './user.js';

// node-pty's JavaScript loads with the session code (the first session); its native addon with
// the first shell. The built agent carries the JavaScript and finds the addon beside itself
// (pty-addon.ts), saying what is missing when it is not there.

export function shellProfileText(p: SessionStartMessage['shellProfile']): string {
  if (typeof p === 'string') return p;
  return p?.linux ?? '';
}

/** `properties.linux.commands` (or `properties.commands`) of an InteractiveCommands/NonInteractiveCommands document. */
export function commandsOf(properties: unknown): string {
  const p = (properties ?? {}) as Record<string, unknown>;
  const linux = (p['linux'] ?? p) as Record<string, unknown>;
  const c = linux['commands'];
  const text = Array.isArray(c) ? c.join('\n') : typeof c === 'string' ? c : '';
  if (!text.trim()) throw new SessionRefused('the session document has no commands for Linux (properties.linux.commands)');
  return text;
}

/**
 * Standard_Stream (`sh`) and InteractiveCommands (`sh -c COMMANDS`) on a real PTY: output as
 * Output payloads (raw bytes, UTF-8 sequences split across frames are the client's to join),
 * Output payloads from the client to the PTY, Size to the window size. The shell's exit ends the
 * session.
 */
export function startShell(ctx: PluginContext, start: SessionStartMessage, command?: string): SessionPlugin {
  const user = resolveRunAs(start.runAsUser);
  const { file, args } = commandAs(user, command === undefined ? ['sh'] : ['sh', '-c', command]);
  const term = spawnPty(file, args, {
    name: 'xterm-256color',
    cols: 80,
    rows: 24,
    cwd: workingDir(user),
    env: sessionEnv(user, { TERM: 'xterm-256color' }),
    encoding: null,
  });
  ctx.log(`${command === undefined ? 'shell' : 'command'} started as ${user.name} (pid ${term.pid})`);
  let killed = false;
  let paused = false;
  let lastData = Date.now();
  ctx.onDrain(() => {
    if (paused) {
      paused = false;
      term.resume();
    }
  });
  term.onData((d: string | Buffer) => {
    const b = typeof d === 'string' ? Buffer.from(d, 'utf8') : d;
    lastData = Date.now();
    if (!ctx.write(PayloadType.Output, b) && !paused) {
      paused = true;
      term.pause();
    }
  });
  term.onExit(({ exitCode, signal }) => {
    if (killed) return;
    killed = true;
    // node-pty may report the exit before the last output has been read: wait for it to go quiet
    const exitedAt = Date.now();
    const settle = () => {
      if (Date.now() - lastData < 100 && Date.now() - exitedAt < 1_000) return void setTimeout(settle, 50);
      ctx.finish(signal ? `the shell was killed by signal ${signal}` : `the shell exited with status ${exitCode}`);
    };
    setTimeout(settle, 50);
  });
  const profile = shellProfileText(start.shellProfile);
  if (command === undefined && profile.trim()) term.write(`${profile}\n`);
  let hardKill: NodeJS.Timeout | undefined;
  return {
    input(type, payload) {
      if (killed) return;
      if (type === PayloadType.Output) term.write(Buffer.from(payload));
      else if (type === PayloadType.Size) {
        const { cols, rows } = parseSizePayload(payload);
        if (cols > 0 && rows > 0 && cols < 10_000 && rows < 10_000) term.resize(cols, rows);
      }
    },
    kill() {
      if (killed) return;
      killed = true;
      // the whole foreground job and the shell: hang up, then kill what is left
      for (const target of [-term.pid, term.pid]) {
        try {
          process.kill(target, 'SIGHUP');
        } catch {
          // gone already
        }
      }
      hardKill = setTimeout(() => {
        try {
          process.kill(-term.pid, 'SIGKILL');
        } catch {
          // gone
        }
        try {
          term.kill('SIGKILL');
        } catch {
          // gone
        }
      }, 2_000);
      hardKill.unref();
    },
  };
}
