import { createWriteStream, type WriteStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { STDERR_PREVIEW_CHARS, STDOUT_PREVIEW_CHARS } from '@capstan/wire';

export type StreamName = 'stdout' | 'stderr';
export const TRUNCATED_SUFFIX = '--output truncated--';
const CAP: Record<StreamName, number> = { stdout: STDOUT_PREVIEW_CHARS, stderr: STDERR_PREVIEW_CHARS };
/** A UTF-8 character is at most 4 bytes: reading this much of a file always fills a preview. */
const maxPreviewBytes = (s: StreamName) => CAP[s] * 4 + 4;

/** Keeps the first `cap` characters of a byte stream and forgets the rest, so memory stays bounded. */
class Preview {
  private text = '';
  private more = false;
  private readonly decoder = new StringDecoder('utf8');
  constructor(private readonly cap: number) {}

  add(chunk: Buffer): void {
    if (this.text.length > this.cap) return void (this.more = true);
    this.text += this.decoder.write(chunk);
  }

  /** Marks that bytes exist past what was added (resuming from a file read only in part). */
  markMore(): void {
    this.more = true;
  }

  value(): string {
    // Bytes of a character split by the end of the stream become U+FFFD, as in any UTF-8 decode.
    if (!this.more) this.text += this.decoder.end();
    const text = this.text;
    if (!this.more && text.length <= this.cap) return text;
    let cut = this.cap - TRUNCATED_SUFFIX.length;
    // Never leave half a surrogate pair in front of the suffix.
    const last = text.charCodeAt(cut - 1);
    if (last >= 0xd800 && last <= 0xdbff) cut--;
    return text.slice(0, cut) + TRUNCATED_SUFFIX;
  }
}

class Stream {
  bytes = 0;
  failed = false;
  constructor(
    readonly name: StreamName,
    readonly file: WriteStream,
    readonly preview: Preview,
  ) {
    // A full disk must not crash the agent: the step goes on, live output still flows.
    file.on('error', () => (this.failed = true));
  }
}

/**
 * One step's stdout and stderr: every chunk goes to `<dir>/stdout|stderr` and to the live
 * callback with its byte offset; only the API previews are kept in memory. aws:runDocument shares
 * its sink with the nested document's steps, so their output continues the same streams.
 */
export class OutputSink {
  private readonly streams: Record<StreamName, Stream>;

  private constructor(
    private readonly step: string,
    private readonly onOutput: (step: string, stream: StreamName, chunk: Buffer, offset: number) => void,
    dir: string,
    append: boolean,
  ) {
    const make = (name: StreamName) => new Stream(name, createWriteStream(join(dir, name), { flags: append ? 'a' : 'w' }), new Preview(CAP[name]));
    this.streams = { stdout: make('stdout'), stderr: make('stderr') };
  }

  /** `append`: continue the files of an earlier run of the same step (rerun after a reboot). */
  static async open(dir: string, step: string, onOutput: OutputSink['onOutput'], append = false): Promise<OutputSink> {
    const sink = new OutputSink(step, onOutput, dir, append);
    if (append) {
      for (const name of ['stdout', 'stderr'] as const) {
        const { bytes, head } = await readHead(join(dir, name), maxPreviewBytes(name));
        const s = sink.streams[name];
        s.bytes = bytes;
        s.preview.add(head);
        if (bytes > head.length) s.preview.markMore();
      }
    }
    return sink;
  }

  /** Returns false when the file is behind: the producer should wait for `drained`. */
  write(name: StreamName, chunk: Buffer): boolean {
    const s = this.streams[name];
    const offset = s.bytes;
    s.bytes += chunk.length;
    s.preview.add(chunk);
    this.onOutput(this.step, name, chunk, offset);
    return s.failed ? true : s.file.write(chunk);
  }

  drained(name: StreamName): Promise<void> {
    const s = this.streams[name];
    if (s.failed || !s.file.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => (s.file.off('drain', done), s.file.off('error', done), resolve());
      s.file.on('drain', done);
      s.file.on('error', done);
    });
  }

  /** Agent-written text (what a non-script plugin did), delivered like process output. */
  note(name: StreamName, text: string): void {
    this.write(name, Buffer.from(text.endsWith('\n') ? text : `${text}\n`));
  }

  preview(name: StreamName): string {
    return this.streams[name].preview.value();
  }

  bytes(name: StreamName): number {
    return this.streams[name].bytes;
  }

  async close(): Promise<void> {
    await Promise.all(
      Object.values(this.streams).map(
        (s) =>
          new Promise<void>((resolve) => {
            if (s.file.closed) return resolve();
            s.file.once('close', () => resolve());
            s.file.end();
          }),
      ),
    );
  }
}

async function readHead(path: string, max: number): Promise<{ bytes: number; head: Buffer }> {
  const size = await stat(path).then((s) => s.size, () => 0);
  if (size === 0) return { bytes: 0, head: Buffer.alloc(0) };
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(Math.min(size, max));
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return { bytes: size, head: buf.subarray(0, bytesRead) };
  } finally {
    await fh.close();
  }
}

/** The previews of output a step left on disk (a step cut short by an agent crash). */
export async function previewFiles(dir: string): Promise<{ stdout: string; stderr: string; stdoutBytes: number; stderrBytes: number }> {
  const out = { stdout: '', stderr: '', stdoutBytes: 0, stderrBytes: 0 };
  for (const name of ['stdout', 'stderr'] as const) {
    const { bytes, head } = await readHead(join(dir, name), maxPreviewBytes(name));
    const p = new Preview(CAP[name]);
    p.add(head);
    if (bytes > head.length) p.markMore();
    out[name] = p.value();
    out[`${name}Bytes`] = bytes;
  }
  return out;
}
