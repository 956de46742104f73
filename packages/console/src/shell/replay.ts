import type { Timestamp } from '../api/types';
import { base64ToBytes } from '../lib/base64';
import { toDate } from '../lib/format';

/** One event of CapstanGetSessionTranscript as it travels: a time, a stream and base64 bytes. */
export interface TranscriptEvent {
  Time: Timestamp;
  Stream: string;
  Data: string;
}

export interface ReplayEvent {
  /** Milliseconds after the transcript's first event. */
  at: number;
  stream: 'input' | 'output' | 'size';
  data: Uint8Array;
}

/** The transcript as the player plays it: times relative to its start, in the server's order. */
export function replayEvents(events: readonly TranscriptEvent[]): ReplayEvent[] {
  const out: ReplayEvent[] = [];
  let first: number | undefined;
  let last = 0;
  for (const e of events) {
    if (e.Stream !== 'input' && e.Stream !== 'output' && e.Stream !== 'size') continue;
    const t = toDate(e.Time)?.getTime() ?? last;
    first ??= t;
    // The server's order is the relay's; a clock step back must not replay anything early.
    last = Math.max(last, t - first);
    out.push({ at: last, stream: e.Stream, data: base64ToBytes(e.Data) });
  }
  return out;
}

/** A Size payload: `{"cols":…,"rows":…}`; anything else is ignored. */
export function parseSize(data: Uint8Array): { cols: number; rows: number } | undefined {
  try {
    const v = JSON.parse(new TextDecoder().decode(data)) as { cols?: unknown; rows?: unknown };
    const cols = Number(v.cols);
    const rows = Number(v.rows);
    if (Number.isInteger(cols) && Number.isInteger(rows) && cols > 0 && rows > 0 && cols <= 1000 && rows <= 500) return { cols, rows };
  } catch {
    // not a size
  }
  return undefined;
}

/** Where the replay goes: xterm.js's Terminal, or a test's recorder. */
export interface ReplaySink {
  /** Bytes the session's shell printed. */
  output(data: Uint8Array): void;
  /** Bytes the user typed (the shell's echo shows them too). */
  input?(data: Uint8Array): void;
  resize(cols: number, rows: number): void;
  /** Back to a blank screen, to play again from the start. */
  reset(): void;
}

export type ReplayState = 'playing' | 'paused' | 'done';

export interface ReplayClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: ReplayClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/**
 * Plays a transcript into a sink with its original timing, at a chosen speed: play, pause, and
 * jump to the end. Playing again after the end starts over on a blank screen.
 */
export class ReplayPlayer {
  private index = 0;
  /** Where in the transcript (ms) playing got to when last paused or re-anchored. */
  private pos = 0;
  /** While playing: the real time and position playing last started from. */
  private anchor: { real: number; pos: number } | undefined;
  private timer: unknown;
  private speedValue = 1;
  private stateValue: ReplayState;

  constructor(
    private readonly events: readonly ReplayEvent[],
    private readonly sink: ReplaySink,
    private readonly onChange: (state: ReplayState) => void = () => undefined,
    private readonly clock: ReplayClock = realClock,
  ) {
    this.stateValue = events.length ? 'paused' : 'done';
  }

  get state(): ReplayState {
    return this.stateValue;
  }

  get speed(): number {
    return this.speedValue;
  }

  /** The transcript's length in ms. */
  get duration(): number {
    return this.events[this.events.length - 1]?.at ?? 0;
  }

  /** How far the replay is, in ms of the transcript. */
  get position(): number {
    return Math.min(this.duration, this.anchor ? this.anchor.pos + (this.clock.now() - this.anchor.real) * this.speedValue : this.pos);
  }

  play(): void {
    if (this.stateValue === 'playing') return;
    if (this.stateValue === 'done') {
      if (!this.events.length) return;
      this.sink.reset();
      this.index = 0;
      this.pos = 0;
    }
    this.anchor = { real: this.clock.now(), pos: this.pos };
    this.set('playing');
    this.tick();
  }

  pause(): void {
    if (this.stateValue !== 'playing') return;
    this.pos = this.position;
    this.stop();
    this.set('paused');
  }

  setSpeed(speed: number): void {
    if (!(speed > 0) || speed === this.speedValue) return;
    if (this.stateValue === 'playing') {
      this.pos = this.position;
      this.stop();
      this.speedValue = speed;
      this.anchor = { real: this.clock.now(), pos: this.pos };
      this.tick();
    } else this.speedValue = speed;
  }

  /** Everything left, at once. */
  end(): void {
    if (this.stateValue === 'done') return;
    this.stop();
    this.emitUntil(Infinity);
    this.finish();
  }

  dispose(): void {
    this.stop();
  }

  private tick = (): void => {
    this.timer = undefined;
    const now = this.position;
    this.emitUntil(now);
    const next = this.events[this.index];
    if (!next) return this.finish();
    this.timer = this.clock.setTimeout(this.tick, Math.max(0, (next.at - now) / this.speedValue));
  };

  private emitUntil(pos: number): void {
    for (let e = this.events[this.index]; e && e.at <= pos; e = this.events[++this.index]) {
      if (e.stream === 'output') this.sink.output(e.data);
      else if (e.stream === 'input') this.sink.input?.(e.data);
      else {
        const size = parseSize(e.data);
        if (size) this.sink.resize(size.cols, size.rows);
      }
    }
  }

  private finish(): void {
    this.stop();
    this.pos = this.duration;
    this.set('done');
  }

  private stop(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.anchor = undefined;
  }

  private set(s: ReplayState): void {
    if (s === this.stateValue) return;
    this.stateValue = s;
    this.onChange(s);
  }
}
