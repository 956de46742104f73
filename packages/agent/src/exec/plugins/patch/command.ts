import { spawn } from 'node:child_process';

export interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a package-manager command to completion and keeps its output (bounded), in its own process
 * group so a cancelled step leaves no apt or dpkg behind.
 */
export function capture(command: string, args: string[], env: Record<string, string>, signal: AbortSignal, maxBytes = 8 << 20): Promise<Captured> {
  return new Promise((resolve) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(command, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      resolve({ code: 127, stdout: '', stderr: (e as Error).message });
      return;
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    const keep = (into: Buffer[]) => (b: Buffer) => {
      if (size >= maxBytes) return;
      into.push(b);
      size += b.length;
    };
    child.stdout!.on('data', keep(out));
    child.stderr!.on('data', keep(err));
    const onAbort = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    child.once('error', (e) => {
      signal.removeEventListener('abort', onAbort);
      resolve({ code: 127, stdout: '', stderr: `${command}: ${e.message}` });
    });
    child.once('close', (code, sig) => {
      signal.removeEventListener('abort', onAbort);
      resolve({ code: code ?? (sig ? 128 : 1), stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
  });
}

/** The last non-empty lines of a command's output, for a step's details. */
export function tail(text: string, lines = 5): string {
  return text.split('\n').filter((l) => l.trim()).slice(-lines).join('\n');
}
