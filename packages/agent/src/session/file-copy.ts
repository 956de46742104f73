import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { Mux, PayloadType, portMuxOptions, type FileRequest, type MuxStream } from '@capstan/wire/session';
import type { PluginContext, SessionPlugin, SessionStartMessage } from './types.js';
import { SessionRefused } from './types.js';
import { commandAs, resolveRunAs, sessionEnv, workingDir, type RunAs } from './user.js';

/**
 * Reads a file as the session's user. The first line says what it is ("MODE SIZE", octal
 * permission bits); then the bytes. Checked as the user, so a copy reads only what they can.
 */
const GET = String.raw`p=$1
if ! info=$(LC_ALL=C stat -L -c '%F|%a|%s' -- "$p" 2>&1); then
  case $info in
    *"No such file"*) echo "$p: no such file or directory" ;;
    *"ermission denied"*) echo "$p: permission denied" ;;
    *) echo "$info" ;;
  esac >&2
  exit 2
fi
case $info in
  directory\|*) echo "$p is a directory: only files can be copied" >&2; exit 3 ;;
  "regular file|"*|"regular empty file|"*) ;;
  *) echo "$p is not a regular file (\${info%%|*})" >&2; exit 3 ;;
esac
if [ ! -r "$p" ]; then echo "$p: permission denied" >&2; exit 4; fi
rest=\${info#*|}
printf '%s %s\n' "\${rest%%|*}" "\${rest#*|}"
exec cat -- "$p"
`.replace(/\\\$/g, '$');

/**
 * Writes a file as the session's user, atomically: the bytes go to a temporary file beside the
 * destination, which replaces it only when descriptor 3 says "commit" (the client sent every
 * byte). Anything else (the client gave up, the agent died) removes the temporary file.
 * Arguments: path, octal mode, the source's base name (used when path is a directory).
 */
const PUT = String.raw`p=$1
if [ -d "$p" ]; then
  if [ -z "$3" ]; then echo "$p is a directory: only files can be copied" >&2; exit 3; fi
  p="\${p%/}/$3"
  if [ -d "$p" ]; then echo "$p is a directory: only files can be copied" >&2; exit 3; fi
fi
if [ -e "$p" ] && [ ! -w "$p" ]; then echo "$p: permission denied" >&2; exit 4; fi
dir=$(dirname -- "$p")
if ! tmp=$(mktemp -- "$dir/.$(basename -- "$p").capstan-XXXXXX" 2>&1); then
  case $tmp in
    *"ermission denied"*) echo "cannot write in $dir: permission denied" ;;
    *"No such file"*|*"Not a directory"*) echo "$dir: no such directory" ;;
    *) echo "$tmp" ;;
  esac >&2
  exit 4
fi
trap 'rm -f -- "$tmp"' EXIT
trap 'exit 1' TERM HUP INT
cat > "$tmp" || exit 5
IFS= read -r verdict <&3 || exit 6
[ "$verdict" = commit ] || exit 6
chmod -- "$2" "$tmp" || exit 7
sync -- "$tmp" 2>/dev/null
mv -f -- "$tmp" "$p" || exit 8
trap - EXIT
printf '%s\n' "$p"
`.replace(/\\\$/g, '$');

const MAX_STDERR = 4096;
/** How much the agent queues for the writing process before it holds the stream. */
const PIPE_BUFFER = 1024 * 1024;

/**
 * CapstanFileCopy sessions: each mux stream the client opens is one file copy, `get` (node to
 * client: a JSON line {"mode","size"} then the bytes) or `put` (client to node: the bytes, then
 * the agent answers a JSON line {"path","bytes"} once the file is in place). A failure resets the
 * stream with the reason, which the client shows. The file work runs in a process of the
 * session's run-as user, so permissions are the user's.
 */
export function startFileCopy(ctx: PluginContext, start: SessionStartMessage): SessionPlugin {
  if (!ctx.capstanClient) throw new SessionRefused('file copy sessions need the capstan client (capstan cp)');
  const user = resolveRunAs(start.runAsUser);
  const children = new Set<ChildProcess>();
  // Framed as port forwarding is, so a copy moves at the port-forwarding speed.
  const mux = new Mux({
    role: 'agent',
    ...portMuxOptions((b) => ctx.write(PayloadType.Output, b), setImmediate),
    onError: (e) => ctx.log(`file copy: ${e.message}`),
    onStream: (stream, want) => {
      if (!want.file) return stream.reset('this session copies files only');
      const child = run(user, want.file);
      children.add(child);
      child.on('close', () => children.delete(child));
      ctx.log(`file copy: ${want.file.op} ${want.file.path} as ${user.name}`);
      if (want.file.op === 'get') sendFile(stream, child, user);
      else receiveFile(stream, child, user);
    },
  });
  ctx.onDrain(() => mux.drain());
  return {
    input(type, payload) {
      if (type === PayloadType.Output) mux.receive(payload);
    },
    kill() {
      mux.close('session ended');
      for (const c of children) stop(c);
      children.clear();
    },
  };
}

function run(user: RunAs, f: FileRequest): ChildProcess {
  // permission bits only: a copy does not make set-id programs
  const args = f.op === 'get' ? [GET, 'sh', f.path] : [PUT, 'sh', f.path, ((f.mode ?? 0o644) & 0o777).toString(8), f.name ?? ''];
  const { file, args: argv } = commandAs(user, ['sh', '-c', ...args]);
  return spawn(file, argv, { cwd: workingDir(user), env: sessionEnv(user), stdio: ['pipe', 'pipe', 'pipe', 'pipe'], detached: true });
}

/** The process group (cat and its shell): the shell's traps remove a half-written file. */
function stop(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    // gone already
  }
}

/** What the process said on stderr, or how it ended. */
function collectErrors(child: ChildProcess, user: RunAs): () => string {
  let text = '';
  child.stderr!.on('data', (d: Buffer) => {
    if (text.length < MAX_STDERR) text += d.toString('utf8');
  });
  return () => {
    const said = text.trim().split('\n').slice(-3).join('; ') || `the copy failed (exit status ${child.exitCode ?? child.signalCode})`;
    return user.switchUser ? `${said} (as ${user.name})` : said;
  };
}

function sendFile(stream: MuxStream, child: ChildProcess, user: RunAs): void {
  const errors = collectErrors(child, user);
  const out = child.stdout as Readable;
  let header: Buffer | undefined = Buffer.alloc(0);
  stream.onReset = () => stop(child);
  stream.onData = () => undefined;
  stream.onDrain = () => out.resume();
  out.on('data', (d: Buffer) => {
    if (stream.closed) return;
    let body = d;
    if (header) {
      const all = Buffer.concat([header, d]);
      const nl = all.indexOf(0x0a);
      if (nl < 0) {
        header = all;
        return;
      }
      const [mode, size] = all.subarray(0, nl).toString('utf8').split(' ');
      header = undefined;
      stream.write(Buffer.from(`${JSON.stringify({ mode: parseInt(mode ?? '644', 8), size: Number(size) })}\n`));
      body = all.subarray(nl + 1);
    }
    if (body.length && !stream.write(body)) out.pause();
  });
  child.on('close', (code) => {
    if (stream.closed) return;
    if (code === 0 && !header) stream.end();
    else stream.reset(errors());
  });
  child.on('error', (e) => {
    if (!stream.closed) stream.reset(`cannot read the file: ${e.message}`);
  });
}

function receiveFile(stream: MuxStream, child: ChildProcess, user: RunAs): void {
  const errors = collectErrors(child, user);
  const input = child.stdin as Writable;
  const verdict = child.stdio[3] as Writable;
  let bytes = 0;
  let written = '';
  input.on('error', () => undefined);
  verdict.on('error', () => undefined);
  (child.stdout as Readable).on('data', (d: Buffer) => (written += d.toString('utf8')));
  input.on('drain', () => stream.resume());
  stream.onData = (d) => {
    bytes += d.length;
    input.write(d);
    // a pipe's own mark is 16 KiB: holding the stream that early would stall it on every write
    if (input.writableLength > PIPE_BUFFER) stream.pause();
  };
  stream.onEnd = () => {
    input.end();
    verdict.end('commit\n');
  };
  stream.onReset = () => stop(child);
  child.on('close', (code) => {
    if (stream.closed) return;
    if (code === 0) {
      stream.write(Buffer.from(`${JSON.stringify({ path: written.trim(), bytes })}\n`));
      stream.end();
    } else stream.reset(errors());
  });
  child.on('error', (e) => {
    if (!stream.closed) stream.reset(`cannot write the file: ${e.message}`);
  });
}
