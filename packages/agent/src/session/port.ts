import { lookup } from 'node:dns/promises';
import { BlockList, connect, isIP, type Socket } from 'node:net';
import { FlagValue, MUX_PORT_HIGH_WATER_MARK, Mux, PayloadType, flagPayload, parseFlagPayload, portMuxOptions, type MuxStream } from '@capstan/wire/session';
import type { PluginContext, SessionPlugin, SessionStartMessage } from './types.js';
import { SessionRefused } from './types.js';

/** Link-local (instance metadata, the VPC resolver, NTP…) and AWS's IPv6 metadata range. */
const denied = new BlockList();
denied.addSubnet('169.254.0.0', 16, 'ipv4');
denied.addSubnet('fd00:ec2::', 32, 'ipv6');

export function isDeniedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return denied.check(address, 'ipv4');
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return denied.check(mapped[1]!, 'ipv4');
    return denied.check(address, 'ipv6');
  }
  return false;
}

export interface PortTarget {
  host: string;
  port: number;
  type: string;
}

/**
 * Where a Port session may connect: the document's portNumber/host, or Capstan's `destinations`
 * ("PORT" on the node or "HOST:PORT", "[V6]:PORT"), of which each stream names one. Literal
 * forbidden addresses are refused here, names at each dial.
 */
export function portTargets(properties: unknown): PortTarget[] {
  const p = (properties ?? {}) as Record<string, unknown>;
  const d = p['destinations'];
  if (d === undefined) return [portTarget(properties)];
  const list = Array.isArray(d) ? d : typeof d === 'string' ? d.split(',') : undefined;
  if (!list || list.length === 0 || list.length > 64) throw new SessionRefused('destinations must be 1–64 "PORT" or "HOST:PORT" items');
  const type = typeof p['type'] === 'string' ? p['type'] : '';
  return list.map((item) => {
    const m = typeof item === 'string' ? /^\s*(?:(\[[0-9A-Fa-f:.]+\]|[^:\s]+):)?(\d+)\s*$/.exec(item) : null;
    if (!m) throw new SessionRefused(`destination ${JSON.stringify(item)} is not PORT or HOST:PORT`);
    const host = m[1] ? m[1].replace(/^\[|\]$/g, '') : 'localhost';
    return portTarget({ portNumber: m[2], host, type });
  });
}

/** The destination a stream asks for, among those the session allows. */
export function pickTarget(targets: PortTarget[], want: { host?: string | undefined; port?: number | undefined }): PortTarget | undefined {
  if (want.host === undefined && want.port === undefined) return targets[0];
  return targets.find((t) => (want.port === undefined || t.port === want.port) && (want.host === undefined || t.host.toLowerCase() === want.host.toLowerCase()));
}

export function portTarget(properties: unknown): PortTarget {
  const p = (properties ?? {}) as Record<string, unknown>;
  if (p['destinations'] !== undefined && p['portNumber'] === undefined) return portTargets(properties)[0]!;
  const port = Number(p['portNumber']);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new SessionRefused(`portNumber must be 1–65535, got ${JSON.stringify(p['portNumber'])}`);
  const host = typeof p['host'] === 'string' && p['host'].trim() ? p['host'].trim() : 'localhost';
  if (isIP(host) && isDeniedAddress(host)) throw new SessionRefused(forbidden(host, host));
  return { host, port, type: typeof p['type'] === 'string' ? p['type'] : '' };
}

const forbidden = (address: string, host: string) =>
  `Forwarding to IP address ${address}${address === host ? '' : ` (${host})`} is forbidden: link-local and instance-metadata addresses cannot be reached through a session`;

/** Resolves on the node and refuses forbidden addresses, as AWS's agent does. */
export async function resolveTarget(host: string): Promise<string[]> {
  const addrs = isIP(host) ? [host] : (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
  if (addrs.length === 0) throw new Error(`${host} does not resolve`);
  for (const a of addrs) {
    if (isDeniedAddress(a)) throw new SessionRefused(forbidden(a, host));
  }
  return addrs;
}

/** Dials each address in turn. */
async function dial(addrs: string[], port: number, highWaterMark?: number): Promise<Socket> {
  let last: Error | undefined;
  for (const host of addrs) {
    try {
      return await new Promise<Socket>((resolve, reject) => {
        const s = connect({ host, port, allowHalfOpen: true, ...(highWaterMark ? { highWaterMark } : {}) });
        s.once('connect', () => (s.removeListener('error', reject), resolve(s)));
        s.once('error', reject);
      });
    } catch (e) {
      last = e as Error;
    }
  }
  throw last ?? new Error('no address to dial');
}

/**
 * Port sessions. With a Capstan client (it negotiated the fast transport) the session stream
 * carries Capstan's mux: one stream per client connection, each dialled to the document's
 * host:port. Otherwise (AWS's session-manager-plugin, which the agent version steers away from
 * smux) basic mode: one TCP connection at a time, the bytes as Output payloads, redialled after a
 * DisconnectToPort flag.
 */
export function startPort(ctx: PluginContext, start: SessionStartMessage): SessionPlugin {
  // a forbidden literal address is refused here; names are checked at each dial
  const targets = portTargets(start.properties);
  ctx.log(`forwarding to ${targets.map((t) => `${t.host}:${t.port}`).join(', ')} (${ctx.capstanClient ? 'mux' : 'basic'} mode)`);
  return ctx.capstanClient ? muxMode(ctx, targets) : basicMode(ctx, targets[0]!);
}

function muxMode(ctx: PluginContext, targets: PortTarget[]): SessionPlugin {
  const sockets = new Set<Socket>();
  const mux = new Mux({
    role: 'agent',
    ...portMuxOptions((b) => ctx.write(PayloadType.Output, b), setImmediate),
    onError: (e) => ctx.log(`mux: ${e.message}`),
    onStream: (stream, want) => {
      const target = want.file ? undefined : pickTarget(targets, want);
      if (!target) {
        stream.reset(`this session forwards to ${targets.map((t) => `${t.host}:${t.port}`).join(', ')} only`);
        return;
      }
      void connectStream(stream, target);
    },
  });
  ctx.onDrain(() => mux.drain());

  async function connectStream(stream: MuxStream, target: PortTarget): Promise<void> {
    let sock: Socket;
    try {
      // a whole DATA frame is written without asking the stream to pause (see the client's listener)
      sock = await dial(await resolveTarget(target.host), target.port, MUX_PORT_HIGH_WATER_MARK);
    } catch (e) {
      stream.reset(`cannot connect to ${target.host}:${target.port}: ${(e as Error).message}`);
      return;
    }
    if (stream.closed || mux.closed) {
      sock.destroy();
      return;
    }
    sockets.add(sock);
    sock.setNoDelay(true);
    sock.on('data', (d: Buffer) => {
      if (stream.closed) return;
      if (!stream.write(d)) sock.pause();
    });
    stream.onDrain = () => sock.resume();
    stream.onEnd = () => sock.end();
    stream.onReset = () => sock.destroy();
    sock.on('drain', () => stream.resume());
    // last: it delivers what the client sent while the connection was being made
    stream.onData = (d) => {
      if (!sock.write(d)) stream.pause();
    };
    sock.on('end', () => {
      if (!stream.closed) stream.end();
    });
    sock.on('error', (e) => {
      if (!stream.closed) stream.reset(e.message);
    });
    sock.on('close', () => {
      sockets.delete(sock);
      if (!stream.closed) stream.end();
    });
  }

  return {
    input(type, payload) {
      if (type === PayloadType.Output) mux.receive(payload);
    },
    kill() {
      mux.close('session ended');
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
  };
}

function basicMode(ctx: PluginContext, target: PortTarget): SessionPlugin {
  let sock: Socket | undefined;
  let connecting: Promise<Socket | undefined> | undefined;
  let pending: Buffer[] = [];
  let killed = false;
  let paused = false;
  ctx.onDrain(() => {
    if (paused) {
      paused = false;
      sock?.resume();
    }
  });

  const open = (): Promise<Socket | undefined> => {
    connecting ??= (async () => {
      try {
        const s = await dial(await resolveTarget(target.host), target.port);
        if (killed) {
          s.destroy();
          return undefined;
        }
        s.setNoDelay(true);
        s.on('data', (d: Buffer) => {
          if (!ctx.write(PayloadType.Output, d)) {
            paused = true;
            s.pause();
          }
        });
        s.on('error', (e) => ctx.log(`port ${target.port}: ${e.message}`));
        s.on('close', () => {
          if (sock !== s) return;
          sock = undefined;
          connecting = undefined;
          // the service on the node closed the connection: for a single-connection client (ssh) that is the end
          if (!killed) ctx.finish(`the connection to ${target.host}:${target.port} closed`);
        });
        sock = s;
        for (const b of pending) s.write(b);
        pending = [];
        return s;
      } catch (e) {
        connecting = undefined;
        ctx.log(`cannot connect to ${target.host}:${target.port}: ${(e as Error).message}`);
        ctx.write(PayloadType.Flag, flagPayload(FlagValue.ConnectToPortError));
        return undefined;
      }
    })();
    return connecting;
  };
  void open();

  return {
    input(type, payload) {
      if (killed) return;
      if (type === PayloadType.Flag) {
        let flag = 0;
        try {
          flag = parseFlagPayload(payload);
        } catch {
          return;
        }
        if (flag === FlagValue.DisconnectToPort && sock) {
          // the client's local connection closed: the next one gets a fresh connection
          const s = sock;
          sock = undefined;
          connecting = undefined;
          s.destroy();
        }
        return;
      }
      if (type !== PayloadType.Output) return;
      if (sock) sock.write(payload);
      else {
        pending.push(Buffer.from(payload));
        void open();
      }
    },
    kill() {
      killed = true;
      sock?.destroy();
      sock = undefined;
    },
  };
}
