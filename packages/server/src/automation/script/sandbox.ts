// One script run in a child process of its own: a fresh private working directory, a minimal
// environment, an unprivileged user when the server is root, its output captured as capped logs,
// and its result read from a channel of its own (fd 3, or a file for interpreters that cannot
// write to an inherited descriptor), so nothing a script prints can pass for its result.
import { spawn } from 'node:child_process';
import { constants, existsSync, readFileSync } from 'node:fs';
import { chown, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

/** Logs beyond this are dropped from the middle, with a note of how much was lost. */
export const MAX_LOG_BYTES = 64 * 1024;
/** A result larger than this is refused rather than held in the server's memory. */
export const MAX_RESULT_BYTES = 1024 * 1024;
/** After the script's process exits, how long a straggler may keep its pipes open before they are cut. */
const DRAIN_GRACE_MS = 250;
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface SandboxSpec {
  command: string;
  args: readonly string[];
  /** Written to the child's stdin, then stdin is closed. */
  input: string;
  timeoutMs: number;
  /** RLIMIT_DATA in MiB, set through /bin/sh's ulimit before the interpreter is exec'd. */
  dataLimitMb?: number;
  /** Variables beyond the minimal set (PATH, HOME, TMPDIR, LANG). */
  env?: Record<string, string>;
  /** Files to place in the working directory before the child starts (read-only for it). */
  files?: Record<string, string>;
  /** Read the result from this file in the working directory instead of fd 3. */
  resultFile?: string;
  signal?: AbortSignal;
}

export interface SandboxOutcome {
  /** What arrived on the result channel; undefined when nothing did. */
  result?: string;
  resultTooLarge: boolean;
  logs: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
  /** The child could not be started at all (missing or unreadable interpreter, unusable directory). */
  spawnError?: NodeJS.ErrnoException;
  /** The identity the child ran as, for messages. */
  user: string;
}

interface Identity {
  uid?: number;
  gid?: number;
  name: string;
}

let identity: Identity | undefined;

/**
 * Root runs scripts as nobody (and nogroup, or nobody's group where there is no nogroup), so a
 * script cannot read the data directory or anything else only root may. Any other user runs them
 * as itself: it cannot give away what it does not have.
 */
export function sandboxIdentity(): Identity {
  if (identity) return identity;
  if (process.getuid?.() !== 0) return (identity = { name: 'the server\'s own user' });
  const uid = lookup('/etc/passwd', 'nobody', 2) ?? 65534;
  const gid = lookup('/etc/group', 'nogroup', 2) ?? lookup('/etc/passwd', 'nobody', 3) ?? 65534;
  return (identity = { uid, gid, name: 'nobody' });
}

function lookup(file: string, name: string, field: number): number | undefined {
  try {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const parts = line.split(':');
      if (parts[0] === name && parts[field] !== undefined && /^\d+$/.test(parts[field]!)) return Number(parts[field]);
    }
  } catch {
    // no such file: fall back to the conventional id
  }
  return undefined;
}

/**
 * The first and the last half of the cap: the start says what the script set out to do, the end
 * how it finished (the error, the last progress line), and the middle goes.
 */
class LogBuffer {
  private head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  private dropped = 0;

  push(chunk: Buffer): void {
    const half = MAX_LOG_BYTES / 2;
    if (this.headBytes < half) {
      const part = chunk.subarray(0, half - this.headBytes);
      this.head.push(part);
      this.headBytes += part.length;
      chunk = chunk.subarray(part.length);
      if (chunk.length === 0) return;
    }
    this.tail.push(chunk);
    this.tailBytes += chunk.length;
    while (this.tailBytes > half) {
      const first = this.tail[0]!;
      const excess = this.tailBytes - half;
      if (first.length <= excess) {
        this.tail.shift();
        this.tailBytes -= first.length;
        this.dropped += first.length;
      } else {
        this.tail[0] = first.subarray(excess);
        this.tailBytes -= excess;
        this.dropped += excess;
      }
    }
  }

  text(): string {
    const head = Buffer.concat(this.head).toString('utf8');
    const tail = Buffer.concat(this.tail).toString('utf8');
    return this.dropped ? `${head}\n[capstan: ${this.dropped} bytes of output were dropped here]\n${tail}` : head + tail;
  }
}

const SH = '/bin/sh';

export async function runSandboxed(spec: SandboxSpec): Promise<SandboxOutcome> {
  const who = sandboxIdentity();
  const logs = new LogBuffer();
  const outcome: SandboxOutcome = { resultTooLarge: false, logs: '', code: null, signal: null, timedOut: false, aborted: false, user: who.name };
  if (spec.signal?.aborted) return { ...outcome, aborted: true };

  // mkdtemp makes it 0700; handing it to the sandbox user keeps it private to that user.
  const dir = await mkdtemp(join(tmpdir(), 'capstan-script-'));
  try {
    for (const [name, text] of Object.entries(spec.files ?? {})) await writeFile(join(dir, name), text, { mode: 0o444 });
    if (who.uid !== undefined) await chown(dir, who.uid, who.gid!);

    let command = spec.command;
    let args = [...spec.args];
    // Node has no setrlimit; a shell sets the limit and execs the interpreter in the same process.
    if (spec.dataLimitMb && existsSync(SH)) {
      args = ['-c', 'ulimit -c 0 2>/dev/null; ulimit -d "$1" 2>/dev/null; shift; exec "$@"', 'sh', String(spec.dataLimitMb * 1024), command, ...args];
      command = SH;
    }
    const env = { PATH, HOME: dir, TMPDIR: dir, LANG: 'C.UTF-8', ...spec.env };

    const child = spawn(command, args, {
      cwd: dir,
      env,
      // fd 3 is the result channel.
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
      // A process group of its own, so a timeout kills whatever the script started too.
      detached: true,
      ...(who.uid !== undefined ? { uid: who.uid, gid: who.gid } : {}),
    });

    const resultChunks: Buffer[] = [];
    let resultBytes = 0;
    const streams = [child.stdout, child.stderr, child.stdio[3]].filter((s): s is Readable => !!s);
    child.stdout?.on('data', (c: Buffer) => logs.push(c));
    child.stderr?.on('data', (c: Buffer) => logs.push(c));
    (child.stdio[3] as Readable | null)?.on('data', (c: Buffer) => {
      resultBytes += c.length;
      if (resultBytes > MAX_RESULT_BYTES) outcome.resultTooLarge = true;
      else resultChunks.push(c);
    });
    for (const s of streams) s.on('error', () => {});
    child.stdin?.on('error', () => {}); // the script may exit without reading its input
    child.stdin?.end(spec.input);

    const killGroup = () => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // the group is already gone
      }
    };
    const timer = setTimeout(() => {
      outcome.timedOut = true;
      killGroup();
    }, Math.max(1, spec.timeoutMs));
    const onAbort = () => {
      outcome.aborted = true;
      killGroup();
    };
    spec.signal?.addEventListener('abort', onAbort, { once: true });
    if (spec.signal?.aborted) onAbort(); // aborted while the directory was being made

    const ended = Promise.all(streams.map((s) => new Promise<void>((resolve) => {
      if (s.readableEnded || s.destroyed) resolve();
      else s.once('close', () => resolve());
    })));

    await new Promise<void>((resolve) => {
      child.once('error', (err: NodeJS.ErrnoException) => {
        outcome.spawnError = err;
        resolve();
      });
      child.once('exit', (code, signal) => {
        outcome.code = code;
        outcome.signal = signal;
        resolve();
      });
    });
    clearTimeout(timer);
    spec.signal?.removeEventListener('abort', onAbort);
    // The step ends with its script: anything it left running in its group goes too.
    killGroup();
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([ended, new Promise<void>((resolve) => (grace = setTimeout(resolve, DRAIN_GRACE_MS)))]);
    clearTimeout(grace);
    for (const s of streams) s.destroy();

    if (spec.resultFile) {
      const read = await readResultFile(join(dir, spec.resultFile), who.uid);
      outcome.result = read.text;
      outcome.resultTooLarge = read.tooLarge;
    } else if (resultChunks.length && !outcome.resultTooLarge) {
      outcome.result = Buffer.concat(resultChunks).toString('utf8');
    }
    outcome.logs = logs.text();
    return outcome;
  } finally {
    await rm(dir, { recursive: true, force: true }).catch(() => {});
  }
}

/**
 * The directory belongs to the script, so the file may be anything it liked: a symlink to a file
 * only root can read, or a FIFO that would block the server. Only a regular file the sandbox user
 * wrote is taken.
 */
async function readResultFile(path: string, uid: number | undefined): Promise<{ text?: string; tooLarge: boolean }> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return { tooLarge: false };
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile() || (uid !== undefined && stat.uid !== uid)) return { tooLarge: false };
    if (stat.size > MAX_RESULT_BYTES) return { tooLarge: true };
    return { text: (await handle.readFile()).toString('utf8'), tooLarge: false };
  } finally {
    await handle.close();
  }
}
