import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { Buffer as BrowserBuffer } from 'buffer/index.js';
import { PayloadType, ReliableStream, encodeHandshakeComplete, encodeHandshakeRequest, parseHandshakeResponse, parseSizePayload } from '@capstan/wire/session';
import { browserOpener, type BrowserWebSocket } from './socket';
import { runShell, type ShellTerminal } from './terminal';
import { ClientChannel } from './wire';

/**
 * The browser's WebSocket as far as the adapter sees it: events on an EventTarget, close codes
 * checked as the browser checks them. The test plays the server by calling the helpers.
 */
class FakeWebSocket extends EventTarget implements BrowserWebSocket {
  static made: FakeWebSocket[] = [];
  binaryType = 'blob';
  readyState = 0;
  sent: (string | Uint8Array)[] = [];
  closedWith: (number | undefined)[] = [];
  onSend: (data: string | Uint8Array) => void = () => undefined;
  constructor(readonly url: string) {
    super();
    FakeWebSocket.made.push(this);
  }
  send(data: string | ArrayBufferView): void {
    if (this.readyState !== 1) throw new Error('InvalidStateError');
    const copy = typeof data === 'string' ? data : new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
    this.sent.push(copy);
    this.onSend(copy);
  }
  close(code?: number): void {
    if (code !== undefined && code !== 1000 && (code < 3000 || code > 4999)) throw new Error(`InvalidAccessError: close code ${code}`);
    this.closedWith.push(code);
    if (this.readyState < 2) this.serverClose(code ?? 1005, '');
  }
  serverOpen() {
    this.readyState = 1;
    this.dispatchEvent(new Event('open'));
  }
  serverError() {
    this.dispatchEvent(new Event('error'));
  }
  serverClose(code: number, reason: string) {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.dispatchEvent(Object.assign(new Event('close'), { code, reason }));
  }
  serverMessage(data: unknown) {
    this.dispatchEvent(Object.assign(new Event('message'), { data }));
  }
}

const tick = () => new Promise((r) => setTimeout(r, 0));
async function until(cond: () => boolean, what: string, ms = 3_000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

afterEach(() => {
  FakeWebSocket.made = [];
});

test('the socket resolves once open, as binary, and passes binary frames only', async () => {
  const opening = browserOpener({ WebSocket: FakeWebSocket })('ws://h/s');
  const ws = FakeWebSocket.made[0]!;
  assert.equal(ws.binaryType, 'arraybuffer');
  ws.serverOpen();
  const s = await opening;
  assert.equal(s.open, true);
  const got: Uint8Array[] = [];
  s.onMessage((d) => got.push(d));
  ws.serverMessage('a text frame');
  ws.serverMessage(new Uint8Array([1, 2, 3]).buffer);
  assert.deepEqual(got.map((g) => [...g]), [[1, 2, 3]]);
  s.send(new Uint8Array([9]));
  assert.deepEqual(ws.sent, [new Uint8Array([9])]);
  const closes: [number, string][] = [];
  s.onClose((code, reason) => closes.push([code, reason]));
  ws.serverClose(4001, 'token refused');
  assert.deepEqual(closes, [[4001, 'token refused']]);
  assert.equal(s.open, false);
});

test('closing with a code the browser refuses closes without one', async () => {
  const opening = browserOpener({ WebSocket: FakeWebSocket })('ws://h/s');
  FakeWebSocket.made[0]!.serverOpen();
  const s = await opening;
  s.close(1011);
  s.close(1000);
  assert.deepEqual(FakeWebSocket.made[0]!.closedWith, [undefined, 1000]);
});

test('the socket rejects on an error, a close or silence before it opens, and on a bad URL', async () => {
  const open = browserOpener({ WebSocket: FakeWebSocket, timeoutMs: 30 });
  const a = open('ws://h/a');
  FakeWebSocket.made[0]!.serverError();
  await assert.rejects(a, /connection failed/);
  const b = open('ws://h/b');
  FakeWebSocket.made[1]!.serverClose(1006, '');
  await assert.rejects(b, /closed before it opened \(1006\)/);
  const c = open('ws://h/c');
  await assert.rejects(c, /no connection after/);
  assert.deepEqual(FakeWebSocket.made[2]!.closedWith, [undefined]);
  class Throws extends FakeWebSocket {
    constructor(url: string) {
      super(url);
      throw new SyntaxError(`The URL '${url}' is invalid.`);
    }
  }
  await assert.rejects(browserOpener({ WebSocket: Throws })('nope'), SyntaxError);
});

/**
 * The agent's end of a session behind the fake server: its own ReliableStream, the handshake with
 * the fast transport offered, and a record of what the client sent.
 */
function fakeAgent() {
  const received: { type: number; bytes: Buffer }[] = [];
  const stream: ReliableStream = new ReliableStream({
    role: 'agent',
    onData: (type, payload) => {
      if (type === PayloadType.HandshakeResponse) {
        const r = parseHandshakeResponse(payload);
        stream.setMode(r.transport.mode, { frameSize: r.transport.frameSize });
        stream.write(PayloadType.HandshakeComplete, encodeHandshakeComplete(1, 'Hello from the test agent.'));
      } else received.push({ type, bytes: Buffer.from(payload) });
    },
  });
  /** The server side of one client socket: the open frame checked, frames relayed both ways. */
  const serve = (ws: FakeWebSocket, token: string) => {
    ws.onSend = (data) => {
      if (typeof data === 'string') {
        assert.equal(JSON.parse(data).TokenValue, token);
        stream.attach((bytes) => setTimeout(() => ws.readyState === 1 && ws.serverMessage(new Uint8Array(bytes).buffer), 0));
        return;
      }
      setTimeout(() => stream.receive(data), 0);
    };
    ws.serverOpen();
  };
  return { stream, received, serve };
}

class FakeTerm implements ShellTerminal {
  cols = 80;
  rows = 24;
  screen = '';
  private data: ((d: string) => void)[] = [];
  private binary: ((d: string) => void)[] = [];
  private resize: ((s: { cols: number; rows: number }) => void)[] = [];
  write(d: string | Uint8Array) {
    this.screen += typeof d === 'string' ? d : new TextDecoder().decode(d);
  }
  private on<T>(list: T[], fn: T) {
    list.push(fn);
    return { dispose: () => void list.splice(list.indexOf(fn), 1) };
  }
  onData = (fn: (d: string) => void) => this.on(this.data, fn);
  onBinary = (fn: (d: string) => void) => this.on(this.binary, fn);
  onResize = (fn: (s: { cols: number; rows: number }) => void) => this.on(this.resize, fn);
  type(d: string) {
    for (const f of this.data) f(d);
  }
  mouse(d: string) {
    for (const f of this.binary) f(d);
  }
  resizeTo(cols: number, rows: number) {
    this.cols = cols;
    this.rows = rows;
    for (const f of this.resize) f({ cols, rows });
  }
}

test("a shell over the browser socket, on the buffer package's Buffer: handshake, keys, sizes, output, a resume, the end", async () => {
  const nodeBuffer = globalThis.Buffer;
  (globalThis as { Buffer: unknown }).Buffer = BrowserBuffer;
  const agent = fakeAgent();
  const resumes: string[] = [];
  const channel = new ClientChannel({
    sessionId: 'admin-0123456789abcdef0',
    streamUrl: 'ws://server-a/capstan/v1/session/admin-0123456789abcdef0/stream',
    tokenValue: 'token-1',
    openSocket: browserOpener({ WebSocket: FakeWebSocket }),
    resume: async () => {
      resumes.push('resume');
      return { tokenValue: 'token-2', streamUrl: 'ws://server-b/capstan/v1/session/admin-0123456789abcdef0/stream' };
    },
  });
  const term = new FakeTerm();
  try {
    const connecting = channel.connect();
    await tick();
    agent.serve(FakeWebSocket.made[0]!, 'token-1');
    await connecting;
    let ready = false;
    const running = runShell(channel, term, { ready: () => (ready = true) });
    agent.stream.write(PayloadType.HandshakeRequest, encodeHandshakeRequest({ agentVersion: 'test', sessionType: 'Standard_Stream', capstan: true }));
    await until(() => ready, 'the handshake');
    assert.match(term.screen, /Hello from the test agent\./);

    term.type('echo héllo\r');
    term.mouse('\x1b[M\xa0\x21\x21');
    term.resizeTo(0, 0); // a hidden terminal measures nothing: not a size to send
    term.resizeTo(120, 40);
    term.resizeTo(120, 40);
    agent.stream.write(PayloadType.Output, Buffer.from('héllo\r\n', 'utf8'));
    const sizes = () => agent.received.filter((r) => r.type === PayloadType.Size).map((r) => parseSizePayload(r.bytes));
    const input = () => nodeBuffer.concat(agent.received.filter((r) => r.type === PayloadType.Output).map((r) => r.bytes)).toString('latin1');
    const typed = 'echo h\xc3\xa9llo\r\x1b[M\xa0\x21\x21';
    await until(() => sizes().length === 2 && input() === typed && term.screen.includes('héllo\r\n'), 'the exchange');
    assert.deepEqual(sizes(), [
      { cols: 80, rows: 24 },
      { cols: 120, rows: 40 },
    ]);

    // A drop (no close code the server chose): ResumeSession's token, on the URL it names.
    FakeWebSocket.made[0]!.serverClose(1006, '');
    agent.stream.detach();
    await until(() => FakeWebSocket.made.length === 2, 'the resumed socket');
    assert.deepEqual(resumes, ['resume']);
    assert.equal(FakeWebSocket.made[1]!.url, 'ws://server-b/capstan/v1/session/admin-0123456789abcdef0/stream');
    agent.serve(FakeWebSocket.made[1]!, 'token-2');
    term.type('after\r');
    await until(() => agent.received.some((r) => r.bytes.toString() === 'after\r'), 'typing after the resume');

    FakeWebSocket.made[1]!.serverClose(1000, 'The session ended on the node.');
    const end = await running;
    assert.equal(end.reason, 'The session ended on the node.');
    assert.equal(channel.isEnded, true);
  } finally {
    channel.close();
    agent.stream.close();
    (globalThis as { Buffer: unknown }).Buffer = nodeBuffer;
  }
});
