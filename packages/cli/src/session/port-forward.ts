import { createServer, type Server, type Socket } from 'node:net';
import { Mux, PayloadType, type MuxStream } from '@capstan/wire/session';
import type { ClientChannel } from './channel.js';

/** Carries byte streams through a Port session with Capstan's mux; one mux stream per connection. */
export class PortMux {
  readonly mux: Mux;
  constructor(private readonly channel: ClientChannel) {
    this.mux = new Mux({
      role: 'client',
      send: (b) => channel.write(PayloadType.Output, b),
      onError: (e) => channel.close(`port forwarding: ${e.message}`),
    });
    channel.onDrain = () => this.mux.drain();
    channel.onData = (type, payload) => {
      if (type === PayloadType.Output) this.mux.receive(payload);
    };
  }

  /** Splices a local duplex (a TCP connection, stdin/stdout) to a new mux stream. */
  splice(local: { readable: NodeJS.ReadableStream; writable: NodeJS.WritableStream; destroy: (e?: Error) => void }, onClose?: () => void): MuxStream {
    const stream = this.mux.open();
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
  log?: (line: string) => void;
}

/** Listens on 127.0.0.1:L; each accepted connection becomes one mux stream to the node's target. */
export async function listenForward(channel: ClientChannel, o: ForwardOptions): Promise<{ server: Server; port: number; close: () => void }> {
  const pm = new PortMux(channel);
  const sockets = new Set<Socket>();
  // half-open: a client that shuts down its sending side still gets the rest of the answer
  const server = createServer({ allowHalfOpen: true }, (sock) => {
    if (channel.isEnded) return sock.destroy();
    sockets.add(sock);
    sock.setNoDelay(true);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    pm.splice({ readable: sock, writable: sock, destroy: (e) => (e ? sock.resetAndDestroy() : sock.destroy()) }, () => sock.destroySoon());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.localPort, o.localHost ?? '127.0.0.1', () => (server.removeListener('error', reject), resolve()));
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : o.localPort;
  const close = () => {
    server.close();
    for (const s of sockets) s.destroy();
    pm.mux.close('forwarding stopped');
  };
  void channel.ended$.then(close);
  return { server, port, close };
}
