// The parent's handle on bench/_fanout-load.ts, the process that holds the simulated agents:
// shared by every bench that drives a simulated fleet.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { withRaisedFdLimit } from './_harness.js';
import type { FromLoad, ToLoad } from './_fanout-load.js';

const root = new URL('..', import.meta.url).pathname;

export class Load {
  readonly proc: ChildProcess;
  constructor() {
    const [command, argv] = withRaisedFdLimit(process.execPath, ['--conditions=capstan-src', '--import', 'tsx', join(root, 'bench/_fanout-load.ts')]);
    this.proc = spawn(command, argv, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  }
  send(m: ToLoad) {
    this.proc.send(m);
  }
  next<T extends FromLoad['type']>(type: T, timeoutMs = 600_000): Promise<Extract<FromLoad, { type: T }> | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => (this.proc.off('message', on), resolve(undefined)), timeoutMs);
      const on = (m: FromLoad) => {
        if (m.type !== type) return;
        clearTimeout(timer);
        this.proc.off('message', on);
        resolve(m as Extract<FromLoad, { type: T }>);
      };
      this.proc.on('message', on);
    });
  }
  stop(): Promise<void> {
    return new Promise((r) => (this.proc.exitCode !== null ? r() : (this.proc.once('exit', () => r()), this.send({ type: 'stop' }))));
  }
}
