import { createServer, type Server, type Socket } from 'node:net';
import { MUX_PORT_HIGH_WATER_MARK, Mux, PayloadType, portMuxOptions, type MuxStream, type OpenTarget } from '@capstan/wire/session';
import type { ClientChannel } from './channel.js';

/** Carries byte streams through a Port session with Capstan's mux; one mux stream per connection. */
export class PortMux {
  readonly mux: Mux;
  constructor(private readonly channel: ClientChannel) {
    this.mux = new Mux({
      role: 'client',
      ...portMuxOptions((b) => channel.write(PayloadType.Output, b), setImmediate),
      onError: (e) => channel.close(`port forwarding: ${e.message}`),
    });
    channel.onDrain = () => this.mux.drain();
    channel.onData = (type, payload) => {
      if (type === PayloadType.Output) this.mux.receive(payload);
    };
  }

  /** Splices a local duplex (a TCP connection, stdin/stdout) to a new mux stream. */
  splice(local: { readable: NodeJS.ReadableStream; writable: NodeJS.WritableStream; destroy: (e?: Error) => void }, onClose?: () => void, target: OpenTarget = {}): MuxStream {
    const stream = this.mux.open(target);
    const { readable, writable } = local;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      onClose?.();
    };
    readable.on('data', (d: Buffer) => {
      if (stream.closed) return;
      if (!stream.write(d)) readable.pause();
    });
    stream.onDrain = () => readable.resume();
    readable.on('end', () => stream.end());
    readable.on('error', (e: Error) => stream.reset(e.message));
    stream.onEnd = () => writable.end();
    stream.onReset = (reason) => {
      local.destroy(reason ? new Error(reason) : undefined);
      finish();
    };
    stream.onClose = finish;
    writable.on('drain', () => stream.resume());
    stream.onData = (d) => {
      if (!writable.write(d)) stream.pause();
    };
    return stream;
  }
}

export interface ForwardOptions {
  localPort: number;
  localHost?: string;
  /** The destination on the node's side each connection asks for (a session with several); the session's own when absent. */
  target?: OpenTarget;
  log?: (line: string) => void;
}

/**
 * Local listeners whose connections each become a mux stream of the current session. The
 * session can be replaced (the node's agent restarted) while the listeners stay up: connections
 * accepted meanwhile wait for the new one.
 */
export class Forwarder {
  private current: Promise<{ pm: PortMux; channel: ClientChannel }>;
  private resolveCurrent: ((v: { pm: PortMux; channel: ClientChannel }) => void) | undefined;
  private readonly servers: Server[] = [];
  private readonly sockets = new Set<Socket>();
  private pm: PortMux | undefined;
  private closed = false;

  constructor(channel?: ClientChannel) {
    this.current = new Promise((r) => (this.resolveCurrent = r));
    if (channel) this.use(channel);
  }

  /** From now on, connections go through this (ready) session. */
  use(channel: ClientChannel): void {
    this.pm?.mux.close('the session was replaced');
    const pm = new PortMux(channel);
    this.pm = pm;
    if (this.resolveCurrent) {
      this.resolveCurrent({ pm, channel });
      this.resolveCurrent = undefined;
    } else this.current = Promise.resolve({ pm, channel });
  }

  /** The session is gone and another is coming: new connections wait for use(). */
  suspend(): void {
    if (this.resolveCurrent) return;
    this.current = new Promise((r) => (this.resolveCurrent = r));
  }

  async listen(o: ForwardOptions): Promise<number> {
    // half-open: a client that shuts down its sending side still gets the rest of the answer
    // The socket takes a whole DATA frame (a quarter MiB) without asking its stream to pause: below
    // that, every frame paused the stream, and the frames behind it were held (copied) meanwhile.
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true, highWaterMark: MUX_PORT_HIGH_WATER_MARK }, (sock) => {
      if (this.closed) return sock.destroy();
      this.sockets.add(sock);
      sock.setNoDelay(true);
      sock.on('close', () => this.sockets.delete(sock));
      sock.on('error', () => undefined);
      void this.current.then(({ pm, channel }) => {
        if (sock.destroyed) return;
        if (channel.isEnded || pm.mux.closed) return sock.destroy();
        pm.splice({ readable: sock, writable: sock, destroy: (e) => (e ? sock.resetAndDestroy() : sock.destroy()) }, () => sock.destroySoon(), o.target ?? {});
        sock.resume();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.localPort, o.localHost ?? '127.0.0.1', () => (server.removeListener('error', reject), resolve()));
    });
    this.servers.push(server);
    const addr = server.address();
    return typeof addr === 'object' && addr ? addr.port : o.localPort;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const server of this.servers) server.close();
    for (const s of this.sockets) s.destroy();
    this.pm?.mux.close('forwarding stopped');
  }
}

/** Listens on 127.0.0.1:L; each accepted connection becomes one mux stream to the node's target. */
export async function listenForward(channel: ClientChannel, o: ForwardOptions): Promise<{ port: number; close: () => void }> {
  const f = new Forwarder(channel);
  const port = await f.listen(o);
  const close = () => f.close();
  void channel.ended$.then(close);
  return { port, close };
}
