import WebSocket from 'ws';
import { isLoopbackHost } from '@capstan/wire';
import { ClientChannel, type ClientChannelOptions, type OpenStreamSocket, type StreamSocket } from '@capstan/wire/session';

export { ClientChannel, CLIENT_VERSION, type SessionEnd } from '@capstan/wire/session';

/**
 * Stream sockets with `ws`: an all-zero mask (see the agent's session socket; the frames stay
 * valid masked frames) and the caller's TLS options (a private CA).
 */
export function wsOpener(wsOptions: WebSocket.ClientOptions = {}, keepaliveMs?: number): OpenStreamSocket {
  return (url) =>
    new Promise((resolve, reject) => {
      // A session's bytes (and its token) cross the network only inside TLS.
      const u = new URL(url);
      if (u.protocol !== 'wss:' && !isLoopbackHost(u.hostname)) return reject(new Error(`the stream URL ${u.origin} is not TLS (wss:), and ${u.hostname} is not loopback: refusing to send the session over it`));
      const ws = new WebSocket(url, { handshakeTimeout: 15_000, generateMask: () => undefined, ...wsOptions });
      ws.once('open', () => {
        ws.removeListener('error', reject);
        if (keepaliveMs) keepAlive(ws, keepaliveMs);
        resolve(adapt(ws));
      });
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`stream socket: HTTP ${res.statusCode} ${res.statusMessage ?? ''}`.trim())));
    });
}

/**
 * WebSocket pings while the socket is open, so that NATs and proxies that drop idle connections
 * keep it. They are not stream data: the session's idle timeout does not see them.
 */
export function keepAlive(ws: WebSocket, everyMs: number): void {
  const timer = setInterval(() => {
    if (ws.readyState === ws.OPEN) ws.ping();
  }, everyMs);
  timer.unref();
  ws.once('close', () => clearInterval(timer));
}

function adapt(ws: WebSocket): StreamSocket {
  return {
    send: (data) => ws.send(data),
    close: (code) => ws.close(code),
    get open() {
      return ws.readyState === ws.OPEN;
    },
    onMessage: (fn) =>
      ws.on('message', (data, isBinary) => {
        // ws hands over a buffer of its own for each message: the stream keeps views of it, no copy
        if (isBinary) fn(Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data));
      }),
    onClose: (fn) => ws.on('close', (code, why) => fn(code, why.toString())),
    onError: (fn) => ws.on('error', fn),
  };
}

/** A ClientChannel whose sockets are `ws` ones. */
export function nodeClientChannel(o: Omit<ClientChannelOptions, 'openSocket'> & { wsOptions?: WebSocket.ClientOptions; keepaliveMs?: number }): ClientChannel {
  const { wsOptions, keepaliveMs, ...rest } = o;
  return new ClientChannel({ ...rest, openSocket: wsOpener(wsOptions, keepaliveMs) });
}
