import type { TLSSocket } from 'node:tls';
import WebSocket from 'ws';
import type { Identity } from './state.js';
import { checkPin, tlsOptions } from './trust.js';

export const CHANNEL_PATH = '/capstan/agent/v1/channel';

/**
 * A WebSocket to the server's control channel under the identity's trust: verified TLS for any
 * endpoint but loopback, and a pinned certificate checked before the agent says anything.
 */
export function openChannel(identity: Identity, handshakeTimeout = 10_000): WebSocket {
  const url = `${identity.endpoint.replace(/\/+$/, '').replace(/^http/, 'ws')}${CHANNEL_PATH}`;
  const ws = new WebSocket(url, { handshakeTimeout, perMessageDeflate: false, ...(url.startsWith('wss:') ? tlsOptions(identity.trust) : {}) });
  ws.on('upgrade', (res) => {
    if (!url.startsWith('wss:')) return;
    try {
      checkPin(res.socket as TLSSocket, identity.trust);
    } catch (e) {
      ws.emit('error', e);
      ws.terminate();
    }
  });
  return ws;
}

/**
 * One piece of a JSON message (the outbox's): fragments of one text message, the last ending it.
 * The client masks each frame into a copy before this returns (the channel never compresses,
 * which would keep the piece for later), so a big message is copied a fragment at a time.
 */
export function sendMessagePiece(ws: WebSocket, piece: Buffer, last: boolean): void {
  ws.send(piece, { binary: false, fin: last });
}
