// The byte-moving side of bench/sessions.ts: the "remote" TCP service on the node (a sink, a
// source and an echo), the transfers and ping-pong that drive it through whatever path is in
// front of it (direct, capstan port-forward, ssh -L), and a private sshd for the ssh -L baseline.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Each connection opens with a 9-byte header: a mode letter and a 64-bit length.
 *  U n: the client sends n bytes; the service answers one byte 'k' once all n have arrived.
 *  D n: the service sends n bytes, then ends.
 *  P 0: echo everything back (ping-pong).
 */
const HEADER = 9;
const CHUNK = Buffer.alloc(256 * 1024, 0x61);

export interface Service {
  port: number;
  close(): Promise<void>;
}

function header(mode: 'U' | 'D' | 'P', n: number): Buffer {
  const h = Buffer.alloc(HEADER);
  h.write(mode, 0, 'latin1');
  h.writeBigUInt64BE(BigInt(n), 1);
  return h;
}

/** Writes n bytes from a shared chunk, honouring backpressure. */
function pour(sock: Socket, n: number, done: () => void): void {
  let left = n;
  const more = () => {
    while (left > 0) {
      const c = left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
      left -= c.length;
      if (!sock.write(c)) return void sock.once('drain', more);
    }
    done();
  };
  more();
}

export async function startService(): Promise<Service> {
  const sockets = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: true }, (sock) => {
    sockets.add(sock);
    sock.setNoDelay(true);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    let head: Buffer = Buffer.alloc(0);
    let mode = '';
    let want = 0;
    let got = 0;
    const onData = (d: Buffer) => {
      if (mode === 'P') return void sock.write(d);
      if (mode === 'U') {
        got += d.length;
        if (got >= want) sock.end('k');
        return;
      }
      head = head.length ? Buffer.concat([head, d]) : d;
      if (head.length < HEADER) return;
      mode = head.toString('latin1', 0, 1);
      want = Number(head.readBigUInt64BE(1));
      const rest = head.subarray(HEADER);
      head = Buffer.alloc(0);
      if (mode === 'D') pour(sock, want, () => sock.end());
      else if (mode === 'U' && want === 0) sock.end('k');
      else if (rest.length) onData(rest);
    };
    sock.on('data', onData);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

function dial(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    s.setNoDelay(true);
    s.once('connect', () => (s.removeListener('error', reject), resolve(s)));
    s.once('error', reject);
  });
}

const now = () => performance.now();

/** Sends n bytes; ms from the first byte written to the service's confirmation that all arrived. */
export async function upload(port: number, n: number): Promise<number> {
  const sock = await dial(port);
  const t0 = now();
  return new Promise((resolve, reject) => {
    sock.on('error', reject);
    sock.once('data', () => {
      const t = now() - t0;
      sock.destroy();
      resolve(t);
    });
    sock.once('end', () => reject(new Error(`upload: the connection ended without the confirmation`)));
    sock.write(header('U', n));
    pour(sock, n, () => undefined);
  });
}

/** Receives n bytes; ms from the request to the last byte. */
export async function download(port: number, n: number): Promise<number> {
  const sock = await dial(port);
  const t0 = now();
  return new Promise((resolve, reject) => {
    let got = 0;
    sock.on('error', reject);
    sock.on('data', (d: Buffer) => {
      got += d.length;
      if (got >= n) {
        const t = now() - t0;
        sock.destroy();
        resolve(t);
      }
    });
    sock.once('end', () => got < n && reject(new Error(`download: ended after ${got} of ${n} bytes`)));
    sock.write(header('D', n));
  });
}

/** `total` bytes over `conns` parallel connections (total/conns each); ms until the last finishes. */
export async function parallel(kind: 'upload' | 'download', port: number, total: number, conns: number): Promise<number> {
  const each = Math.floor(total / conns);
  const t0 = now();
  await Promise.all(Array.from({ length: conns }, () => (kind === 'upload' ? upload(port, each) : download(port, each))));
  return now() - t0;
}

/** One connection; `count` round trips of `size` bytes after `warmup` unmeasured ones; each round trip in ms. */
export async function pingPong(port: number, count: number, size = 1, warmup = 100): Promise<number[]> {
  const sock = await dial(port);
  sock.write(header('P', 0));
  const msg = Buffer.alloc(size, 0x70);
  const times: number[] = [];
  let got = 0;
  let resolveOne: (() => void) | undefined;
  sock.on('data', (d: Buffer) => {
    got += d.length;
    if (got >= size && resolveOne) {
      got -= size;
      const r = resolveOne;
      resolveOne = undefined;
      r();
    }
  });
  try {
    for (let i = 0; i < warmup + count; i++) {
      const t0 = now();
      await new Promise<void>((r, reject) => {
        const timer = setTimeout(() => reject(new Error(`ping-pong: no answer within 10 s (round trip ${i})`)), 10_000);
        resolveOne = () => (clearTimeout(timer), r());
        sock.write(msg);
      });
      if (i >= warmup) times.push(now() - t0);
    }
  } finally {
    sock.destroy();
  }
  return times;
}

// ---------------------------------------------------------------------------------------------
// ssh -L

export interface SshTunnel {
  localPort: number;
  cipher: string;
  /** OS process ids of sshd (the listener) and ssh (the client). */
  pids: { sshd: number; ssh: number };
  /** sshd's per-connection child (does the crypto on the server side), when found. */
  sessionPid(): number | undefined;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

function stopChild(p: ChildProcess): Promise<void> {
  return new Promise((r) => {
    if (p.exitCode !== null || p.signalCode !== null) return r();
    p.once('exit', () => r());
    p.kill('SIGTERM');
  });
}

/** Why sshd cannot be used here, or undefined when it can. */
export function sshUnavailable(): string | undefined {
  for (const [bin, pkg] of [['/usr/sbin/sshd', 'openssh-server'], ['ssh', 'openssh-client'], ['ssh-keygen', 'openssh-client']] as const) {
    const r = spawnSync(bin, ['-V']);
    if (r.error) return `${bin} is not installed (apt-get install -y ${pkg})`;
  }
  return undefined;
}

/**
 * A private sshd on a free high port (throwaway host key, one authorized key, all in a temp
 * directory) and `ssh -N -L LOCAL:127.0.0.1:remotePort` to it. The current user logs in to itself.
 */
export async function startSshTunnel(remotePort: number, log: (line: string) => void): Promise<SshTunnel> {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-bench-ssh-'));
  const user = (spawnSync('id', ['-un'], { encoding: 'utf8' }).stdout || 'root').trim();
  for (const k of ['host', 'user']) {
    const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, k)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ssh-keygen: ${r.stderr}`);
  }
  writeFileSync(join(dir, 'authorized_keys'), spawnSync('cat', [join(dir, 'user.pub')], { encoding: 'utf8' }).stdout);
  chmodSync(join(dir, 'authorized_keys'), 0o600);
  const sshPort = await freePort();
  const config = [
    `Port ${sshPort}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${join(dir, 'host')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PubkeyAuthentication yes',
    'PermitRootLogin prohibit-password',
    'AllowTcpForwarding yes',
    'StrictModes no',
    'UsePAM no',
    'LogLevel ERROR',
  ].join('\n');
  writeFileSync(join(dir, 'sshd_config'), `${config}\n`);
  // sshd wants its privilege-separation directory
  spawnSync('mkdir', ['-p', '/run/sshd']);
  const sshd = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let sshdOut = '';
  sshd.stdout!.on('data', (d: Buffer) => (sshdOut += d.toString()));
  sshd.stderr!.on('data', (d: Buffer) => (sshdOut += d.toString()));
  const cleanup = async (procs: ChildProcess[]) => {
    for (const p of procs) await stopChild(p);
    rmSync(dir, { recursive: true, force: true });
  };
  // wait until it listens
  const until = Date.now() + 10_000;
  for (;;) {
    if (sshd.exitCode !== null) {
      await cleanup([]);
      throw new Error(`sshd exited with ${sshd.exitCode}: ${sshdOut.trim()}`);
    }
    const ok = await dial(sshPort).then(
      (s) => (s.destroy(), true),
      () => false,
    );
    if (ok) break;
    if (Date.now() > until) {
      await cleanup([sshd]);
      throw new Error(`sshd did not listen within 10 s: ${sshdOut.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const localPort = await freePort();
  const ssh = spawn(
    'ssh',
    ['-v', '-N', '-L', `${localPort}:127.0.0.1:${remotePort}`, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'ExitOnForwardFailure=yes', '-o', 'BatchMode=yes', '-i', join(dir, 'user'), '-p', String(sshPort), `${user}@127.0.0.1`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let sshOut = '';
  ssh.stdout!.on('data', (d: Buffer) => (sshOut += d.toString()));
  ssh.stderr!.on('data', (d: Buffer) => (sshOut += d.toString()));
  const until2 = Date.now() + 15_000;
  for (;;) {
    if (ssh.exitCode !== null) {
      await cleanup([sshd]);
      throw new Error(`ssh exited with ${ssh.exitCode}: ${sshOut.split('\n').slice(-8).join(' | ')} / sshd: ${sshdOut.trim()}`);
    }
    if (/Entering interactive session|Local forwarding listening/.test(sshOut)) {
      const ok = await dial(localPort).then(
        (s) => (s.destroy(), true),
        () => false,
      );
      if (ok) break;
    }
    if (Date.now() > until2) {
      await cleanup([ssh, sshd]);
      throw new Error(`ssh -L did not come up within 15 s: ${sshOut.split('\n').slice(-8).join(' | ')}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const cipher = /kex: server->client cipher: (\S+)/.exec(sshOut)?.[1] ?? 'unknown';
  log(`ssh -L up: sshd on 127.0.0.1:${sshPort}, forwarding 127.0.0.1:${localPort} → 127.0.0.1:${remotePort}, cipher ${cipher}`);
  const sshdPid = sshd.pid!;
  return {
    localPort,
    cipher,
    pids: { sshd: sshdPid, ssh: ssh.pid! },
    sessionPid() {
      // the listener forks a child per connection (which may fork a privilege-separated one): the descendants
      const r = spawnSync('pgrep', ['-P', String(sshdPid)], { encoding: 'utf8' });
      const child = Number(r.stdout.trim().split('\n')[0]);
      if (!child) return undefined;
      const r2 = spawnSync('pgrep', ['-P', String(child)], { encoding: 'utf8' });
      const grandchild = Number(r2.stdout.trim().split('\n')[0]);
      return grandchild || child;
    },
    stop: () => cleanup([ssh, sshd]),
  };
}
