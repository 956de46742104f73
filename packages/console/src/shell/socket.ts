import type { OpenStreamSocket, StreamSocket } from '@capstan/wire/session';

/** The part of the browser's WebSocket the adapter uses, so tests can hand in a fake. */
export interface BrowserWebSocket extends EventTarget {
  binaryType: string;
  readonly readyState: number;
  send(data: string | ArrayBufferView): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string) => BrowserWebSocket;

const OPEN = 1;

/**
 * Stream sockets on the browser's WebSocket. It resolves once the socket is open and rejects if it
 * errors or closes before that, or is still connecting after `timeoutMs` (a browser may wait
 * minutes on a black-holed address, and the session client's resume loop needs a failure).
 */
export function browserOpener(o: { WebSocket?: WebSocketConstructor; timeoutMs?: number } = {}): OpenStreamSocket {
  return (url) =>
    new Promise<StreamSocket>((resolve, reject) => {
      const Impl = o.WebSocket ?? (globalThis.WebSocket as unknown as WebSocketConstructor);
      let ws: BrowserWebSocket;
      try {
        ws = new Impl(url);
      } catch (e) {
        // a malformed URL or a port the browser refuses throws synchronously
        reject(e instanceof Error ? e : new Error(String(e)));
        return;
      }
      ws.binaryType = 'arraybuffer';
      const timeoutMs = o.timeoutMs ?? 15_000;
      const timer = setTimeout(() => fail(new Error(`stream socket: no connection after ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
      const settle = () => {
        clearTimeout(timer);
        ws.removeEventListener('open', onOpen);
        ws.removeEventListener('error', onError);
        ws.removeEventListener('close', onClose);
      };
      const fail = (e: Error) => {
        settle();
        try {
          ws.close();
        } catch {
          // already closing
        }
        reject(e);
      };
      // The browser tells nothing about why a socket failed (no status, no message): by design.
      const onError = () => fail(new Error('stream socket: the connection failed'));
      const onClose = (ev: Event) => {
        const { code, reason } = ev as CloseEvent;
        fail(new Error(`stream socket: closed before it opened (${code}${reason ? ` ${reason}` : ''})`));
      };
      const onOpen = () => {
        settle();
        resolve(adapt(ws));
      };
      ws.addEventListener('open', onOpen);
      ws.addEventListener('error', onError);
      ws.addEventListener('close', onClose);
    });
}

/** Close codes a page may send; the browser throws on any other (1001, 1011…). */
const sendable = (code: number | undefined): code is number => code === 1000 || (code !== undefined && code >= 3000 && code <= 4999);

function adapt(ws: BrowserWebSocket): StreamSocket {
  return {
    send: (data) => ws.send(data),
    close: (code) => (sendable(code) ? ws.close(code) : ws.close()),
    get open() {
      return ws.readyState === OPEN;
    },
    onMessage: (fn) =>
      ws.addEventListener('message', (ev) => {
        const data = (ev as MessageEvent).data;
        if (data instanceof ArrayBuffer) fn(new Uint8Array(data));
      }),
    onClose: (fn) =>
      ws.addEventListener('close', (ev) => {
        const { code, reason } = ev as CloseEvent;
        fn(code, reason);
      }),
    onError: (fn) => ws.addEventListener('error', () => fn(new Error('stream socket error'))),
  };
}
