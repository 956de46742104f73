import type { ReadStream } from 'node:tty';
import { FlagValue, PayloadType, flagPayload, sizePayload } from '@capstan/wire/session';
import type { ClientChannel, SessionEnd } from './channel.js';

export interface TerminalIO {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: ReadStream['setRawMode']; isRaw?: boolean };
  stdout: NodeJS.WritableStream & { columns?: number; rows?: number; isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  /** Window size changes (SIGWINCH); default: the stdout TTY's resize event. */
  onResize?: (fn: () => void) => () => void;
  size?: () => { cols: number; rows: number } | undefined;
}

/**
 * An interactive session on the local terminal: raw mode for the life of the session (restored on
 * the way out, whatever the way), Size at the start and on every resize, stdin bytes as Output,
 * Output to stdout and StdErr to stderr.
 */
export async function runTerminal(channel: ClientChannel, io: TerminalIO): Promise<SessionEnd> {
  const { stdin, stdout, stderr } = io;
  const tty = Boolean(stdin.isTTY && stdin.setRawMode);
  const wasRaw = tty ? Boolean(stdin.isRaw) : false;
  const restore = () => {
    if (tty && stdin.setRawMode) {
      try {
        stdin.setRawMode(wasRaw);
      } catch {
        // the terminal is gone
      }
    }
  };
  const cleanups: (() => void)[] = [restore];
  // a crash or a signal must not leave the terminal raw
  const onExit = () => restore();
  process.on('exit', onExit);
  cleanups.push(() => process.off('exit', onExit));
  for (const sig of ['SIGTERM', 'SIGHUP'] as const) {
    const h = () => {
      restore();
      channel.write(PayloadType.Flag, flagPayload(FlagValue.TerminateSession));
      channel.close(`${sig}`);
    };
    process.on(sig, h);
    cleanups.push(() => process.off(sig, h));
  }

  channel.onData = (type, payload) => {
    if (type === PayloadType.Output) stdout.write(payload);
    else if (type === PayloadType.StdErr) stderr.write(payload);
  };
  try {
    await channel.ready;
  } catch (e) {
    for (const c of cleanups) c();
    return { reason: (e as Error).message };
  }
  if (channel.customerMessage) stderr.write(`${channel.customerMessage}\n`);

  const size = io.size ?? (() => (stdout.isTTY && stdout.columns && stdout.rows ? { cols: stdout.columns, rows: stdout.rows } : undefined));
  let last = '';
  const sendSize = () => {
    const s = size();
    if (!s) return;
    const key = `${s.cols}x${s.rows}`;
    if (key === last) return;
    last = key;
    channel.write(PayloadType.Size, sizePayload(s.cols, s.rows));
  };
  sendSize();
  const offResize =
    io.onResize?.(sendSize) ??
    (() => {
      process.on('SIGWINCH', sendSize);
      return () => process.off('SIGWINCH', sendSize);
    })();
  cleanups.push(offResize);

  if (tty) stdin.setRawMode!(true);
  const onInput = (d: Buffer | string) => {
    const b = typeof d === 'string' ? Buffer.from(d, 'utf8') : d;
    if (!channel.write(PayloadType.Output, b)) stdin.pause();
  };
  channel.onDrain = () => stdin.resume();
  stdin.on('data', onInput);
  stdin.resume();
  cleanups.push(() => {
    stdin.off('data', onInput);
    stdin.pause();
  });

  try {
    return await channel.ended$;
  } finally {
    for (const c of cleanups) c();
  }
}
