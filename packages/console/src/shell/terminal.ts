import { PayloadType, sizePayload, type ClientChannel, type SessionEnd } from './wire';

/** What the session needs of a terminal: xterm.js's Terminal has all of it. */
export interface ShellTerminal {
  readonly cols: number;
  readonly rows: number;
  write(data: string | Uint8Array): void;
  onData(fn: (data: string) => void): { dispose(): void };
  onBinary(fn: (data: string) => void): { dispose(): void };
  onResize(fn: (size: { cols: number; rows: number }) => void): { dispose(): void };
}

/**
 * Drives a session from a terminal in the page, as the CLI does from a TTY: the agent's Output and
 * StdErr go to the screen, keystrokes go back as Output bytes, and the size goes as a Size payload
 * once the handshake is done and again on every change.
 */
export async function runShell(channel: ClientChannel, term: ShellTerminal, hooks: { ready?: () => void } = {}): Promise<SessionEnd> {
  channel.onData = (type, payload) => {
    // xterm decodes UTF-8 across writes itself, so a character split between frames survives.
    if (type === PayloadType.Output || type === PayloadType.StdErr) term.write(payload);
  };
  try {
    await channel.ready;
  } catch (e) {
    return { reason: (e as Error).message };
  }
  if (channel.customerMessage) term.write(`\x1b[2m${channel.customerMessage.replace(/\r?\n/g, '\r\n')}\x1b[0m\r\n`);

  let last = '';
  const sendSize = (cols: number, rows: number) => {
    // a hidden or zero-height container measures 0, which no shell wants as its size
    if (cols < 1 || rows < 1) return;
    const key = `${cols}x${rows}`;
    if (key === last) return;
    last = key;
    channel.write(PayloadType.Size, sizePayload(cols, rows));
  };
  sendSize(term.cols, term.rows);

  const encoder = new TextEncoder();
  // Writes past the high-water mark are queued by the stream, not lost: keystrokes cannot be
  // paused the way the CLI pauses stdin, and a large paste just waits its turn.
  const subscriptions = [
    term.onResize(({ cols, rows }) => sendSize(cols, rows)),
    term.onData((data) => void channel.write(PayloadType.Output, encoder.encode(data))),
    // Mouse reports in the X10 encoding are bytes above 0x7f, which must not become UTF-8.
    term.onBinary((data) => void channel.write(PayloadType.Output, Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff))),
  ];
  hooks.ready?.();
  try {
    return await channel.ended$;
  } finally {
    for (const s of subscriptions) s.dispose();
    channel.onData = () => undefined;
  }
}
