import { Terminal, type ITerminalInitOnlyOptions, type ITerminalOptions } from '@xterm/xterm';

/** The look of every terminal in the console: the live shell and the replay of a past one. */
export const TERMINAL_OPTIONS: ITerminalOptions = {
  fontFamily: "ui-monospace, 'SF Mono', 'Cascadia Mono', 'DejaVu Sans Mono', Menlo, Consolas, monospace",
  fontSize: 14,
  scrollback: 5_000,
  theme: { background: '#14202e', foreground: '#e6edf5', cursor: '#f2a900' },
};

export function createTerminal(extra: ITerminalOptions & ITerminalInitOnlyOptions = {}): Terminal {
  return new Terminal({ ...TERMINAL_OPTIONS, ...extra });
}
