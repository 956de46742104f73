import { realpathSync } from 'node:fs';

/**
 * How this very process was started: node, its loader flags and the script (`main.js`, or the
 * `capstan-agent.mjs` bundle), or a single-executable build alone, whose argv[1] repeats the
 * program as it was typed rather than naming a script. The systemd unit and the agent's scripts
 * run the same capstan with it.
 */
export function selfCommand(): string[] {
  if (process.getBuiltinModule?.('node:sea')?.isSea()) return [process.execPath];
  return [process.execPath, ...process.execArgv, realpathSync(process.argv[1]!)];
}
