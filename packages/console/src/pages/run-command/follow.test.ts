import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FollowResult } from '../../api/types';
import { CommandProgress } from './follow';

const b64 = (b: Uint8Array | string) => Buffer.from(b).toString('base64');
const cmd = { CommandId: 'c'.repeat(36), DocumentName: 'AWS-RunShellScript', Status: 'InProgress' };

function answer(output: FollowResult['Output'], invocations: FollowResult['Invocations'] = []): FollowResult {
  return { Command: cmd, Invocations: invocations, Output: output, Cursor: '1.1', Done: false };
}

test('output pieces join per stream; a repeated piece is shown once', () => {
  const p = new CommandProgress();
  p.apply(answer([{ InstanceId: 'mi-1', PluginName: 's', Stream: 'stdout', Offset: 0, Data: b64('hel') }], [{ InstanceId: 'mi-1', Status: 'InProgress' }]));
  p.apply(answer([{ InstanceId: 'mi-1', PluginName: 's', Stream: 'stdout', Offset: 0, Data: b64('hel') }]));
  p.apply(answer([{ InstanceId: 'mi-1', PluginName: 's', Stream: 'stdout', Offset: 2, Data: b64('llo\n') }]));
  p.apply(answer([{ InstanceId: 'mi-1', PluginName: 's', Stream: 'stderr', Offset: 0, Data: b64('oops') }]));
  const n = p.nodes.get('mi-1')!;
  assert.deepEqual(n.chunks, [
    { plugin: 's', stream: 'stdout', text: 'hello\n' },
    { plugin: 's', stream: 'stderr', text: 'oops' },
  ]);
  assert.equal(n.status, 'InProgress');
});

test('a character split across two pieces decodes whole', () => {
  const p = new CommandProgress();
  const bytes = new TextEncoder().encode('é!');
  p.apply(answer([{ InstanceId: 'mi-1', PluginName: 's', Stream: 'stdout', Offset: 0, Data: b64(bytes.subarray(0, 1)) }]));
  p.apply(answer([{ InstanceId: 'mi-1', PluginName: 's', Stream: 'stdout', Offset: 1, Data: b64(bytes.subarray(1)) }]));
  assert.equal(p.nodes.get('mi-1')!.chunks[0]!.text, 'é!');
});
