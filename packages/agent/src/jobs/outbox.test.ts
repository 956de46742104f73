import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Outbox } from './outbox.js';

const reply = (id: string) => ({ type: 'reply' as const, id, status: 'InProgress' as const, steps: [] });

test('the outbox keeps what the server has not acknowledged, across restarts, and sends it again in order', () => {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-outbox-'));
  try {
    const sent: { id: string; replyId: string }[] = [];
    const box = new Outbox(dir);
    box.put(reply('before-connect'));
    assert.equal(sent.length, 0, 'nothing is sent while detached');
    box.attach((t) => sent.push(JSON.parse(t) as { id: string; replyId: string }));
    box.put(reply('a'));
    box.put(reply('b'));
    assert.deepEqual(sent.map((m) => m.id), ['before-connect', 'a', 'b']);
    box.acked(sent[1]!.replyId);
    assert.equal(box.size, 2);
    assert.equal(box.resendOlderThan(60_000), 0, 'not yet due');
    assert.equal(box.resendOlderThan(0), 2);
    assert.deepEqual(sent.slice(3).map((m) => m.id), ['before-connect', 'b'], 'unacknowledged ones again, in order');

    // A restarted agent finds the same messages on disk.
    const again: string[] = [];
    const reopened = new Outbox(dir);
    assert.equal(reopened.attach((t) => again.push((JSON.parse(t) as { id: string }).id)), 2);
    assert.deepEqual(again, ['before-connect', 'b']);
    reopened.put(reply('c'));
    assert.deepEqual(again, ['before-connect', 'b', 'c'], 'new messages sort after the old ones');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
