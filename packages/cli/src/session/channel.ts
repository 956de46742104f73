import WebSocket from 'ws';
import { ClientChannel, type ClientChannelOptions, type OpenStreamSocket, type StreamSocket } from '@capstan/wire/session';

export { ClientChannel, CLIENT_VERSION, type SessionEnd } from '@capstan/wire/session';

/**
 * Stream sockets with `ws`: an all-zero mask (see the agent's session socket; the frames stay
 * valid masked frames) and the caller's TLS options (a private CA).
 */
export function wsOpener(wsOptions: WebSocket.ClientOptions = {}): OpenStreamSocket {
  return (url) =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { handshakeTimeout: 15_000, generateMask: () => undefined, ...wsOptions });
      ws.once('open', () => {
        ws.removeListener('error', reject);
        resolve(adapt(ws));
      });
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`stream socket: HTTP ${res.statusCode} ${res.statusMessage ?? ''}`.trim())));
    });
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
        if (isBinary) fn(Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer));
      }),
    onClose: (fn) => ws.on('close', (code, why) => fn(code, why.toString())),
    onError: (fn) => ws.on('error', fn),
  };
}

/** A ClientChannel whose sockets are `ws` ones. */
export function nodeClientChannel(o: Omit<ClientChannelOptions, 'openSocket'> & { wsOptions?: WebSocket.ClientOptions }): ClientChannel {
  const { wsOptions, ...rest } = o;
  return new ClientChannel({ ...rest, openSocket: wsOpener(wsOptions) });
}
