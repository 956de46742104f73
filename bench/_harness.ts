// Shared pieces of the benchmarks: a real server process, wrk as the load process, parsing.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ADMIN = { accessKeyId: 'AKIABENCHADMIN000001', secretAccessKey: 'bench-secret-0123456789abcdefghijklmnopq' };
const root = new URL('..', import.meta.url).pathname;

export interface Process {
  url: string;
  /** The server's OS process id (after a restart, the new one's). */
  pid?: number;
  stop(): Promise<void>;
  /** Stops the server and starts a new process on the same data directory and port. */
  restart?(): Promise<void>;
}

/** The hard `ulimit -n` of this process: what a child may raise its soft limit to without privileges. */
export function hardFdLimit(): number {
  const m = /^Max open files\s+\S+\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  return m && m[1] !== 'unlimited' ? Number(m[1]) : Infinity;
}

/** The command line run with its soft fd limit raised to the hard one; exec keeps the pid. */
export function withRaisedFdLimit(command: string, args: string[]): [string, string[]] {
  return ['bash', ['-c', 'ulimit -n "$(ulimit -Hn)" && exec "$0" "$@"', command, ...args]];
}

/** `capstan server` with its default settings on a fresh SQLite data directory (or the PostgreSQL URL given), as an operator would run it. */
export async function startCapstan(databaseUrl?: string, o: { raiseFdLimit?: boolean } = {}): Promise<Process> {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-bench-'));
  // BENCH_PROFILE=DIR writes a V8 CPU profile of the server there when it stops.
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  let output = '';
  const launch = async (listen: string) => {
    const args = ['server', '--data-dir', join(dir, 'data'), '--listen', listen, ...(databaseUrl ? ['--database', databaseUrl] : [])];
    // The built CLI, as `npm start` runs it (scripts/bench.mjs builds first); not the sources
    // under tsx, whose loader and name-keeping wrappers cost the server time users never pay.
    const line: [string, string[]] = [process.execPath, [...profile, join(root, 'packages/cli/dist/main.js'), ...args]];
    const [command, argv] = o.raiseFdLimit ? withRaisedFdLimit(...line) : line;
    const proc = spawn(command, argv, {
      env: { ...process.env, CAPSTAN_ADMIN_ACCESS_KEY_ID: ADMIN.accessKeyId, CAPSTAN_ADMIN_SECRET_ACCESS_KEY: ADMIN.secretAccessKey, CAPSTAN_ADMIN_ACCOUNT_ID: '123456789012' },
    });
    proc.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    return { proc, url: await waitFor(proc, /serving at (http:\/\/[\d.:]+)/) };
  };
  let { proc, url } = await launch('127.0.0.1:0');
  const server: Process = {
    url,
    pid: proc.pid,
    stop: async () => {
      await kill(proc);
      rmSync(dir, { recursive: true, force: true });
      if (process.env.BENCH_SERVER_OUTPUT) console.log(output.slice(-4000));
    },
    restart: async () => {
      await kill(proc);
      ({ proc, url } = await launch(new URL(url).host));
      server.pid = proc.pid;
    },
  };
  return server;
}

/** A bare node:http server answering a fixed body: the ceiling a Node server reaches here. */
export async function startBareNode(body: string): Promise<Process> {
  const code = `const http=require('node:http');const b=${JSON.stringify(body)};const s=http.createServer((q,r)=>{q.resume();q.on('end',()=>{r.writeHead(200,{'content-type':'text/xml','content-length':Buffer.byteLength(b)});r.end(b)})});s.listen(0,'127.0.0.1',()=>console.log('serving at http://127.0.0.1:'+s.address().port))`;
  const proc = spawn(process.execPath, ['-e', code]);
  const url = await waitFor(proc, /serving at (http:\/\/[\d.:]+)/);
  return { url, pid: proc.pid, stop: () => kill(proc) };
}

/**
 * CPU time a process has used so far (user + system, all its threads), in microseconds, from
 * /proc. Per request it is a steadier figure than throughput on a shared machine: other load
 * slows a server down without making each request cost more.
 */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1e6) / clockTicksPerSecond();
}

let ticksPerSecond: number | undefined;
function clockTicksPerSecond(): number {
  ticksPerSecond ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
  return ticksPerSecond;
}

function waitFor(proc: ChildProcess, re: RegExp): Promise<string> {
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start within 30 s:\n${out}`)), 30_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = re.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    proc.on('exit', (c) => reject(new Error(`exited with ${c}:\n${out}`)));
  });
}

function kill(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null) return resolve();
    proc.once('exit', () => resolve());
    proc.kill('SIGTERM');
  });
}

export interface LoadResult {
  requestsPerSecond: number;
  /** Responses wrk counted over the whole run. */
  requests: number;
  p50ms: number;
  p99ms: number;
  non2xx: number;
}

export interface RawRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * Replays requests with wrk from its own process (`apt-get install wrk`): one request, or a
 * list taken in turn (pre-signed pages of a listing, say).
 */
export async function wrk(url: string, requests: RawRequest | RawRequest[], opts: { connections: number; seconds: number; threads: number }): Promise<LoadResult> {
  if (spawnSync('wrk', ['--version']).error) throw new Error('wrk is not installed: apt-get install wrk');
  const list = Array.isArray(requests) ? requests : [requests];
  const dir = mkdtempSync(join(tmpdir(), 'capstan-wrk-'));
  const script = join(dir, 'request.lua');
  const lua = (s: string) => JSON.stringify(s);
  const entries = list.map((r) => {
    const headers = Object.entries(r.headers)
      .filter(([k]) => k !== 'host')
      .map(([k, v]) => `[${lua(k)}] = ${lua(v)}`)
      .join(', ');
    return `wrk.format(${lua(r.method)}, ${lua(r.path)}, { ${headers} }, ${lua(r.body)})`;
  });
  writeFileSync(script, `local requests = {}\ninit = function(args)\n${entries.map((e, i) => `  requests[${i + 1}] = ${e}`).join('\n')}\nend\nlocal i = 0\nrequest = function()\n  i = i % #requests + 1\n  return requests[i]\nend\n`);
  // Not spawnSync: this process must keep reading the server's output while the load runs.
  try {
    const r = await promisify(execFile)('wrk', ['-t', String(opts.threads), '-c', String(opts.connections), '-d', `${opts.seconds}s`, '--latency', '-s', script, url], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    return parseWrk(r.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function parseWrk(out: string): LoadResult {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const requests = Number(/(\d+) requests in /.exec(out)?.[1]);
  const ms = (label: string) => {
    const m = new RegExp(`\\s${label}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
    if (!m) return NaN;
    const v = Number(m[1]);
    return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
  };
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  return { requestsPerSecond: rps, requests, p50ms: ms('50'), p99ms: ms('99'), non2xx };
}
