import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReplayPlayer, parseSize, replayEvents, type ReplayClock, type ReplayState } from './replay';

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** A clock the test moves by hand. */
class FakeClock implements ReplayClock {
  t = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private next = 1;
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const id = this.next++;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  };
  clearTimeout = (h: unknown) => void this.timers.delete(h as number);
  advance(ms: number) {
    const end = this.t + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, v]) => v.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.t = due[1].at;
      due[1].fn();
    }
    this.t = end;
  }
}

const transcript = replayEvents([
  { Time: 1000, Stream: 'size', Data: b64('{"cols":100,"rows":30}') },
  { Time: 1000.5, Stream: 'output', Data: b64('$ ') },
  { Time: 1001, Stream: 'input', Data: b64('echo hi\r') },
  { Time: 1001.1, Stream: 'output', Data: b64('echo hi\r\nhi\r\n') },
  { Time: 1004, Stream: 'output', Data: b64('bye') },
]);

function setup() {
  const clock = new FakeClock();
  const seen: string[] = [];
  const states: ReplayState[] = [];
  const dec = new TextDecoder();
  const player = new ReplayPlayer(
    transcript,
    { output: (d) => seen.push(`out:${dec.decode(d)}`), input: (d) => seen.push(`in:${dec.decode(d)}`), resize: (c, r) => seen.push(`size:${c}x${r}`), reset: () => seen.push('reset') },
    (s) => states.push(s),
    clock,
  );
  return { clock, seen, states, player };
}

test('transcript times are relative to the first event, in ms', () => {
  assert.deepEqual(
    transcript.map((e) => [e.at, e.stream]),
    [
      [0, 'size'],
      [500, 'output'],
      [1000, 'input'],
      [1100, 'output'],
      [4000, 'output'],
    ],
  );
  assert.deepEqual(parseSize(new TextEncoder().encode('{"cols":80,"rows":24}')), { cols: 80, rows: 24 });
  assert.equal(parseSize(new TextEncoder().encode('nope')), undefined);
});

test('plays with the original timing, pauses, speeds up, and jumps to the end', () => {
  const { clock, seen, states, player } = setup();
  player.play();
  assert.deepEqual(seen, ['size:100x30']);
  clock.advance(499);
  assert.equal(seen.length, 1);
  clock.advance(1);
  assert.deepEqual(seen.slice(1), ['out:$ ']);
  player.pause();
  clock.advance(10_000);
  assert.equal(seen.length, 2, 'nothing plays while paused');
  player.setSpeed(8);
  player.play();
  clock.advance(600 / 8);
  assert.deepEqual(seen.slice(2), ['in:echo hi\r', 'out:echo hi\r\nhi\r\n']);
  player.end();
  assert.deepEqual(seen.slice(4), ['out:bye']);
  assert.deepEqual(states, ['playing', 'paused', 'playing', 'done']);
  assert.equal(player.position, player.duration);
  player.play();
  assert.deepEqual(seen.slice(5), ['reset', 'size:100x30'], 'playing again starts over');
  clock.advance(4000);
  assert.equal(player.state, 'done');
});

test('an empty transcript is done at once', () => {
  const p = new ReplayPlayer([], { output: () => undefined, resize: () => undefined, reset: () => undefined });
  assert.equal(p.state, 'done');
  p.play();
  assert.equal(p.state, 'done');
});
