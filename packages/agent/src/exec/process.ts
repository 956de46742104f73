import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Readable } from 'node:stream';
import type { OutputSink, StreamName } from './output.js';

export interface ProcessSpec {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  uid?: number;
  gid?: number;
  timeoutMs: number;
  signal: AbortSignal;
  sink: OutputSink;
}

export interface ProcessEnd {
  /** Exit code; 128 + signal number when a signal ended it. */
  code: number;
  /** Why it ended: on its own, or killed by the timer or a cancel; `error` = could not start. */
  reason: 'exit' | 'timeout' | 'cancel' | 'error';
  error?: string;
}

/**
 * After the script exits, a background child it left may still hold our pipes open. Output still
 * flowing is read; once the pipes have been idle this long they are closed so the step can end.
 */
const PIPE_IDLE_AFTER_EXIT_MS = 1000;

/**
 * Runs one process in its own process group (a new session), streaming its output into the sink
 * with backpressure, and SIGKILLs the whole group on timeout or cancel so no grandchild survives.
 */
export function runProcess(spec: ProcessSpec): Promise<ProcessEnd> {
  return new Promise((resolve) => {
    let settled = false;
    let killedFor: 'timeout' | 'cancel' | undefined;
    let exited = false;
    let lastActivity = Date.now();
    const finish = (end: ProcessEnd) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      spec.signal.removeEventListener('abort', onAbort);
      resolve(end);
    };

    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(spec.command, spec.args, {
        cwd: spec.cwd,
        env: spec.env,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        ...(spec.uid === undefined ? {} : { uid: spec.uid }),
        ...(spec.gid === undefined ? {} : { gid: spec.gid }),
      });
    } catch (e) {
      return resolve({ code: 1, reason: 'error', error: (e as Error).message });
    }

    const kill = (why: 'timeout' | 'cancel') => {
      if (exited || killedFor || child.pid === undefined) return;
      killedFor = why;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // The group is already gone: the exit event is on its way.
      }
    };
    const timer = setTimeout(() => kill('timeout'), spec.timeoutMs);
    const onAbort = () => kill('cancel');
    spec.signal.addEventListener('abort', onAbort, { once: true });
    if (spec.signal.aborted) onAbort();

    const pump = (stream: Readable, name: StreamName) =>
      new Promise<void>((done) => {
        stream.on('data', (chunk: Buffer) => {
          lastActivity = Date.now();
          if (!spec.sink.write(name, chunk)) {
            stream.pause();
            void spec.sink.drained(name).then(() => {
              lastActivity = Date.now();
              stream.resume();
            });
          }
        });
        stream.once('close', () => done());
        stream.once('error', () => done());
      });
    const pipes = Promise.all([pump(child.stdout!, 'stdout'), pump(child.stderr!, 'stderr')]);

    child.once('error', (e) => {
      child.stdout?.destroy();
      child.stderr?.destroy();
      finish({ code: 1, reason: 'error', error: e.message });
    });
    child.once('exit', (code, signal) => {
      exited = true;
      lastActivity = Date.now();
      clearTimeout(timer);
      const exitCode = code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0);
      const idle = setInterval(() => {
        if (Date.now() - lastActivity < PIPE_IDLE_AFTER_EXIT_MS) return;
        child.stdout?.destroy();
        child.stderr?.destroy();
      }, 100);
      void pipes.then(() => {
        clearInterval(idle);
        finish({ code: exitCode, reason: killedFor ?? 'exit' });
      });
    });
  });
}
