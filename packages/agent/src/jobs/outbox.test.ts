import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { sendMessagePiece } from '../channel-socket.js';
import { Outbox, type SendPiece } from './outbox.js';

/** Whole messages from the pieces the outbox sends. */
function messages<T>(into: T[]): SendPiece {
  let parts: Buffer[] = [];
  return (piece, last) => {
    parts.push(Buffer.from(piece));
    if (!last) return;
    into.push(JSON.parse(Buffer.concat(parts).toString()) as T);
    parts = [];
  };
}

const reply = (id: string) => ({ type: 'reply' as const, id, status: 'InProgress' as const, steps: [] });

test('the outbox keeps what the server has not acknowledged, across restarts, and sends it again in order', () => {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-outbox-'));
  try {
    const sent: { id: string; replyId: string }[] = [];
    const box = new Outbox(dir);
    box.put(reply('before-connect'));
    assert.equal(sent.length, 0, 'nothing is sent while detached');
    box.attach(messages(sent));
    box.put(reply('a'));
    box.put(reply('b'));
    assert.deepEqual(sent.map((m) => m.id), ['before-connect', 'a', 'b']);
    box.acked(sent[1]!.replyId);
    assert.equal(box.size, 2);
    assert.equal(box.resendOlderThan(60_000), 0, 'not yet due');
    assert.equal(box.resendOlderThan(0), 2);
    assert.deepEqual(sent.slice(3).map((m) => m.id), ['before-connect', 'b'], 'unacknowledged ones again, in order');

    // A restarted agent finds the same messages on disk.
    const again: { id: string }[] = [];
    const reopened = new Outbox(dir);
    assert.equal(reopened.attach(messages(again)), 2);
    assert.deepEqual(again.map((m) => m.id), ['before-connect', 'b']);
    reopened.put(reply('c'));
    assert.deepEqual(again.map((m) => m.id), ['before-connect', 'b', 'c'], 'new messages sort after the old ones');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a message of a megabyte goes from the outbox over a WebSocket in fragments and arrives as one text message, as written to its file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-outbox-'));
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  try {
    await once(wss, 'listening');
    const arrived: { data: Buffer; isBinary: boolean }[] = [];
    wss.on('connection', (s) => s.on('message', (data, isBinary) => arrived.push({ data: data as Buffer, isBinary })));
    const ws = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
    await once(ws, 'open');
    const frames: number[] = [];
    // Each frame the client writes: one socket write per fragment header.
    const write = (ws as unknown as { _socket: { write: (b: Buffer) => boolean } })._socket;
    const original = write.write.bind(write);
    write.write = (b: Buffer) => (frames.push(b.length), original(b));
    const box = new Outbox(dir);
    box.attach((piece, last) => sendMessagePiece(ws, piece, last));
    const steps = Array.from({ length: 6000 }, (_, i) => ({ name: `step-${i}`, status: 'Success', output: 'é'.repeat(80) }));
    box.put({ type: 'reply', id: 'big', status: 'Success', steps } as never);
    // Long, but with no long array: one text, in fragments all the same.
    box.put({ type: 'output', id: 'long', step: 's', stream: 'stdout', offset: 0, data: 'QUJD'.repeat(40_000) });
    const deadline = Date.now() + 10_000;
    while (arrived.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(arrived.length, 2, 'both messages arrived');
    const [file, file2] = readdirSync(join(dir, 'outbox')).sort();
    const { data, isBinary } = arrived[0]!;
    assert.equal(isBinary, false, 'a text message');
    assert.ok(data.length > 1_000_000, `${data.length} bytes`);
    assert.deepEqual(data, readFileSync(join(dir, 'outbox', file!)), 'the bytes of its file');
    const replyId = (JSON.parse(data.toString()) as { replyId: string }).replyId;
    assert.equal(data.toString(), JSON.stringify({ type: 'reply', id: 'big', status: 'Success', steps, replyId }), 'the JSON text of the message');
    assert.deepEqual(arrived[1]!.data, readFileSync(join(dir, 'outbox', file2!)));
    assert.equal((JSON.parse(arrived[1]!.data.toString()) as { data: string }).data, 'QUJD'.repeat(40_000));
    assert.ok(frames.length >= Math.ceil(data.length / 65536), `sent in ${frames.length} writes, none bigger than a fragment: ${Math.max(...frames)} bytes`);
    assert.ok(Math.max(...frames) <= 65536 + 14);
    ws.close();
  } finally {
    wss.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
