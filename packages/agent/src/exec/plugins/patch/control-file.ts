import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';

/** Where apt keeps its helper that decompresses every format apt may store its lists in. */
const APT_HELPER = '/usr/lib/apt/apt-helper';

/**
 * Streams the paragraphs of a deb822 file (dpkg's status, apt's Packages lists), keeping only the
 * named fields, so a list with tens of thousands of packages never sits in memory whole. Lines
 * are found in the raw bytes and only the wanted fields become strings: a Packages list is mostly
 * descriptions and checksums nobody here reads, and every string or buffer made from them would be
 * garbage that grows the process before the collector runs.
 */
export async function* paragraphs(
  input: AsyncIterable<Buffer | string>,
  fields: ReadonlySet<string>,
  /** Asked with each paragraph's first field value (its Package): false skips the paragraph unread. */
  keep?: (first: string) => boolean,
): AsyncGenerator<Record<string, string>> {
  const names = [...fields];
  const wanted = names.map((f) => Buffer.from(`${f}:`));
  let current: Record<string, string> = {};
  let any = false;
  let skipping = false;
  let first = true;
  let carry: Buffer | undefined;
  /** One line, buf[start, end) without its newline; returns a finished paragraph at a blank line. */
  const take = (buf: Buffer, start: number, end: number): Record<string, string> | undefined => {
    if (end > start && buf[end - 1] === 13) end--;
    if (end === start) {
      first = true;
      skipping = false;
      if (!any) return undefined;
      const done = current;
      current = {};
      any = false;
      return done;
    }
    // Continuation lines (a leading space or tab) only extend fields such as Description.
    if (skipping || buf[start] === 32 || buf[start] === 9) return undefined;
    if (first && keep) {
      first = false;
      const colon = buf.indexOf(58, start);
      if (colon >= 0 && colon < end && !keep(value(buf, colon + 1, end))) {
        skipping = true;
        return undefined;
      }
    }
    for (let i = 0; i < wanted.length; i++) {
      const w = wanted[i]!;
      if (end - start < w.length || buf.compare(w, 0, w.length, start, start + w.length) !== 0) continue;
      current[names[i]!] = value(buf, start + w.length, end);
      any = true;
      break;
    }
    return undefined;
  };
  for await (const chunk of input) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    let start = 0;
    let nl = buf.indexOf(10);
    if (carry && nl >= 0) {
      // Only the line split across two chunks is copied.
      const line = Buffer.concat([carry, buf.subarray(0, nl)]);
      carry = undefined;
      const done = take(line, 0, line.length);
      start = nl + 1;
      if (done) yield done;
      nl = buf.indexOf(10, start);
    }
    // A chunk with no carriage return can skip a paragraph nobody wants in one search for its
    // blank line, so most of a Packages list costs no JavaScript per line.
    const lf = buf.indexOf(13) < 0;
    while (nl >= 0) {
      if (skipping && lf && buf[start] !== 10) {
        // `start` begins a line and follows a newline (or begins the chunk, after a whole line):
        // the next blank line is the second newline of the next "\n\n" from the one before it.
        const pair = buf.indexOf(NLNL, start > 0 ? start - 1 : 0);
        if (pair < 0) {
          // Its unfinished last line is carried below as usual, to be judged with the next chunk.
          start = buf.lastIndexOf(10) + 1;
          break;
        }
        start = nl = pair + 1;
      }
      const done = take(buf, start, nl);
      start = nl + 1;
      if (done) yield done;
      nl = buf.indexOf(10, start);
    }
    // The chunk may be a reused read buffer: keep a copy of its unfinished line.
    if (start < buf.length) carry = carry ? Buffer.concat([carry, buf.subarray(start)]) : Buffer.from(buf.subarray(start));
  }
  if (carry) {
    const done = take(carry, 0, carry.length);
    if (done) yield done;
  }
  if (any) yield current;
}

const NLNL = Buffer.from('\n\n');

/** A field's value without the blanks around it, made into one string only. */
function value(buf: Buffer, start: number, end: number): string {
  while (start < end && (buf[start] === 32 || buf[start] === 9)) start++;
  while (end > start && (buf[end - 1] === 32 || buf[end - 1] === 9)) end--;
  return buf.toString('utf8', start, end);
}

/** A file's bytes through one reused buffer: reading a big list makes no garbage buffers. */
async function* readChunks(path: string, size = 64 * 1024): AsyncGenerator<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(size);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, size, null);
      if (bytesRead === 0) return;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

/** A status or list file's bytes, whichever compression apt stored a list with. */
export function openControlFile(path: string): AsyncIterable<Buffer> {
  if (path.endsWith('.gz')) return createReadStream(path).pipe(createGunzip());
  if (/\.(xz|lz4|zst|bz2|lzma)$/.test(path)) {
    const child = spawn(APT_HELPER, ['cat-file', path], { stdio: ['ignore', 'pipe', 'ignore'] });
    return child.stdout;
  }
  return readChunks(path);
}
